//! One request, independent of HTTP plumbing: authenticate (SigV4), route the
//! `X-Amz-Target`, parse the JSON body, call the KMS under its lock, and shape the reply and
//! the access-log entry as AWS JSON 1.1 does.

use crate::log::Entry;
use crate::sigv4::{self, AuthError, SignedRequest};
use crate::Options;
use keyward_kms::{Caller, Kms, KmsError, Operation};
use serde_json::{json, Value};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;
use zeroize::Zeroizing;

/// The target prefix of the KMS API.
pub const TARGET_PREFIX: &str = "TrentService.";

/// State shared by every connection.
#[derive(Debug)]
pub struct Shared {
    /// The KMS: one writer at a time.
    pub kms: Mutex<Kms>,
    /// Server options.
    pub opts: Options,
    /// The address the server listens on: with the dev switch on, a `Host` naming it is
    /// accepted besides the loopback names.
    pub local: Option<std::net::SocketAddr>,
    /// The CloudTrail recorder, when on.
    pub trail: Option<crate::trail::Trail>,
    /// How far the server's clock is moved ahead of the wall clock (`--test-clock` only),
    /// milliseconds: it times sessions and policies, never the SigV4 window.
    pub clock_offset_ms: std::sync::atomic::AtomicI64,
    /// SigV4 signing keys already derived (per access key, secret and credential scope).
    pub signing_keys: sigv4::KeyCache,
}

impl Shared {
    /// The server's clock: the wall clock plus the test offset.
    pub fn clock(&self, wall_ms: i64) -> i64 {
        wall_ms.saturating_add(self.clock_offset_ms.load(std::sync::atomic::Ordering::Relaxed))
    }
}

/// A request as read off the wire.
#[derive(Debug)]
pub struct Incoming<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path as sent.
    pub path: &'a str,
    /// Query string, if any.
    pub query: Option<&'a str>,
    /// Headers: lower-case name, value (non-UTF-8 values are dropped).
    pub headers: &'a [(String, String)],
    /// Body.
    pub body: &'a [u8],
    /// Client address.
    pub peer: IpAddr,
}

impl Incoming<'_> {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// What to send back.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Vec<u8>,
    /// The error code for `x-amzn-ErrorType`, on errors.
    pub error_type: Option<String>,
    /// The body is XML (IAM and STS), not JSON.
    pub xml: bool,
}

impl Reply {
    /// An AWS JSON 1.1 error reply.
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        // Errors AWS sends without a message (InvalidCiphertextException,
        // KMSInvalidSignatureException, ...) carry no `message` member at all.
        let body = if message.is_empty() {
            json!({ "__type": code })
        } else {
            json!({ "__type": code, "message": message })
        };
        let body = body.to_string().into_bytes();
        Reply { status, body, error_type: Some(code.to_string()), xml: false }
    }
}

/// Who the request acts as.
pub(crate) struct Identity {
    pub(crate) principal: String,
    pub(crate) session_policy: Option<String>,
    /// The access key the request was signed with (for the dev principal: the unknown one).
    pub(crate) access_key: Option<String>,
    /// The Region of the credential scope: the Region the request is served in.
    pub(crate) region: String,
    /// Temporary credentials' facts (STS AssumeRole).
    pub(crate) session: Option<keyward_kms::record::SessionRecord>,
    /// Signed with an unknown key under `--dev-principal`.
    pub(crate) dev: bool,
}

impl Identity {
    /// The context keys a session adds at server time `clock`: its tags as
    /// `aws:PrincipalTag/K` (over the role's), `aws:SourceIdentity`, and
    /// `aws:MultiFactorAuthPresent` (with `aws:MultiFactorAuthAge` when MFA made the session).
    pub(crate) fn session_context(&self, clock: i64) -> Vec<(String, String)> {
        let Some(s) = &self.session else { return Vec::new() };
        let mut v: Vec<(String, String)> = s
            .tags
            .iter()
            .map(|t| (format!("aws:PrincipalTag/{}", t.tag_key), t.tag_value.clone()))
            .collect();
        if let Some(src) = &s.source_identity {
            v.push(("aws:SourceIdentity".to_string(), src.clone()));
        }
        match s.mfa_ms {
            Some(t) => {
                v.push(("aws:MultiFactorAuthPresent".to_string(), "true".to_string()));
                let age = (clock.saturating_sub(t) / 1000).max(0);
                v.push(("aws:MultiFactorAuthAge".to_string(), age.to_string()));
            }
            None => v.push(("aws:MultiFactorAuthPresent".to_string(), "false".to_string())),
        }
        v
    }
}

/// The operation named by `X-Amz-Target`, if it is a KMS operation keyward serves.
pub fn operation(target: Option<&str>) -> Option<Operation> {
    Operation::parse(target?.trim().strip_prefix(TARGET_PREFIX)?)
}

/// Operations slow enough (asymmetric key generation) to run off the async workers, as the
/// operation table records them.
pub fn is_slow(target: Option<&str>) -> bool {
    operation(target).is_some_and(Operation::is_slow)
}

/// The server clock, epoch milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Whether a `Host` header value names this machine's loopback interface (`localhost`,
/// `127.0.0.0/8`, `[::1]`, with or without a port) or the address the server listens on.
/// With the dev switch on, any other value is refused: a browser page that rebinds its own
/// DNS name to 127.0.0.1 sends its own name as `Host`, so this stops it reaching the
/// unauthenticated dev principal.
pub fn host_allowed(host: &str, local: Option<std::net::SocketAddr>) -> bool {
    let host = host.trim();
    let name = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((ip, tail)) if tail.is_empty() || tail.starts_with(':') => ip,
            _ => return false,
        },
        None => match host.rsplit_once(':') {
            Some((name, port))
                if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) =>
            {
                name
            }
            Some(_) => return false,
            None => host,
        },
    };
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match name.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback() || local.is_some_and(|l| l.ip() == ip && !ip.is_unspecified()),
        Err(_) => false,
    }
}

/// Whether `req` authenticates (the server makes key material ahead only for such requests,
/// so an unauthenticated client cannot make it generate RSA keys).
pub fn authenticates(shared: &Shared, req: &Incoming<'_>) -> bool {
    let now = now_ms();
    authenticate(shared, req, now, shared.clock(now), None).is_ok()
}

/// Authenticates `req` at wall-clock time `now` (the SigV4 window) and server time `clock`
/// (session expiry); `query` names the IAM/STS scope (service, Region rule) instead of KMS's.
pub(crate) fn authenticate(
    shared: &Shared,
    req: &Incoming<'_>,
    now: i64,
    clock: i64,
    query: Option<(&str, Option<&str>)>,
) -> Result<Identity, AuthError> {
    if shared.opts.dev_principal.is_some()
        && !req.header("host").is_some_and(|h| host_allowed(h, shared.local))
    {
        return Err(AuthError {
            code: "UnrecognizedClientException",
            message: "The Host header must name the loopback interface or the server's address \
                      while --dev-principal is on."
                .to_string(),
        });
    }
    let Some(header) = req.header("authorization") else {
        return Err(AuthError {
            code: "MissingAuthenticationTokenException",
            message: "Missing Authentication Token".to_string(),
        });
    };
    let auth = sigv4::parse_authorization(header)?;
    let invalid = || AuthError {
        code: "UnrecognizedClientException",
        message: "The security token included in the request is invalid.".to_string(),
    };
    let record = {
        let kms = shared.kms.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // A deleted, deactivated or orphaned key is refused as AWS refuses it, and never
        // falls through to the dev principal.
        kms.usable_access_key(&auth.access_key).map_err(|()| invalid())?.map(|r| {
            (
                Zeroizing::new(r.secret.expose().to_vec()),
                r.principal.clone(),
                r.session_policy.clone(),
                r.session.clone(),
            )
        })
    };
    let Some((secret, principal, session_policy, session)) = record else {
        if let Some(dev) = &shared.opts.dev_principal {
            // Unsigned for keyward, but a request for another Region is served in that
            // Region, never silently in the default one.
            let region = if sigv4::is_region(&auth.region) {
                auth.region
            } else {
                shared.opts.region.clone()
            };
            return Ok(Identity {
                principal: dev.clone(),
                session_policy: None,
                access_key: Some(auth.access_key),
                session: None,
                dev: true,
                region,
            });
        }
        return Err(invalid());
    };
    if let Some(s) = &session {
        // Temporary credentials are valid only with their session token.
        let token = req.header("x-amz-security-token").unwrap_or_default();
        if !sigv4::same_secret(token.trim().as_bytes(), s.token.expose()) {
            return Err(invalid());
        }
    }
    let signed = SignedRequest {
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req.headers,
        body: req.body,
    };
    let (amz_date, _) = sigv4::request_time(&signed, now)?;
    match query {
        Some((service, region)) => sigv4::check_scope_for(&auth, &amz_date, service, region)?,
        None => sigv4::check_scope(&auth, &amz_date)?,
    }
    sigv4::verify_cached(&signed, &auth, &amz_date, &secret, Some(&shared.signing_keys))?;
    if session.as_ref().is_some_and(|s| clock >= s.expires_ms) {
        return Err(AuthError {
            code: "ExpiredTokenException",
            message: "The security token included in the request is expired".to_string(),
        });
    }
    Ok(Identity {
        principal,
        session_policy,
        session,
        dev: false,
        access_key: Some(auth.access_key),
        region: auth.region,
    })
}

/// The key a call concerns, for the log: the request's `KeyId`, else the response's.
fn key_of(input: &Value, output: Option<&Value>) -> Option<String> {
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    s(input.get("KeyId"))
        .or_else(|| s(output.and_then(|o| o.get("KeyId"))))
        .or_else(|| s(output.and_then(|o| o.get("KeyMetadata")).and_then(|m| m.get("KeyId"))))
}

fn kms_error(e: &KmsError) -> Reply {
    let status = if e.code.is_fault() { 500 } else { 400 };
    Reply::error(status, e.code.as_str(), &e.message)
}

/// Handles one request; returns the reply and the access-log entry.
pub fn handle(shared: &Shared, req: &Incoming<'_>, request_id: &str) -> (Reply, Entry) {
    let start = Instant::now();
    let now = now_ms();
    let target = req.header("x-amz-target");
    let mut entry = Entry {
        time_ms: now,
        request_id: request_id.to_string(),
        principal: None,
        operation: target
            .map(|t| t.trim().strip_prefix(TARGET_PREFIX).unwrap_or(t).chars().take(64).collect()),
        key_id: None,
        result: String::new(),
        status: 0,
        latency_us: 0,
    };
    let reply = match (crate::route::test_clock(shared, req), crate::route::query_service(req)) {
        (Some(r), _) => r,
        (None, Some(service)) => {
            crate::route::handle(shared, req, request_id, now, service, &mut entry)
        }
        (None, None) => respond(shared, req, request_id, now, &mut entry),
    };
    entry.status = reply.status;
    entry.result = match &reply.error_type {
        Some(code) => code.clone(),
        None => "Allow".to_string(),
    };
    entry.latency_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    (reply, entry)
}

fn respond(
    shared: &Shared,
    req: &Incoming<'_>,
    request_id: &str,
    now: i64,
    entry: &mut Entry,
) -> Reply {
    let clock = shared.clock(now);
    let identity = match authenticate(shared, req, now, clock, None) {
        Ok(i) => i,
        Err(e) => return Reply::error(400, e.code, &e.message),
    };
    entry.principal = Some(identity.principal.clone());
    if req.method != "POST" {
        return Reply::error(
            400,
            "UnknownOperationException",
            "The AWS JSON 1.1 protocol takes POST requests only.",
        );
    }
    let Some(op) = operation(req.header("x-amz-target")) else {
        let message = match req.header("x-amz-target") {
            None => "Missing X-Amz-Target header; expected TrentService.<Operation>.".to_string(),
            Some(t) => format!("Unknown operation `{}`.", t.chars().take(128).collect::<String>()),
        };
        return Reply::error(400, "UnknownOperationException", &message);
    };
    let input: Value = if req.body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(serde_json::Map::new())
    } else {
        match serde_json::from_slice(req.body) {
            Ok(v) => v,
            Err(e) => {
                return Reply::error(
                    400,
                    "SerializationException",
                    &format!("The request body is not valid JSON: {e}"),
                )
            }
        }
    };
    if !input.is_object() {
        return Reply::error(
            400,
            "SerializationException",
            "Start of structure or map found where not expected.",
        );
    }
    let caller = Caller {
        extra_context: identity.session_context(clock),
        principal: identity.principal,
        now_ms: clock,
        source_ip: Some(req.peer.to_string()),
        session_policy: identity.session_policy,
        region: Some(identity.region),
        ..Caller::default()
    };
    let result = {
        let mut kms = shared.kms.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let meta = crate::trail::RequestMeta {
            access_key: identity.access_key.as_deref(),
            user_agent: req.header("user-agent"),
            request_id,
        };
        crate::trail::call_kms(shared.trail.as_ref(), &mut kms, &caller, op, &input, &meta)
    };
    match result {
        Ok(out) => {
            entry.key_id = key_of(&input, Some(&out));
            let mut body = Vec::with_capacity(256);
            write_json(&out, &mut body);
            Reply { status: 200, body, error_type: None, xml: false }
        }
        Err(e) => {
            entry.key_id = key_of(&input, None);
            if let Some(ex) = &e.explanation {
                let wanted = shared.opts.explain_denials
                    || req.header("x-keyward-explain").is_some_and(|v| v.trim() == "1");
                if wanted {
                    eprintln!(
                        "keyward serve: request {request_id} denied ({}):\n{}",
                        e.message,
                        keyward_core::eval::render_human(ex)
                    );
                }
            }
            kms_error(&e)
        }
    }
}

/// Writes `v` with exactly the bytes of `serde_json::to_vec`, but copies a string that needs no
/// escaping whole instead of checking it byte by byte: base64 blobs are most of a reply.
fn write_json(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::String(s) => write_json_str(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(x, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (k, x)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json_str(k, out);
                out.push(b':');
                write_json(x, out);
            }
            out.push(b'}');
        }
        // Null, booleans and numbers: serde_json's own text (writing to a Vec cannot fail).
        other => {
            let _ = serde_json::to_writer(&mut *out, other);
        }
    }
}

fn write_json_str(s: &str, out: &mut Vec<u8>) {
    // serde_json escapes exactly the control characters, `"` and the backslash. Checked 32
    // bytes at a time without branching, so the check compiles to vector instructions.
    let escapes = |chunk: &[u8]| {
        chunk.iter().fold(0u8, |acc, &b| acc | u8::from((b < 0x20) | (b == b'"') | (b == b'\\')))
    };
    if s.as_bytes().chunks(32).any(|c| escapes(c) != 0) {
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reply writer's bytes are serde_json's for every kind of value and string.
    #[test]
    fn reply_json_is_serde_jsons() {
        let values = [
            json!(null),
            json!({}),
            json!([]),
            json!({"KeyId": "arn:aws:kms:us-east-1:111122223333:key/1234", "Plaintext": "AAEC+/8=",
                   "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
            json!({"a\"b": "quote \" and \\ backslash", "ctl": "tab\tnl\nnul\u{0}us\u{1f}",
                   "del": "\u{7f}", "uni": "é 中 😀", "z": [1, -2, 1.5, 1e300, 0.1, true, false, null]}),
            json!([[[]], [{}], {"n": {"m": [u64::MAX, i64::MIN]}}, "", " "]),
        ];
        for v in &values {
            let mut got = Vec::new();
            write_json(v, &mut got);
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&serde_json::to_vec(v).unwrap_or_default()),
                "{v}"
            );
        }
    }
}
