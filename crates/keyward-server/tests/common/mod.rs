//! Test helpers: an in-process `keyward serve` on 127.0.0.1:0 over an in-memory KMS, a raw
//! HTTP/1.1 client over `TcpStream`, and an independent SigV4 signer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]
#![allow(dead_code, unreachable_pub, reason = "shared by several test files")]

use hmac::{Hmac, Mac};
use keyward_kms::account::DEFAULT_CALLER;
use keyward_kms::{Config, Kms};
use keyward_server::{Options, Server};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub const CAROL: &str = "arn:aws:iam::111122223333:user/carol";

/// An access key created in the test KMS.
#[derive(Clone)]
pub struct Key {
    pub id: String,
    pub secret: String,
}

/// A running server; shut down and joined on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    pub admin: Key,
    pub carol: Key,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server; the access log is off unless `KEYWARD_TEST_LOG` is set.
    pub fn start(opts: Options) -> TestServer {
        TestServer::start_with(opts, |_| {})
    }

    /// Like [`TestServer::start`], with `setup` run on the KMS before it is served.
    pub fn start_with(mut opts: Options, setup: impl FnOnce(&mut Kms)) -> TestServer {
        if std::env::var_os("KEYWARD_TEST_LOG").is_none() {
            opts.log_format = keyward_server::LogFormat::Off;
        }
        let mut kms = Kms::in_memory(Box::new(rand_core::OsRng), Config::default());
        kms.seed_defaults().unwrap();
        kms.put_identity(CAROL, Vec::new(), None, Vec::new()).unwrap();
        let now = now_ms();
        let a = kms.create_access_key(DEFAULT_CALLER, None, now).unwrap();
        let c = kms.create_access_key(CAROL, None, now).unwrap();
        let key = |r: &keyward_kms::record::AccessKeyRecord| Key {
            id: r.id.clone(),
            secret: String::from_utf8(r.secret.expose().to_vec()).unwrap(),
        };
        let (admin, carol) = (key(&a), key(&c));
        setup(&mut kms);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
                let server = Server::bind(addr, kms, opts).await.unwrap();
                addr_tx.send(server.local_addr().unwrap()).unwrap();
                server
                    .run(async {
                        let _ = stop_rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        TestServer { addr, admin, carol, stop: Some(stop_tx), thread: Some(thread) }
    }

    pub fn connect(&self) -> Conn {
        connect_to(self.addr)
    }

    /// Stops the server and waits (bounded) for it to finish.
    pub fn shutdown(mut self) -> Duration {
        let start = std::time::Instant::now();
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let deadline = start + Duration::from_secs(20);
            while !t.is_finished() {
                assert!(std::time::Instant::now() < deadline, "server did not stop");
                std::thread::sleep(Duration::from_millis(10));
            }
            t.join().unwrap();
        }
        start.elapsed()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// A connection to a loopback address.
pub fn connect_to(addr: SocketAddr) -> Conn {
    assert!(addr.ip().is_loopback(), "tests only talk to loopback");
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    s.set_nodelay(true).unwrap();
    Conn { s, addr, buf: Vec::new() }
}

pub fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis(),
    )
    .unwrap()
}

/// A response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// `__type` of an error response.
    pub fn error_type(&self) -> String {
        self.json()["__type"].as_str().unwrap_or_default().to_string()
    }

    pub fn message(&self) -> String {
        self.json()["message"].as_str().unwrap_or_default().to_string()
    }
}

/// One keep-alive connection.
pub struct Conn {
    pub s: TcpStream,
    pub addr: SocketAddr,
    buf: Vec<u8>,
}

impl Conn {
    /// Writes raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.s.write_all(bytes)
    }

    /// Reads one response (Content-Length framed, as the server always sends).
    pub fn read_response(&mut self) -> std::io::Result<Resp> {
        let end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill()?;
        };
        let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line.split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        while self.buf.len() < end + len {
            self.fill()?;
        }
        let body = self.buf[end..end + len].to_vec();
        self.buf.drain(..end + len);
        Ok(Resp { status, headers, body })
    }

    fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.s.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed"));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// Sends a request with `headers` and `body`, and reads the response; every response must
    /// carry a request id.
    pub fn request(&mut self, headers: &[(String, String)], body: &[u8]) -> Resp {
        let mut req = String::from("POST / HTTP/1.1\r\n");
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        req.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.send_raw(&bytes).unwrap();
        let r = self.read_response().unwrap();
        assert!(r.header("x-amzn-requestid").is_some_and(|v| !v.is_empty()), "{r:?}");
        r
    }

    /// A signed KMS call.
    pub fn call(&mut self, key: &Key, op: &str, body: &serde_json::Value) -> Resp {
        let body = body.to_string().into_bytes();
        let headers = signed_headers(self.addr, key, op, &body, now_ms());
        self.request(&headers, &body)
    }
}

/// Headers of a Query request (IAM, STS) signed for `service`; `token` is a session token.
pub fn query_headers(
    addr: SocketAddr,
    key: &Key,
    service: &str,
    token: Option<&str>,
    body: &[u8],
    time_ms: i64,
) -> Vec<(String, String)> {
    let date = amz_date(time_ms);
    let mut h = vec![
        ("content-type".to_string(), "application/x-www-form-urlencoded".to_string()),
        ("host".to_string(), addr.to_string()),
        ("x-amz-date".to_string(), date.clone()),
    ];
    if let Some(t) = token {
        h.push(("x-amz-security-token".to_string(), t.to_string()));
    }
    sign_for(&mut h, key, body, &date, "us-east-1", service);
    h
}

/// Headers of a KMS request signed with temporary credentials (`token`).
pub fn session_headers(
    addr: SocketAddr,
    key: &Key,
    token: &str,
    op: &str,
    body: &[u8],
    time_ms: i64,
) -> Vec<(String, String)> {
    let mut h = signed_headers(addr, key, op, body, time_ms);
    // Re-signed with the token among the signed headers, as the SDKs sign it.
    h.retain(|(n, _)| n != "authorization");
    h.push(("x-amz-security-token".to_string(), token.to_string()));
    let date = h.iter().find(|(n, _)| n == "x-amz-date").map(|(_, v)| v.clone()).unwrap();
    sign(&mut h, key, body, &date, "us-east-1");
    h
}

/// The text of the first `<tag>…</tag>` in an XML body.
pub fn xml_field(body: &[u8], tag: &str) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let start = text.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = text[start..].find(&format!("</{tag}>"))? + start;
    Some(text[start..end].to_string())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// `YYYYMMDDTHHMMSSZ` for epoch milliseconds (independent of the server's formatter).
pub fn amz_date(ms: i64) -> String {
    let secs = ms / 1000;
    let (mut days, rem) = (secs / 86_400, secs % 86_400);
    let mut year = 1970;
    loop {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let len = if leap { 366 } else { 365 };
        if days < len {
            break;
        }
        days -= len;
        year += 1;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let months = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 0;
    while days >= months[month] {
        days -= months[month];
        month += 1;
    }
    format!(
        "{year:04}{:02}{:02}T{:02}{:02}{:02}Z",
        month + 1,
        days + 1,
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Headers of a request signed the way botocore signs KMS calls.
pub fn signed_headers(
    addr: SocketAddr,
    key: &Key,
    op: &str,
    body: &[u8],
    time_ms: i64,
) -> Vec<(String, String)> {
    let date = amz_date(time_ms);
    let mut h = vec![
        ("content-type".to_string(), "application/x-amz-json-1.1".to_string()),
        ("host".to_string(), addr.to_string()),
        ("x-amz-date".to_string(), date.clone()),
        ("x-amz-target".to_string(), format!("TrentService.{op}")),
    ];
    sign(&mut h, key, body, &date, "us-east-1");
    h
}

/// Adds `authorization` over every header in `h` (sorted by name).
pub fn sign(h: &mut Vec<(String, String)>, key: &Key, body: &[u8], date: &str, region: &str) {
    sign_for(h, key, body, date, region, "kms");
}

/// [`sign`] with the credential scope of `service` (`iam`, `sts`).
pub fn sign_for(
    h: &mut Vec<(String, String)>,
    key: &Key,
    body: &[u8],
    date: &str,
    region: &str,
    service: &str,
) {
    h.sort();
    let names: Vec<&str> = h.iter().map(|(n, _)| n.as_str()).collect();
    let signed = names.join(";");
    let canonical_headers: String = h.iter().map(|(n, v)| format!("{n}:{}\n", v.trim())).collect();
    let canonical =
        format!("POST\n/\n\n{canonical_headers}\n{signed}\n{}", hex(&Sha256::digest(body)));
    let day = &date[..8];
    let scope = format!("{day}/{region}/{service}/aws4_request");
    let sts = format!(
        "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let k = hmac(format!("AWS4{}", key.secret).as_bytes(), day);
    let k = hmac(&hmac(&hmac(&k, region), service), "aws4_request");
    let sig = hex(&hmac(&k, &sts));
    h.push((
        "authorization".to_string(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={sig}",
            key.id
        ),
    ));
}
