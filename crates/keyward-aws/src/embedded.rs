//! Documents embedded in a JSON string (`{"Policy": "{\"Version\": ...}"}`), possibly
//! URL-encoded (IAM's `PolicyDocument`), read with every position mapped back into the file.
//!
//! A JSON string literal is unescaped with a [`SpanMap`] from the unescaped text back to the
//! file (the same mechanism as the template sources in `source/`); URL decoding composes
//! another such map. Diagnostics of the embedded document are then re-pointed through it.

use crate::source::span::{string_map, MapBuilder, SpanMap};
use keyward_core::diag::Diagnostic;
use keyward_core::json::{Limits, Node, Value};
use keyward_core::model::{Policy, PolicyKind};
use keyward_core::parse::parse_policy_node;
use keyward_core::span::Span;

/// Text decoded from a file, with the map from its byte offsets to file offsets.
#[derive(Debug, Clone)]
pub struct Mapped {
    /// The decoded text.
    pub text: String,
    /// From offsets in `text` to offsets in the file.
    pub map: SpanMap,
}

impl Mapped {
    /// Maps a span of the decoded text into the file (synthetic spans stay synthetic).
    pub fn to_file(&self, span: Span) -> Span {
        if span.is_synthetic() {
            return span;
        }
        let (s, e) = self.map.map_range(span.start as usize, span.end as usize);
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Span { start: clamp(s), end: clamp(e) }
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
    let flat = |at: u32| Mapped { text: value.to_string(), map: SpanMap::point(at as usize) };
    if node.span.is_synthetic() {
        return Some(flat(0));
    }
    let Some(raw) = file.get(node.span.start as usize..node.span.end as usize) else {
        return Some(flat(node.span.start));
    };
    Some(Mapped { text: value.to_string(), map: string_map(raw, node.span.start as usize, value) })
}

/// URL-decodes (`%XX`) mapped text; `None` when the result is not UTF-8. A decoded `%XX`
/// maps to its `%`.
pub fn url_decode(m: &Mapped) -> Option<Mapped> {
    let b = m.text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut map = MapBuilder::default();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let (at, verbatim) = m.map.locate(i);
        let hex = m.text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (c, hex) {
            (b'%', Some(v)) => {
                map.push(out.len(), at, false);
                out.push(v);
                i += 3;
            }
            _ => {
                map.push(out.len(), at, verbatim);
                out.push(c);
                i += 1;
            }
        }
    }
    let map = if out.is_empty() { SpanMap::point(m.map.map(0)) } else { map.finish() };
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
        let c = m.map.map(m.text.find('c').unwrap());
        assert_eq!(&file[c..c + 1], "c");
        let d = url_decode(&m).unwrap();
        assert!(d.text.ends_with('{'));
        let brace = d.map.map(d.text.len() - 1);
        assert_eq!(&file[brace..brace + 3], "%7B");
        let (s, e) = d.map.map_range(0, 1);
        assert_eq!(&file[s..e], "a");
    }
}
