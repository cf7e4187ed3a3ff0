//! The HTTP side: a tokio accept loop with bounded concurrency, hyper HTTP/1.1 connections
//! (keep-alive, header/idle timeout, header size cap), the body cap and body timeout, response
//! headers, the access log, and graceful shutdown.

use crate::conns::Conns;
use crate::handler::{self, Incoming, Reply, Shared};
use crate::log::Entry;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming as Body;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;

/// A bound server, ready to [`Server::run`].
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
}

/// Request ids: a per-process random-ish prefix and a counter, in UUID shape.
#[derive(Debug)]
struct RequestIds {
    seed: u64,
    next: AtomicU64,
}

impl RequestIds {
    fn new() -> RequestIds {
        let t = u64::try_from(handler::now_ms()).unwrap_or(0);
        let seed =
            (t ^ u64::from(std::process::id()).rotate_left(32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        RequestIds { seed, next: AtomicU64::new(1) }
    }

    /// `{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}` of the seed's high bits, the mixed counter's
    /// and the counter, written digit by digit (this runs for every request).
    fn next(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mixed = (n ^ self.seed).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let mut s = String::with_capacity(36);
        push_hex(&mut s, self.seed >> 32, 8);
        s.push('-');
        push_hex(&mut s, (self.seed >> 16) & 0xffff, 4);
        s.push_str("-4");
        push_hex(&mut s, (mixed >> 52) & 0xfff, 3);
        s.push_str("-a");
        push_hex(&mut s, (mixed >> 40) & 0xfff, 3);
        s.push('-');
        push_hex(&mut s, n & 0xffff_ffff_ffff, 12);
        s
    }
}

/// Appends the low `digits` hex digits of `v`, lower-case, zero-padded.
fn push_hex(s: &mut String, v: u64, digits: u32) {
    for i in (0..digits).rev() {
        let d = (v >> (4 * i)) & 0xf;
        s.push(char::from_digit(u32::try_from(d).unwrap_or(0), 16).unwrap_or('0'));
    }
}

impl Server {
    /// Binds `addr` (the caller checks loopback policy; see [`crate::check_addr`]).
    pub async fn bind(
        addr: SocketAddr,
        kms: keyward_kms::Kms,
        opts: crate::Options,
    ) -> std::io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr().ok();
        let mut kms = kms;
        let trail = match &opts.cloudtrail {
            Some(c) => {
                kms.record_service_events(true);
                Some(crate::trail::Trail::start(c.clone())?)
            }
            None => None,
        };
        let shared = Arc::new(Shared {
            kms: std::sync::Mutex::new(kms),
            opts,
            local,
            trail,
            clock_offset_ms: std::sync::atomic::AtomicI64::new(0),
            signing_keys: crate::sigv4::KeyCache::default(),
        });
        Ok(Server { listener, shared })
    }

    /// The address actually bound (the real port for `:0`).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then stops accepting, lets in-flight requests finish
    /// (up to the grace period) and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let Server { listener, shared } = self;
        let ids = Arc::new(RequestIds::new());
        // A new connection gets this long to deliver its request before it may be replaced.
        let grace = shared.opts.header_timeout.min(std::time::Duration::from_millis(100));
        let conns = Arc::new(Conns::new(
            shared.opts.max_connections,
            shared.opts.max_connections_per_ip,
            grace,
        ));
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .keep_alive(true)
            .header_read_timeout(shared.opts.header_timeout)
            .max_buf_size(shared.opts.max_header_bytes.max(8192))
            .max_headers(100);
        tokio::pin!(shutdown);
        'accept: loop {
            let (stream, peer) = tokio::select! {
                () = &mut shutdown => break,
                r = listener.accept() => match r {
                    Ok(x) => x,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        eprintln!("keyward serve: accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            // Room is made by closing the connection that has waited longest for its request;
            // only when every connection is busy does this one wait for a slot.
            let admitted = loop {
                let freed = conns.freed.notified();
                if let Some(a) = conns.admit(peer.ip()) {
                    break a;
                }
                tokio::select! {
                    () = &mut shutdown => break 'accept,
                    () = freed => {}
                    () = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
                }
            };
            let _ = stream.set_nodelay(true);
            let shared = Arc::clone(&shared);
            let ids = Arc::clone(&ids);
            let id = admitted.id;
            let table = Arc::clone(&conns);
            let service = hyper::service::service_fn(move |req: Request<Body>| {
                let shared = Arc::clone(&shared);
                let table = Arc::clone(&table);
                let rid = ids.next();
                async move {
                    let reply =
                        serve_one(shared, req, peer.ip(), rid, || table.set_busy(id, true)).await;
                    table.set_busy(id, false);
                    Ok::<_, Infallible>(reply)
                }
            });
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let conn = graceful.watch(conn);
            let table = Arc::clone(&conns);
            tokio::spawn(async move {
                // Client errors (resets, timeouts, malformed HTTP) just end the connection;
                // so does being chosen to make room for a new one.
                tokio::select! {
                    _ = conn => {}
                    () = admitted.evict.notified() => {}
                }
                table.remove(id);
            });
        }
        drop(listener);
        let grace = shared.opts.shutdown_grace;
        if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
            eprintln!("keyward serve: some connections were still busy after {grace:?}");
        }
        if let Some(t) = &shared.trail {
            t.close(std::time::Duration::from_secs(10));
        }
        crate::log::flush();
        Ok(())
    }
}

fn respond(reply: Reply, request_id: &str) -> Response<Full<Bytes>> {
    let mut builder = Response::builder()
        .status(reply.status)
        .header("content-type", if reply.xml { "text/xml" } else { "application/x-amz-json-1.1" })
        .header("x-amzn-requestid", request_id);
    if let Some(code) = &reply.error_type {
        builder = builder.header("x-amzn-errortype", code.as_str());
    }
    match builder.body(Full::new(Bytes::from(reply.body))) {
        Ok(r) => r,
        Err(_) => {
            let mut r = Response::new(Full::new(Bytes::from_static(
                br#"{"__type":"InternalFailure","message":"response could not be built"}"#,
            )));
            *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
    }
}

fn early(shared: &Shared, rid: &str, reply: Reply, op: Option<String>) -> Response<Full<Bytes>> {
    let entry = Entry {
        time_ms: handler::now_ms(),
        request_id: rid.to_string(),
        operation: op,
        result: reply.error_type.clone().unwrap_or_default(),
        status: reply.status,
        ..Entry::default()
    };
    entry.emit(shared.opts.log_format);
    respond(reply, rid)
}

fn too_large(limit: usize) -> Reply {
    Reply::error(
        413,
        "RequestEntityTooLargeException",
        &format!("Request body must be at most {limit} bytes."),
    )
}

/// Serves one request; `arrived` is called once its body has fully arrived (from then on the
/// connection is busy and is not closed to make room for others).
async fn serve_one(
    shared: Arc<Shared>,
    req: Request<Body>,
    peer: IpAddr,
    rid: String,
    arrived: impl FnOnce(),
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let op =
        parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok()).map(|t| {
            t.strip_prefix(handler::TARGET_PREFIX).unwrap_or(t).chars().take(64).collect()
        });
    let limit = shared.opts.body_limit;
    let declared = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return early(&shared, &rid, too_large(limit), op);
    }
    let collected =
        tokio::time::timeout(shared.opts.body_timeout, Limited::new(body, limit).collect()).await;
    let body = match collected {
        Ok(Ok(c)) => c.to_bytes(),
        Ok(Err(e)) => {
            let reply = if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                too_large(limit)
            } else {
                Reply::error(400, "SerializationException", "The request body could not be read.")
            };
            return early(&shared, &rid, reply, op);
        }
        Err(_) => {
            let reply =
                Reply::error(408, "RequestTimeoutException", "The request body was too slow.");
            return early(&shared, &rid, reply, op);
        }
    };
    arrived();
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let target = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    let rsa = crate::material::rsa_bits_needed(handler::operation(target), &body);
    let slow = handler::is_slow(target) || !rsa.is_empty();
    let rid_copy = rid.clone();
    let run = move |shared: &Shared| {
        let incoming = Incoming {
            method: &method,
            path: &path,
            query: query.as_deref(),
            headers: &headers,
            body: &body,
            peer,
        };
        // RSA keys are generated here, with no lock held, and handed to the call.
        let keys = if !rsa.is_empty() && handler::authenticates(shared, &incoming) {
            crate::material::make(&rsa)
        } else {
            Vec::new()
        };
        keyward_kms::crypto::premade::scope(keys, || handler::handle(shared, &incoming, &rid))
    };
    let (reply, entry) = if slow {
        let s = Arc::clone(&shared);
        match tokio::task::spawn_blocking(move || run(&s)).await {
            Ok(x) => x,
            Err(_) => (
                Reply::error(500, "KMSInternalException", "The request failed internally."),
                Entry { request_id: rid_copy, status: 500, ..Entry::default() },
            ),
        }
    } else {
        run(&shared)
    };
    entry.emit(shared.opts.log_format);
    respond(reply, &entry.request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Request ids keep the UUID version 4 shape and the exact digits `format!` gave.
    #[test]
    fn request_ids_are_uuid_shaped() {
        let ids = RequestIds { seed: 0x0123_4567_89ab_cdef, next: AtomicU64::new(0x1234) };
        let n = 0x1234u64;
        let mixed = (n ^ ids.seed).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let want = format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            ids.seed >> 32,
            (ids.seed >> 16) & 0xffff,
            (mixed >> 52) & 0xfff,
            (mixed >> 40) & 0xfff,
            n
        );
        let got = ids.next();
        assert_eq!(got, want);
        assert!(got.starts_with("01234567-89ab-4"), "{got}");
        assert_ne!(ids.next(), got);
    }
}
