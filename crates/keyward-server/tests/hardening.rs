//! Regression tests of the hardening pass (issue 16) over raw HTTP: the operation and the
//! protocol are bound to the signature, the 5-minute clock skew, revoked access keys are
//! refused (also with the dev switch on), and the dev switch accepts loopback `Host` values
//! only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;

use common::{amz_date, now_ms, sign, Key, TestServer};
use keyward_server::Options;
use serde_json::json;

/// Headers of a request whose signature covers only `signed`; the other headers are added
/// after signing (what an attacker replaying a captured request can change).
fn partly_signed(
    srv: &TestServer,
    op: &str,
    body: &[u8],
    signed: &[&str],
) -> Vec<(String, String)> {
    let date = amz_date(now_ms());
    let all = [
        ("content-type", "application/x-amz-json-1.1".to_string()),
        ("host", srv.addr.to_string()),
        ("x-amz-date", date.clone()),
        ("x-amz-target", format!("TrentService.{op}")),
    ];
    let mut h: Vec<(String, String)> = all
        .iter()
        .filter(|(n, _)| signed.contains(n))
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    sign(&mut h, &srv.admin, body, &date, "us-east-1");
    for (n, v) in all.iter().filter(|(n, _)| !signed.contains(n)) {
        h.push((n.to_string(), v.clone()));
    }
    h
}

#[test]
fn the_operation_and_content_type_must_be_signed() {
    let srv = TestServer::start(Options::default());
    let mut c = srv.connect();
    let key = c.call(&srv.admin, "CreateKey", &json!({})).json()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"KeyId": key}).to_string().into_bytes();
    // A DescribeKey signed over host and date only, replayed as ScheduleKeyDeletion.
    for (signed, missing) in [
        (&["host", "x-amz-date"][..], "X-Amz-Target"),
        (&["host", "x-amz-date", "content-type"][..], "X-Amz-Target"),
        (&["host", "x-amz-date", "x-amz-target"][..], "Content-Type"),
    ] {
        let mut h = partly_signed(&srv, "DescribeKey", &body, signed);
        for (n, v) in &mut h {
            if n == "x-amz-target" && !signed.contains(&"x-amz-target") {
                *v = "TrentService.ScheduleKeyDeletion".to_string();
            }
        }
        let r = c.request(&h, &body);
        assert_eq!(
            (r.status, r.error_type().as_str()),
            (400, "InvalidSignatureException"),
            "{r:?}"
        );
        assert_eq!(
            r.message(),
            format!("'{missing}' must be a 'SignedHeader' in the AWS Authorization."),
            "{signed:?}"
        );
    }
    let r = c.call(&srv.admin, "DescribeKey", &json!({"KeyId": key}));
    assert_eq!(r.json()["KeyMetadata"]["KeyState"], "Enabled", "the key was not scheduled");
    // Fully signed (as the SDKs sign) is fine.
    let h = partly_signed(
        &srv,
        "DescribeKey",
        &body,
        &["content-type", "host", "x-amz-date", "x-amz-target"],
    );
    assert_eq!(c.request(&h, &body).status, 200);
    srv.shutdown();
}

#[test]
fn revoked_and_orphaned_access_keys_are_refused_even_with_the_dev_switch() {
    const GONE: &str = "arn:aws:iam::111122223333:user/gone";
    let mut inactive = None;
    let mut orphan = None;
    let srv = TestServer::start_with(
        Options {
            dev_principal: Some(keyward_kms::account::DEFAULT_CALLER.to_string()),
            ..Options::default()
        },
        |kms| {
            let k = kms.create_access_key(common::CAROL, None, now_ms()).unwrap();
            kms.set_access_key_active(&k.id, false).unwrap();
            inactive = Some(Key {
                id: k.id.clone(),
                secret: String::from_utf8(k.secret.expose().to_vec()).unwrap(),
            });
            let o = kms.create_access_key(GONE, None, now_ms()).unwrap();
            orphan = Some(Key {
                id: o.id.clone(),
                secret: String::from_utf8(o.secret.expose().to_vec()).unwrap(),
            });
        },
    );
    let mut c = srv.connect();
    for key in [inactive.unwrap(), orphan.unwrap()] {
        let r = c.call(&key, "ListKeys", &json!({}));
        assert_eq!((r.status, r.error_type().as_str()), (400, "UnrecognizedClientException"));
        assert_eq!(r.message(), "The security token included in the request is invalid.");
    }
    // Carol's active key still works.
    assert_eq!(c.call(&srv.carol, "ListKeys", &json!({})).error_type(), "AccessDeniedException");
    srv.shutdown();
}

/// With the dev switch, a request scoped to another Region is served in that Region, not in
/// the server's default one.
#[test]
fn the_dev_switch_serves_the_requests_region() {
    let srv = TestServer::start(Options {
        dev_principal: Some(keyward_kms::account::DEFAULT_CALLER.to_string()),
        ..Options::default()
    });
    let mut c = srv.connect();
    let test = Key { id: "test".into(), secret: "test".into() };
    let mut call = |region: &str, op: &str| {
        let date = amz_date(now_ms());
        let mut h = vec![
            ("content-type".to_string(), "application/x-amz-json-1.1".to_string()),
            ("host".to_string(), srv.addr.to_string()),
            ("x-amz-date".to_string(), date.clone()),
            ("x-amz-target".to_string(), format!("TrentService.{op}")),
        ];
        sign(&mut h, &test, b"{}", &date, region);
        let r = c.request(&h, b"{}");
        assert_eq!(r.status, 200, "{r:?}");
        r.json()
    };
    let made = call("ap-southeast-2", "CreateKey");
    let arn = made["KeyMetadata"]["Arn"].as_str().unwrap().to_string();
    assert!(arn.starts_with("arn:aws:kms:ap-southeast-2:111122223333:key/"), "{arn}");
    assert!(call("ap-southeast-2", "ListKeys").to_string().contains(&arn));
    assert!(!call("us-east-1", "ListKeys").to_string().contains(&arn));
    srv.shutdown();
}

#[test]
fn the_dev_switch_accepts_loopback_hosts_only() {
    let srv = TestServer::start(Options {
        dev_principal: Some(keyward_kms::account::DEFAULT_CALLER.to_string()),
        ..Options::default()
    });
    let mut c = srv.connect();
    let test = Key { id: "test".into(), secret: "test".into() };
    let port = srv.addr.port();
    for (host, ok) in [
        (format!("127.0.0.1:{port}"), true),
        (format!("localhost:{port}"), true),
        ("LOCALHOST".to_string(), true),
        (format!("[::1]:{port}"), true),
        ("127.5.6.7".to_string(), true),
        (format!("attacker.example:{port}"), false),
        ("attacker.example".to_string(), false),
        ("localhost.attacker.example".to_string(), false),
        ("10.0.0.1".to_string(), false),
        ("[::1".to_string(), false),
        ("".to_string(), false),
    ] {
        let body = b"{}";
        let date = amz_date(now_ms());
        let mut h = vec![
            ("content-type".to_string(), "application/x-amz-json-1.1".to_string()),
            ("host".to_string(), host.clone()),
            ("x-amz-date".to_string(), date.clone()),
            ("x-amz-target".to_string(), "TrentService.ListKeys".to_string()),
        ];
        sign(&mut h, &test, body, &date, "us-east-1");
        let r = c.request(&h, body);
        assert_eq!(r.status == 200, ok, "Host `{host}`: {r:?}");
        if !ok {
            assert_eq!(r.error_type(), "UnrecognizedClientException");
        }
    }
    srv.shutdown();
}

#[test]
fn host_check_reads_ports_and_brackets() {
    use keyward_server::handler::host_allowed;
    let bound: std::net::SocketAddr = "192.168.1.5:4599".parse().unwrap();
    assert!(host_allowed("192.168.1.5:4599", Some(bound)));
    assert!(host_allowed("192.168.1.5", Some(bound)));
    assert!(!host_allowed("192.168.1.6:4599", Some(bound)));
    assert!(!host_allowed("0.0.0.0", Some("0.0.0.0:1".parse().unwrap())));
    assert!(!host_allowed("localhost:80x", None));
    assert!(!host_allowed("[::1]x", None));
}
