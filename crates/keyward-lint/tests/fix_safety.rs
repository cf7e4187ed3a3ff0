//! Fix-safety laws (issue 14), on random worlds of key policies, identity policies and grants
//! built as text: every fix, written into its document's text, is still verified by deciding
//! again; a fix that makes a keyward lint security finding appear is labelled with it (and
//! ranked after the unlabelled ones); the first fix grants no more actions or principals than
//! any later one; a fix that widens a `kms:*`, key-administration or identity `Resource: "*"`
//! statement (judged here from the statement's text) is offered only when no narrower policy
//! fix is, and says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use keyward_core::diag::Severity;
use keyward_core::eval::call::Call;
use keyward_core::eval::{
    apply_to_text, decide, explain, new_policy_text, Decision, Edit, Fix, NamedPolicy, PolicySet,
    Principal, Request, Source,
};
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::{parse_grants, parse_policy, DocKind};
use keyward_lint::fixes::label_fixes;
use keyward_lint::lint_text;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

const K1: &str = "arn:aws:kms:us-east-1:111122223333:key/k1";

const KEY_STATEMENTS: &[&str] = &[
    r#"{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#,
    r#"{"Sid":"Admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Admin"},"Action":"kms:*","Resource":"*"}"#,
    r#"{"Sid":"KeyAdministrators","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/KeyAdmin"},"Action":["kms:Create*","kms:Describe*","kms:Enable*","kms:List*","kms:Put*","kms:Update*","kms:Revoke*","kms:Disable*","kms:Get*","kms:Delete*","kms:ScheduleKeyDeletion","kms:CancelKeyDeletion"],"Resource":"*"}"#,
    r#"{"Sid":"Use","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App"},"Action":["kms:Encrypt","kms:GenerateDataKey*"],"Resource":"*"}"#,
    r#"{"Sid":"CrossAccount","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root","arn:aws:iam::777788889999:role/Other"]},"Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}"#,
    r#"{"Sid":"Context","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/DataProcessingRole"},"Action":["kms:Decrypt","kms:Encrypt"],"Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:Department":"Finance"}}}"#,
    r#"{"Sid":"S3Service","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*"}"#,
    r#"{"Sid":"DescribeAll","Effect":"Allow","Principal":"*","Action":"kms:DescribeKey","Resource":"*"}"#,
    r#"{"Sid":"Org","Effect":"Allow","Principal":"*","Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}"#,
];

const IDENTITY_STATEMENTS: &[&str] = &[
    r#"{"Sid":"Logs","Effect":"Allow","Action":["logs:PutLogEvents","kms:Encrypt"],"Resource":"*"}"#,
    r#"{"Sid":"Everything","Effect":"Allow","Action":"kms:*","Resource":"*"}"#,
    r#"{"Sid":"OneKey","Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/k1"}"#,
    r#"{"Sid":"OtherKey","Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt"],"Resource":"arn:aws:kms:us-east-1:111122223333:key/k2"}"#,
    r#"{"Sid":"Mfa","Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}"#,
];

const GRANTS: &[&str] = &[
    r#"[{"Name":"g","GranteePrincipal":"arn:aws:iam::111122223333:role/App","Operations":["Decrypt"],"Constraints":{"EncryptionContextSubset":{"Department":"Finance","Project":"Alpha"}}}]"#,
    r#"[{"Name":"h","GranteePrincipal":"arn:aws:iam::111122223333:user/alice","Operations":["Decrypt","Encrypt"],"Constraints":{"EncryptionContextEquals":{"Department":"Finance"}}}]"#,
];

const CALLERS: &[&str] = &[
    "arn:aws:sts::111122223333:assumed-role/App/s1",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:sts::111122223333:assumed-role/Admin/a",
    "arn:aws:iam::444455556666:user/analyst",
    "arn:aws:sts::444455556666:assumed-role/DataProcessingRole/etl",
];

const ACTIONS: &[&str] =
    &["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:ReEncryptFrom"];

/// Key-administration actions, for the oracle (lower case).
const ADMIN: &[&str] = &[
    "kms:putkeypolicy",
    "kms:schedulekeydeletion",
    "kms:cancelkeydeletion",
    "kms:disablekey",
    "kms:enablekey",
    "kms:createalias",
    "kms:deletealias",
    "kms:updatealias",
    "kms:updatekeydescription",
    "kms:tagresource",
    "kms:untagresource",
];

#[derive(Debug, Clone)]
struct World {
    key: Vec<&'static str>,
    identity: Option<Vec<&'static str>>,
    grants: Option<&'static str>,
    caller: &'static str,
    action: &'static str,
    ec: Vec<(&'static str, &'static str)>,
    via: Option<&'static str>,
}

fn doc(statements: &[&str]) -> String {
    format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {}\n  ]\n}}\n",
        statements.join(",\n    ")
    )
}

impl World {
    fn texts(&self) -> (String, Option<String>) {
        (doc(&self.key), self.identity.as_ref().map(|i| doc(i)))
    }

    fn build(
        &self,
        key: &str,
        identity: Option<&str>,
        grants: Option<&str>,
    ) -> (PolicySet, Request) {
        let parse = |t: &str, k: PolicyKind| {
            let (p, d) = parse_policy(t, k, Limits::default());
            assert!(d.iter().all(|d| d.severity != Severity::Error), "{d:?}\n{t}");
            NamedPolicy::new(k.name(), p.unwrap())
        };
        let set = PolicySet {
            resource_policy: Some(parse(key, PolicyKind::Key)),
            identity: identity.map(|t| vec![parse(t, PolicyKind::Identity)]).unwrap_or_default(),
            grants: grants.map_or_else(Vec::new, |g| {
                parse_grants(g, Limits::default()).0.into_iter().map(Arc::new).collect()
            }),
            ..PolicySet::default()
        };
        let call = Call {
            encryption_context: self
                .ec
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            via_service: self.via.map(str::to_string),
            region: Some("us-east-1".into()),
            ..Call::new(self.action.to_string(), K1.to_string())
        };
        (set, call.request(Principal::parse(self.caller).unwrap()))
    }
}

fn world() -> impl Strategy<Value = World> {
    (
        prop::sample::subsequence(KEY_STATEMENTS, 1..5),
        prop::option::weighted(0.7, prop::sample::subsequence(IDENTITY_STATEMENTS, 1..3)),
        prop::option::weighted(0.3, prop::sample::select(GRANTS)),
        prop::sample::select(CALLERS),
        prop::sample::select(ACTIONS),
        prop::sample::subsequence(&[("Department", "Finance"), ("Project", "Alpha")][..], 0..3),
        prop::option::weighted(
            0.3,
            prop::sample::select(&["s3.us-east-1.amazonaws.com", "s3.eu-west-1.amazonaws.com"][..]),
        ),
    )
        .prop_map(|(key, identity, grants, caller, action, ec, via)| World {
            key,
            identity,
            grants,
            caller,
            action,
            ec,
            via,
        })
}

/// Security findings (errors and security warnings) of a text, counted by code.
fn security(text: &str, kind: DocKind) -> BTreeMap<&'static str, usize> {
    let mut out = BTreeMap::new();
    for f in lint_text(text, Some(kind)).findings {
        if matches!(f.severity, Severity::Error | Severity::SecurityWarning) {
            *out.entry(f.code).or_insert(0) += 1;
        }
    }
    out
}

fn wild(p: &str, t: &str) -> bool {
    match p.split_once('*') {
        None => p == t,
        Some((head, rest)) => {
            t.starts_with(head)
                && (0..=t.len() - head.len()).any(|i| wild(rest, &t[head.len() + i..]))
        }
    }
}

/// The oracle: is this statement (as text) one a fix should not widen?
fn broad_statement(text: &str, identity: bool) -> bool {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let list = |k: &str| -> Vec<String> {
        match &v[k] {
            serde_json::Value::String(s) => vec![s.to_ascii_lowercase()],
            serde_json::Value::Array(a) => {
                a.iter().map(|s| s.as_str().unwrap().to_ascii_lowercase()).collect()
            }
            _ => Vec::new(),
        }
    };
    let actions = list("Action");
    actions.iter().any(|a| a == "*" || a == "kms:*")
        || ADMIN.iter().any(|adm| actions.iter().any(|a| wild(a, adm)))
        || (identity && list("Resource").iter().any(|r| r == "*"))
}

fn target(edit: &Edit) -> Option<(Source, usize)> {
    match edit {
        Edit::AddAction { source, statement, .. }
        | Edit::AddResource { source, statement, .. }
        | Edit::AddPrincipal { source, statement, .. }
        | Edit::AddConditionValue { source, statement, .. } => Some((*source, *statement)),
        _ => None,
    }
}

/// The generator reaches the cases the laws are about: fixes lint labels, and each new fix kind.
#[test]
fn worlds_reach_labelled_fixes_and_every_new_kind() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let strategy = world();
    let (mut labelled, mut kinds) = (0, std::collections::BTreeSet::new());
    for _ in 0..1500 {
        let w = strategy.new_tree(&mut runner).unwrap().current();
        let (key_text, id_text) = w.texts();
        let (set, req) = w.build(&key_text, id_text.as_deref(), w.grants);
        let mut e = explain(&set, &req);
        label_fixes(&mut e, &|s: Source| match s {
            Source::ResourcePolicy => {
                Some((Some(key_text.clone()), DocKind::Policy(PolicyKind::Key)))
            }
            _ => None,
        });
        labelled += e.fixes.iter().filter(|f| !f.lint.is_empty()).count();
        for f in &e.fixes {
            kinds.insert(
                serde_json::to_value(&f.edit).unwrap()["kind"].as_str().unwrap().to_string(),
            );
        }
    }
    assert!(labelled > 0, "no world gives a fix that lint labels");
    for k in ["add_grant", "add_condition_value", "add_statement", "set_context"] {
        assert!(kinds.contains(k), "no world gives a {k} fix: {kinds:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fixes_are_safe_ranked_and_labelled(w in world()) {
        let (key_text, id_text) = w.texts();
        let (set, req) = w.build(&key_text, id_text.as_deref(), w.grants);
        let mut e = explain(&set, &req);
        let text_of = |s: Source| -> Option<(Option<String>, DocKind)> {
            Some(match s {
                Source::ResourcePolicy => (Some(key_text.clone()), DocKind::Policy(PolicyKind::Key)),
                Source::Identity { index: 0 } => (id_text.clone(), DocKind::Policy(PolicyKind::Identity)),
                Source::Identity { .. } => (None, DocKind::Policy(PolicyKind::Identity)),
                Source::Grant { .. } => (w.grants.map(str::to_string), DocKind::Grant),
                _ => return None,
            })
        };
        label_fixes(&mut e, &text_of);
        let fixes: &[Fix] = &e.fixes;
        for f in fixes {
            // Written into its document's text, the fix still allows (deciding again).
            let (mut k, mut i, mut g) = (key_text.clone(), id_text.clone(), w.grants.map(str::to_string));
            if f.edit.is_policy_edit() {
                let s = match &f.edit {
                    Edit::AddGrant { .. } => Source::Grant { index: 0 },
                    Edit::AddStatement { source, .. } => *source,
                    e => target(e).unwrap().0,
                };
                let (before, kind) = text_of(s).unwrap();
                let after = match &before {
                    Some(t) => apply_to_text(t, &f.edit),
                    None => new_policy_text(&f.edit),
                };
                prop_assert!(after.is_some(), "fix {:?} cannot be written into {:?}", f, before);
                let after = after.unwrap();
                match s {
                    Source::ResourcePolicy => k = after.clone(),
                    Source::Identity { .. } => i = Some(after.clone()),
                    _ => g = Some(after.clone()),
                }
                // Law: a fix adds no security finding unless it is labelled with it.
                let old = before.as_deref().map(|b| security(b, kind)).unwrap_or_default();
                for (code, n) in security(&after, kind) {
                    if n > old.get(code).copied().unwrap_or(0) {
                        prop_assert!(f.lint.iter().any(|l| l == code), "fix {:?} adds {} unlabelled", f.message, code);
                    }
                }
                for code in &f.lint {
                    let n = security(&after, kind).get(code.as_str()).copied().unwrap_or(0);
                    prop_assert!(n > old.get(code.as_str()).copied().unwrap_or(0), "false label {}", code);
                }
                let (s2, r2) = w.build(&k, i.as_deref(), g.as_deref());
                prop_assert_eq!(decide(&s2, &r2), Decision::Allow, "text fix {:?}", f);
            }
        }
        // Labelled fixes come after the unlabelled ones.
        for pair in fixes.windows(2) {
            prop_assert!(pair[0].lint.is_empty() || !pair[1].lint.is_empty());
        }
        // The first fix grants no more actions or principals than any later one (of those
        // lint does not label; labelled ones are moved behind whatever their access).
        if let Some(first) = fixes.first().filter(|f| f.lint.is_empty()) {
            for later in fixes.iter().skip(1).filter(|f| f.lint.is_empty()) {
                prop_assert!(first.adds.actions <= later.adds.actions && first.adds.principals <= later.adds.principals,
                    "first {:?} adds more than {:?}", first, later);
            }
        }
        // Broad statements are widened only when nothing narrower works, last, with words.
        let narrow_policy_fix = fixes.iter().any(|f| {
            f.edit.is_policy_edit() && target(&f.edit).is_none_or(|(s, i)| {
                let text = match s { Source::ResourcePolicy => w.key.get(i).copied(), _ => w.identity.as_ref().and_then(|v| v.get(i).copied()) };
                !text.is_some_and(|t| broad_statement(t, s != Source::ResourcePolicy))
            })
        });
        for (n, f) in fixes.iter().enumerate() {
            let Some((s, i)) = target(&f.edit) else { continue };
            let text = match s { Source::ResourcePolicy => w.key.get(i).copied(), _ => w.identity.as_ref().and_then(|v| v.get(i).copied()) };
            if text.is_some_and(|t| broad_statement(t, s != Source::ResourcePolicy)) {
                prop_assert!(!narrow_policy_fix, "broad fix {:?} offered beside a narrower one", f.message);
                prop_assert!(f.message.contains("last resort"), "{}", f.message);
                prop_assert!(fixes[n..].iter().all(|g| g.adds.broad || !g.lint.is_empty()));
            }
        }
    }
}

/// The gate itself: a fix that gives kms:* to a role is labelled with `kms-star-to-non-admin`
/// (in `lint` and in its words) and moved after a fix that adds no finding.
#[test]
fn the_gate_labels_a_fix_that_lint_flags_and_moves_it_last() {
    let key = doc(&[KEY_STATEMENTS[3]]);
    let w = World {
        key: vec![KEY_STATEMENTS[3]],
        identity: None,
        grants: None,
        caller: "arn:aws:iam::111122223333:user/alice",
        action: "kms:Decrypt",
        ec: Vec::new(),
        via: None,
    };
    let (set, req) = w.build(&key, None, None);
    let mut e = explain(&set, &req);
    let star = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:*","Resource":"*"}"#;
    e.fixes.insert(
        0,
        Fix::new(
            "give alice kms:*".into(),
            Edit::AddStatement { source: Source::ResourcePolicy, statement: star.into() },
        ),
    );
    let n = e.fixes.len();
    assert!(n >= 2, "{:?}", e.fixes);
    label_fixes(&mut e, &|s: Source| {
        (s == Source::ResourcePolicy).then(|| (Some(key.clone()), DocKind::Policy(PolicyKind::Key)))
    });
    let last = e.fixes.last().unwrap();
    assert_eq!(last.lint, ["kms-star-to-non-admin"], "{:?}", e.fixes);
    assert!(
        last.message.starts_with(
            "give alice kms:* (keyward lint flags the fixed document: kms-star-to-non-admin: "
        ),
        "{}",
        last.message
    );
    assert!(e.fixes[..n - 1].iter().all(|f| f.lint.is_empty()), "{:?}", e.fixes);
}

/// A service principal's only fix (a key-policy statement naming the service, which the request
/// cannot narrow with a source condition it does not carry) is shown with the lint finding.
#[test]
fn a_service_principal_fix_carries_its_confused_deputy_finding() {
    let key = doc(&[KEY_STATEMENTS[1]]);
    let w = World {
        key: vec![KEY_STATEMENTS[1]],
        identity: None,
        grants: None,
        caller: "service:s3.amazonaws.com",
        action: "kms:Decrypt",
        ec: Vec::new(),
        via: None,
    };
    let (set, req) = w.build(&key, None, None);
    let mut e = explain(&set, &req);
    label_fixes(&mut e, &|s: Source| {
        (s == Source::ResourcePolicy).then(|| (Some(key.clone()), DocKind::Policy(PolicyKind::Key)))
    });
    assert_eq!(e.fixes.len(), 1, "{:?}", e.fixes);
    assert_eq!(e.fixes[0].lint, ["restrict-access-to-service-principal"], "{:?}", e.fixes);
    assert!(e.fixes[0].message.contains("keyward lint flags the fixed document"));
}
