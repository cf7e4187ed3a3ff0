//! Parser: JSON tree → typed model, collecting every diagnostic in one pass.
//!
//! The rules are the IAM policy grammar (`aws-semantics.md` §1) plus each kind's own rules:
//! Principal required in resource-side policies and forbidden in the IAM family, exactly one of
//! Action/NotAction and of Resource/NotResource, unknown elements rejected, strict Sids in the
//! IAM family. Statements with errors are reported and left out of the model.

mod grant;
mod path;

pub use grant::{parse_grants, parse_grants_node};

use crate::diag::Diagnostic;
use crate::json::{self, Limits, Member, Node, Value};
use crate::model::{
    ActionPattern, ActionSpec, AwsPrincipal, CondValue, Condition, Effect, Grant, Operator, Policy,
    PolicyKind, PrincipalEntry, PrincipalSpec, PrincipalType, ResourcePattern, ResourceSpec,
    Statement, Version,
};
use crate::span::Span;
use path::JPath;
use std::fmt;

/// What a document is: a policy of some kind, or grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// A policy document.
    Policy(PolicyKind),
    /// One grant, a list of grants, or a ListGrants response.
    Grant,
}

impl DocKind {
    /// Parses a kind name (`key`, `identity`, ..., `grant`).
    pub fn from_name(s: &str) -> Option<DocKind> {
        if s == "grant" {
            return Some(DocKind::Grant);
        }
        PolicyKind::from_name(s).map(DocKind::Policy)
    }

    /// The kind a file name implies by its prefix: `scp-*.json` is an SCP, `grants-*` grants,
    /// and so on for every kind name.
    pub fn from_file_name(name: &str) -> Option<DocKind> {
        let prefix = name.split(['-', '_', '.']).next()?;
        DocKind::from_name(prefix.strip_suffix('s').filter(|p| *p == "grant").unwrap_or(prefix))
    }

    /// The name.
    pub fn name(self) -> &'static str {
        match self {
            DocKind::Policy(k) => k.name(),
            DocKind::Grant => "grant",
        }
    }
}

/// A parsed document.
#[derive(Debug, Clone)]
pub enum Document {
    /// A policy.
    Policy(Policy),
    /// Grants.
    Grants(Vec<Grant>),
}

/// Infers the kind of a document from its content: grants by their fields, key policies by
/// the presence of `Principal`/`NotPrincipal`, identity policies otherwise.
pub fn infer_kind(root: &Node) -> DocKind {
    let grant_keys =
        ["GranteePrincipal", "GrantId", "Operations", "Grants", "grantee", "operations"];
    match &root.value {
        Value::Array(items)
            if items.iter().any(|i| grant_keys.iter().any(|k| i.get(k).is_some())) =>
        {
            DocKind::Grant
        }
        Value::Object(_) if grant_keys.iter().any(|k| root.get(k).is_some()) => DocKind::Grant,
        _ => {
            let stmts: Vec<&Node> = match root.get("Statement").map(|s| &s.value) {
                Some(Value::Array(a)) => a.iter().collect(),
                Some(_) => root.get("Statement").into_iter().collect(),
                None => Vec::new(),
            };
            if stmts.iter().any(|s| s.get("Principal").is_some() || s.get("NotPrincipal").is_some())
            {
                DocKind::Policy(PolicyKind::Key)
            } else {
                DocKind::Policy(PolicyKind::Identity)
            }
        }
    }
}

/// Reads and parses a document of a given (or inferred, when `None`) kind.
pub fn parse_document(
    text: &str,
    kind: Option<DocKind>,
    limits: Limits,
) -> (Option<Document>, Option<DocKind>, Vec<Diagnostic>) {
    let (root, mut diags) = json::read(text, limits);
    let Some(root) = root else { return (None, kind, diags) };
    let kind = kind.unwrap_or_else(|| infer_kind(&root));
    let doc = match kind {
        DocKind::Policy(k) => {
            let (p, d) = parse_policy_node(&root, k);
            diags.extend(d);
            Document::Policy(p)
        }
        DocKind::Grant => {
            let (g, d) = parse_grants_node(&root);
            diags.extend(d);
            Document::Grants(g)
        }
    };
    (Some(doc), Some(kind), diags)
}

/// Reads and parses a policy of `kind`.
pub fn parse_policy(
    text: &str,
    kind: PolicyKind,
    limits: Limits,
) -> (Option<Policy>, Vec<Diagnostic>) {
    let (root, mut diags) = json::read(text, limits);
    let Some(root) = root else { return (None, diags) };
    let (p, d) = parse_policy_node(&root, kind);
    diags.extend(d);
    (Some(p), diags)
}

/// Parses a policy from an already-read JSON tree (e.g. a policy embedded in a scenario file).
pub fn parse_policy_node(root: &Node, kind: PolicyKind) -> (Policy, Vec<Diagnostic>) {
    let mut p =
        PolicyParser { kind, diags: Vec::new(), variables: false, sids: Vec::new(), build: true };
    let policy = p.policy(root);
    (policy, p.diags)
}

/// The diagnostics [`parse_policy_node`] reports for `root`, without building the policy's
/// compiled patterns, principals and conditions (what a linter needs: the same findings, less
/// work).
pub fn check_policy_node(root: &Node, kind: PolicyKind) -> Vec<Diagnostic> {
    let mut p =
        PolicyParser { kind, diags: Vec::new(), variables: false, sids: Vec::new(), build: false };
    p.policy(root);
    p.diags
}

struct PolicyParser {
    kind: PolicyKind,
    diags: Vec<Diagnostic>,
    variables: bool,
    sids: Vec<String>,
    /// Build the model (false: only report, for [`check_policy_node`]).
    build: bool,
}

/// Members of an object with repeated keys removed (the JSON reader reported them).
pub fn unique_members(members: &[Member]) -> impl Iterator<Item = &Member> {
    members
        .iter()
        .enumerate()
        .filter(move |(i, m)| !members[..*i].iter().any(|p| p.key == m.key))
        .map(|(_, m)| m)
}

/// Strings of a string-or-array-of-strings element; wrong types are reported.
pub fn string_list<'n>(
    node: &'n Node,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(&'n str, Span)> {
    strings_at(node, path, diags).collect()
}

/// [`string_list`] with a path written out only for a diagnostic.
fn strings_at<'n>(
    node: &'n Node,
    path: impl fmt::Display,
    diags: &mut Vec<Diagnostic>,
) -> impl Iterator<Item = (&'n str, Span)> {
    // Wrong types are reported first (all of them, in order), then the strings are handed out
    // without collecting them.
    let (one, items) = match &node.value {
        Value::String(s) => (Some((s.as_str(), node.span)), &[][..]),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if item.as_str().is_none() {
                    diags.push(Diagnostic::error(
                        "wrong-type",
                        item.span,
                        format!("{path}[{i}]"),
                        format!("expected a string, found {}", item.type_name()),
                    ));
                }
            }
            (None, items.as_slice())
        }
        _ => {
            diags.push(Diagnostic::error(
                "wrong-type",
                node.span,
                path.to_string(),
                format!("expected a string or an array of strings, found {}", node.type_name()),
            ));
            (None, &[][..])
        }
    };
    one.into_iter().chain(items.iter().filter_map(|n| n.as_str().map(|s| (s, n.span))))
}

impl PolicyParser {
    fn err(
        &mut self,
        code: &'static str,
        span: Span,
        path: impl fmt::Display,
        msg: impl Into<String>,
    ) {
        self.diags.push(Diagnostic::error(code, span, path.to_string(), msg));
    }

    fn policy(&mut self, root: &Node) -> Policy {
        let mut policy = Policy {
            kind: self.kind,
            version: Version::Absent,
            id: None,
            statements: Vec::new(),
            statement_count: 0,
            span: root.span,
        };
        let Some(members) = root.as_object() else {
            self.err(
                "policy-not-object",
                root.span,
                "",
                format!("a policy must be a JSON object, found {}", root.type_name()),
            );
            return policy;
        };
        // Version first: it decides how variables in statements are read.
        if let Some(v) = root.get("Version") {
            match v.as_str() {
                Some("2012-10-17") => policy.version = Version::V2012_10_17,
                Some("2008-10-17") => policy.version = Version::V2008_10_17,
                Some(other) => self.err(
                    "invalid-version",
                    v.span,
                    "Version",
                    format!("`{other}` is not a policy version: use 2012-10-17"),
                ),
                None => self.err(
                    "wrong-type",
                    v.span,
                    "Version",
                    format!("Version must be a string, found {}", v.type_name()),
                ),
            }
        }
        self.variables = policy.version.variables();
        let mut statement = None;
        for m in unique_members(members) {
            match m.key.as_str() {
                "Version" => {}
                "Id" => match m.value.as_str() {
                    Some(s) => policy.id = self.build.then(|| s.to_string()),
                    None => self.err(
                        "wrong-type",
                        m.value.span,
                        "Id",
                        format!("Id must be a string, found {}", m.value.type_name()),
                    ),
                },
                "Statement" => statement = Some(&m.value),
                other => self.err(
                    "unknown-element",
                    m.key_span,
                    other,
                    format!("unknown policy element `{other}` (expected Version, Id, Statement)"),
                ),
            }
        }
        let root_path = JPath::Root;
        let stmts_path = root_path.key("Statement");
        match statement.map(|s| (s, &s.value)) {
            None => self.err(
                "missing-statement",
                root.span,
                "",
                "the policy has no `Statement` element",
            ),
            Some((_, Value::Array(items))) => {
                policy.statement_count = items.len();
                for (i, item) in items.iter().enumerate() {
                    if let Some(s) = self.statement(item, stmts_path.index(i), i) {
                        if self.build {
                            policy.statements.push(s);
                        }
                    }
                }
            }
            Some((node, Value::Object(_))) => {
                policy.statement_count = 1;
                if let Some(s) = self.statement(node, stmts_path, 0) {
                    if self.build {
                        policy.statements.push(s);
                    }
                }
            }
            Some((node, _)) => self.err(
                "wrong-type",
                node.span,
                "Statement",
                format!(
                    "Statement must be an object or an array of objects, found {}",
                    node.type_name()
                ),
            ),
        }
        policy
    }

    fn statement(&mut self, node: &Node, path: JPath<'_>, index: usize) -> Option<Statement> {
        let Some(members) = node.as_object() else {
            self.err(
                "policy-not-object",
                node.span,
                path,
                format!("a statement must be a JSON object, found {}", node.type_name()),
            );
            return None;
        };
        let errors_before = self.diags.len();
        let mut sid = None;
        let mut effect = None;
        let mut principal: Option<(&Member, bool)> = None;
        let mut action: Option<(&Member, bool)> = None;
        let mut resource: Option<(&Member, bool)> = None;
        let mut condition = None;
        for m in unique_members(members) {
            let p = path.key(&m.key);
            match m.key.as_str() {
                "Sid" => sid = self.sid(&m.value, p),
                "Effect" => effect = self.effect(&m.value, p),
                "Principal" | "NotPrincipal" => {
                    let negated = m.key == "NotPrincipal";
                    if !self.kind.requires_principal() {
                        self.err(
                            "principal-not-allowed",
                            m.key_span,
                            p,
                            format!("`{}` is not allowed in {} policies", m.key, self.kind_label()),
                        );
                    } else if principal.is_some() {
                        self.err("principal-conflict", m.key_span, p, "a statement cannot have both `Principal` and `NotPrincipal`");
                    } else {
                        principal = Some((m, negated));
                    }
                }
                "Action" | "NotAction" => {
                    if action.is_some() {
                        self.err("action-conflict", m.key_span, p, "a statement cannot have both `Action` and `NotAction`");
                    } else {
                        action = Some((m, m.key == "NotAction"));
                    }
                }
                "Resource" | "NotResource" => {
                    if resource.is_some() {
                        self.err("resource-conflict", m.key_span, p, "a statement cannot have both `Resource` and `NotResource`");
                    } else {
                        resource = Some((m, m.key == "NotResource"));
                    }
                }
                "Condition" => condition = Some(m),
                other => self.err(
                    "unknown-element",
                    m.key_span,
                    p,
                    format!(
                        "unknown statement element `{other}` (expected Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition)"
                    ),
                ),
            }
        }
        if members.iter().all(|m| m.key != "Effect") {
            self.err("missing-effect", node.span, path, "the statement has no `Effect`");
        }
        let principal = match principal {
            Some((m, negated)) => self.principal(m, negated, path.key(&m.key)),
            None => {
                if self.kind.requires_principal() {
                    self.err(
                        "missing-principal",
                        node.span,
                        path,
                        format!("statements in {} policies need a `Principal`", self.kind_label()),
                    );
                }
                None
            }
        };
        let actions = match action {
            Some((m, negated)) => {
                let patterns = self.actions(&m.value, path.key(&m.key));
                Some(ActionSpec { negated, patterns })
            }
            None => {
                self.err(
                    "missing-action",
                    node.span,
                    path,
                    "the statement has neither `Action` nor `NotAction`",
                );
                None
            }
        };
        let resources = match resource {
            Some((m, negated)) => {
                let patterns = self.resources(&m.value, path.key(&m.key));
                Some(ResourceSpec { negated, patterns })
            }
            None => {
                self.err(
                    "missing-resource",
                    node.span,
                    path,
                    "the statement has neither `Resource` nor `NotResource`",
                );
                None
            }
        };
        let conditions =
            condition.map(|m| self.conditions(&m.value, path.key("Condition"))).unwrap_or_default();
        if self.diags.len() > errors_before {
            return None;
        }
        Some(Statement {
            index,
            sid,
            effect: effect?,
            principal,
            actions: actions?,
            resources: resources?,
            conditions,
            span: node.span,
        })
    }

    fn kind_label(&self) -> &'static str {
        match self.kind {
            PolicyKind::Key => "KMS key",
            PolicyKind::Resource => "resource-based",
            PolicyKind::Identity => "identity-based",
            PolicyKind::Scp => "service control",
            PolicyKind::Rcp => "resource control",
            PolicyKind::Boundary => "permissions boundary",
            PolicyKind::Session => "session",
        }
    }

    fn sid(&mut self, v: &Node, path: JPath<'_>) -> Option<String> {
        let Some(s) = v.as_str() else {
            self.err(
                "wrong-type",
                v.span,
                path,
                format!("Sid must be a string, found {}", v.type_name()),
            );
            return None;
        };
        if self.kind.strict_sids() {
            if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
                self.err(
                    "invalid-sid",
                    v.span,
                    path,
                    format!(
                        "Sid `{s}` may contain only A-Z, a-z and 0-9 in {} policies",
                        self.kind_label()
                    ),
                );
            } else if !s.is_empty() && self.sids.iter().any(|x| x == s) {
                self.err(
                    "duplicate-sid",
                    v.span,
                    path,
                    format!("Sid `{s}` is used by an earlier statement; Sids must be unique"),
                );
            }
            self.sids.push(s.to_string());
        }
        self.build.then(|| s.to_string())
    }

    fn effect(&mut self, v: &Node, path: JPath<'_>) -> Option<Effect> {
        match v.as_str() {
            Some("Allow") => Some(Effect::Allow),
            Some("Deny") => Some(Effect::Deny),
            Some(other) => {
                self.err(
                    "invalid-effect",
                    v.span,
                    path,
                    format!("Effect must be `Allow` or `Deny` (case-sensitive), found `{other}`"),
                );
                None
            }
            None => {
                self.err(
                    "wrong-type",
                    v.span,
                    path,
                    format!("Effect must be a string, found {}", v.type_name()),
                );
                None
            }
        }
    }

    fn principal(&mut self, m: &Member, negated: bool, path: JPath<'_>) -> Option<PrincipalSpec> {
        let mut spec = PrincipalSpec { negated, any: false, entries: Vec::new(), span: m.key_span };
        match &m.value.value {
            Value::String(s) if s == "*" => spec.any = true,
            Value::String(s) => self.err(
                "invalid-principal",
                m.value.span,
                path,
                format!(
                    "`{s}` is not a principal: use \"*\" or an object such as {{\"AWS\": \"{s}\"}}"
                ),
            ),
            Value::Object(members) => {
                for pm in unique_members(members) {
                    let p = path.key(&pm.key);
                    let kind = match pm.key.as_str() {
                        "AWS" => PrincipalType::Aws,
                        "Service" => PrincipalType::Service,
                        "Federated" => PrincipalType::Federated,
                        "CanonicalUser" => PrincipalType::CanonicalUser,
                        other => {
                            self.err(
                                "invalid-principal",
                                pm.key_span,
                                p,
                                format!("unknown principal type `{other}` (expected AWS, Service, Federated or CanonicalUser)"),
                            );
                            continue;
                        }
                    };
                    for (value, span) in strings_at(&pm.value, p, &mut self.diags) {
                        if !self.principal_ok(kind, value, span, p) || !self.build {
                            continue;
                        }
                        let aws = if kind == PrincipalType::Aws {
                            AwsPrincipal::parse(value)
                        } else {
                            AwsPrincipal::NotAws
                        };
                        if aws == AwsPrincipal::Any {
                            spec.any = true;
                        }
                        spec.entries.push(PrincipalEntry {
                            kind,
                            text: value.to_string(),
                            aws,
                            span,
                        });
                    }
                }
            }
            _ => self.err(
                "wrong-type",
                m.value.span,
                path,
                format!("{} must be \"*\" or an object, found {}", m.key, m.value.type_name()),
            ),
        }
        Some(spec)
    }

    /// Checks one principal value, reporting what is wrong with it.
    fn principal_ok(&mut self, kind: PrincipalType, v: &str, span: Span, path: JPath<'_>) -> bool {
        let bad = |this: &mut Self, why: &str| {
            this.err(
                "invalid-principal",
                span,
                path,
                format!("invalid {} principal `{v}`: {why}", kind.key()),
            );
            false
        };
        if v.is_empty() {
            return bad(self, "empty");
        }
        if kind == PrincipalType::Aws {
            if v != "*" && v.contains(['*', '?']) {
                return bad(self, "wildcards are not allowed in principals except \"*\" alone (use a condition on aws:PrincipalArn with ArnLike)");
            }
            let is_account = v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit());
            let is_arn = v.starts_with("arn:") && v.split(':').count() >= 6;
            if v != "*" && !is_account && !is_arn {
                return bad(self, "expected \"*\", a 12-digit account id, or an ARN");
            }
        } else if v.contains(['*', '?']) && v != "*" {
            return bad(self, "wildcards are not allowed in principals");
        }
        true
    }

    fn actions(&mut self, v: &Node, path: JPath<'_>) -> Vec<ActionPattern> {
        let list = strings_at(v, path, &mut self.diags);
        let mut out = Vec::with_capacity(if self.build { list_len(v) } else { 0 });
        for (a, span) in list {
            if !valid_action(a) {
                self.err("invalid-action", span, path, format!("`{a}` is not an action: expected \"*\" or service:Action, e.g. kms:Decrypt"));
            } else if self.build {
                out.push(ActionPattern::new(a, span));
            }
        }
        out
    }

    fn resources(&mut self, v: &Node, path: JPath<'_>) -> Vec<ResourcePattern> {
        let list = strings_at(v, path, &mut self.diags);
        let mut out = Vec::with_capacity(if self.build { list_len(v) } else { 0 });
        for (r, span) in list {
            if !(r == "*" || (r.starts_with("arn:") && r.split(':').count() >= 6)) {
                self.err(
                    "invalid-resource",
                    span,
                    path,
                    format!("`{r}` is not a resource: expected \"*\" or an ARN (arn:partition:service:region:account:resource)"),
                );
            } else if self.build {
                out.push(ResourcePattern::new(r, span, self.variables));
            }
        }
        out
    }

    fn conditions(&mut self, v: &Node, path: JPath<'_>) -> Vec<Condition> {
        let Some(ops) = v.as_object() else {
            self.err(
                "wrong-type",
                v.span,
                path,
                format!("Condition must be an object, found {}", v.type_name()),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for om in unique_members(ops) {
            let op_path = path.key(&om.key);
            let Some(op) = Operator::parse(&om.key) else {
                let hint =
                    if om.key == "NullIfExists" { " (Null cannot take IfExists)" } else { "" };
                self.err(
                    "invalid-condition-operator",
                    om.key_span,
                    op_path,
                    format!("unknown condition operator `{}`{hint}", om.key),
                );
                continue;
            };
            let Some(keys) = om.value.as_object() else {
                self.err(
                    "invalid-condition",
                    om.value.span,
                    op_path,
                    format!(
                        "the value of `{}` must be an object of condition keys, found {}",
                        om.key,
                        om.value.type_name()
                    ),
                );
                continue;
            };
            for km in unique_members(keys) {
                let key_path = op_path.key(&km.key);
                if km.key.is_empty() {
                    self.err(
                        "invalid-condition",
                        km.key_span,
                        key_path,
                        "empty condition key name",
                    );
                    continue;
                }
                let Some(values) = self.condition_values(&op, &km.value, key_path) else {
                    continue;
                };
                if !self.build {
                    continue;
                }
                let key_lc = km.key.to_ascii_lowercase();
                out.push(Condition {
                    op: op.clone(),
                    key: km.key.clone(),
                    key_hash: crate::eval::key_hash(&key_lc),
                    key_lc,
                    values,
                    op_span: om.key_span,
                    key_span: km.key_span,
                });
            }
        }
        out
    }

    fn condition_values(
        &mut self,
        op: &Operator,
        v: &Node,
        path: JPath<'_>,
    ) -> Option<Vec<CondValue>> {
        let items = match &v.value {
            Value::Array(items) => items.as_slice(),
            _ => std::slice::from_ref(v),
        };
        let mut out = Vec::with_capacity(if self.build { items.len() } else { 0 });
        let mut bad = false;
        for item in items {
            let raw: &str = match &item.value {
                Value::String(s) => s,
                Value::Number(t) => t,
                Value::Bool(b) => {
                    if *b {
                        "true"
                    } else {
                        "false"
                    }
                }
                _ => {
                    self.err(
                        "invalid-condition",
                        item.span,
                        path,
                        format!(
                            "a condition value must be a string, number or boolean, found {}",
                            item.type_name()
                        ),
                    );
                    bad = true;
                    continue;
                }
            };
            if self.build {
                out.push(CondValue::compile(op, raw, item.span, self.variables));
            }
        }
        (!bad).then_some(out)
    }
}

/// How many strings a string-or-array element can hold.
fn list_len(v: &Node) -> usize {
    match &v.value {
        Value::Array(items) => items.len(),
        _ => 1,
    }
}

/// `*`, or `prefix:Name` with a service prefix of letters, digits and `-` (wildcards allowed).
pub fn valid_action(a: &str) -> bool {
    if a == "*" {
        return true;
    }
    let Some((svc, name)) = a.split_once(':') else { return false };
    // Bytes, not characters: every accepted character is ASCII, and no byte of a multi-byte
    // character is.
    !svc.is_empty()
        && !name.is_empty()
        && svc.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'*' | b'?'))
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'*' | b'?' | b'-' | b'_'))
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
