//! Parser unit tests: the model each element produces, and errors collected in one pass.

use super::*;
use crate::model::{OpBase, ResourceMatcher, SetOp, Typed};
use crate::span::LineIndex;

fn policy(text: &str, kind: PolicyKind) -> Policy {
    let (p, diags) = parse_policy(text, kind, Limits::default());
    assert!(diags.is_empty(), "{diags:?}");
    p.unwrap()
}

fn codes(text: &str, kind: PolicyKind) -> Vec<(&'static str, u32, u32)> {
    let (_, diags) = parse_policy(text, kind, Limits::default());
    let idx = LineIndex::new(text);
    diags
        .iter()
        .map(|d| {
            let lc = idx.line_col(d.span.start);
            (d.code, lc.line, lc.col)
        })
        .collect()
}

#[test]
fn statement_object_and_single_values_equal_lists() {
    let p = policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"KMS:Decrypt","Resource":"*"}}"#,
        PolicyKind::Key,
    );
    assert_eq!(p.statements.len(), 1);
    let s = &p.statements[0];
    assert_eq!(s.effect, Effect::Allow);
    assert!(s.actions.patterns[0].glob.matches("kms:decrypt"));
    let pr = s.principal.as_ref().unwrap();
    assert_eq!(pr.entries[0].aws, AwsPrincipal::Account("111122223333".into()));
}

#[test]
fn principal_forms() {
    let p = policy(
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["*","arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/a/b/R","arn:aws:sts::111122223333:assumed-role/R/s"],"Service":["s3.amazonaws.com"],"Federated":"accounts.google.com","CanonicalUser":"79a59df9"},"Action":"*","Resource":"*"}]}"#,
        PolicyKind::Key,
    );
    let pr = p.statements[0].principal.as_ref().unwrap();
    assert!(pr.any);
    let aws: Vec<_> = pr.entries.iter().map(|e| e.aws.clone()).collect();
    assert_eq!(aws[1], AwsPrincipal::Account("111122223333".into()));
    assert!(matches!(&aws[2], AwsPrincipal::Role { name, .. } if name == "R"));
    assert!(matches!(&aws[3], AwsPrincipal::Session(_)));
    assert_eq!(pr.entries.len(), 7);
}

#[test]
fn conditions_are_typed_and_normalised() {
    let p = policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{
            "NumericLessThan":{"s3:max-keys":10},
            "Bool":{"aws:SecureTransport":false},
            "ForAnyValue:StringLikeIfExists":{"kms:EncryptionContextKeys":["a*","${aws:username}"]},
            "DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},
            "IpAddress":{"aws:SourceIp":"203.0.113.7/24"}}}]}"#,
        PolicyKind::Identity,
    );
    let c = &p.statements[0].conditions;
    assert_eq!(c.len(), 5);
    assert!(matches!(c[0].values[0].typed, Typed::Number(n) if n == 10.0));
    assert_eq!(c[1].values[0].raw, "false");
    assert_eq!(
        (c[2].op.set, c[2].op.if_exists, c[2].op.base),
        (SetOp::ForAnyValue, true, OpBase::StringLike)
    );
    assert!(matches!(c[2].values[1].typed, Typed::Template(_)));
    assert_eq!(c[2].key_lc, "kms:encryptioncontextkeys");
    assert!(matches!(&c[4].values[0].typed, Typed::Ip(n) if n.to_string() == "203.0.113.0/24"));
}

#[test]
fn variables_are_literal_without_version_2012() {
    let text = |v: &str| {
        format!(
            r#"{{{v}"Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${{aws:username}}/*"}}]}}"#
        )
    };
    let with = policy(&text(r#""Version":"2012-10-17","#), PolicyKind::Identity);
    assert!(matches!(
        with.statements[0].resources.patterns[0].pattern,
        ResourceMatcher::Template(_)
    ));
    for v in ["", r#""Version":"2008-10-17","#] {
        let without = policy(&text(v), PolicyKind::Identity);
        assert!(matches!(
            without.statements[0].resources.patterns[0].pattern,
            ResourceMatcher::Arn(_)
        ));
    }
}

#[test]
fn kind_rules() {
    let stmt = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}]}"#;
    assert_eq!(codes(stmt, PolicyKind::Identity), vec![("principal-not-allowed", 1, 33)]);
    assert_eq!(codes(stmt, PolicyKind::Scp), vec![("principal-not-allowed", 1, 33)]);
    assert!(codes(stmt, PolicyKind::Key).is_empty());
    let no_principal =
        r#"{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}"#;
    assert_eq!(codes(no_principal, PolicyKind::Key), vec![("missing-principal", 1, 15)]);
    assert_eq!(codes(no_principal, PolicyKind::Rcp), vec![("missing-principal", 1, 15)]);
    let sid = r#"{"Statement":[{"Sid":"Allow use","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}]}"#;
    assert!(codes(sid, PolicyKind::Key).is_empty(), "key policies allow spaces in Sid");
}

#[test]
fn all_errors_in_one_pass_and_bad_statements_dropped() {
    let text = r#"{"Version":"1","Statement":[{"Effect":"allow","Action":"x","Resource":"y"},{"Effect":"Deny","Action":"kms:*","Resource":"*"}],"Extra":1}"#;
    let (p, diags) = parse_policy(text, PolicyKind::Identity, Limits::default());
    let c: Vec<_> = diags.iter().map(|d| d.code).collect();
    assert_eq!(
        c,
        [
            "invalid-version",
            "unknown-element",
            "invalid-effect",
            "invalid-action",
            "invalid-resource"
        ]
    );
    let p = p.unwrap();
    assert_eq!(p.statements.len(), 1);
    assert_eq!(p.statements[0].index, 1);
    assert_eq!(diags[2].path, "Statement[0].Effect");
}

#[test]
fn infer_kind_from_content() {
    let node = |t: &str| crate::json::read(t, Limits::default()).0.unwrap();
    assert_eq!(
        infer_kind(&node(r#"{"Statement":[{"Principal":"*"}]}"#)),
        DocKind::Policy(PolicyKind::Key)
    );
    assert_eq!(
        infer_kind(&node(r#"{"Statement":[{"Effect":"Allow"}]}"#)),
        DocKind::Policy(PolicyKind::Identity)
    );
    assert_eq!(infer_kind(&node(r#"{"Grants":[]}"#)), DocKind::Grant);
    assert_eq!(
        infer_kind(&node(r#"{"KeyId":"k","GranteePrincipal":"p","Operations":[]}"#)),
        DocKind::Grant
    );
}

#[test]
fn grants_in_both_shapes() {
    let (g, d) = parse_grants(
        r#"{"KeyId":"k","GranteePrincipal":"arn:aws:iam::111122223333:role/W","Operations":["Decrypt"],"Constraints":{"EncryptionContextSubset":{"Dept":"Finance"}}}"#,
        Limits::default(),
    );
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(g[0].operations, ["Decrypt"]);
    assert!(g[0].constraint.as_ref().unwrap().holds([("dept", "Finance"), ("x", "y")].into_iter()));
    let (g, d) = parse_grants(
        r#"{"Grants":[{"KeyId":"k","GrantId":"g1","GranteePrincipal":"p","Operations":["Encrypt"],"CreationDate":1.7e9,"IssuingAccount":"arn:aws:iam::111122223333:root"}],"Truncated":false}"#,
        Limits::default(),
    );
    assert!(d.iter().all(|d| d.code == "unknown-element"), "{d:?}");
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].creation_date.as_deref(), Some("1.7e9"));
}
