//! `keyward serve` over raw HTTP: the KMS round trip on one keep-alive connection, every
//! authentication error path, the AccessDenied shape, routing errors, the body cap, huge
//! headers, malformed input (never a 500), the dev principal and graceful shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod common;

use base64::Engine;
use common::{now_ms, signed_headers, Key, TestServer, CAROL};
use keyward_server::Options;
use serde_json::json;

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn round_trip_on_one_keep_alive_connection() {
    let srv = TestServer::start(Options::default());
    let mut c = srv.connect();
    let r = c.call(&srv.admin, "CreateKey", &json!({"Description": "t"}));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.1"));
    let meta = r.json()["KeyMetadata"].clone();
    let key_id = meta["KeyId"].as_str().unwrap().to_string();
    let arn = meta["Arn"].as_str().unwrap().to_string();
    let ctx = json!({"purpose": "test"});
    let r = c.call(
        &srv.admin,
        "Encrypt",
        &json!({"KeyId": key_id, "Plaintext": b64(b"hello"), "EncryptionContext": ctx}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let blob = r.json()["CiphertextBlob"].as_str().unwrap().to_string();
    let r =
        c.call(&srv.admin, "Decrypt", &json!({"CiphertextBlob": blob, "EncryptionContext": ctx}));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["Plaintext"], b64(b"hello"));
    assert_eq!(r.json()["KeyId"], arn.as_str());
    let r = c.call(&srv.admin, "Decrypt", &json!({"CiphertextBlob": blob}));
    assert_eq!((r.status, r.error_type().as_str()), (400, "InvalidCiphertextException"));
    assert_eq!(r.header("x-amzn-errortype"), Some("InvalidCiphertextException"));
    // Still the same connection after an error.
    let r = c.call(&srv.admin, "DescribeKey", &json!({"KeyId": key_id}));
    assert_eq!(r.status, 200);
    srv.shutdown();
}

#[test]
fn authentication_errors() {
    let srv = TestServer::start(Options::default());
    let mut c = srv.connect();
    let body = b"{}";
    let base = |h: &mut Vec<(String, String)>| {
        h.push(("host".into(), srv.addr.to_string()));
        h.push(("x-amz-target".into(), "TrentService.ListKeys".into()));
        h.push(("x-amz-date".into(), common::amz_date(now_ms())));
    };

    let mut h = Vec::new();
    base(&mut h);
    let r = c.request(&h, body);
    assert_eq!((r.status, r.error_type().as_str()), (400, "MissingAuthenticationTokenException"));

    for bad in [
        "Bearer abc",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/kms/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKID, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA1 Credential=AKID/20250101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00",
    ] {
        let mut h = Vec::new();
        base(&mut h);
        h.push(("authorization".into(), bad.into()));
        let r = c.request(&h, body);
        assert_eq!((r.status, r.error_type().as_str()), (400, "IncompleteSignatureException"), "{bad}");
    }

    let unknown = Key { id: "AKIAUNKNOWN".into(), secret: "x".into() };
    let r = c.call(&unknown, "ListKeys", &json!({}));
    assert_eq!((r.status, r.error_type().as_str()), (400, "UnrecognizedClientException"));
    assert_eq!(r.message(), "The security token included in the request is invalid.");

    let wrong = Key { id: srv.admin.id.clone(), secret: format!("{}x", srv.admin.secret) };
    let r = c.call(&wrong, "ListKeys", &json!({}));
    assert_eq!((r.status, r.error_type().as_str()), (400, "InvalidSignatureException"));
    assert!(r.message().starts_with("The request signature we calculated does not match"));

    // Expired and future-dated signatures (valid signature, time out of KMS's 5-minute
    // window), with AWS's wording.
    for (offset, prefix, suffix) in [
        (-6 * 60_000, "Signature expired: ", " - 5 min.)"),
        (6 * 60_000, "Signature not yet current: ", " + 5 min.)"),
    ] {
        let h = signed_headers(srv.addr, &srv.admin, "ListKeys", body, now_ms() + offset);
        let r = c.request(&h, body);
        assert_eq!((r.status, r.error_type().as_str()), (400, "InvalidSignatureException"));
        assert!(r.message().starts_with(prefix), "{}", r.message());
        assert!(r.message().ends_with(suffix), "{}", r.message());
    }
    // Within the window is fine.
    let h = signed_headers(srv.addr, &srv.admin, "ListKeys", body, now_ms() - 4 * 60_000);
    assert_eq!(c.request(&h, body).status, 200);

    // Body changed after signing.
    let h = signed_headers(srv.addr, &srv.admin, "ListKeys", body, now_ms());
    let r = c.request(&h, b"{ }");
    assert_eq!(r.error_type(), "InvalidSignatureException");

    // Missing date header.
    let mut h = signed_headers(srv.addr, &srv.admin, "ListKeys", body, now_ms());
    h.retain(|(n, _)| n != "x-amz-date");
    let r = c.request(&h, body);
    assert_eq!(r.error_type(), "IncompleteSignatureException");

    // A credential scope that names no Region.
    let scoped = |region: &str, target: &str, body: &[u8]| {
        let mut h = vec![
            ("host".to_string(), srv.addr.to_string()),
            ("x-amz-date".to_string(), common::amz_date(now_ms())),
            ("x-amz-target".to_string(), format!("TrentService.{target}")),
        ];
        common::sign(&mut h, &srv.admin, body, &common::amz_date(now_ms()), region);
        h
    };
    let r = c.request(&scoped("mars", "ListKeys", body), body);
    assert_eq!(r.error_type(), "InvalidSignatureException");
    // Any Region is served, in that Region: the scope's Region is the request's.
    let r = c.request(&scoped("eu-west-1", "CreateKey", body), body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let made: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let arn = made["KeyMetadata"]["Arn"].as_str().unwrap();
    assert!(arn.starts_with("arn:aws:kms:eu-west-1:"), "{arn}");
    let mut listed = |region: &str| {
        let r = c.request(&scoped(region, "ListKeys", body), body);
        String::from_utf8_lossy(&r.body).contains(arn)
    };
    assert!(listed("eu-west-1"));
    assert!(!listed("us-east-1"));

    // A session token header and x-amz-content-sha256 are accepted when signed; a wrong
    // content hash is not.
    let date = common::amz_date(now_ms());
    let sha = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"; // sha256("{}")
    for (hash, ok) in [(sha, true), ("00", false)] {
        let mut h = vec![
            ("content-type".to_string(), "application/x-amz-json-1.1".to_string()),
            ("host".to_string(), srv.addr.to_string()),
            ("x-amz-date".to_string(), date.clone()),
            ("x-amz-target".to_string(), "TrentService.ListKeys".to_string()),
            ("x-amz-security-token".to_string(), "FwoGZXIvYXdzEXAMPLE".to_string()),
            ("x-amz-content-sha256".to_string(), hash.to_string()),
        ];
        common::sign(&mut h, &srv.admin, body, &date, "us-east-1");
        let r = c.request(&h, body);
        assert_eq!(r.status == 200, ok, "{r:?}");
    }
    srv.shutdown();
}

#[test]
fn access_denied_has_aws_shape() {
    let srv = TestServer::start(Options { explain_denials: true, ..Options::default() });
    let mut c = srv.connect();
    let r = c.call(&srv.admin, "CreateKey", &json!({}));
    let arn = r.json()["KeyMetadata"]["Arn"].as_str().unwrap().to_string();
    let r = c.call(&srv.carol, "DescribeKey", &json!({"KeyId": arn}));
    assert_eq!(r.status, 400);
    assert_eq!(r.error_type(), "AccessDeniedException");
    assert_eq!(r.header("x-amzn-errortype"), Some("AccessDeniedException"));
    assert_eq!(
        r.message(),
        format!(
            "User: {CAROL} is not authorized to perform: kms:DescribeKey on resource: {arn} \
             because no identity-based policy allows the kms:DescribeKey action"
        )
    );
    srv.shutdown();
}

#[test]
fn routing_errors() {
    let srv = TestServer::start(Options::default());
    let mut c = srv.connect();
    let r = c.call(&srv.admin, "NoSuchOperation", &json!({}));
    assert_eq!((r.status, r.error_type().as_str()), (400, "UnknownOperationException"));
    let mut h = signed_headers(srv.addr, &srv.admin, "ListKeys", b"{}", now_ms());
    h.retain(|(n, _)| n != "authorization");
    h.retain(|(n, _)| n != "x-amz-target");
    let date = common::amz_date(now_ms());
    h.retain(|(n, _)| n != "x-amz-date");
    h.push(("x-amz-date".into(), date.clone()));
    common::sign(&mut h, &srv.admin, b"{}", &date, "us-east-1");
    let r = c.request(&h, b"{}");
    assert_eq!((r.status, r.error_type().as_str()), (400, "UnknownOperationException"));
    let r = c.call(&srv.admin, "ListKeys", &json!([1, 2]));
    assert_eq!((r.status, r.error_type().as_str()), (400, "SerializationException"));
    srv.shutdown();
}

#[test]
fn body_cap_and_huge_headers() {
    let srv = TestServer::start(Options { body_limit: 4096, ..Options::default() });
    // Declared too large: refused before the body is read.
    let mut c = srv.connect();
    c.send_raw(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 5000000\r\n\r\n").unwrap();
    let r = c.read_response().unwrap();
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["__type"], "RequestEntityTooLargeException");
    // Chunked, growing past the cap.
    let mut c = srv.connect();
    let mut req = b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        req.extend_from_slice(b"800\r\n");
        req.extend_from_slice(&[b'a'; 0x800]);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    c.send_raw(&req).unwrap();
    assert_eq!(c.read_response().unwrap().status, 413);
    // A 200 KiB header: refused by HTTP (431) or the connection is closed; never a 500.
    let mut c = srv.connect();
    let big = format!("POST / HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n", "a".repeat(200 * 1024));
    let _ = c.send_raw(big.as_bytes());
    if let Ok(r) = c.read_response() {
        assert!(r.status == 431 || r.status == 400, "{r:?}");
    }
    // The server still serves.
    let mut c = srv.connect();
    assert_eq!(c.call(&srv.admin, "ListKeys", &json!({})).status, 200);
    srv.shutdown();
}

#[test]
fn malformed_inputs_never_500() {
    let srv = TestServer::start(Options::default());
    let mut c = srv.connect();
    let key = c.call(&srv.admin, "CreateKey", &json!({})).json()["KeyMetadata"]["KeyId"].clone();
    let bodies: Vec<Vec<u8>> = vec![
        b"{".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"x\"".to_vec(),
        b"\xff\xfe\x00".to_vec(),
        "[".repeat(10_000).into_bytes(),
        json!({"KeyId": 5, "Plaintext": [1], "CiphertextBlob": {}}).to_string().into_bytes(),
        json!({"KeyId": key, "Plaintext": "!!!not base64", "CiphertextBlob": "%%%"})
            .to_string()
            .into_bytes(),
        json!({"KeyId": key, "Plaintext": "", "CiphertextBlob": "", "Limit": -1, "Marker": "x"})
            .to_string()
            .into_bytes(),
        json!({"KeyId": key, "GranteePrincipal": "nope", "Operations": ["Bogus"], "Policy": "{"})
            .to_string()
            .into_bytes(),
        json!({"KeyId": "alias/../../x", "EncryptionContext": {"a": 1}, "GrantTokens": "t"})
            .to_string()
            .into_bytes(),
    ];
    let mut count = 0;
    for op in keyward_kms::Operation::ALL.iter().map(|o| o.as_str()) {
        for body in &bodies {
            let h = signed_headers(srv.addr, &srv.admin, op, body, now_ms());
            let r = c.request(&h, body);
            assert!(r.status < 500, "{op} {:?} -> {r:?}", String::from_utf8_lossy(body));
            let _ = r.error_type();
            count += 1;
        }
    }
    assert!(count > 100);
    // Unsigned garbage at the HTTP level too.
    for raw in [
        &b"GET / HTTP/1.1\r\nhost: x\r\n\r\n"[..],
        b"POST /foo?x=%zz HTTP/1.1\r\nhost: x\r\nauthorization: AWS4-HMAC-SHA256 Credential=\xff/x/y/z/w, SignedHeaders=;, Signature=\r\ncontent-length: 0\r\n\r\n",
    ] {
        let mut c = srv.connect();
        c.send_raw(raw).unwrap();
        let r = c.read_response().unwrap();
        assert!(r.status < 500, "{r:?}");
    }
    srv.shutdown();
}

#[test]
fn dev_principal_accepts_unknown_keys() {
    let srv = TestServer::start(Options {
        dev_principal: Some(keyward_kms::account::DEFAULT_CALLER.to_string()),
        ..Options::default()
    });
    let mut c = srv.connect();
    let test = Key { id: "test".into(), secret: "test".into() };
    let r = c.call(&test, "CreateKey", &json!({}));
    assert_eq!(r.status, 200, "{r:?}");
    // Known keys are still verified.
    let wrong = Key { id: srv.admin.id.clone(), secret: "nope".into() };
    assert_eq!(c.call(&wrong, "ListKeys", &json!({})).error_type(), "InvalidSignatureException");
    srv.shutdown();
}

#[test]
fn graceful_shutdown_is_prompt_with_idle_connections() {
    let srv = TestServer::start(Options::default());
    let mut idle = srv.connect();
    assert_eq!(idle.call(&srv.admin, "ListKeys", &json!({})).status, 200);
    let took = srv.shutdown();
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
}

#[test]
fn remote_addresses_need_a_flag() {
    let any: std::net::SocketAddr = "0.0.0.0:4599".parse().unwrap();
    assert!(keyward_server::check_addr(any, false).is_err());
    assert!(keyward_server::check_addr(any, true).is_ok());
    assert!(keyward_server::check_addr("127.0.0.1:0".parse().unwrap(), false).is_ok());
    assert!(keyward_server::check_addr("[::1]:0".parse().unwrap(), false).is_ok());
}

#[test]
fn slow_clients_are_cut_off() {
    use std::io::Read;
    let srv = TestServer::start(Options {
        header_timeout: std::time::Duration::from_millis(500),
        body_timeout: std::time::Duration::from_millis(500),
        ..Options::default()
    });
    // Headers never finished: the connection is closed after the header timeout.
    let mut c = srv.connect();
    c.send_raw(b"POST / HTTP/1.1\r\nhost: x\r\n").unwrap();
    let t = std::time::Instant::now();
    let mut buf = [0u8; 256];
    let n = c.s.read(&mut buf).unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(t.elapsed() < std::time::Duration::from_secs(5));
    // Body never finished: 408 in AWS error shape.
    let mut c = srv.connect();
    c.send_raw(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{\"a\"").unwrap();
    let r = c.read_response().unwrap();
    assert_eq!((r.status, r.error_type().as_str()), (408, "RequestTimeoutException"));
    // An idle keep-alive connection is closed after the timeout too.
    let mut c = srv.connect();
    assert_eq!(c.call(&srv.admin, "ListKeys", &json!({})).status, 200);
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let n = c.s.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0);
    srv.shutdown();
}

#[test]
fn many_connections_are_bounded_not_refused() {
    let srv = TestServer::start(Options { max_connections: 4, ..Options::default() });
    let addr = srv.addr;
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let admin = srv.admin.clone();
            std::thread::spawn(move || {
                // At the limit, a new connection replaces one that has waited longest for its
                // request (an idle keep-alive one); a client whose idle connection was closed
                // reconnects, as the SDKs do. Every call is answered.
                let mut c = common::connect_to(addr);
                for _ in 0..5 {
                    let mut answered = false;
                    for _attempt in 0..20 {
                        let body = b"{}";
                        let h = signed_headers(addr, &admin, "ListKeys", body, now_ms());
                        let mut req = String::from("POST / HTTP/1.1\r\n");
                        for (n, v) in &h {
                            req.push_str(&format!("{n}: {v}\r\n"));
                        }
                        req.push_str("content-length: 2\r\n\r\n{}");
                        match c.send_raw(req.as_bytes()).and_then(|()| c.read_response()) {
                            Ok(r) => {
                                assert_eq!(r.status, 200, "{r:?}");
                                answered = true;
                                break;
                            }
                            Err(_) => c = common::connect_to(addr),
                        }
                    }
                    assert!(answered, "a call was never answered");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    srv.shutdown();
}

#[test]
fn shutdown_finishes_in_flight_requests() {
    let srv = TestServer::start(Options::default());
    let mut c = srv.connect();
    let admin = srv.admin.clone();
    // RSA-4096 generation takes a while: it is in flight when shutdown starts.
    let t = std::thread::spawn(move || {
        c.call(&admin, "CreateKey", &json!({"KeySpec": "RSA_4096", "KeyUsage": "SIGN_VERIFY"}))
    });
    std::thread::sleep(std::time::Duration::from_millis(150));
    srv.shutdown();
    let r = t.join().unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["KeyMetadata"]["KeySpec"], "RSA_4096");
}
