//! The AWS Query protocol's request side: a form-encoded body (`Action=...&Version=...`) read
//! into parameters, with AWS's list (`Name.member.N`) and map shapes.

use crate::IamError;
use std::collections::BTreeMap;

/// The parameters of one Query request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params {
    map: BTreeMap<String, String>,
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space).
fn decode(s: &str, what: &str) -> Result<String, IamError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let pair = bytes
                    .get(i + 1)
                    .copied()
                    .and_then(hex)
                    .zip(bytes.get(i + 2).copied().and_then(hex));
                let Some((h, l)) = pair else {
                    return Err(IamError::malformed_query(format!(
                        "bad percent-escape in {what} at byte {i}"
                    )));
                };
                out.push(h << 4 | l);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out)
        .map_err(|_| IamError::malformed_query(format!("{what} is not UTF-8 after decoding")))
}

impl Params {
    /// Parses a form-encoded body (and the URL's query string, if any, first).
    pub fn parse(query: Option<&str>, body: &[u8]) -> Result<Params, IamError> {
        let body = std::str::from_utf8(body)
            .map_err(|_| IamError::malformed_query("the request body is not UTF-8".into()))?;
        let mut map = BTreeMap::new();
        for part in query.into_iter().chain(std::iter::once(body)) {
            for pair in part.split('&').filter(|p| !p.trim().is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                let k = decode(k.trim(), "a parameter name")?;
                let v = decode(v.trim_end_matches(['\r', '\n']), &format!("parameter `{k}`"))?;
                map.insert(k, v);
            }
        }
        Ok(Params { map })
    }

    /// Builds parameters from pairs (tests, embedders).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Params {
        Params { map: pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
    }

    /// A parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// A required parameter: AWS's ValidationError naming it (camelCase) when absent.
    pub fn required(&self, name: &str) -> Result<&str, IamError> {
        self.get(name).ok_or_else(|| IamError::missing(name))
    }

    /// A list `Name.member.N` (N from 1, in order, stopping at the first gap).
    pub fn list(&self, name: &str) -> Vec<String> {
        (1..=1000)
            .map_while(|i| self.get(&format!("{name}.member.{i}")).map(str::to_string))
            .collect()
    }

    /// A list of structures `Name.member.N.Field`: one map of fields per member.
    pub fn structs(&self, name: &str, fields: &[&str]) -> Vec<BTreeMap<String, String>> {
        (1..=1000)
            .map_while(|i| {
                let one: BTreeMap<String, String> = fields
                    .iter()
                    .filter_map(|f| {
                        self.get(&format!("{name}.member.{i}.{f}"))
                            .map(|v| ((*f).to_string(), v.to_string()))
                    })
                    .collect();
                (!one.is_empty()).then_some(one)
            })
            .collect()
    }

    /// An integer parameter in `[min, max]`.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, IamError> {
        let Some(v) = self.get(name) else { return Ok(None) };
        match v.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            Ok(_) => Err(IamError::validation(format!(
                "1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: \
                 Member must have value between {min} and {max}",
                camel(name)
            ))),
            Err(_) => Err(IamError::validation(format!(
                "Value '{v}' at '{}' is not an integer",
                camel(name)
            ))),
        }
    }
}

/// AWS names a field in validation messages in camelCase (`userName`).
pub fn camel(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// Percent-encodes a policy document as IAM returns it (RFC 3986 unreserved kept).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
