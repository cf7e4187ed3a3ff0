//! IAM and STS over HTTP: routing by the SigV4 scope's service, XML replies and errors,
//! temporary credentials (token required, session ARN, expiry through `--test-clock`), and
//! revoked keys answered per service.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;

use common::{connect_to, now_ms, query_headers, session_headers, xml_field, Key, TestServer};
use keyward_server::Options;
use serde_json::json;

fn query(
    srv: &TestServer,
    key: &Key,
    service: &str,
    token: Option<&str>,
    body: &str,
) -> common::Resp {
    let h = query_headers(srv.addr, key, service, token, body.as_bytes(), now_ms());
    connect_to(srv.addr).request(&h, body.as_bytes())
}

fn trust_admin() -> String {
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/admin"},"Action":"sts:AssumeRole"}]}"#;
    doc.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn sts_and_iam_answer_in_xml_on_the_kms_listener() {
    let srv = TestServer::start(Options::default());
    let r = query(&srv, &srv.admin, "sts", None, "Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("text/xml"));
    assert_eq!(xml_field(&r.body, "Arn").as_deref(), Some("arn:aws:iam::111122223333:user/admin"));
    // An unknown access key: InvalidClientTokenId in AWS's XML error shape.
    let stranger = Key { id: "AKIAUNKNOWNUNKNOWN12".into(), secret: "x".into() };
    let r = query(&srv, &stranger, "iam", None, "Action=ListUsers&Version=2010-05-08");
    assert_eq!(r.status, 403);
    let body = String::from_utf8_lossy(&r.body);
    assert!(body.starts_with("<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>"), "{body}");
    // Unknown action.
    let r = query(&srv, &srv.admin, "iam", None, "Action=Frobnicate&Version=2010-05-08");
    assert_eq!(xml_field(&r.body, "Code").as_deref(), Some("InvalidAction"));
    srv.shutdown();
}

#[test]
fn sessions_need_their_token_act_as_the_session_and_expire() {
    let srv = TestServer::start(Options { test_clock: true, ..Options::default() });
    let body = format!(
        "Action=CreateRole&Version=2010-05-08&RoleName=App&AssumeRolePolicyDocument={}",
        trust_admin()
    );
    assert_eq!(query(&srv, &srv.admin, "iam", None, &body).status, 200);
    let r = query(
        &srv,
        &srv.admin,
        "sts",
        None,
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::111122223333:role/App&RoleSessionName=s1&DurationSeconds=900",
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let key = Key {
        id: xml_field(&r.body, "AccessKeyId").unwrap(),
        secret: xml_field(&r.body, "SecretAccessKey").unwrap(),
    };
    let token = xml_field(&r.body, "SessionToken").unwrap();
    assert!(key.id.starts_with("ASIA"));

    let who = "Action=GetCallerIdentity&Version=2011-06-15";
    let r = query(&srv, &key, "sts", Some(&token), who);
    assert_eq!(
        xml_field(&r.body, "Arn").as_deref(),
        Some("arn:aws:sts::111122223333:assumed-role/App/s1")
    );
    // Without the token, or with another, the key is not valid.
    for t in [None, Some("KWnot-the-token")] {
        let r = query(&srv, &key, "sts", t, who);
        assert_eq!(xml_field(&r.body, "Code").as_deref(), Some("InvalidClientTokenId"), "{t:?}");
    }
    // KMS decides as the session: the role has no policy.
    let body = json!({}).to_string();
    let h = session_headers(srv.addr, &key, &token, "ListKeys", body.as_bytes(), now_ms());
    let r = connect_to(srv.addr).request(&h, body.as_bytes());
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["message"], "User: arn:aws:sts::111122223333:assumed-role/App/s1 is not authorized to perform: kms:ListKeys on resource: * because no identity-based policy allows the kms:ListKeys action");

    // Fifteen minutes and a second later the session has expired, in each service's words.
    let clock = connect_to(srv.addr).request(
        &[("host".to_string(), srv.addr.to_string()), ("content-type".into(), "text/plain".into())],
        b"901",
    );
    assert_eq!(clock.status, 400, "the clock is only at /_keyward/clock");
    let mut c = connect_to(srv.addr);
    c.send_raw(
        format!(
            "POST /_keyward/clock HTTP/1.1\r\nhost: {}\r\ncontent-length: 3\r\n\r\n901",
            srv.addr
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(c.read_response().unwrap().status, 200);
    let r = query(&srv, &key, "sts", Some(&token), who);
    assert_eq!(xml_field(&r.body, "Code").as_deref(), Some("ExpiredToken"));
    let h = session_headers(srv.addr, &key, &token, "ListKeys", body.as_bytes(), now_ms());
    let r = connect_to(srv.addr).request(&h, body.as_bytes());
    assert_eq!(r.json()["__type"], "ExpiredTokenException");
    // Long-term keys are not affected by the clock's move (SigV4 follows the wall clock).
    assert_eq!(query(&srv, &srv.admin, "sts", None, who).status, 200);
    srv.shutdown();
}

#[test]
fn a_deactivated_key_is_refused_by_every_service() {
    let srv = TestServer::start(Options::default());
    let body = format!(
        "Action=UpdateAccessKey&Version=2010-05-08&UserName=carol&AccessKeyId={}&Status=Inactive",
        srv.carol.id
    );
    let r = query(&srv, &srv.admin, "iam", None, &body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = query(&srv, &srv.carol, "sts", None, "Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(xml_field(&r.body, "Code").as_deref(), Some("InvalidClientTokenId"));
    let r = connect_to(srv.addr).call(&srv.carol, "ListKeys", &json!({}));
    assert_eq!(r.json()["__type"], "UnrecognizedClientException");
    srv.shutdown();
}
