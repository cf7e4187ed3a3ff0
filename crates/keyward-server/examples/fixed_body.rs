//! The transport's limit on this machine, for `scripts/bench-peers`: a minimal hyper HTTP/1.1
//! server (the same hyper, tokio runtime and keep-alive as `keyward serve`) that reads each
//! request body and answers one fixed body shaped like a Decrypt of 1 KiB, with a request id
//! header as AWS sends (the body also carries the
//! `KeyMetadata.KeyId` and `CiphertextBlob` the load example reads from CreateKey and Encrypt).
//!
//! `cargo run --release -p keyward-server --example fixed_body -- PORT` (127.0.0.1 only; runs
//! until killed). Drive it with `LOAD_TARGET=127.0.0.1:PORT` and the load example.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "benchmark")]

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;

fn main() {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    let plain = base64::engine::general_purpose::STANDARD.encode([7u8; 1024]);
    let body = Bytes::from(
        serde_json::json!({
            "KeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "Plaintext": plain,
            "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
            "KeyMetadata": {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"},
            "CiphertextBlob": "AAAA",
        })
        .to_string(),
    );
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        eprintln!("fixed_body listening on {}", listener.local_addr().unwrap());
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let _ = stream.set_nodelay(true);
            let body = body.clone();
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let body = body.clone();
                async move {
                    let _ = req.into_body().collect().await;
                    Ok::<_, Infallible>(
                        Response::builder()
                            .header("content-type", "application/x-amz-json-1.1")
                            .header("x-amzn-requestid", "00000000-0000-4000-8000-000000000000")
                            .body(Full::new(body))
                            .unwrap(),
                    )
                }
            });
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
