//! Documents embedded in a JSON string (`{"Policy": "{\"Version\": ...}"}`), possibly
//! URL-encoded (IAM's `PolicyDocument`), read with every position mapped back into the file.
//!
//! A JSON string literal is unescaped byte by byte while recording, for each byte of the
//! unescaped text, the offset in the file where it came from; URL decoding composes another
//! such map. Diagnostics of the embedded document are then re-pointed through the map.

use keyward_core::diag::Diagnostic;
use keyward_core::json::{Limits, Node, Value};
use keyward_core::model::{Policy, PolicyKind};
use keyward_core::parse::parse_policy_node;
use keyward_core::span::Span;

/// Text decoded from a file, with the file offset of every byte (`map.len() == text.len() + 1`).
#[derive(Debug, Clone)]
pub struct Mapped {
    /// The decoded text.
    pub text: String,
    /// File offset of each byte of `text`, plus one entry for the end.
    pub map: Vec<u32>,
}

impl Mapped {
    /// Maps a span of the decoded text into the file (synthetic spans stay synthetic).
    pub fn to_file(&self, span: Span) -> Span {
        if span.is_synthetic() {
            return span;
        }
        let at = |o: u32| {
            let i = (o as usize).min(self.map.len().saturating_sub(1));
            self.map.get(i).copied().unwrap_or(0)
        };
        Span { start: at(span.start), end: at(span.end).max(at(span.start)) }
    }

    /// Re-points diagnostics of the decoded text into the file.
    pub fn map_diags(&self, diags: &mut [Diagnostic], path_prefix: &str) {
        for d in diags {
            d.span = self.to_file(d.span);
            if !path_prefix.is_empty() {
                d.path = if d.path.is_empty() {
                    path_prefix.to_string()
                } else {
                    format!("{path_prefix} > {}", d.path)
                };
            }
        }
    }
}

/// The decoded text of a string node, mapped to `file` offsets. When the node has no source
/// text (synthetic) every byte maps to the node's start.
pub fn unescape(file: &str, node: &Node) -> Option<Mapped> {
    let value = node.as_str()?;
    let flat = |at: u32| Mapped { text: value.to_string(), map: vec![at; value.len() + 1] };
    if node.span.is_synthetic() {
        return Some(flat(0));
    }
    let (start, end) = (node.span.start as usize, node.span.end as usize);
    let Some(raw) = file.get(start + 1..end.saturating_sub(1)) else {
        return Some(flat(node.span.start));
    };
    let base = start + 1;
    let mut text = String::with_capacity(raw.len());
    let mut map = Vec::with_capacity(raw.len() + 1);
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let at = (base + i) as u32;
        if bytes.get(i) != Some(&b'\\') {
            let ch_len = raw.get(i..).and_then(|r| r.chars().next()).map_or(1, char::len_utf8);
            if let Some(s) = raw.get(i..i + ch_len) {
                text.push_str(s);
                map.extend((0..ch_len).map(|k| at + k as u32));
            }
            i += ch_len;
            continue;
        }
        let esc = bytes.get(i + 1).copied().unwrap_or(b'\\');
        let (ch, used) = match esc {
            b'n' => ('\n', 2),
            b't' => ('\t', 2),
            b'r' => ('\r', 2),
            b'b' => ('\u{8}', 2),
            b'f' => ('\u{c}', 2),
            b'u' => {
                let hex =
                    |at: usize| raw.get(at..at + 4).and_then(|h| u32::from_str_radix(h, 16).ok());
                let hi = hex(i + 2).unwrap_or(0xfffd);
                if (0xd800..0xdc00).contains(&hi) && raw.get(i + 6..i + 8) == Some("\\u") {
                    let lo = hex(i + 8).unwrap_or(0xdc00);
                    let c = 0x10000 + ((hi - 0xd800) << 10) + (lo.wrapping_sub(0xdc00) & 0x3ff);
                    (char::from_u32(c).unwrap_or('\u{fffd}'), 12)
                } else {
                    (char::from_u32(hi).unwrap_or('\u{fffd}'), 6)
                }
            }
            other => (char::from(other), 2),
        };
        text.push(ch);
        map.extend(std::iter::repeat_n(at, ch.len_utf8()));
        i += used;
    }
    map.push(end.saturating_sub(1) as u32);
    if text != value {
        return Some(flat(node.span.start));
    }
    Some(Mapped { text, map })
}

/// URL-decodes (`%XX`) mapped text; `None` when the result is not UTF-8.
pub fn url_decode(m: &Mapped) -> Option<Mapped> {
    let b = m.text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut map = Vec::with_capacity(b.len() + 1);
    let mut i = 0;
    while i < b.len() {
        let at = m.map.get(i).copied().unwrap_or(0);
        let hex = m.text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b.get(i), hex) {
            (Some(b'%'), Some(v)) => {
                out.push(v);
                i += 3;
            }
            (Some(&c), _) => {
                out.push(c);
                i += 1;
            }
            (None, _) => break,
        }
        map.push(at);
    }
    map.push(m.map.last().copied().unwrap_or(0));
    Some(Mapped { text: String::from_utf8(out).ok()?, map })
}

/// True when `s` looks URL-encoded rather than JSON (`%7B...`).
pub fn looks_url_encoded(s: &str) -> bool {
    let t = s.trim_start();
    t.starts_with('%') || (!t.starts_with('{') && t.contains("%22"))
}

/// Parses a policy given as an object (spans already in the file), a JSON string or a
/// URL-encoded JSON string (spans mapped back through the escapes). `path` names the element
/// for messages. The policy's own spans (used in traces) are relative to the decoded text when
/// the policy was a string; diagnostics always point into the file.
pub fn policy_from_node(
    file: &str,
    node: &Node,
    kind: PolicyKind,
    path: &str,
) -> (Option<Policy>, Vec<Diagnostic>) {
    match &node.value {
        Value::Object(_) => {
            let (p, mut d) = parse_policy_node(node, kind);
            for x in &mut d {
                x.path =
                    if x.path.is_empty() { path.to_string() } else { format!("{path}.{}", x.path) };
            }
            (Some(p), d)
        }
        Value::String(_) => {
            let Some(mut mapped) = unescape(file, node) else { return (None, Vec::new()) };
            if looks_url_encoded(&mapped.text) {
                match url_decode(&mapped) {
                    Some(m) => mapped = m,
                    None => {
                        let msg = "the URL-encoded policy document does not decode to UTF-8 text";
                        return (None, vec![crate::invalid(node.span, path, msg)]);
                    }
                }
            }
            let limits = Limits::default();
            let (root, mut diags) = keyward_core::json::read(&mapped.text, limits);
            let policy = root.map(|root| {
                let (p, d) = parse_policy_node(&root, kind);
                diags.extend(d);
                p
            });
            mapped.map_diags(&mut diags, path);
            (policy, diags)
        }
        _ => {
            let msg = format!("{path} must be a policy document, found {}", node.type_name());
            (None, vec![crate::invalid(node.span, path, msg)])
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]
    use super::*;

    #[test]
    fn escapes_map_back_to_the_file() {
        let file = r#"{"P": "a\"b\u00e9c\n%7B"}"#;
        let (root, _) = keyward_core::json::read(file, Limits::default());
        let root = root.unwrap();
        let node = root.get("P").unwrap();
        let m = unescape(file, node).unwrap();
        assert_eq!(m.text, "a\"béc\n%7B");
        let c = m.text.find('c').unwrap();
        assert_eq!(&file[m.map[c] as usize..m.map[c] as usize + 1], "c");
        let d = url_decode(&m).unwrap();
        assert!(d.text.ends_with('{'));
        let brace = d.text.len() - 1;
        assert_eq!(&file[d.map[brace] as usize..d.map[brace] as usize + 3], "%7B");
    }
}
