//! A JSON reader (built on `nom`) that keeps the span of every key and value.
//!
//! Policies are JSON, and a useful diagnostic must point at the exact element, so this reader
//! never discards positions. It also does what AWS does and many JSON libraries do not: it
//! reports duplicate object keys (all of them, without stopping), and it enforces a size and a
//! nesting-depth limit with a typed error rather than exhausting the stack.

use crate::diag::Diagnostic;
use crate::span::Span;
use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::{char, digit1, one_of, satisfy};
use nom::combinator::{opt, recognize};
use nom::sequence::{pair, tuple};
use nom::IResult;

/// Limits on what the reader accepts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted input, in bytes (default 1 MiB).
    pub max_bytes: usize,
    /// Deepest accepted nesting of arrays and objects (default 64).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: 1024 * 1024, max_depth: 64 }
    }
}

/// A JSON value with the span of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the value's text is.
    pub span: Span,
    /// The value.
    pub value: Value,
}

/// A JSON value. Numbers keep their source text so nothing is lost to floating point.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as written.
    Number(Box<str>),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Node>),
    /// An object; members in source order, duplicates kept (and reported).
    Object(Vec<Member>),
}

/// One `"key": value` member of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The unescaped key.
    pub key: String,
    /// Span of the key including its quotes.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

impl Node {
    /// A node with no source position (built from YAML or by a fix).
    pub fn synthetic(value: Value) -> Node {
        Node { span: Span::SYNTHETIC, value }
    }

    /// The string, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The members, when this is an object.
    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.value {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The first member named `key` (exact, case-sensitive), when this is an object.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_object()?.iter().find(|m| m.key == key).map(|m| &m.value)
    }

    /// A short name of the JSON type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// Converts to a `serde_json::Value` (for embedding in reports).
    pub fn to_serde(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => {
                serde_json::from_str::<J>(n).unwrap_or_else(|_| J::String(n.to_string()))
            }
            Value::String(s) => J::String(s.clone()),
            Value::Array(a) => J::Array(a.iter().map(Node::to_serde).collect()),
            Value::Object(m) => {
                J::Object(m.iter().map(|m| (m.key.clone(), m.value.to_serde())).collect())
            }
        }
    }

    /// Builds a synthetic node tree from a `serde_json::Value` (used for YAML input).
    pub fn from_serde(v: &serde_json::Value) -> Node {
        use serde_json::Value as J;
        Node::synthetic(match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Number(n.to_string().into()),
            J::String(s) => Value::String(s.clone()),
            J::Array(a) => Value::Array(a.iter().map(Node::from_serde).collect()),
            J::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| Member {
                        key: k.clone(),
                        key_span: Span::SYNTHETIC,
                        value: Node::from_serde(v),
                    })
                    .collect(),
            ),
        })
    }
}

/// Reads `text` as one JSON document.
///
/// Returns the tree (absent after a syntax or limit error, which stops reading) and every
/// diagnostic found. Duplicate keys do not stop reading: all of them are reported.
pub fn read(text: &str, limits: Limits) -> (Option<Node>, Vec<Diagnostic>) {
    if text.len() > limits.max_bytes {
        let msg = format!(
            "input is {} bytes, more than the limit of {} bytes",
            text.len(),
            limits.max_bytes
        );
        return (None, vec![Diagnostic::error("json-too-large", Span::new(0, 0), "", msg)]);
    }
    let mut r = Reader {
        src: text,
        limits,
        depth: 0,
        diags: Vec::new(),
        items: Vec::new(),
        members: Vec::new(),
    };
    let start = skip_bom(text);
    let result = r.value(ws(start)).and_then(|(rest, node)| {
        let rest = ws(rest);
        if rest.is_empty() {
            Ok(node)
        } else {
            Err(r.syntax(rest, "unexpected content after the end of the document"))
        }
    });
    match result {
        Ok(node) => (Some(node), r.diags),
        Err(d) => {
            // A fatal error: report it alone, with any duplicate keys seen before it.
            let mut diags = r.diags;
            diags.push(d);
            (None, diags)
        }
    }
}

fn skip_bom(s: &str) -> &str {
    s.strip_prefix('\u{feff}').unwrap_or(s)
}

/// Skips JSON whitespace (space, tab, line feed, carriage return), byte by byte.
fn ws(i: &str) -> &str {
    let n = i.bytes().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')).count();
    i.get(n..).unwrap_or(i)
}

/// The first `"`, `\\` or control character of `s` (a byte search: none of them is part of a
/// multi-byte character), eight bytes at a time.
fn string_stop(s: &str) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `x` that is zero. A borrow can flag bytes above a zero byte,
    // never below the first one, so the lowest flag is exact (all that is used).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let bytes = s.as_bytes();
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        // Bytes below 0x20: the same borrow trick against 0x20 in every byte.
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        let m = zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\'))) | control;
        if m != 0 {
            return Some(at + (m.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = chunks.remainder().iter().position(|&b| b == b'"' || b == b'\\' || b < b' ');
    tail.map(|p| at + p)
}

/// The JSON number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn number(i: &str) -> IResult<&str, &str> {
    recognize(tuple((
        opt(char('-')),
        alt((tag("0"), recognize(pair(satisfy(|c| c.is_ascii_digit() && c != '0'), opt(digit1))))),
        opt(pair(char('.'), digit1)),
        opt(tuple((one_of("eE"), opt(one_of("+-")), digit1))),
    )))(i)
}

struct Reader<'a> {
    src: &'a str,
    limits: Limits,
    depth: usize,
    diags: Vec<Diagnostic>,
    /// Items of the arrays being read, innermost last: each array is moved out in one
    /// allocation of its exact size when it ends (no growing vectors per array).
    items: Vec<Node>,
    /// Members of the objects being read, likewise.
    members: Vec<Member>,
}

type Step<'a, T> = Result<(&'a str, T), Diagnostic>;

impl<'a> Reader<'a> {
    fn offset(&self, rest: &str) -> usize {
        self.src.len() - rest.len()
    }

    fn span(&self, from: &str, to: &str) -> Span {
        Span::new(self.offset(from), self.offset(to))
    }

    fn syntax(&self, at: &str, what: &str) -> Diagnostic {
        let found = match at.chars().next() {
            None => "end of input".to_string(),
            Some(c) if c.is_control() => format!("character U+{:04X}", c as u32),
            Some(c) => format!("`{c}`"),
        };
        let o = self.offset(at);
        Diagnostic::error(
            "json-syntax",
            Span::new(o, o + at.chars().next().map_or(0, char::len_utf8)),
            "",
            format!("{what}: found {found}"),
        )
    }

    fn value(&mut self, i: &'a str) -> Step<'a, Node> {
        match i.as_bytes().first() {
            Some(b'{') => self.object(i),
            Some(b'[') => self.array(i),
            Some(b'"') => {
                let (rest, s) = self.string(i)?;
                Ok((rest, Node { span: self.span(i, rest), value: Value::String(s) }))
            }
            Some(b't') => self.literal(i, "true", Value::Bool(true)),
            Some(b'f') => self.literal(i, "false", Value::Bool(false)),
            Some(b'n') => self.literal(i, "null", Value::Null),
            Some(b'-' | b'0'..=b'9') => match number(i) {
                Ok((rest, text))
                    if !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '.') =>
                {
                    Ok((rest, Node { span: self.span(i, rest), value: Value::Number(text.into()) }))
                }
                Ok((rest, _)) => Err(self.syntax(rest, "invalid number")),
                Err(_) => Err(self.syntax(i, "invalid number")),
            },
            _ => Err(self.syntax(i, "expected a JSON value")),
        }
    }

    fn literal(&mut self, i: &'a str, word: &str, v: Value) -> Step<'a, Node> {
        let r: IResult<&str, &str> = tag(word)(i);
        match r {
            Ok((rest, _)) if !rest.starts_with(|c: char| c.is_ascii_alphanumeric()) => {
                Ok((rest, Node { span: self.span(i, rest), value: v }))
            }
            _ => Err(self.syntax(i, "expected a JSON value")),
        }
    }

    fn enter(&mut self, i: &'a str) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            let o = self.offset(i);
            return Err(Diagnostic::error(
                "json-too-deep",
                Span::new(o, o + 1),
                "",
                format!("nesting is deeper than the limit of {}", self.limits.max_depth),
            ));
        }
        Ok(())
    }

    fn array(&mut self, i: &'a str) -> Step<'a, Node> {
        self.enter(i)?;
        let mut rest = ws(&i[1..]);
        if let Some(r) = rest.strip_prefix(']') {
            self.depth -= 1;
            return Ok((r, Node { span: self.span(i, r), value: Value::Array(Vec::new()) }));
        }
        let base = self.items.len();
        loop {
            let (r, node) = self.value(rest)?;
            self.items.push(node);
            let r = ws(r);
            if let Some(r) = r.strip_prefix(',') {
                rest = ws(r);
            } else if let Some(r) = r.strip_prefix(']') {
                self.depth -= 1;
                let items: Vec<Node> = self.items.drain(base..).collect();
                return Ok((r, Node { span: self.span(i, r), value: Value::Array(items) }));
            } else {
                return Err(self.syntax(r, "expected `,` or `]` in an array"));
            }
        }
    }

    fn object(&mut self, i: &'a str) -> Step<'a, Node> {
        self.enter(i)?;
        let mut rest = ws(&i[1..]);
        if let Some(r) = rest.strip_prefix('}') {
            self.depth -= 1;
            return Ok((r, Node { span: self.span(i, r), value: Value::Object(Vec::new()) }));
        }
        let base = self.members.len();
        loop {
            if !rest.starts_with('"') {
                return Err(self.syntax(rest, "expected a string key in an object"));
            }
            let (r, key) = self.string(rest)?;
            let key_span = self.span(rest, r);
            let r = ws(r);
            let Some(r) = r.strip_prefix(':') else {
                return Err(self.syntax(r, "expected `:` after an object key"));
            };
            let (r, value) = self.value(ws(r))?;
            if self.members.get(base..).unwrap_or(&[]).iter().any(|m| m.key == key) {
                self.diags.push(Diagnostic::error(
                    "json-duplicate-key",
                    key_span,
                    "",
                    format!("duplicate key `{key}` (AWS rejects documents with repeated keys)"),
                ));
            }
            self.members.push(Member { key, key_span, value });
            let r = ws(r);
            if let Some(r) = r.strip_prefix(',') {
                rest = ws(r);
            } else if let Some(r) = r.strip_prefix('}') {
                self.depth -= 1;
                let members: Vec<Member> = self.members.drain(base..).collect();
                return Ok((r, Node { span: self.span(i, r), value: Value::Object(members) }));
            } else {
                return Err(self.syntax(r, "expected `,` or `}` in an object"));
            }
        }
    }

    /// Reads a string starting at its opening quote.
    fn string(&mut self, i: &'a str) -> Step<'a, String> {
        let body = &i[1..];
        // Fast path: no escapes.
        let plain_end = string_stop(body);
        if let Some(end) = plain_end {
            if body.as_bytes().get(end) == Some(&b'"') {
                return Ok((&body[end + 1..], body[..end].to_string()));
            }
        }
        let mut out = String::new();
        let mut rest = body;
        loop {
            let n = string_stop(rest).unwrap_or(rest.len());
            out.push_str(&rest[..n]);
            rest = &rest[n..];
            let mut chars = rest.chars();
            match chars.next() {
                None => return Err(self.syntax(rest, "unterminated string")),
                Some('"') => return Ok((chars.as_str(), out)),
                Some('\\') => {
                    let (r, c) = self.escape(rest)?;
                    out.push(c);
                    rest = r;
                }
                Some(c) => {
                    let o = self.offset(rest);
                    return Err(Diagnostic::error(
                        "json-invalid-string",
                        Span::new(o, o + 1),
                        "",
                        format!("raw control character U+{:04X} in a string (escape it)", c as u32),
                    ));
                }
            }
        }
    }

    /// Reads one escape sequence starting at the backslash.
    fn escape(&self, i: &'a str) -> Step<'a, char> {
        let bad = |this: &Self, len: usize, msg: String| {
            let o = this.offset(i);
            Diagnostic::error("json-invalid-string", Span::new(o, o + len), "", msg)
        };
        let after = &i[1..];
        let Some(c) = after.chars().next() else {
            return Err(self.syntax(after, "unterminated string"));
        };
        let simple = match c {
            '"' => Some('"'),
            '\\' => Some('\\'),
            '/' => Some('/'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            _ => None,
        };
        if let Some(ch) = simple {
            return Ok((&after[1..], ch));
        }
        if c != 'u' {
            return Err(bad(self, 1 + c.len_utf8(), format!("invalid escape `\\{c}` in a string")));
        }
        let hex4 = |s: &str| -> Option<u32> {
            let h = s.get(..4)?;
            if h.bytes().all(|b| b.is_ascii_hexdigit()) {
                u32::from_str_radix(h, 16).ok()
            } else {
                None
            }
        };
        let Some(hi) = hex4(&after[1..]) else {
            return Err(bad(self, 2, "invalid `\\u` escape: expected four hex digits".into()));
        };
        let rest = &after[5..];
        if (0xD800..0xDC00).contains(&hi) {
            if let Some(lo) = rest.strip_prefix("\\u").and_then(hex4) {
                if (0xDC00..0xE000).contains(&lo) {
                    let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    if let Some(ch) = char::from_u32(cp) {
                        return Ok((&rest[6..], ch));
                    }
                }
            }
            return Err(bad(self, 6, "unpaired UTF-16 surrogate in a `\\u` escape".into()));
        }
        match char::from_u32(hi) {
            Some(ch) => Ok((rest, ch)),
            None => Err(bad(self, 6, "unpaired UTF-16 surrogate in a `\\u` escape".into())),
        }
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
