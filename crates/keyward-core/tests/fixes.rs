//! Fix suggestions: every implicit deny of a common shape gets fixes, and each fix, applied alone, makes the request allowed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use keyward_core::eval::call::{derive_context, Call};
use keyward_core::eval::{
    apply, decide, explain, explain_why, Decision, Edit, Fix, NamedPolicy, PolicySet, Principal,
    Request, Rule, Source,
};
use keyward_core::json::Limits;
use keyward_core::model::{Grant, PolicyKind};
use keyward_core::parse::{parse_grants, parse_policy};
use proptest::prelude::*;
use std::sync::Arc;

const ACCT: &str = "111122223333";
const K1: &str = "arn:aws:kms:us-east-1:111122223333:key/k1";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/App/s1";
const ROLE: &str = "arn:aws:iam::111122223333:role/App";
const USER: &str = "arn:aws:iam::111122223333:user/alice";
const XSESSION: &str = "arn:aws:sts::444455556666:assumed-role/Other/s2";

fn policy(kind: PolicyKind, statements: &str) -> NamedPolicy {
    let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
    let (p, diags) = parse_policy(&text, kind, Limits::default());
    assert!(diags.is_empty(), "test policy must parse: {diags:?}\n{text}");
    NamedPolicy::new(format!("{} policy", kind.name()), p.unwrap())
}

fn key_policy(statements: &str) -> Option<NamedPolicy> {
    Some(policy(PolicyKind::Key, statements))
}

fn identity(statements: &str) -> Vec<NamedPolicy> {
    vec![policy(PolicyKind::Identity, statements)]
}

fn grants(json: &str) -> Vec<Arc<Grant>> {
    let (g, diags) = parse_grants(json, Limits::default());
    assert!(diags.is_empty(), "{diags:?}");
    g.into_iter().map(Arc::new).collect()
}

/// The request AWS would build for `caller` calling `action` on `resource` with `ec`.
fn request(caller: &str, action: &str, resource: &str, ec: &[(&str, &str)]) -> Request {
    let principal = Principal::parse(caller).unwrap();
    let call = Call {
        action: action.into(),
        resource: resource.into(),
        encryption_context: ec.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..Call::default()
    };
    let ctx = derive_context(&principal, &call);
    Request::new(principal, action, resource, ctx)
}

const DELEGATE: &str = r#"{"Sid":"EnableIam","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#;
const ADMIN_ONLY: &str = r#"{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Admin"},"Action":"kms:*","Resource":"*"}"#;
const ID_ALLOW_DECRYPT: &str = r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}"#;

/// Explains `req` under `set`, expects an implicit deny (by `rule`, when given) with fixes,
/// checks that each fix alone gives Allow, and returns the fixes.
fn fixes_of(name: &str, set: &PolicySet, req: &Request, rule: Option<Rule>) -> Vec<Fix> {
    assert_eq!(
        decide(set, req),
        Decision::ImplicitDeny,
        "{name}: the situation must be an implicit deny"
    );
    let e = explain(set, req);
    assert_eq!(e.decision, Decision::ImplicitDeny, "{name}");
    if let Some(r) = rule {
        assert_eq!(e.rule, r, "{name}: rule");
    }
    assert!(!e.fixes.is_empty(), "{name}: no fixes for {:?}", e.rule);
    for f in &e.fixes {
        assert!(!f.message.is_empty(), "{name}: a fix needs words");
        let (s2, r2) =
            apply(set, req, &f.edit).unwrap_or_else(|| panic!("{name}: {f:?} does not apply"));
        assert_eq!(decide(&s2, &r2), Decision::Allow, "{name}: fix {f:?} does not allow");
        // A change of encryption context also holds for the request AWS would build from it.
        if is_ec_edit(&f.edit) {
            assert_eq!(
                decide(set, &rederived(req, &f.edit)),
                Decision::Allow,
                "{name}: {f:?} re-derived"
            );
        }
        // The inputs themselves are untouched.
        assert_eq!(decide(set, req), Decision::ImplicitDeny, "{name}: apply must not mutate");
    }
    e.fixes
}

fn has(fixes: &[Fix], pred: impl Fn(&Edit) -> bool) -> bool {
    fixes.iter().any(|f| pred(&f.edit))
}

#[test]
fn key_policy_without_delegation_with_an_iam_allow() {
    let set = PolicySet {
        resource_policy: key_policy(ADMIN_ONLY),
        identity: identity(ID_ALLOW_DECRYPT),
        ..PolicySet::default()
    };
    let req = request(SESSION, "kms:Decrypt", K1, &[]);
    let fixes = fixes_of("not delegated", &set, &req, Some(Rule::KmsNotDelegated));
    assert!(has(&fixes, |e| matches!(
        e,
        Edit::AddStatement { source: Source::ResourcePolicy, .. }
    )));
}

#[test]
fn key_policy_statement_without_the_action() {
    let set = PolicySet {
        resource_policy: key_policy(
            r#"{"Sid":"Use","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App"},"Action":["kms:Encrypt","kms:GenerateDataKey*"],"Resource":"*"}"#,
        ),
        ..PolicySet::default()
    };
    for caller in [SESSION, ROLE] {
        let req = request(caller, "kms:Decrypt", K1, &[]);
        let fixes = fixes_of("action missing", &set, &req, None);
        assert!(has(&fixes, |e| matches!(e,
            Edit::AddAction { source: Source::ResourcePolicy, statement: 0, action } if action == "kms:Decrypt")));
    }
}

#[test]
fn encryption_context_condition_with_the_wrong_value_or_none() {
    let set = PolicySet {
        resource_policy: key_policy(
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:Dept":"Finance"}}}"#,
        ),
        ..PolicySet::default()
    };
    for ec in [&[("Dept", "HR")][..], &[], &[("Project", "Alpha")]] {
        let req = request(SESSION, "kms:Decrypt", K1, ec);
        let fixes = fixes_of("wrong context", &set, &req, None);
        assert!(has(&fixes, |e| matches!(e,
            Edit::SetContext { key, value } if key == "kms:EncryptionContext:Dept" && value == "Finance")));
    }
}

#[test]
fn negated_condition_that_the_request_trips() {
    let set = PolicySet {
        resource_policy: key_policy(DELEGATE),
        identity: identity(
            r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"kms:EncryptionContext:Dept":"HR"}}}"#,
        ),
        ..PolicySet::default()
    };
    let req = request(USER, "kms:Decrypt", K1, &[("Dept", "HR")]);
    fixes_of("negated condition", &set, &req, Some(Rule::KmsDelegatedNoIamAllow));
}

#[test]
fn mfa_required_but_absent() {
    let set = PolicySet {
        resource_policy: key_policy(DELEGATE),
        identity: identity(
            r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}"#,
        ),
        ..PolicySet::default()
    };
    let mut req = request(USER, "kms:Decrypt", K1, &[]);
    fixes_of("mfa missing", &set, &req, None);
    req.context.set_str("aws:MultiFactorAuthPresent", "false");
    let fixes = fixes_of("mfa false", &set, &req, None);
    assert!(has(&fixes, |e| matches!(e, Edit::SetContext { value, .. } if value == "true")));
}

#[test]
fn permissions_boundary_without_the_action() {
    let set = PolicySet {
        resource_policy: key_policy(DELEGATE),
        identity: identity(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*"}"#),
        boundary: Some(policy(
            PolicyKind::Boundary,
            r#"{"Effect":"Allow","Action":["kms:Encrypt","s3:*"],"Resource":"*"}"#,
        )),
        ..PolicySet::default()
    };
    for caller in [USER, SESSION] {
        let req = request(caller, "kms:Decrypt", K1, &[]);
        let fixes = fixes_of("boundary", &set, &req, Some(Rule::BoundaryNoAllow));
        assert!(has(&fixes, |e| matches!(
            e,
            Edit::AddAction { source: Source::Boundary, .. }
                | Edit::AddStatement { source: Source::Boundary, .. }
        )));
    }
    // An empty boundary too.
    let set = PolicySet { boundary: Some(policy(PolicyKind::Boundary, "")), ..set };
    fixes_of(
        "empty boundary",
        &set,
        &request(USER, "kms:Decrypt", K1, &[]),
        Some(Rule::BoundaryNoAllow),
    );
}

#[test]
fn session_policy_without_the_action() {
    let set = PolicySet {
        resource_policy: key_policy(DELEGATE),
        identity: identity(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*"}"#),
        session: Some(policy(
            PolicyKind::Session,
            r#"{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}"#,
        )),
        ..PolicySet::default()
    };
    let req = request(SESSION, "kms:Decrypt", K1, &[]);
    let fixes = fixes_of("session", &set, &req, Some(Rule::SessionNoAllow));
    assert!(has(&fixes, |e| matches!(
        e,
        Edit::AddAction { source: Source::Session, .. }
            | Edit::AddStatement { source: Source::Session, .. }
    )));
    // The key policy names the role: the session policy still caps it.
    let set = PolicySet {
        resource_policy: key_policy(
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App"},"Action":"kms:*","Resource":"*"}"#,
        ),
        identity: Vec::new(),
        ..set
    };
    fixes_of("session, role in key policy", &set, &req, Some(Rule::SessionNoAllow));
}

#[test]
fn scp_without_an_allow() {
    let base = PolicySet {
        resource_policy: key_policy(DELEGATE),
        identity: identity(ID_ALLOW_DECRYPT),
        ..PolicySet::default()
    };
    let req = request(USER, "kms:Decrypt", K1, &[]);
    let full = policy(PolicyKind::Scp, r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
    for scp in [
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
        "",
        r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}"#,
    ] {
        // At the first level, and at the second level below a full-access first level.
        for scps in [
            vec![vec![policy(PolicyKind::Scp, scp)]],
            vec![vec![full.clone()], vec![policy(PolicyKind::Scp, scp)]],
        ] {
            let set = PolicySet { scps, ..base.clone() };
            let fixes = fixes_of("scp", &set, &req, Some(Rule::ScpNoAllow));
            assert!(has(&fixes, |e| matches!(
                e,
                Edit::AddAction { source: Source::Scp { .. }, .. }
                    | Edit::AddStatement { source: Source::Scp { .. }, .. }
                    | Edit::SetContext { .. }
            )));
        }
    }
}

#[test]
fn rcp_without_an_allow_for_the_action() {
    let set = PolicySet {
        resource_policy: key_policy(DELEGATE),
        identity: identity(ID_ALLOW_DECRYPT),
        rcps: vec![vec![policy(
            PolicyKind::Rcp,
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}"#,
        )]],
        ..PolicySet::default()
    };
    let req = request(USER, "kms:Decrypt", K1, &[]);
    fixes_of("rcp", &set, &req, Some(Rule::RcpNoAllow));
}

#[test]
fn cross_account_without_a_key_policy_allow() {
    let set = PolicySet {
        resource_policy: key_policy(DELEGATE),
        identity: identity(ID_ALLOW_DECRYPT),
        ..PolicySet::default()
    };
    let req = request(XSESSION, "kms:Decrypt", K1, &[]);
    let fixes = fixes_of("cross-account", &set, &req, Some(Rule::CrossAccountNoResourceAllow));
    assert!(has(&fixes, |e| matches!(
        e,
        Edit::AddStatement { source: Source::ResourcePolicy, .. }
    )));
}

#[test]
fn cross_account_without_an_identity_allow() {
    let set = PolicySet {
        resource_policy: key_policy(
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Decrypt","Resource":"*"}"#,
        ),
        ..PolicySet::default()
    };
    let req = request(XSESSION, "kms:Decrypt", K1, &[]);
    let fixes =
        fixes_of("cross-account identity", &set, &req, Some(Rule::CrossAccountNoIdentityAllow));
    assert!(has(&fixes, |e| matches!(
        e,
        Edit::AddStatement { source: Source::Identity { .. }, .. }
    )));
}

#[test]
fn delegated_key_without_an_iam_allow() {
    let set = PolicySet { resource_policy: key_policy(DELEGATE), ..PolicySet::default() };
    for caller in [USER, SESSION, ROLE] {
        let req = request(caller, "kms:Decrypt", K1, &[]);
        let fixes = fixes_of("no iam allow", &set, &req, Some(Rule::KmsDelegatedNoIamAllow));
        assert!(has(&fixes, |e| matches!(
            e,
            Edit::AddStatement { source: Source::Identity { .. }, .. }
        )));
    }
}

#[test]
fn key_policy_naming_another_principal() {
    let set = PolicySet {
        resource_policy: key_policy(
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Other"},"Action":"kms:Decrypt","Resource":"*"}"#,
        ),
        ..PolicySet::default()
    };
    let req = request(SESSION, "kms:Decrypt", K1, &[]);
    let fixes = fixes_of("principal", &set, &req, Some(Rule::KmsNothingAllows));
    assert!(has(&fixes, |e| matches!(
        e,
        Edit::AddPrincipal { source: Source::ResourcePolicy, .. }
    )));
}

#[test]
fn grant_with_the_wrong_encryption_context() {
    let set = PolicySet {
        resource_policy: key_policy(ADMIN_ONLY),
        grants: grants(
            r#"[{"GranteePrincipal":"arn:aws:iam::111122223333:role/App","Operations":["Decrypt"],"Constraints":{"EncryptionContextSubset":{"Dept":"Finance"}}}]"#,
        ),
        ..PolicySet::default()
    };
    let req = request(SESSION, "kms:Decrypt", K1, &[("Dept", "HR")]);
    fixes_of("grant context", &set, &req, Some(Rule::KmsNothingAllows));
    // The same grant allows with the right context.
    let ok = request(SESSION, "kms:Decrypt", K1, &[("Dept", "Finance")]);
    assert_eq!(decide(&set, &ok), Decision::Allow);
    // An Equals constraint with an extra pair.
    let set = PolicySet {
        grants: grants(
            r#"[{"GranteePrincipal":"arn:aws:iam::111122223333:role/App","Operations":["Decrypt"],"Constraints":{"EncryptionContextEquals":{"Dept":"Finance"}}}]"#,
        ),
        ..set
    };
    let req = request(SESSION, "kms:Decrypt", K1, &[("Dept", "Finance"), ("Project", "Alpha")]);
    fixes_of("grant equals", &set, &req, None);
}

#[test]
fn identity_policy_with_the_wrong_resource_or_a_not_action() {
    // A non-KMS resource, same account, no resource policy.
    let obj = "arn:aws:s3:::bucket/obj";
    let base = PolicySet { resource_account: Some(ACCT.into()), ..PolicySet::default() };
    let set = PolicySet {
        identity: identity(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}"#,
        ),
        ..base.clone()
    };
    let req = request(USER, "s3:GetObject", obj, &[]);
    let fixes = fixes_of("resource", &set, &req, Some(Rule::NothingAllows));
    assert!(has(&fixes, |e| matches!(e, Edit::AddResource { resource, .. } if resource == obj)));
    let set = PolicySet {
        identity: identity(r#"{"Effect":"Allow","NotAction":"s3:GetObject","Resource":"*"}"#),
        ..base.clone()
    };
    fixes_of("not action", &set, &req, Some(Rule::NothingAllows));
    // Nothing at all.
    fixes_of("nothing", &base, &req, Some(Rule::NothingAllows));
    // A bucket policy that names someone else.
    let set = PolicySet {
        resource_policy: Some(policy(
            PolicyKind::Resource,
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}"#,
        )),
        ..base
    };
    fixes_of("bucket policy", &set, &req, Some(Rule::NothingAllows));
}

#[test]
fn allow_and_explicit_deny_have_no_fixes() {
    let allow = PolicySet {
        resource_policy: key_policy(DELEGATE),
        identity: identity(ID_ALLOW_DECRYPT),
        ..PolicySet::default()
    };
    let req = request(USER, "kms:Decrypt", K1, &[]);
    let e = explain(&allow, &req);
    assert_eq!(e.decision, Decision::Allow);
    assert!(e.fixes.is_empty(), "{:?}", e.fixes);
    let denied = PolicySet {
        identity: identity(&format!(
            r#"{ID_ALLOW_DECRYPT},{{"Effect":"Deny","Action":"kms:*","Resource":"*"}}"#
        )),
        ..allow.clone()
    };
    let e = explain(&denied, &req);
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert!(e.fixes.is_empty(), "{:?}", e.fixes);
    // A deny in the key policy with an unmet Allow elsewhere: still no fixes.
    let denied = PolicySet {
        resource_policy: key_policy(&format!(
            r#"{DELEGATE},{{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{{"Null":{{"kms:EncryptionContext:Dept":"true"}}}}}}"#
        )),
        identity: Vec::new(),
        ..allow
    };
    let e = explain(&denied, &req);
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert!(e.fixes.is_empty(), "{:?}", e.fixes);
}

// ---------------------------------------------------------------------------------------------
// Random worlds.
// ---------------------------------------------------------------------------------------------

const CALLERS: &[&str] = &[SESSION, ROLE, USER, ACCT, XSESSION, "service:s3.amazonaws.com"];
const ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:*",
    "kms:Re*",
    "*",
    "s3:GetObject",
    "kms:GenerateDataKey*",
];
const RESOURCES: &[&str] = &[
    "*",
    K1,
    "arn:aws:kms:us-east-1:111122223333:key/k2",
    "arn:aws:kms:*:444455556666:key/*",
    "arn:aws:s3:::bucket/*",
];
const PRINCIPALS: &[&str] = &[
    r#""*""#,
    r#"{"AWS":"111122223333"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:role/App"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
    r#"{"AWS":"arn:aws:iam::444455556666:root"}"#,
    r#"{"AWS":["arn:aws:iam::111122223333:role/Admin","arn:aws:sts::111122223333:assumed-role/App/s1"]}"#,
    r#"{"Service":"s3.amazonaws.com"}"#,
];
const CONDITIONS: &[&str] = &[
    "",
    "",
    r#","Condition":{"StringEquals":{"kms:EncryptionContext:Dept":"Finance"}}"#,
    r#","Condition":{"StringEquals":{"kms:EncryptionContext:Dept":["HR","Ops"]}}"#,
    r#","Condition":{"StringNotEquals":{"kms:EncryptionContext:Dept":"HR"}}"#,
    r#","Condition":{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Dept"]}}"#,
    r#","Condition":{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":["Project"]}}"#,
    r#","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#,
    r#","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
    r#","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}"#,
    r#","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/A*"}}"#,
    r#","Condition":{"Null":{"kms:ViaService":"true"},"StringEquals":{"aws:PrincipalAccount":"111122223333"}}"#,
];

fn statement(with_principal: bool) -> impl Strategy<Value = String> {
    (
        prop::bool::weighted(0.8),
        prop::sample::subsequence(ACTIONS, 1..3),
        prop::sample::select(RESOURCES),
        prop::sample::select(PRINCIPALS),
        prop::sample::select(CONDITIONS),
    )
        .prop_map(move |(allow, actions, resource, principal, cond)| {
            let principal =
                if with_principal { format!(r#","Principal":{principal}"#) } else { String::new() };
            format!(
                r#"{{"Effect":"{}"{principal},"Action":{},"Resource":"{resource}"{cond}}}"#,
                if allow { "Allow" } else { "Deny" },
                serde_json::to_string(&actions).unwrap()
            )
        })
}

fn statements(with_principal: bool, n: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(statement(with_principal), n).prop_map(|v| v.join(","))
}

#[derive(Debug, Clone)]
struct World {
    key: Option<String>,
    identity: Vec<String>,
    boundary: Option<String>,
    session: Option<String>,
    scp: Option<String>,
    grant: Option<String>,
    caller: &'static str,
    action: &'static str,
    resource: &'static str,
    ec: Vec<(&'static str, &'static str)>,
    mfa: Option<bool>,
}

impl World {
    fn build(&self) -> (PolicySet, Request) {
        let kind =
            if self.resource.contains(":kms:") { PolicyKind::Key } else { PolicyKind::Resource };
        let set = PolicySet {
            resource_policy: self.key.as_deref().map(|s| policy(kind, s)),
            identity: self.identity.iter().map(|s| policy(PolicyKind::Identity, s)).collect(),
            boundary: self.boundary.as_deref().map(|s| policy(PolicyKind::Boundary, s)),
            session: self.session.as_deref().map(|s| policy(PolicyKind::Session, s)),
            scps: self.scp.iter().map(|s| vec![policy(PolicyKind::Scp, s)]).collect(),
            grants: self.grant.as_deref().map(grants).unwrap_or_default(),
            resource_account: Some(ACCT.into()),
            ..PolicySet::default()
        };
        let mut req = request(self.caller, self.action, self.resource, &self.ec);
        if let Some(m) = self.mfa {
            req.context.set_str("aws:MultiFactorAuthPresent", m.to_string());
        }
        (set, req)
    }
}

fn world() -> impl Strategy<Value = World> {
    let grant = prop::option::weighted(
        0.3,
        (
            prop::sample::select(&[ROLE, SESSION, USER, "arn:aws:iam::111122223333:root"][..]),
            prop::sample::select(&[r#"["Decrypt"]"#, r#"["Encrypt","GenerateDataKey"]"#][..]),
            prop::sample::select(
                &[
                    "",
                    r#","Constraints":{"EncryptionContextSubset":{"Dept":"Finance"}}"#,
                    r#","Constraints":{"EncryptionContextEquals":{"Dept":"HR"}}"#,
                ][..],
            ),
        )
            .prop_map(|(g, ops, c)| {
                format!(r#"[{{"GranteePrincipal":"{g}","Operations":{ops}{c}}}]"#)
            }),
    );
    let ec = prop::sample::subsequence(&[("Dept", "Finance"), ("Project", "Alpha")][..], 0..3);
    (
        (
            prop::option::weighted(0.9, statements(true, 0..3)),
            prop::collection::vec(statements(false, 0..3), 0..3),
            prop::option::weighted(0.2, statements(false, 0..3)),
            prop::option::weighted(0.2, statements(false, 0..2)),
            prop::option::weighted(0.2, statements(false, 1..3)),
            grant,
        ),
        (
            prop::sample::select(CALLERS),
            prop::sample::select(
                &["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "s3:GetObject"][..],
            ),
            prop::sample::select(
                &[K1, "arn:aws:kms:us-east-1:444455556666:key/x1", "arn:aws:s3:::bucket/obj"][..],
            ),
            ec,
            prop::option::of(any::<bool>()),
        ),
    )
        .prop_map(
            |(
                (key, identity, boundary, session, scp, grant),
                (caller, action, resource, ec, mfa),
            )| {
                World {
                    key,
                    identity,
                    boundary,
                    session,
                    scp,
                    grant,
                    caller,
                    action,
                    resource,
                    ec,
                    mfa,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every fix of every implicit deny, applied alone, allows; Allow and ExplicitDeny get none.
    #[test]
    fn every_fix_allows(w in world()) {
        let (set, req) = w.build();
        let e = explain(&set, &req);
        prop_assert_eq!(e.decision, decide(&set, &req));
        // The why alone (who-can's) is the explanation's, word for word.
        prop_assert_eq!(&explain_why(&set, &req), &e.summary);
        if e.decision != Decision::ImplicitDeny {
            prop_assert!(e.fixes.is_empty(), "{:?} with fixes {:?}", e.decision, e.fixes);
        }
        for f in &e.fixes {
            let applied = apply(&set, &req, &f.edit);
            prop_assert!(applied.is_some(), "fix {:?} does not apply", f);
            let (s2, r2) = applied.unwrap();
            prop_assert_eq!(decide(&s2, &r2), Decision::Allow, "fix {:?}", f);
            prop_assert!(!f.message.is_empty());
        }
        // Fixes are distinct and at most three.
        prop_assert!(e.fixes.len() <= 3);
        for (i, f) in e.fixes.iter().enumerate() {
            prop_assert!(e.fixes[..i].iter().all(|g| g.edit != f.edit));
        }
    }
}

fn is_ec_edit(e: &Edit) -> bool {
    let key = match e {
        Edit::SetContext { key, .. } | Edit::RemoveContext { key } => key,
        _ => return false,
    };
    key.to_ascii_lowercase().starts_with("kms:encryptioncontext:")
}

/// Re-derives the request as AWS would build it after a context fix: the encryption context
/// the fix asks for, with `kms:EncryptionContextKeys` following it.
fn rederived(req: &Request, edit: &Edit) -> Request {
    const EC: &str = "kms:EncryptionContext:";
    let mut ec: Vec<(String, String)> = req
        .context
        .iter()
        .filter_map(|(k, v)| {
            let name = k.get(EC.len()..)?;
            match v {
                keyward_core::eval::CtxValue::One(s) if k[..EC.len()].eq_ignore_ascii_case(EC) => {
                    Some((name.to_string(), s.clone()))
                }
                _ => None,
            }
        })
        .collect();
    match edit {
        Edit::SetContext { key, value }
            if key.len() > EC.len() && key[..EC.len()].eq_ignore_ascii_case(EC) =>
        {
            let name = &key[EC.len()..];
            ec.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
            ec.push((name.to_string(), value.clone()));
        }
        Edit::RemoveContext { key }
            if key.len() > EC.len() && key[..EC.len()].eq_ignore_ascii_case(EC) =>
        {
            ec.retain(|(k, _)| !k.eq_ignore_ascii_case(&key[EC.len()..]));
        }
        _ => {}
    }
    let call = Call {
        action: req.action.clone(),
        resource: req.resource.clone(),
        encryption_context: ec,
        ..Call::default()
    };
    let ctx = derive_context(&req.principal, &call);
    Request::new(req.principal.clone(), &req.action, &req.resource, ctx)
}

/// KNOWN BUG (see the report): a fix that edits the encryption context is verified against a
/// request whose `kms:EncryptionContextKeys` still lists the old keys, so the fix "works" on
/// paper but not on the request AWS would actually build for the suggested encryption context.
#[test]
#[ignore = "known bug: encryption-context fixes leave kms:EncryptionContextKeys stale"]
fn context_fixes_hold_for_the_request_aws_would_build() {
    for (cond, ec) in [
        // Suggested: send Dept=Finance. Real request keys [Project, Dept] are not all in [Project].
        (
            r#"{"StringEquals":{"kms:EncryptionContext:Dept":"Finance"},"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Project"]}}"#,
            &[("Project", "Alpha")][..],
        ),
        // Suggested: drop Dept. Real request then has no keys, so ForAnyValue is false.
        (
            r#"{"StringNotEquals":{"kms:EncryptionContext:Dept":"HR"},"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":["Dept"]}}"#,
            &[("Dept", "HR")][..],
        ),
    ] {
        let set = PolicySet {
            resource_policy: key_policy(&format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::111122223333:role/App"}},"Action":"kms:Decrypt","Resource":"*","Condition":{cond}}}"#
            )),
            ..PolicySet::default()
        };
        let req = request(SESSION, "kms:Decrypt", K1, ec);
        let fixes = fixes_of("context fix", &set, &req, None);
        let context_fixes: Vec<&Fix> = fixes
            .iter()
            .filter(|f| matches!(f.edit, Edit::SetContext { .. } | Edit::RemoveContext { .. }))
            .collect();
        assert!(!context_fixes.is_empty());
        for f in context_fixes {
            assert_eq!(
                decide(&set, &rederived(&req, &f.edit)),
                Decision::Allow,
                "{}: the request with that encryption context is still denied",
                f.message
            );
        }
    }
}

/// KNOWN GAP (see the report): an RCP level with no near-miss Allow gets no fix, although the
/// SCP case gets one (a new statement) and the same edit would work here.
#[test]
#[ignore = "known gap: RcpNoAllow has no statement-adding fix"]
fn rcp_without_any_allow_gets_a_fix() {
    let set = PolicySet {
        resource_policy: key_policy(DELEGATE),
        identity: identity(ID_ALLOW_DECRYPT),
        rcps: vec![vec![policy(PolicyKind::Rcp, "")]],
        ..PolicySet::default()
    };
    let req = request(USER, "kms:Decrypt", K1, &[]);
    fixes_of("empty rcp", &set, &req, Some(Rule::RcpNoAllow));
}

/// A service principal that nothing allows gets a fix: a key-policy statement naming the
/// service (issue 14's narrow statement; before, no fix was proposed).
#[test]
fn service_principal_gets_a_fix() {
    let set = PolicySet { resource_policy: key_policy(ADMIN_ONLY), ..PolicySet::default() };
    let req = request("service:s3.amazonaws.com", "kms:Decrypt", K1, &[]);
    let fixed = apply(
        &set,
        &req,
        &Edit::AddStatement {
            source: Source::ResourcePolicy,
            statement: r#"{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*"}"#.into(),
        },
    )
    .unwrap();
    assert_eq!(decide(&fixed.0, &fixed.1), Decision::Allow, "such a fix exists");
    fixes_of("service", &set, &req, Some(Rule::KmsNothingAllows));
}
