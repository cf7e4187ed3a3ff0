//! `explain(bundle)`: build a PolicySet and Request from a JSON bundle the way `keyward explain`
//! does, decide, and return the explanation with positions, bundle fields and applicable fixes.

use crate::lint::finding_json;
use crate::util::{fail, opt_str, too_large, type_name, TextPos, MAX_BUNDLE, MAX_DOC};
use keyward_core::diag::{has_errors, Diagnostic, Severity};
use keyward_core::eval::call::{arn_region, key_arn, Call, KeyFacts, Mfa};
use keyward_core::eval::{
    decide, explain, render_human, CtxValue, Decision, Edit, Explanation, NamedPolicy, PolicySet,
    Principal, Request, Source,
};
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::{parse_grants, parse_policy, DocKind};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The bundle's documents and request, as given.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub key_policy: Option<String>,
    pub resource_policy: Option<String>,
    pub identity: Vec<(String, String)>,
    pub boundary: Option<String>,
    pub session: Option<String>,
    pub scps: Vec<Vec<(String, String)>>,
    pub rcps: Vec<Vec<(String, String)>>,
    pub grants: Option<String>,
    pub request: Map<String, Value>,
}

fn named_list(v: &Value, field: &str) -> Result<Vec<(String, String)>, Value> {
    let Value::Array(items) = v else {
        return Err(fail(format!("{field} must be an array of {{name, text}}"), Some(field)));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let Value::Object(o) = item else {
            return Err(fail(
                format!("{f} must be an object {{name, text}}, not {}", type_name(item)),
                Some(&f),
            ));
        };
        let name = opt_str(o, "name", &format!("{f}.name"))?.unwrap_or("").to_string();
        let text = opt_str(o, "text", &format!("{f}.text"))?
            .ok_or_else(|| fail(format!("{f}.text is missing"), Some(&format!("{f}.text"))))?;
        let name = if name.is_empty() { f.clone() } else { name };
        out.push((name, text.to_string()));
    }
    Ok(out)
}

fn levels(v: Option<&Value>, field: &str) -> Result<Vec<Vec<(String, String)>>, Value> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(ls)) => {
            // A flat list of {name, text} is one level.
            if ls.iter().all(Value::is_object) && !ls.is_empty() {
                return Ok(vec![named_list(&Value::Array(ls.clone()), &format!("{field}[0]"))?]);
            }
            ls.iter().enumerate().map(|(i, l)| named_list(l, &format!("{field}[{i}]"))).collect()
        }
        Some(v) => Err(fail(
            format!("{field} must be an array of levels, not {}", type_name(v)),
            Some(field),
        )),
    }
}

impl Inputs {
    /// Reads a bundle.
    pub fn parse(bundle: &str) -> Result<Inputs, Value> {
        if bundle.len() > MAX_BUNDLE {
            return Err(too_large(bundle.len(), MAX_BUNDLE, "bundle"));
        }
        let o = crate::util::parse_object(bundle, "bundle")?;
        let s = |k: &str| opt_str(&o, k, k).map(|v| v.map(str::to_string));
        let request = match o.get("request") {
            Some(Value::Object(r)) => r.clone(),
            None | Some(Value::Null) => {
                return Err(fail("request is missing", Some("request")));
            }
            Some(v) => {
                return Err(fail(
                    format!("request must be an object, not {}", type_name(v)),
                    Some("request"),
                ))
            }
        };
        let identity = match o.get("identity_policies") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => named_list(v, "identity_policies")?,
        };
        let inputs = Inputs {
            key_policy: s("key_policy")?,
            resource_policy: s("resource_policy")?,
            identity,
            boundary: s("boundary")?,
            session: s("session_policy")?,
            scps: levels(o.get("scps"), "scps")?,
            rcps: levels(o.get("rcps"), "rcps")?,
            grants: s("grants")?,
            request,
        };
        for (field, text) in inputs.documents() {
            if text.len() > MAX_DOC {
                return Err(too_large(text.len(), MAX_DOC, &field));
            }
        }
        Ok(inputs)
    }

    /// Every document with its field.
    fn documents(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = [
            ("key_policy", &self.key_policy),
            ("resource_policy", &self.resource_policy),
            ("boundary", &self.boundary),
            ("session_policy", &self.session),
            ("grants", &self.grants),
        ]
        .into_iter()
        .filter_map(|(f, t)| t.as_deref().map(|t| (f.to_string(), t)))
        .collect();
        for (i, (_, t)) in self.identity.iter().enumerate() {
            out.push((format!("identity_policies[{i}]"), t.as_str()));
        }
        for (name, ls) in [("scps", &self.scps), ("rcps", &self.rcps)] {
            for (l, level) in ls.iter().enumerate() {
                for (i, (_, t)) in level.iter().enumerate() {
                    out.push((format!("{name}[{l}][{i}]"), t.as_str()));
                }
            }
        }
        out
    }

    /// The text of a field.
    pub fn text(&self, field: &str) -> Option<&str> {
        self.documents().into_iter().find(|(f, _)| f == field).map(|(_, t)| t)
    }

    /// A copy with one field's text replaced (a new identity policy appended when the field is
    /// `identity_policies[len]`).
    fn with_text(&self, field: &str, text: &str, new_name: &str) -> Inputs {
        let mut c = self.clone();
        let t = Some(text.to_string());
        match field {
            "key_policy" => c.key_policy = t,
            "resource_policy" => c.resource_policy = t,
            "boundary" => c.boundary = t,
            "session_policy" => c.session = t,
            "grants" => c.grants = t,
            _ => {
                let idx: Vec<usize> =
                    field.split(['[', ']']).filter_map(|p| p.parse().ok()).collect();
                let slot = match (field.split('[').next(), idx.as_slice()) {
                    (Some("identity_policies"), [i]) => {
                        if *i == c.identity.len() {
                            c.identity.push((new_name.to_string(), String::new()));
                        }
                        c.identity.get_mut(*i)
                    }
                    (Some("scps"), [l, i]) => c.scps.get_mut(*l).and_then(|v| v.get_mut(*i)),
                    (Some("rcps"), [l, i]) => c.rcps.get_mut(*l).and_then(|v| v.get_mut(*i)),
                    _ => None,
                };
                if let Some(s) = slot {
                    s.1 = text.to_string();
                }
            }
        }
        c
    }

    /// The field of the resource policy in use.
    fn resource_field(&self) -> &'static str {
        if self.key_policy.is_some() || self.resource_policy.is_none() {
            "key_policy"
        } else {
            "resource_policy"
        }
    }

    /// The bundle field a source's policy came from.
    pub fn field_of(&self, source: Source) -> Option<String> {
        Some(match source {
            Source::ResourcePolicy => self.resource_field().to_string(),
            Source::Identity { index } => format!("identity_policies[{index}]"),
            Source::Boundary => "boundary".into(),
            Source::Session => "session_policy".into(),
            Source::Scp { level, index } => format!("scps[{level}][{index}]"),
            Source::Rcp { level, index } => format!("rcps[{level}][{index}]"),
            Source::Grant { .. } => "grants".into(),
        })
    }
}

/// The error object for a document with errors.
pub fn doc_error(field: &str, text: &str, diags: &[Diagnostic], what: &str) -> Value {
    let pos = TextPos::new(text);
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.severity == Severity::Error).collect();
    let list: Vec<Value> = errors
        .iter()
        .map(|d| finding_json(&pos, &keyward_lint::Finding::from((*d).clone())))
        .collect();
    let first = errors.first();
    let msg = first.map_or_else(|| format!("{field} is not {what}"), |d| d.message.clone());
    let mut v = fail(format!("{field}: {msg}"), Some(field));
    if let Some(e) = v.get_mut("error").and_then(Value::as_object_mut) {
        if let (Some(d), Value::Object(span)) =
            (first, first.map_or(Value::Null, |d| pos.span(d.span)))
        {
            let _ = d;
            for k in ["line", "column", "start", "end", "start16", "end16"] {
                if let Some(x) = span.get(k) {
                    e.insert(k.into(), x.clone());
                }
            }
        }
        e.insert("diagnostics".into(), Value::Array(list));
    }
    v
}

pub fn load(field: &str, name: &str, text: &str, kind: PolicyKind) -> Result<NamedPolicy, Value> {
    let (policy, diags) = parse_policy(text, kind, Limits::default());
    if has_errors(&diags) {
        return Err(doc_error(field, text, &diags, "a policy"));
    }
    policy
        .map(|p| NamedPolicy::new(name, p))
        .ok_or_else(|| doc_error(field, text, &diags, "a policy"))
}

fn str_map(req: &Map<String, Value>, key: &str) -> Result<Vec<(String, String)>, Value> {
    let field = format!("request.{key}");
    match req.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Number(n) => Ok((k.clone(), n.to_string())),
                Value::Bool(b) => Ok((k.clone(), b.to_string())),
                other => Err(fail(
                    format!("{field}.{k} must be a string, not {}", type_name(other)),
                    Some(&field),
                )),
            })
            .collect(),
        Some(v) => {
            Err(fail(format!("{field} must be an object, not {}", type_name(v)), Some(&field)))
        }
    }
}

/// Builds the policies and the request (as `keyward explain` does).
pub fn build(inp: &Inputs) -> Result<(PolicySet, Request), Value> {
    let r = &inp.request;
    let rs = |k: &str| opt_str(r, k, &format!("request.{k}"));
    let principal_text = rs("principal")?
        .ok_or_else(|| fail("request.principal is missing", Some("request.principal")))?;
    let principal = Principal::parse(principal_text)
        .map_err(|e| fail(format!("request.principal: {e}"), Some("request.principal")))?;
    let action = rs("action")?
        .filter(|a| !a.is_empty())
        .ok_or_else(|| fail("request.action is missing", Some("request.action")))?;
    let mut set = PolicySet::default();
    if let Some(t) = &inp.key_policy {
        set.resource_policy = Some(load("key_policy", "the key policy", t, PolicyKind::Key)?);
    } else if let Some(t) = &inp.resource_policy {
        set.resource_policy =
            Some(load("resource_policy", "the resource policy", t, PolicyKind::Resource)?);
    }
    for (i, (name, t)) in inp.identity.iter().enumerate() {
        set.identity.push(load(&format!("identity_policies[{i}]"), name, t, PolicyKind::Identity)?);
    }
    if let Some(t) = &inp.boundary {
        set.boundary = Some(load("boundary", "the permissions boundary", t, PolicyKind::Boundary)?);
    }
    if let Some(t) = &inp.session {
        set.session = Some(load("session_policy", "the session policy", t, PolicyKind::Session)?);
    }
    for (field, src, kind, dst) in [
        ("scps", &inp.scps, PolicyKind::Scp, &mut set.scps),
        ("rcps", &inp.rcps, PolicyKind::Rcp, &mut set.rcps),
    ] {
        for (l, level) in src.iter().enumerate() {
            let mut v = Vec::new();
            for (i, (name, t)) in level.iter().enumerate() {
                v.push(load(&format!("{field}[{l}][{i}]"), name, t, kind)?);
            }
            dst.push(v);
        }
    }
    if let Some(t) = &inp.grants {
        let (grants, diags) = parse_grants(t, Limits::default());
        if has_errors(&diags) {
            return Err(doc_error("grants", t, &diags, "grants"));
        }
        set.grants = grants.into_iter().map(Arc::new).collect();
    }
    let region = rs("region")?.map(str::to_string);
    let resource = match (rs("key_arn")?.filter(|k| !k.is_empty()), rs("resource")?) {
        (Some(k), _) => key_arn(k, region.as_deref(), &principal.account).ok_or_else(|| {
            fail(
                "request.key_arn: give the key ARN or id; pass the alias in request.alias",
                Some("request.key_arn"),
            )
        })?,
        (None, Some(res)) if !res.is_empty() => res.to_string(),
        _ => "*".to_string(),
    };
    let time = rs("time")?.filter(|t| !t.is_empty()).map(str::to_string);
    if let Some(t) = &time {
        if keyward_core::model::parse_date(t).is_none() {
            return Err(fail(
                format!("request.time `{t}`: expected RFC 3339, e.g. 2026-03-10T14:00:00Z"),
                Some("request.time"),
            ));
        }
    }
    let is_key = resource.split(':').nth(2) == Some("kms");
    let mut call = Call {
        principal_tags: str_map(r, "principal_tags")?,
        encryption_context: str_map(r, "encryption_context")?,
        via_service: rs("via_service")?.filter(|v| !v.is_empty()).map(str::to_string),
        time,
        region: region.or_else(|| arn_region(&resource).map(str::to_string)),
        request_alias: rs("alias")?.filter(|v| !v.is_empty()).map(str::to_string),
        key: if is_key { KeyFacts::symmetric_default() } else { KeyFacts::default() },
        ..Call::new(action, resource)
    };
    call.network.source_ip = rs("source_ip")?.filter(|v| !v.is_empty()).map(str::to_string);
    match r.get("mfa_age_s") {
        None | Some(Value::Null) => {}
        Some(Value::Number(n)) if n.as_f64().is_some_and(|x| x >= 0.0) => {
            let age = n.as_f64().map_or(0, |x| x as u64);
            call.mfa = Some(Mfa { present: true, age_s: Some(age) });
        }
        Some(v) => {
            return Err(fail(
                format!("request.mfa_age_s must be a non-negative number, not {}", type_name(v)),
                Some("request.mfa_age_s"),
            ))
        }
    }
    match r.get("context") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let value = match v {
                    Value::String(s) => CtxValue::One(s.clone()),
                    Value::Number(_) | Value::Bool(_) => CtxValue::One(v.to_string()),
                    Value::Array(items) => CtxValue::Many(
                        items
                            .iter()
                            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                            .collect(),
                    ),
                    other => {
                        return Err(fail(
                            format!(
                            "request.context.{k} must be a string or an array of strings, not {}",
                            type_name(other)
                        ),
                            Some("request.context"),
                        ))
                    }
                };
                call.extra.push((k.clone(), value));
            }
        }
        Some(v) => {
            return Err(fail(
                format!("request.context must be an object, not {}", type_name(v)),
                Some("request.context"),
            ))
        }
    }
    Ok((set, call.request(principal)))
}

/// Replaces `{start, end}` spans with full TextSpans of `text`.
fn spans_in_statements(statements: &mut Value, pos: Option<&TextPos<'_>>) {
    let Some(list) = statements.as_array_mut() else { return };
    for st in list {
        resolve_span(st, pos);
        if let Some(conds) = st.get_mut("conditions").and_then(Value::as_array_mut) {
            for c in conds {
                resolve_span(c, pos);
            }
        }
    }
}

fn resolve_span(v: &mut Value, pos: Option<&TextPos<'_>>) {
    let Some(pos) = pos else { return };
    let Some(span) = v.get("span") else { return };
    let (Some(start), Some(end)) =
        (span.get("start").and_then(Value::as_u64), span.get("end").and_then(Value::as_u64))
    else {
        return;
    };
    let s = keyward_core::span::Span {
        start: u32::try_from(start).unwrap_or(u32::MAX),
        end: u32::try_from(end).unwrap_or(u32::MAX),
    };
    let resolved = pos.span(s);
    if !resolved.is_null() {
        if let Some(o) = v.as_object_mut() {
            o.insert("span".into(), resolved);
        }
    }
}

/// The explanation as JSON (Explanation in keyward.d.ts). Without inputs (the KMS), fields
/// are null and spans stay byte offsets.
pub fn explanation_json(e: &Explanation, inp: Option<&Inputs>) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    let field_of = |s: Source| inp.and_then(|i| i.field_of(s));
    let text_of = |f: &Option<String>| inp.zip(f.as_deref()).and_then(|(i, f)| i.text(f));
    if let Some(deciders) = v.get_mut("deciders").and_then(Value::as_array_mut) {
        for (d, dec) in deciders.iter_mut().zip(&e.deciders) {
            let field = field_of(dec.source);
            let text = text_of(&field);
            let span = match (dec.source, e.trace.statement(dec.source, dec.statement)) {
                (Source::Grant { .. }, _) | (_, None) => Value::Null,
                (_, Some(st)) => match text {
                    Some(t) => TextPos::new(t).span(st.span),
                    None => json!({"start": st.span.start, "end": st.span.end}),
                },
            };
            if let Some(o) = d.as_object_mut() {
                o.insert("field".into(), json!(field));
                o.insert("span".into(), span);
            }
        }
    }
    if let Some(policies) = v.pointer_mut("/trace/policies").and_then(Value::as_array_mut) {
        for (p, pt) in policies.iter_mut().zip(&e.trace.policies) {
            let field = field_of(pt.source);
            let pos = text_of(&field).map(TextPos::new);
            if let Some(st) = p.get_mut("statements") {
                spans_in_statements(st, pos.as_ref());
            }
            if let Some(o) = p.as_object_mut() {
                o.insert("field".into(), json!(field));
            }
        }
    }
    if let Some(o) = v.as_object_mut() {
        o.insert("text".into(), Value::String(render_human(e)));
    }
    v
}

/// The request with a context edit applied (for a fix's `fixed_request`).
fn edit_request(req: &Map<String, Value>, edit: &Edit) -> Option<Map<String, Value>> {
    const EC: &str = "kms:encryptioncontext:";
    let mut r = req.clone();
    fn ec_key(key: &str) -> Option<&str> {
        key.get(..EC.len()).filter(|h| h.eq_ignore_ascii_case(EC)).and(key.get(EC.len()..))
    }
    fn obj<'m>(r: &'m mut Map<String, Value>, name: &str) -> Option<&'m mut Map<String, Value>> {
        if !r.get(name).is_some_and(Value::is_object) {
            r.insert(name.to_string(), Value::Object(Map::new()));
        }
        r.get_mut(name).and_then(Value::as_object_mut)
    }
    match edit {
        Edit::SetContext { key, value } => match ec_key(key) {
            Some(k) => {
                obj(&mut r, "encryption_context")?.insert(k.to_string(), json!(value));
            }
            None => {
                obj(&mut r, "context")?.insert(key.clone(), json!(value));
            }
        },
        Edit::RemoveContext { key } => {
            let lc = key.to_ascii_lowercase();
            if let Some(k) = ec_key(key) {
                obj(&mut r, "encryption_context")?.remove(k);
            } else if lc == "kms:viaservice" {
                r.remove("via_service");
            } else if lc == "aws:sourceip" {
                r.remove("source_ip");
            } else if lc.starts_with("aws:multifactorauth") {
                r.remove("mfa_age_s");
            } else {
                obj(&mut r, "context")?.remove(key.as_str());
            }
        }
        _ => return None,
    }
    Some(r)
}

fn allowed(inp: &Inputs) -> bool {
    build(inp).is_ok_and(|(s, r)| decide(&s, &r) == Decision::Allow)
}

/// Adds `field`, `fixed_text` and `fixed_request` to each fix, each checked to give Allow.
fn annotate_fixes(v: &mut Value, e: &Explanation, inp: &Inputs) {
    let Some(fixes) = v.get_mut("fixes").and_then(Value::as_array_mut) else { return };
    for (fj, fix) in fixes.iter_mut().zip(&e.fixes) {
        let mut field = Value::Null;
        let mut fixed_text = Value::Null;
        let mut fixed_request = Value::Null;
        let mut new_name = None;
        match &fix.edit {
            Edit::SetContext { .. } | Edit::RemoveContext { .. } => {
                field = json!("request");
                if let Some(r) = edit_request(&inp.request, &fix.edit) {
                    let c = Inputs { request: r.clone(), ..inp.clone() };
                    if allowed(&c) {
                        fixed_request = Value::Object(r);
                    }
                }
            }
            Edit::AddAction { .. }
            | Edit::AddResource { .. }
            | Edit::AddPrincipal { .. }
            | Edit::AddConditionValue { .. }
            | Edit::AddStatement { .. }
            | Edit::AddGrant { .. } => {
                if let Some(f) = edit_source(&fix.edit).and_then(|s| inp.field_of(s)) {
                    field = json!(f);
                    let (text, name) = match inp.text(&f) {
                        Some(t) => (keyward_core::eval::apply_to_text(t, &fix.edit), None),
                        None => (
                            keyward_core::eval::new_policy_text(&fix.edit),
                            f.starts_with("identity_policies").then_some("keyward-fix"),
                        ),
                    };
                    if let Some(t) = text {
                        if allowed(&inp.with_text(&f, &t, name.unwrap_or("keyward-fix"))) {
                            fixed_text = json!(t);
                            new_name = name;
                        }
                    }
                }
            }
        }
        if let Some(o) = fj.as_object_mut() {
            o.insert("field".into(), field);
            o.insert("fixed_text".into(), fixed_text);
            o.insert("fixed_request".into(), fixed_request);
            if let Some(n) = new_name {
                o.insert("new_policy_name".into(), json!(n));
            }
        }
    }
}

/// The document an edit changes (None: a change of the request).
fn edit_source(edit: &Edit) -> Option<Source> {
    match edit {
        Edit::SetContext { .. } | Edit::RemoveContext { .. } => None,
        Edit::AddGrant { .. } => Some(Source::Grant { index: 0 }),
        Edit::AddAction { source, .. }
        | Edit::AddResource { source, .. }
        | Edit::AddPrincipal { source, .. }
        | Edit::AddConditionValue { source, .. }
        | Edit::AddStatement { source, .. } => Some(*source),
    }
}

/// The text and lint kind of the document a fix edits, for the lint gate of fixes.
pub fn fix_document(inp: &Inputs, source: Source) -> Option<(Option<String>, DocKind)> {
    let field = inp.field_of(source)?;
    let kind = match source {
        Source::ResourcePolicy if field == "resource_policy" => PolicyKind::Resource,
        Source::ResourcePolicy => PolicyKind::Key,
        Source::Identity { .. } => PolicyKind::Identity,
        Source::Boundary => PolicyKind::Boundary,
        Source::Session => PolicyKind::Session,
        Source::Scp { .. } => PolicyKind::Scp,
        Source::Rcp { .. } => PolicyKind::Rcp,
        Source::Grant { .. } => {
            return Some((inp.text(&field).map(str::to_string), DocKind::Grant));
        }
    };
    Some((inp.text(&field).map(str::to_string), DocKind::Policy(kind)))
}

/// `explain(bundle)`.
pub fn run(bundle: &str) -> Value {
    let inp = match Inputs::parse(bundle) {
        Ok(i) => i,
        Err(e) => return e,
    };
    let (set, req) = match build(&inp) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let mut e = explain(&set, &req);
    keyward_lint::fixes::label_fixes(&mut e, &|s| fix_document(&inp, s));
    let mut v = explanation_json(&e, Some(&inp));
    annotate_fixes(&mut v, &e, &inp);
    if let Some(o) = v.as_object_mut() {
        o.insert("ok".into(), json!(true));
    }
    v
}
