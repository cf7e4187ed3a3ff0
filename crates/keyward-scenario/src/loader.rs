//! The scenario loader: a [`Node`] tree (from JSON or YAML) to a [`Scenario`], collecting a
//! `scenario-invalid` diagnostic for every problem, each at the value it is about.

use crate::{Case, Defaults, KeyDef, PrincipalDef, Resolver, Scenario, ServiceCallDef};
use keyward_core::diag::Diagnostic;
use keyward_core::eval::call::service::{service_op, service_operations, services};
use keyward_core::eval::{CtxValue, Decision, NamedPolicy};
use keyward_core::json::{self, Limits, Node, Value};
use keyward_core::model::PolicyKind;
use keyward_core::parse::{parse_grants_node, parse_policy_node, string_list};
use keyward_core::span::Span;
use std::sync::Arc;

pub(crate) struct Loader<'a> {
    diags: Vec<Diagnostic>,
    resolve: Resolver<'a>,
}

impl<'a> Loader<'a> {
    pub(crate) fn new(resolve: Resolver<'a>) -> Loader<'a> {
        Loader { diags: Vec::new(), resolve }
    }

    /// The scenario, or every diagnostic found.
    pub(crate) fn finish(self, s: Scenario) -> Result<Scenario, Vec<Diagnostic>> {
        if self.diags.is_empty() {
            Ok(s)
        } else {
            Err(self.diags)
        }
    }

    fn err(&mut self, span: Span, path: &str, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error("scenario-invalid", span, path, msg));
    }

    fn string(&mut self, n: &Node, path: &str) -> Option<String> {
        match &n.value {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.err(n.span, path, format!("expected a string, found {}", n.type_name()));
                None
            }
        }
    }

    fn opt_string(&mut self, parent: &Node, key: &str, path: &str) -> Option<String> {
        let n = parent.get(key)?;
        self.string(n, &format!("{path}.{key}"))
    }

    fn pairs(&mut self, n: &Node, path: &str) -> Vec<(String, String)> {
        let Some(members) = n.as_object() else {
            self.err(n.span, path, "expected an object of strings");
            return Vec::new();
        };
        members
            .iter()
            .filter_map(|m| match &m.value.value {
                Value::String(s) => Some((m.key.clone(), s.clone())),
                Value::Number(t) => Some((m.key.clone(), t.to_string())),
                Value::Bool(b) => Some((m.key.clone(), b.to_string())),
                _ => {
                    self.err(m.value.span, &format!("{path}.{}", m.key), "expected a string");
                    None
                }
            })
            .collect()
    }

    /// A policy given inline or as a path to a file.
    fn policy(
        &mut self,
        n: &Node,
        kind: PolicyKind,
        path: &str,
        name: String,
    ) -> Option<NamedPolicy> {
        let (root, name) = match &n.value {
            Value::String(file) => {
                let text = match (self.resolve)(file) {
                    Ok(t) => t,
                    Err(e) => {
                        self.err(n.span, path, format!("cannot read `{file}`: {e}"));
                        return None;
                    }
                };
                let (root, diags) = json::read(&text, Limits::default());
                if let Some(d) = diags.first() {
                    self.err(n.span, path, format!("`{file}`: {}", d.message));
                    return None;
                }
                (root?, file.clone())
            }
            Value::Object(_) => (n.clone(), name),
            _ => {
                self.err(
                    n.span,
                    path,
                    format!("a policy must be an object or a file path, found {}", n.type_name()),
                );
                return None;
            }
        };
        let (policy, mut diags) = parse_policy_node(&root, kind);
        if kind == PolicyKind::Key {
            // KMS accepts key-policy statements without Action or Resource and gives them no
            // effect; the parser has already left them out of the model.
            diags.retain(|d| !matches!(d.code, "missing-action" | "missing-resource"));
        }
        if diags.is_empty() {
            Some(NamedPolicy::new(name, policy))
        } else {
            let from_file = root.span.is_synthetic() || matches!(n.value, Value::String(_));
            for d in diags {
                let span = if from_file { n.span } else { d.span };
                let p =
                    if d.path.is_empty() { path.to_string() } else { format!("{path}.{}", d.path) };
                self.diags.push(Diagnostic { span, path: p, ..d });
            }
            None
        }
    }

    fn policy_levels(&mut self, n: &Node, kind: PolicyKind, path: &str) -> Vec<Vec<NamedPolicy>> {
        let Value::Array(items) = &n.value else {
            self.err(
                n.span,
                path,
                "expected an array of policies (or of arrays of policies, one per level)",
            );
            return Vec::new();
        };
        let label = kind.name().to_uppercase();
        if items.iter().any(|i| matches!(i.value, Value::Array(_))) {
            items
                .iter()
                .enumerate()
                .map(|(l, level)| match &level.value {
                    Value::Array(ps) => ps
                        .iter()
                        .enumerate()
                        .filter_map(|(i, p)| {
                            self.policy(
                                p,
                                kind,
                                &format!("{path}[{l}][{i}]"),
                                format!("{label} {}.{}", l + 1, i + 1),
                            )
                        })
                        .collect(),
                    _ => self
                        .policy(level, kind, &format!("{path}[{l}]"), format!("{label} {}", l + 1))
                        .into_iter()
                        .collect(),
                })
                .collect()
        } else if items.is_empty() {
            Vec::new()
        } else {
            vec![items
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    self.policy(p, kind, &format!("{path}[{i}]"), format!("{label} #{}", i + 1))
                })
                .collect()]
        }
    }

    pub(crate) fn scenario(&mut self, root: &Node) -> Scenario {
        let mut s = Scenario::default();
        let Some(members) = root.as_object() else {
            self.err(root.span, "", "a scenario must be a JSON object");
            return s;
        };
        for m in members {
            let v = &m.value;
            match m.key.as_str() {
                "description" => s.description = self.string(v, "description"),
                "defaults" => {
                    s.defaults = Defaults {
                        account: self.opt_string(v, "account", "defaults"),
                        region: self.opt_string(v, "region", "defaults"),
                        time: self.opt_string(v, "time", "defaults"),
                    }
                }
                "keys" => {
                    for k in v.as_object().unwrap_or_default() {
                        if let Some(key) = self.key(&k.key, &k.value, &s.defaults) {
                            s.keys.push(key);
                        }
                    }
                }
                "resources" => {
                    for r in v.as_object().unwrap_or_default() {
                        let path = format!("resources.{}", r.key);
                        if let Some(p) = r.value.get("policy") {
                            if let Some(np) = self.policy(
                                p,
                                PolicyKind::Resource,
                                &path,
                                format!("resource policy of {}", r.key),
                            ) {
                                s.resources.push((r.key.clone(), np));
                            }
                        }
                    }
                }
                "resource_policies" => {
                    for r in v.as_object().unwrap_or_default() {
                        let path = format!("resource_policies.{}", r.key);
                        if let Some(np) = self.policy(
                            &r.value,
                            PolicyKind::Resource,
                            &path,
                            format!("resource policy of {}", r.key),
                        ) {
                            s.resources.push((r.key.clone(), np));
                        }
                    }
                }
                "principals" => {
                    for p in v.as_object().unwrap_or_default() {
                        let d = self.principal(&p.key, &p.value);
                        s.principals.push(d);
                    }
                }
                "scps" => s.scps = self.policy_levels(v, PolicyKind::Scp, "scps"),
                "rcps" => s.rcps = self.policy_levels(v, PolicyKind::Rcp, "rcps"),
                "cases" => match &v.value {
                    Value::Array(items) => {
                        for (i, c) in items.iter().enumerate() {
                            if let Some(case) = self.case(c, &format!("cases[{i}]")) {
                                s.cases.push(case);
                            }
                        }
                    }
                    _ => self.err(v.span, "cases", "cases must be an array"),
                },
                other => self.err(m.key_span, other, format!("unknown scenario field `{other}`")),
            }
        }
        s
    }

    fn key(&mut self, name: &str, n: &Node, defaults: &Defaults) -> Option<KeyDef> {
        let path = format!("keys.{name}");
        let arn = self.opt_string(n, "arn", &path).unwrap_or_else(|| {
            format!(
                "arn:aws:kms:{}:{}:key/{name}",
                defaults.region.as_deref().unwrap_or("us-east-1"),
                defaults.account.as_deref().unwrap_or("111122223333")
            )
        });
        let policy = n.get("policy").and_then(|p| {
            self.policy(
                p,
                PolicyKind::Key,
                &format!("{path}.policy"),
                format!("key policy of '{name}'"),
            )
        });
        let aliases = match n.get("aliases") {
            Some(a) => string_list(a, &format!("{path}.aliases"), &mut self.diags)
                .into_iter()
                .map(|(s, _)| s.to_string())
                .collect(),
            None => Vec::new(),
        };
        let mut grants = Vec::new();
        if let Some(g) = n.get("grants") {
            let (gs, diags) = parse_grants_node(g);
            for d in diags {
                self.diags.push(Diagnostic { path: format!("{path}.grants{}", d.path), ..d });
            }
            grants = gs.into_iter().map(Arc::new).collect();
        }
        let tags =
            n.get("tags").map(|t| self.pairs(t, &format!("{path}.tags"))).unwrap_or_default();
        let multi_region = match n.get("multi_region") {
            Some(Node { value: Value::Bool(b), .. }) => *b,
            Some(other) => {
                self.err(other.span, &format!("{path}.multi_region"), "expected true or false");
                false
            }
            None => false,
        };
        let mut replicas: Vec<(String, Option<NamedPolicy>)> = match n.get("replicas") {
            Some(a) => string_list(a, &format!("{path}.replicas"), &mut self.diags)
                .into_iter()
                .map(|(r, _)| (r.to_string(), None))
                .collect(),
            None => Vec::new(),
        };
        if let Some(rp) = n.get("replica_policies") {
            for m in rp.as_object().unwrap_or_default() {
                let p = self.policy(
                    &m.value,
                    PolicyKind::Key,
                    &format!("{path}.replica_policies.{}", m.key),
                    format!("key policy of '{name}' in {}", m.key),
                );
                match replicas.iter_mut().find(|(r, _)| *r == m.key) {
                    Some(slot) => slot.1 = p,
                    None => self.err(
                        m.key_span,
                        &format!("{path}.replica_policies.{}", m.key),
                        format!("`{}` is not one of the key's `replicas`", m.key),
                    ),
                }
            }
        }
        if !replicas.is_empty() && !multi_region {
            self.err(n.span, &path, "only a multi-Region key has replicas (`multi_region: true`)");
        }
        let text = |this: &mut Self, k: &str, d: &str| {
            this.opt_string(n, k, &path).unwrap_or_else(|| d.to_string())
        };
        Some(KeyDef {
            name: name.to_string(),
            arn,
            policy,
            aliases,
            key_spec: text(self, "key_spec", "SYMMETRIC_DEFAULT"),
            key_usage: text(self, "key_usage", "ENCRYPT_DECRYPT"),
            key_origin: text(self, "key_origin", "AWS_KMS"),
            state: text(self, "state", "Enabled"),
            tags,
            grants,
            multi_region,
            replicas,
        })
    }

    fn principal(&mut self, arn: &str, n: &Node) -> PrincipalDef {
        let path = format!("principals.{arn}");
        let mut policies = Vec::new();
        if let Some(ps) = n.get("policies") {
            let items: Vec<&Node> = match &ps.value {
                Value::Array(a) => a.iter().collect(),
                _ => vec![ps],
            };
            for (i, p) in items.into_iter().enumerate() {
                let name = format!("identity policy #{} of {arn}", i + 1);
                if let Some(np) =
                    self.policy(p, PolicyKind::Identity, &format!("{path}.policies[{i}]"), name)
                {
                    policies.push(np);
                }
            }
        }
        let boundary = n.get("permissions_boundary").and_then(|b| {
            self.policy(
                b,
                PolicyKind::Boundary,
                &format!("{path}.permissions_boundary"),
                format!("permissions boundary of {arn}"),
            )
        });
        let tags =
            n.get("tags").map(|t| self.pairs(t, &format!("{path}.tags"))).unwrap_or_default();
        let id = self.opt_string(n, "id", &path);
        PrincipalDef { arn: arn.to_string(), policies, boundary, tags, id }
    }

    fn case(&mut self, n: &Node, path: &str) -> Option<Case> {
        let name = self.opt_string(n, "name", path).unwrap_or_else(|| path.to_string());
        let Some(principal) = self.opt_string(n, "principal", path) else {
            self.err(n.span, path, "the case has no `principal`");
            return None;
        };
        let service_call = match n.get("service_call") {
            Some(sc) => Some(self.service_call(sc, &format!("{path}.service_call"))?),
            None => None,
        };
        let action = match (self.opt_string(n, "action", path), &service_call) {
            (Some(a), _) => a,
            (None, Some(sc)) => format!("{}:{}", sc.op.service, sc.op.operation),
            (None, None) => {
                self.err(n.span, path, "the case has no `action` (or `service_call`)");
                return None;
            }
        };
        let expect_node = n.get("expect");
        let expect_str = expect_node.and_then(Node::as_str);
        let mut expect_error = None;
        let expect = match expect_str.and_then(Decision::parse) {
            Some(d) => d,
            None if service_call.is_some() && expect_str.is_some_and(is_error_code) => {
                expect_error = expect_str.map(str::to_string);
                Decision::ImplicitDeny
            }
            None => {
                let msg = if service_call.is_some() {
                    "`expect` must be \"Allow\", \"ExplicitDeny\" or \"ImplicitDeny\" (or, for \
                     a service call, an AWS error code such as \"NotFoundException\")"
                } else {
                    "`expect` must be \"Allow\", \"ExplicitDeny\" or \"ImplicitDeny\""
                };
                self.err(expect_node.map_or(n.span, |e| e.span), path, msg);
                return None;
            }
        };
        let expect_kms = n.get("expect_kms").map(|k| {
            string_list(k, &format!("{path}.expect_kms"), &mut self.diags)
                .into_iter()
                .map(|(s, _)| s.to_string())
                .collect()
        });
        let expect_rule = self.opt_string(n, "expect_rule", path);
        let session_policy = n.get("session_policy").and_then(|p| {
            self.policy(
                p,
                PolicyKind::Session,
                &format!("{path}.session_policy"),
                "session policy".into(),
            )
        });
        let encryption_context = n
            .get("encryption_context")
            .map(|e| self.pairs(e, &format!("{path}.encryption_context")))
            .unwrap_or_default();
        let mut context = Vec::new();
        if let Some(c) = n.get("context") {
            for m in c.as_object().unwrap_or_default() {
                let v = match &m.value.value {
                    Value::String(s) => CtxValue::One(s.clone()),
                    Value::Number(t) => CtxValue::One(t.to_string()),
                    Value::Bool(b) => CtxValue::One(b.to_string()),
                    Value::Array(items) => CtxValue::Many(
                        items
                            .iter()
                            .filter_map(|i| match &i.value {
                                Value::String(s) => Some(s.clone()),
                                Value::Number(t) => Some(t.to_string()),
                                Value::Bool(b) => Some(b.to_string()),
                                _ => None,
                            })
                            .collect(),
                    ),
                    _ => {
                        self.err(
                            m.value.span,
                            &format!("{path}.context.{}", m.key),
                            "a context value must be a string, number, boolean or list",
                        );
                        continue;
                    }
                };
                context.push((m.key.clone(), v));
            }
        }
        let grant_tokens = match n.get("grant_tokens") {
            Some(g) => string_list(g, &format!("{path}.grant_tokens"), &mut self.diags)
                .into_iter()
                .map(|(s, _)| s.to_string())
                .collect(),
            None => Vec::new(),
        };
        let mut create_grant = None;
        if let Some(g) = n.get("create_grant") {
            let wrapped = Node { span: g.span, value: Value::Array(vec![g.clone()]) };
            let (mut gs, diags) = parse_grants_node(&wrapped);
            for d in diags {
                self.diags.push(Diagnostic { path: format!("{path}.create_grant"), ..d });
            }
            create_grant = gs.pop();
        }
        Some(Case {
            create_grant,
            grant_id: self.opt_string(n, "grant_id", path),
            name,
            principal,
            session_policy,
            action,
            key: self.opt_string(n, "key", path),
            resource: self.opt_string(n, "resource", path),
            encryption_context,
            via_service: self.opt_string(n, "via_service", path),
            grant_tokens,
            context,
            expect,
            expect_error,
            expect_kms,
            expect_rule,
            service_call,
            span: n.span,
        })
    }

    /// A case's `service_call`: the service and operation must be in the catalogue.
    fn service_call(&mut self, n: &Node, path: &str) -> Option<ServiceCallDef> {
        let Some(members) = n.as_object() else {
            self.err(n.span, path, "`service_call` must be an object");
            return None;
        };
        for m in members {
            if !SERVICE_CALL_FIELDS.contains(&m.key.as_str()) {
                self.err(
                    m.key_span,
                    &format!("{path}.{}", m.key),
                    format!("unknown field `{}`", m.key),
                );
            }
        }
        let field = |this: &mut Self, k: &str| -> Option<(String, Span)> {
            let v = n.get(k)?;
            this.string(v, &format!("{path}.{k}")).map(|s| (s, v.span))
        };
        let Some((service, service_span)) = field(self, "service") else {
            self.err(n.span, path, "the service call has no `service`");
            return None;
        };
        let Some((operation, op_span)) = field(self, "operation") else {
            self.err(n.span, path, "the service call has no `operation`");
            return None;
        };
        let Some((resource, _)) = field(self, "resource") else {
            self.err(n.span, path, "the service call has no `resource`");
            return None;
        };
        let known = services();
        if !known.contains(&service.as_str()) {
            self.err(
                service_span,
                &format!("{path}.service"),
                format!("unknown service `{service}` (known: {})", known.join(", ")),
            );
            return None;
        }
        let Some(op) = service_op(&service, &operation) else {
            self.err(
                op_span,
                &format!("{path}.operation"),
                format!(
                    "`{service}` has no operation `{operation}` (known: {})",
                    service_operations(&service).join(", ")
                ),
            );
            return None;
        };
        let params =
            n.get("params").map(|p| self.pairs(p, &format!("{path}.params"))).unwrap_or_default();
        Some(ServiceCallDef {
            op,
            resource,
            key: field(self, "key").map(|(s, _)| s),
            region: field(self, "region").map(|(s, _)| s),
            params,
        })
    }
}

/// The fields a `service_call` may have.
const SERVICE_CALL_FIELDS: &[&str] =
    &["service", "operation", "resource", "key", "region", "params"];

/// An AWS error code as written in `expect` (`NotFoundException`, `KMSInvalidStateException`).
fn is_error_code(s: &str) -> bool {
    s.ends_with("Exception") && s.chars().all(|c| c.is_ascii_alphanumeric())
}
