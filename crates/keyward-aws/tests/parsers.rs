//! The parsers on the fixtures in tests/corpus/inputs (written from AWS documentation
//! examples) and on hand-made events for every userIdentity type, plus bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use keyward_aws::cloudtrail::{kms_events, via_service_name, Recorded};
use keyward_aws::export::{account_export, account_export_shared, get_role_or_user, IdentityKind};
use keyward_aws::kms::{describe_key, grants, key_policy, org_policy};
use keyward_core::diag::has_errors;
use keyward_core::eval::{CtxValue, PrincipalKind};
use keyward_core::model::PolicyKind;
use keyward_core::span::LineIndex;
use std::path::PathBuf;

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn fixture(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/inputs").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn one_event(text: &str) -> keyward_aws::cloudtrail::DerivedEvent {
    let (mut evs, diags) = kms_events(text);
    assert!(!has_errors(&diags), "{diags:?}");
    assert_eq!(evs.len(), 1);
    evs.remove(0)
}

fn ctx(e: &keyward_aws::cloudtrail::DerivedEvent, k: &str) -> Option<String> {
    e.request().context.get(k).map(|v| v.as_slice().join(","))
}

#[test]
fn iam_user_event() {
    let e = one_event(&fixture("cloudtrail/decrypt-iam-user-allowed.json"));
    assert_eq!(e.principal.kind, PrincipalKind::User);
    assert_eq!(e.principal.arn, "arn:aws:iam::111122223333:user/Alice");
    assert_eq!(e.action, "kms:Decrypt");
    assert_eq!(e.resource, KEY);
    assert_eq!(e.recorded, Recorded::Success);
    assert_eq!(ctx(&e, "kms:EncryptionContext:Department").as_deref(), Some("Finance"));
    assert_eq!(ctx(&e, "aws:SourceIp").as_deref(), Some("192.0.2.0"));
    assert_eq!(ctx(&e, "aws:CurrentTime").as_deref(), Some("2024-03-10T14:05:12Z"));
    assert_eq!(ctx(&e, "aws:userid").as_deref(), Some("AIDAJ45Q7YFFAREXAMPLE"));
    assert!(ctx(&e, "aws:MultiFactorAuthPresent").is_none(), "long-term credentials: absent");
    assert!(e.unknown.iter().any(|u| u.contains("aws:MultiFactorAuthPresent")));
}

#[test]
fn assumed_role_denied_event_takes_the_key_from_the_message() {
    let e = one_event(&fixture("cloudtrail/decrypt-assumed-role-denied.json"));
    assert_eq!(e.principal.kind, PrincipalKind::AssumedRole);
    assert_eq!(e.principal.role_name.as_deref(), Some("DataProcessingRole"));
    assert_eq!(e.resource, KEY, "no resources[]: the key comes from errorMessage");
    assert!(e.derived.iter().any(|f| f.name == "resource" && f.from == "errorMessage"));
    assert!(
        matches!(&e.recorded, Recorded::AccessDenied { message } if message.contains("no identity-based policy"))
    );
    assert_eq!(ctx(&e, "aws:MultiFactorAuthPresent").as_deref(), Some("false"));
    assert_eq!(ctx(&e, "aws:userid").as_deref(), Some("AROA123456789EXAMPLE:etl-run"));
    assert!(e.unknown.iter().any(|u| u.contains("session policy")));
}

#[test]
fn s3_on_behalf_of_a_role_sets_via_service() {
    let e = one_event(&fixture("cloudtrail/decrypt-via-s3-allowed.json"));
    assert_eq!(ctx(&e, "kms:ViaService").as_deref(), Some("s3.us-east-1.amazonaws.com"));
    assert_eq!(ctx(&e, "aws:ViaAWSService").as_deref(), Some("true"));
    assert!(ctx(&e, "aws:SourceIp").is_none(), "s3.amazonaws.com is not an IP");
    assert_eq!(
        e.principal.role_arn.as_deref(),
        Some("arn:aws:iam::111122223333:role/service-role/S3AppRole"),
        "the issuer ARN keeps the role's path"
    );
    assert_eq!(
        via_service_name("ec2.amazonaws.com", "eu-west-1").as_deref(),
        Some("ec2.eu-west-1.amazonaws.com")
    );
    assert_eq!(via_service_name("192.0.2.1", "eu-west-1"), None);
}

#[test]
fn lookup_events_strings_map_back_into_the_file() {
    let text = fixture("cloudtrail/lookup-events.json");
    let e = one_event(&text);
    assert_eq!(e.event_name, "Decrypt");
    assert!(matches!(e.recorded, Recorded::AccessDenied { .. }));
    // The event's span points at the CloudTrailEvent string in the file.
    let at = text.find("\"CloudTrailEvent\"").unwrap();
    assert!(e.span.start as usize > at, "{:?}", e.span);
    // A broken embedded event is reported at its position in the file.
    let bad = r#"{"Events": [{"EventId": "x", "CloudTrailEvent": "{\"eventSource\": \"kms.amazonaws.com\", \"eventName\": }"}]}"#;
    let (evs, diags) = kms_events(bad);
    assert!(evs.is_empty());
    let d = diags.iter().find(|d| d.severity == keyward_core::diag::Severity::Error).unwrap();
    let lc = LineIndex::new(bad).line_col(d.span.start);
    let col = bad.find("\"eventName\\\": }").unwrap() + "\"eventName\\\": ".len() + 1;
    assert_eq!((lc.line, lc.col as usize), (1, col), "{d:?}");
}

fn event(identity: &str, extra: &str) -> String {
    format!(
        r#"{{"eventSource": "kms.amazonaws.com", "eventName": "Decrypt", "awsRegion": "eu-west-1",
        "eventTime": "2024-01-01T00:00:00Z", "sourceIPAddress": "203.0.113.9",
        "recipientAccountId": "111122223333",
        "userIdentity": {identity},
        "requestParameters": {{"keyId": "alias/app"}}{extra}}}"#
    )
}

#[test]
fn every_identity_type() {
    let root = one_event(&event(
        r#"{"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"}"#,
        "",
    ));
    assert_eq!(root.principal.kind, PrincipalKind::Root);
    assert_eq!(root.call.request_alias.as_deref(), Some("alias/app"));
    assert_eq!(root.resource, "*", "an alias does not name the key");
    let fed = one_event(&event(
        r#"{"type": "FederatedUser", "principalId": "111122223333:bob", "arn": "arn:aws:sts::111122223333:federated-user/bob", "accountId": "111122223333",
        "sessionContext": {"sessionIssuer": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/bob"}, "attributes": {"mfaAuthenticated": "true"}}}"#,
        "",
    ));
    assert_eq!(fed.principal.kind, PrincipalKind::FederatedUser);
    assert_eq!(ctx(&fed, "aws:MultiFactorAuthPresent").as_deref(), Some("true"));
    let svc =
        one_event(&event(r#"{"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"}"#, ""));
    assert_eq!(svc.principal.kind, PrincipalKind::Service);
    assert!(ctx(&svc, "kms:ViaService").is_none(), "a service calling as itself is not ViaService");
    let acct = one_event(&event(
        r#"{"type": "AWSAccount", "principalId": "AIDAEXAMPLE", "accountId": "444455556666"}"#,
        r#", "resources": [{"ARN": "arn:aws:kms:eu-west-1:111122223333:key/k1"}], "errorCode": "AccessDenied", "errorMessage": "denied""#,
    ));
    assert_eq!(acct.principal.kind, PrincipalKind::Root);
    assert_eq!(acct.principal.account, "444455556666");
    assert!(acct.unknown.iter().any(|u| u.contains("AWSAccount")));
    assert_eq!(acct.resource, "arn:aws:kms:eu-west-1:111122223333:key/k1");
    let vpce = one_event(&event(
        r#"{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/u", "accountId": "111122223333"}"#,
        r#", "vpcEndpointId": "vpce-1a2b3c4d""#,
    ));
    assert_eq!(ctx(&vpce, "aws:SourceVpce").as_deref(), Some("vpce-1a2b3c4d"));
    let other = one_event(&event(
        r#"{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/u", "accountId": "111122223333"}"#,
        r#", "errorCode": "NotFoundException", "errorMessage": "gone""#,
    ));
    assert!(matches!(other.recorded, Recorded::OtherError { .. }));
}

#[test]
fn bad_events_are_errors_with_positions() {
    let (evs, diags) = kms_events("{\"Records\": [\n  {\"eventSource\": \"kms.amazonaws.com\", \"eventName\": \"Decrypt\"}\n]}");
    assert!(evs.is_empty());
    let d = &diags[0];
    assert!(d.message.contains("userIdentity"), "{d:?}");
    assert_eq!(LineIndex::new("{\"Records\": [\n  {").line_col(d.span.start).line, 2);
    let (_, diags) =
        kms_events("{\"eventSource\": \"s3.amazonaws.com\", \"eventName\": \"GetObject\"}");
    assert!(diags[0].message.contains("KMS event"));
    let (_, diags) = kms_events("{\"Records\": [1,");
    assert!(has_errors(&diags));
    let (_, diags) = kms_events(&event(r#"{"type": "SAMLUser"}"#, ""));
    assert!(diags[0].message.contains("SAMLUser"));
    for junk in ["", "[]", "null", "{\"Records\": {}}", "{\"Events\": [{\"CloudTrailEvent\": 5}]}"]
    {
        let (evs, diags) = kms_events(junk);
        assert!(evs.is_empty() && has_errors(&diags), "{junk}");
    }
}

#[test]
fn key_policy_output_and_broken_spans() {
    let (p, d) = key_policy(&fixture("kms/get-key-policy.json"));
    assert!(!has_errors(&d), "{d:?}");
    assert_eq!(p.unwrap().statements.len(), 4);
    let text = fixture("kms/get-key-policy-broken.json");
    let (_, d) = key_policy(&text);
    let e = d.iter().find(|d| d.code == "invalid-effect").unwrap();
    let at = e.span.start as usize;
    assert_eq!(&text[at..at + 7], "\\\"Alow\\", "the span points at the escaped value in the file");
    // A plain policy document is accepted too.
    let (p, d) = key_policy(&fixture("diff/key-policy-old.json"));
    assert!(p.is_some() && !has_errors(&d));
    let (p, d) = key_policy("{\"Nope\": 1}");
    assert!(p.is_none() && d[0].code == keyward_aws::INVALID);
}

#[test]
fn kms_and_org_outputs() {
    let (k, d) = describe_key(&fixture("kms/describe-key.json"));
    assert!(d.is_empty());
    let k = k.unwrap();
    assert_eq!((k.arn.as_str(), k.account.as_str()), (KEY, "111122223333"));
    assert_eq!(k.key_spec.as_deref(), Some("SYMMETRIC_DEFAULT"));
    let (g, d) = grants(&fixture("kms/list-grants.json"));
    assert!(!has_errors(&d), "{d:?}");
    assert_eq!(g[0].grantee, "arn:aws:iam::111122223333:role/ReportingRole");
    let (p, d) = org_policy(&fixture("org/describe-policy-scp.json"), PolicyKind::Scp);
    assert!(!has_errors(&d), "{d:?}");
    let (p, name) = p.unwrap();
    assert_eq!(name.as_deref(), Some("KmsOnlyFromCorporateNetwork"));
    assert_eq!(p.statements.len(), 2);
}

#[test]
fn account_export_resolves_groups_managed_versions_and_boundaries() {
    let (ex, d) = account_export(&fixture("iam/account-authorization-details.json"));
    assert!(!has_errors(&d), "{d:?}");
    let ex = ex.unwrap();
    assert_eq!(ex.account(), Some("111122223333"));
    assert_eq!((ex.users.len(), ex.roles.len(), ex.groups.len()), (2, 4, 2));
    let alice = &ex.users[0];
    assert_eq!(alice.kind, IdentityKind::User);
    assert_eq!(alice.groups, ["Developers"]);
    // The group's managed policy, at its default version v2 (Decrypt/Encrypt/GenerateDataKey
    // on one key), not v1 (kms:*).
    assert_eq!(alice.policies.len(), 1);
    assert_eq!(alice.policies[0].policy.statements[0].actions.patterns.len(), 3);
    // The boundary's document is URL-encoded in the export.
    assert_eq!(alice.boundary.as_ref().unwrap().policy.statements.len(), 1);
    assert_eq!(alice.tags, [("team".to_string(), "finance".to_string())]);
    let bob = &ex.users[1];
    assert_eq!(bob.policies.len(), 2, "inline + the Auditors group's inline");
    let p = keyward_core::eval::Principal::parse(
        "arn:aws:sts::111122223333:assumed-role/S3AppRole/i-1",
    )
    .unwrap();
    assert_eq!(ex.find(&p).unwrap().arn, "arn:aws:iam::111122223333:role/service-role/S3AppRole");
    let admin = ex.roles.iter().find(|r| r.name == "AdminRole").unwrap();
    assert_eq!(admin.policies[0].name, "arn:aws:iam::aws:policy/AdministratorAccess");
}

#[test]
fn account_export_errors() {
    let (ex, d) = account_export("{\"Users\": []}");
    assert!(ex.is_none() && d[0].code == keyward_aws::INVALID);
    let missing = r#"{"UserDetailList": [{"UserName": "u", "Arn": "arn:aws:iam::111122223333:user/u",
        "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::111122223333:policy/Gone"}], "GroupList": ["Nowhere"]}]}"#;
    let (ex, d) = account_export(missing);
    assert!(d.is_empty());
    let u = &ex.unwrap().users[0];
    assert_eq!(u.missing.len(), 2, "{:?}", u.missing);
    // A broken URL-encoded document: the error points inside the file.
    let bad = "{\"Policies\": [{\"Arn\": \"arn:aws:iam::1:policy/P\", \"PolicyVersionList\": [{\"IsDefaultVersion\": true, \"Document\": \"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Maybe%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D\"}]}]}";
    let (_, d) = account_export(bad);
    let e = d.iter().find(|d| d.code == "invalid-effect").unwrap();
    let at = e.span.start as usize;
    assert_eq!(&bad[at..at + 8], "%22Maybe", "{e:?}");
}

#[test]
fn shared_export_reads_identical_inline_documents_once() {
    let user = |name: &str, doc: &str| {
        format!(
            r#"{{"UserName": "{name}", "Arn": "arn:aws:iam::111122223333:user/{name}",
            "UserPolicyList": [{{"PolicyName": "P", "PolicyDocument": {doc}}}]}}"#
        )
    };
    let good = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}"#;
    let other = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:*", "Resource": "*"}]}"#;
    let bad = "\"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Maybe%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D\"";
    let users =
        [user("u1", good), user("u2", good), user("u3", other), user("u4", bad), user("u5", bad)];
    let text = format!("{{\"UserDetailList\": [{}]}}", users.join(",\n"));
    let (plain, plain_d) = account_export(&text);
    let (shared, shared_d) = account_export_shared(&text);
    let (plain, shared) = (plain.unwrap(), shared.unwrap());
    let policy =
        |ex: &keyward_aws::export::AccountExport, i: usize| ex.users[i].policies[0].clone();
    // The same text is one policy, under each owner's own name; other texts are not.
    assert!(std::sync::Arc::ptr_eq(&policy(&shared, 0).policy, &policy(&shared, 1).policy));
    assert!(!std::sync::Arc::ptr_eq(&policy(&shared, 0).policy, &policy(&shared, 2).policy));
    assert!(!std::sync::Arc::ptr_eq(&policy(&plain, 0).policy, &policy(&plain, 1).policy));
    assert_eq!(policy(&shared, 1).name, "user u2 inline 'P'");
    assert_eq!(policy(&shared, 2).policy.statements[0].effect, keyward_core::model::Effect::Deny);
    // A document with a diagnostic is read again at each place: both copies are reported
    // where they are, exactly as without sharing.
    let places = |d: &[keyward_core::diag::Diagnostic]| {
        d.iter().map(|d| (d.code.to_string(), d.span, d.path.clone())).collect::<Vec<_>>()
    };
    assert_eq!(places(&shared_d), places(&plain_d));
    let maybes: Vec<usize> = text.match_indices("%22Maybe").map(|(i, _)| i).collect();
    let found: Vec<usize> = shared_d
        .iter()
        .filter(|d| d.code == "invalid-effect")
        .map(|d| d.span.start as usize)
        .collect();
    assert_eq!(found, maybes);
    assert!(!std::sync::Arc::ptr_eq(&policy(&shared, 3).policy, &policy(&shared, 4).policy));
}

#[test]
fn get_role_and_get_user() {
    let (r, d) = get_role_or_user(&fixture("iam/get-role.json"));
    assert!(d.is_empty());
    let r = r.unwrap();
    assert_eq!((r.kind, r.name.as_str()), (IdentityKind::Role, "DataProcessingRole"));
    assert_eq!(r.tags.len(), 1);
    let (u, _) = get_role_or_user(&fixture("iam/get-user.json"));
    let u = u.unwrap();
    assert_eq!(u.kind, IdentityKind::User);
    assert!(u.missing.iter().any(|m| m.contains("DeveloperBoundary")));
    let (none, d) = get_role_or_user("{}");
    assert!(none.is_none() && has_errors(&d));
    let _ = CtxValue::One(String::new());
}
