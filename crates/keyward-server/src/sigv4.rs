//! AWS Signature Version 4 verification: parse the `Authorization` header, rebuild the
//! canonical request and string to sign, derive the signing key and compare signatures in
//! constant time. Errors carry the AWS error code and AWS's message wording.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// How far the request time may be from the server clock (AWS KMS: 5 minutes; its error says
/// `... - 5 min.`).
pub const MAX_SKEW_MS: i64 = 5 * 60 * 1000;

/// Headers the AWS JSON protocol binds to the signature besides `host`, whenever the request
/// carries them: the operation (`x-amz-target`) and the protocol (`content-type`). The AWS
/// SDKs always sign both; a signature that left one out could be replayed as another
/// operation.
pub const REQUIRED_SIGNED: &[(&str, &str)] =
    &[("x-amz-target", "X-Amz-Target"), ("content-type", "Content-Type")];

/// An authentication failure: the AWS error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    /// `MissingAuthenticationTokenException`, `IncompleteSignatureException`,
    /// `InvalidSignatureException` or `UnrecognizedClientException`.
    pub code: &'static str,
    /// AWS's message.
    pub message: String,
}

impl AuthError {
    fn new(code: &'static str, message: impl Into<String>) -> AuthError {
        AuthError { code, message: message.into() }
    }

    fn incomplete(message: impl Into<String>) -> AuthError {
        AuthError::new("IncompleteSignatureException", message)
    }

    fn invalid(message: impl Into<String>) -> AuthError {
        AuthError::new("InvalidSignatureException", message)
    }
}

/// The parsed `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Access key id (first field of `Credential=`).
    pub access_key: String,
    /// `YYYYMMDD` of the credential scope.
    pub date: String,
    /// Region of the credential scope.
    pub region: String,
    /// Service of the credential scope.
    pub service: String,
    /// Signed header names, lower-case, as listed.
    pub signed_headers: Vec<String>,
    /// Hex signature as sent.
    pub signature: String,
}

impl Authorization {
    /// The credential scope `date/region/service/aws4_request`.
    pub fn scope(&self) -> String {
        format!("{}/{}/{}/aws4_request", self.date, self.region, self.service)
    }
}

/// A request as seen by the verifier.
#[derive(Debug)]
pub struct SignedRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path as sent (already URI-encoded by the client).
    pub path: &'a str,
    /// Raw query string (without `?`), if any.
    pub query: Option<&'a str>,
    /// Header (lower-case name, value) pairs; a name may repeat.
    pub headers: &'a [(String, String)],
    /// The request body.
    pub body: &'a [u8],
}

impl SignedRequest<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
pub fn parse_authorization(value: &str) -> Result<Authorization, AuthError> {
    let rest = value.trim();
    let Some(rest) = rest.strip_prefix("AWS4-HMAC-SHA256") else {
        return Err(unsupported(value));
    };
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v.trim());
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v.trim());
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v.trim());
        }
    }
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if signature.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if signed.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(AuthError::incomplete(format!(
            "{} Authorization=AWS4-HMAC-SHA256",
            missing.join(" ")
        )));
    };
    let fields: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, terminator] = fields.as_slice() else {
        return Err(AuthError::incomplete(format!(
            "Credential should be scoped to a valid region, not '{}'. Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'",
            fields.get(2).copied().unwrap_or("")
        )));
    };
    if access_key.is_empty() {
        return Err(AuthError::incomplete("Credential must include an access key id."));
    }
    if *terminator != "aws4_request" {
        return Err(AuthError::invalid(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthError::invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}'"
        )));
    }
    let signed_headers: Vec<String> = signed
        .split(';')
        .filter(|h| !h.is_empty())
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if signed_headers.is_empty() || signature.is_empty() {
        return Err(AuthError::incomplete(
            "Authorization header requires 'SignedHeaders' and 'Signature' to be non-empty.",
        ));
    }
    Ok(Authorization {
        access_key: (*access_key).to_string(),
        date: (*date).to_string(),
        region: (*region).to_string(),
        service: (*service).to_string(),
        signed_headers,
        signature: signature.to_string(),
    })
}

fn unsupported(value: &str) -> AuthError {
    let scheme = first_word(value);
    if scheme.starts_with("AWS4-") || scheme == "AWS" {
        AuthError::incomplete(format!("Unsupported AWS 'algorithm': '{scheme}'"))
    } else {
        AuthError::incomplete(format!(
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={scheme}"
        ))
    }
}

fn first_word(value: &str) -> &str {
    value.split_whitespace().next().unwrap_or("")
}

/// Parses `YYYYMMDDTHHMMSSZ` into epoch milliseconds.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(((days * 24 + h) * 60 + mi) * 60_000 + se * 1000)
}

/// Formats epoch milliseconds as `YYYYMMDDTHHMMSSZ`.
pub fn format_amz_date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", rem / 3600, (rem / 60) % 60, rem % 60)
}

/// Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// The request time from `X-Amz-Date` (or `Date` in the same basic format), checked against
/// `now_ms` within [`MAX_SKEW_MS`].
pub fn request_time(req: &SignedRequest<'_>, now_ms: i64) -> Result<(String, i64), AuthError> {
    let Some(raw) = req.header("x-amz-date").or_else(|| req.header("date")) else {
        return Err(AuthError::incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        ));
    };
    let raw = raw.trim();
    let Some(t) = parse_amz_date(raw) else {
        return Err(AuthError::incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{raw}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )));
    };
    if t < now_ms - MAX_SKEW_MS {
        return Err(AuthError::invalid(format!(
            "Signature expired: {raw} is now earlier than {} ({} - 5 min.)",
            format_amz_date(now_ms - MAX_SKEW_MS),
            format_amz_date(now_ms)
        )));
    }
    if t > now_ms + MAX_SKEW_MS {
        return Err(AuthError::invalid(format!(
            "Signature not yet current: {raw} is still later than {} ({} + 5 min.)",
            format_amz_date(now_ms + MAX_SKEW_MS),
            format_amz_date(now_ms)
        )));
    }
    Ok((raw.to_string(), t))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    match HmacSha256::new_from_slice(key) {
        Ok(mut m) => {
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// The SigV4 signing key for `secret` and a credential scope.
pub fn signing_key(secret: &[u8], date: &str, region: &str, service: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(4 + secret.len());
    k.extend_from_slice(b"AWS4");
    k.extend_from_slice(secret);
    let k_date = hmac(&k, date.as_bytes());
    zeroize::Zeroize::zeroize(&mut k);
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// URI-encodes per SigV4: unreserved characters stay, everything else is `%XX` upper-case;
/// `/` stays when `keep_slash`.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else if b == b'/' && keep_slash {
            out.push('/');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b.get(i).copied().unwrap_or(0);
        if c == b'%' {
            let h = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = h {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if c == b'+' { b' ' } else { c });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn canonical_query(query: Option<&str>) -> String {
    let Some(q) = query.filter(|q| !q.is_empty()) else {
        return String::new();
    };
    let mut pairs: Vec<(String, String)> = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&percent_decode(k), false), uri_encode(&percent_decode(v), false))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// Appends a header value as SigV4 canonicalises it: trimmed, inner whitespace runs as one
/// space.
fn push_canonical_value(s: &mut String, v: &str) {
    for (i, word) in v.split_whitespace().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(word);
    }
}

/// The canonical request for `req`, signing `signed_headers`, with payload hash `payload`.
pub fn canonical_request(
    req: &SignedRequest<'_>,
    signed_headers: &[String],
    payload: &str,
) -> Result<String, AuthError> {
    let path = if req.path.is_empty() { "/" } else { req.path };
    let mut s = String::with_capacity(256);
    s.push_str(req.method);
    s.push('\n');
    s.push_str(&uri_encode(path, true));
    s.push('\n');
    s.push_str(&canonical_query(req.query));
    s.push('\n');
    // Written straight into `s` (no string per header or value): this runs for every request.
    for name in signed_headers {
        let mut values = req.headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v);
        let Some(first) = values.next() else {
            return Err(AuthError::invalid(format!(
                "The request signature we calculated does not match the signature you provided. Signed header '{name}' is not present in the request."
            )));
        };
        s.push_str(name);
        s.push(':');
        push_canonical_value(&mut s, first);
        for v in values {
            s.push(',');
            push_canonical_value(&mut s, v);
        }
        s.push('\n');
    }
    s.push('\n');
    for (i, name) in signed_headers.iter().enumerate() {
        if i > 0 {
            s.push(';');
        }
        s.push_str(name);
    }
    s.push('\n');
    s.push_str(payload);
    Ok(s)
}

/// The string to sign.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical: &str) -> String {
    format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sha256_hex(canonical.as_bytes()))
}

/// The hex signature of `req` under `secret` as the client computes it.
pub fn sign(
    req: &SignedRequest<'_>,
    auth: &Authorization,
    amz_date: &str,
    secret: &[u8],
) -> Result<String, AuthError> {
    let key = keyed(&signing_key(secret, &auth.date, &auth.region, &auth.service));
    sign_keyed(req, auth, amz_date, &sha256_hex(req.body), key)
}

/// [`sign`] with the payload hash `payload` and the signing key's HMAC, keyed.
fn sign_keyed(
    req: &SignedRequest<'_>,
    auth: &Authorization,
    amz_date: &str,
    payload: &str,
    mut key: HmacSha256,
) -> Result<String, AuthError> {
    let canonical = canonical_request(req, &auth.signed_headers, payload)?;
    let sts = string_to_sign(amz_date, &auth.scope(), &canonical);
    key.update(sts.as_bytes());
    Ok(hex(&key.finalize().into_bytes()))
}

/// An HMAC-SHA256 keyed with `key` (HMAC takes keys of any length).
fn keyed(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as hmac::digest::KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()))
}

/// Most signing keys the cache holds; past it the cache starts over.
const CACHED_KEYS: usize = 256;

/// Signing keys already derived, as the AWS SDKs keep them: a signing key depends only on the
/// secret and the credential scope (date, Region, service), so a client signing many requests
/// in a day has its key derived once (four HMACs fewer per request). Each entry holds the
/// secret it was derived from and is used only when the secret presented matches it, so a
/// key is never reused for another secret; at most [`CACHED_KEYS`] entries.
#[derive(Default)]
pub struct KeyCache {
    /// By `access key/date/region/service`.
    keys: std::sync::Mutex<std::collections::HashMap<String, CachedKey>>,
}

struct CachedKey {
    secret: zeroize::Zeroizing<Vec<u8>>,
    /// The HMAC keyed with the signing key (its inner and outer pads already hashed).
    mac: HmacSha256,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyCache")
    }
}

impl KeyCache {
    /// The keyed HMAC for `secret` and `auth`'s credential scope, derived on a miss.
    fn get(&self, auth: &Authorization, secret: &[u8]) -> HmacSha256 {
        let id = format!("{}/{}/{}/{}", auth.access_key, auth.date, auth.region, auth.service);
        let mut keys = self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(k) = keys.get(&id).filter(|k| same_secret(&k.secret, secret)) {
            return k.mac.clone();
        }
        let mac = keyed(&signing_key(secret, &auth.date, &auth.region, &auth.service));
        if keys.len() >= CACHED_KEYS {
            keys.clear();
        }
        keys.insert(
            id,
            CachedKey { secret: zeroize::Zeroizing::new(secret.to_vec()), mac: mac.clone() },
        );
        mac
    }
}

/// Compares secrets in time independent of where they differ.
pub(crate) fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The message AWS returns for a signature that does not match.
pub const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Verifies `req` signed with `secret`: header presence, the content hash header, and the
/// signature (constant-time compare). The scope and time are checked by the caller first.
pub fn verify(
    req: &SignedRequest<'_>,
    auth: &Authorization,
    amz_date: &str,
    secret: &[u8],
) -> Result<(), AuthError> {
    verify_cached(req, auth, amz_date, secret, None)
}

/// [`verify`], taking the signing key from `cache` (and adding it there) when given.
pub fn verify_cached(
    req: &SignedRequest<'_>,
    auth: &Authorization,
    amz_date: &str,
    secret: &[u8],
    cache: Option<&KeyCache>,
) -> Result<(), AuthError> {
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(AuthError::invalid(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    for (name, display) in REQUIRED_SIGNED {
        // Present in the request, it must be signed; absent, there is no operation to call.
        if req.header(name).is_some() && !auth.signed_headers.iter().any(|h| h == name) {
            return Err(AuthError::invalid(format!(
                "'{display}' must be a 'SignedHeader' in the AWS Authorization."
            )));
        }
    }
    let payload = sha256_hex(req.body);
    if let Some(claimed) = req.header("x-amz-content-sha256") {
        let claimed = claimed.trim();
        if claimed != "UNSIGNED-PAYLOAD" && !claimed.eq_ignore_ascii_case(&payload) {
            return Err(AuthError::invalid(
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ));
        }
    }
    let key = match cache {
        Some(c) => c.get(auth, secret),
        None => keyed(&signing_key(secret, &auth.date, &auth.region, &auth.service)),
    };
    let expected = sign_keyed(req, auth, amz_date, &payload, key)?;
    let got = auth.signature.to_ascii_lowercase();
    let mut diff = u8::from(expected.len() != got.len());
    for (a, b) in expected.bytes().zip(got.bytes()) {
        diff |= a ^ b;
    }
    if diff != 0 {
        return Err(AuthError::invalid(MISMATCH));
    }
    Ok(())
}

/// Says whether `s` is an AWS Region name: the pattern of AWS's KMS model for Regions
/// (`us-east-1`, `us-gov-west-1`, `cn-north-1`), at most 32 characters.
pub fn is_region(s: &str) -> bool {
    s.len() <= 32 && keyward_kms::validate::is_region_name(s)
}

/// Checks that the credential scope names a Region (any: one server serves every Region, the
/// scope's is the request's) and the `kms` service, and that its date is the request date's.
pub fn check_scope(auth: &Authorization, amz_date: &str) -> Result<(), AuthError> {
    check_scope_for(auth, amz_date, "kms", None)
}

/// [`check_scope`] for `service`; `region` None accepts any Region (KMS serves every Region,
/// STS answers in every Region; IAM's scope is always us-east-1, which the caller passes).
pub fn check_scope_for(
    auth: &Authorization,
    amz_date: &str,
    service: &str,
    region: Option<&str>,
) -> Result<(), AuthError> {
    if auth.service != service {
        return Err(AuthError::invalid(format!(
            "Credential should be scoped to correct service: '{service}'. Got '{}'.",
            auth.service
        )));
    }
    if region.map_or(!is_region(&auth.region), |r| auth.region != r) {
        return Err(AuthError::invalid(format!(
            "Credential should be scoped to a valid region, not '{}'.",
            auth.region.chars().take(64).collect::<String>()
        )));
    }
    if !amz_date.starts_with(&auth.date) {
        return Err(AuthError::invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{amz_date}'.",
            auth.date,
            amz_date.get(..8).unwrap_or("")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = parse_amz_date("20150830T123600Z").unwrap_or(0);
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        assert_eq!(parse_amz_date("20150830T123600"), None);
        assert_eq!(parse_amz_date("2015083xT123600Z"), None);
        assert_eq!(parse_amz_date(""), None);
    }

    /// The AWS documentation's example (get-vanilla-query-order-key, IAM ListUsers).
    #[test]
    fn aws_documented_example() {
        let headers = vec![
            (
                "content-type".to_string(),
                "application/x-www-form-urlencoded; charset=utf-8".to_string(),
            ),
            ("host".to_string(), "iam.amazonaws.com".to_string()),
            ("x-amz-date".to_string(), "20150830T123600Z".to_string()),
        ];
        let req = SignedRequest {
            method: "GET",
            path: "/",
            query: Some("Action=ListUsers&Version=2010-05-08"),
            headers: &headers,
            body: b"",
        };
        let auth = Authorization {
            access_key: "AKIDEXAMPLE".into(),
            date: "20150830".into(),
            region: "us-east-1".into(),
            service: "iam".into(),
            signed_headers: vec!["content-type".into(), "host".into(), "x-amz-date".into()],
            signature: String::new(),
        };
        let canonical = canonical_request(&req, &auth.signed_headers, &sha256_hex(b"")).ok();
        assert_eq!(
            canonical.as_deref().map(|c| sha256_hex(c.as_bytes())),
            Some("f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59".to_string())
        );
        let sig =
            sign(&req, &auth, "20150830T123600Z", b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        assert_eq!(
            sig.ok().as_deref(),
            Some("5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
        );
    }

    /// A KMS request signed with `secret` on `date` (`YYYYMMDD`), as the verifier sees it.
    fn signed(secret: &[u8], date: &str) -> (Vec<(String, String)>, Authorization, String) {
        let amz_date = format!("{date}T120000Z");
        let headers = vec![
            ("host".to_string(), "127.0.0.1:4599".to_string()),
            ("x-amz-date".to_string(), amz_date.clone()),
            ("x-amz-target".to_string(), "TrentService.ListKeys".to_string()),
        ];
        let mut auth = Authorization {
            access_key: "AKIDCACHE".into(),
            date: date.into(),
            region: "us-east-1".into(),
            service: "kms".into(),
            signed_headers: vec!["host".into(), "x-amz-date".into(), "x-amz-target".into()],
            signature: String::new(),
        };
        let req = request(&headers);
        auth.signature = sign(&req, &auth, &amz_date, secret).unwrap_or_default();
        (headers, auth, amz_date)
    }

    fn request(headers: &[(String, String)]) -> SignedRequest<'_> {
        SignedRequest { method: "POST", path: "/", query: None, headers, body: b"{}" }
    }

    /// The cached signing key gives the verdicts of a fresh derivation: a request signed with
    /// the secret the key was derived from passes, a cached key is never used for another
    /// secret under the same access key, and another date derives its own key.
    #[test]
    fn cached_signing_keys_verify_as_fresh_ones() {
        let cache = KeyCache::default();
        let (h, auth, date) = signed(b"secret-one", "20260101");
        for _ in 0..2 {
            assert_eq!(
                verify_cached(&request(&h), &auth, &date, b"secret-one", Some(&cache)),
                Ok(())
            );
        }
        // The same access key id now holds another secret: the cached key must not verify
        // the old signature, and the new secret's signature verifies.
        let wrong = verify_cached(&request(&h), &auth, &date, b"secret-two", Some(&cache));
        assert_eq!(wrong.map_err(|e| e.message), Err(MISMATCH.to_string()));
        let (h2, auth2, date2) = signed(b"secret-two", "20260101");
        assert_eq!(
            verify_cached(&request(&h2), &auth2, &date2, b"secret-two", Some(&cache)),
            Ok(())
        );
        // A signature made for one day does not verify as another day's.
        let (h3, mut auth3, date3) = signed(b"secret-one", "20260102");
        assert_eq!(
            verify_cached(&request(&h3), &auth3, &date3, b"secret-one", Some(&cache)),
            Ok(())
        );
        auth3.signature = auth.signature.clone();
        let stale = verify_cached(&request(&h3), &auth3, &date3, b"secret-one", Some(&cache));
        assert_eq!(stale.map_err(|e| e.code), Err("InvalidSignatureException"));
        assert_eq!(
            verify(&request(&h), &auth, &date, b"secret-one"),
            verify_cached(&request(&h), &auth, &date, b"secret-one", Some(&cache))
        );
    }

    /// Repeated headers join with commas in arrival order; each value is trimmed and its inner
    /// whitespace runs fold to one space; a signed header that is absent is refused.
    #[test]
    fn canonical_headers_fold_values() {
        let h = |n: &str, v: &str| (n.to_string(), v.to_string());
        let headers =
            vec![h("x-a", "  one   two "), h("host", "h"), h("x-a", "three\tfour"), h("x-b", "")];
        let req =
            SignedRequest { method: "POST", path: "", query: None, headers: &headers, body: b"" };
        let signed: Vec<String> = ["host", "x-a", "x-b"].map(String::from).to_vec();
        assert_eq!(
            canonical_request(&req, &signed, "P").ok().as_deref(),
            Some("POST\n/\n\nhost:h\nx-a:one two,three four\nx-b:\n\nhost;x-a;x-b\nP")
        );
        let missing = canonical_request(&req, &["x-c".to_string()], "P").map_err(|e| e.code);
        assert_eq!(missing, Err("InvalidSignatureException"));
    }

    #[test]
    fn authorization_header_shapes() {
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        );
        assert_eq!(a.as_ref().map(|a| a.access_key.as_str()).ok(), Some("AKID"));
        for bad in [
            "",
            "Bearer x",
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 Credential=AKID/2015/us-east-1/kms",
            "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=x",
            "AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=x",
        ] {
            assert_eq!(
                parse_authorization(bad).map_err(|e| e.code),
                Err("IncompleteSignatureException"),
                "{bad}"
            );
        }
    }
}
