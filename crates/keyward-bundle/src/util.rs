//! Shared helpers: error objects, JSON output that cannot fail, and span positions (line,
//! column, UTF-16 offsets) for JS editors.

use keyward_core::span::{LineIndex, Span};
use serde_json::{json, Map, Value};

/// Largest accepted document (policy, grants, scenario, KMS input), in bytes.
pub const MAX_DOC: usize = 1024 * 1024;
/// Largest accepted explain bundle, in bytes (it holds several documents).
pub const MAX_BUNDLE: usize = 8 * 1024 * 1024;

/// `{ok: false, error: {message, field?}}`.
pub fn fail(message: impl Into<String>, field: Option<&str>) -> Value {
    let mut e = Map::new();
    e.insert("message".into(), Value::String(message.into()));
    if let Some(f) = field {
        e.insert("field".into(), Value::String(f.to_string()));
    }
    json!({"ok": false, "error": e})
}

/// The refusal for an input over `limit` bytes.
pub fn too_large(len: usize, limit: usize, field: &str) -> Value {
    fail(format!("{field} is {len} bytes; the limit is {limit} bytes"), Some(field))
}

/// Serializes a value (never fails: serde_json only fails on non-string map keys).
pub fn out(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| {
        format!(r#"{{"ok":false,"error":{{"message":"cannot serialize the result: {e}"}}}}"#)
    })
}

/// Positions in one text: line:column (1-based, characters) and UTF-16 offsets.
#[derive(Debug)]
pub struct TextPos<'a> {
    text: &'a str,
    idx: LineIndex<'a>,
    ascii: bool,
}

impl<'a> TextPos<'a> {
    pub fn new(text: &'a str) -> TextPos<'a> {
        TextPos { text, idx: LineIndex::new(text), ascii: text.is_ascii() }
    }

    /// The UTF-16 offset of a byte offset (clamped, rounded down to a character boundary).
    pub fn off16(&self, off: u32) -> usize {
        if off == u32::MAX {
            return 0;
        }
        let mut off = (off as usize).min(self.text.len());
        if self.ascii {
            return off;
        }
        while off > 0 && !self.text.is_char_boundary(off) {
            off -= 1;
        }
        self.text.get(..off).map_or(0, |s| s.encode_utf16().count())
    }

    /// Every position of a span, as a JSON object (TextSpan in keyward.d.ts).
    pub fn span(&self, s: Span) -> Value {
        if s.is_synthetic() {
            return Value::Null;
        }
        let a = self.idx.line_col(s.start);
        let b = self.idx.line_col(s.end);
        json!({
            "start": s.start, "end": s.end,
            "start16": self.off16(s.start), "end16": self.off16(s.end),
            "line": a.line, "column": a.col, "end_line": b.line, "end_column": b.col,
        })
    }
}

/// Reads an optional string member (`null` counts as absent).
pub fn opt_str<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<&'v str>, Value> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => {
            Err(fail(format!("{field} must be a string, not {}", type_name(v)), Some(field)))
        }
    }
}

/// The JSON type of a value, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses a JSON object given as a string.
pub fn parse_object(text: &str, field: &str) -> Result<Map<String, Value>, Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(v) => {
            Err(fail(format!("{field} must be a JSON object, not {}", type_name(&v)), Some(field)))
        }
        Err(e) => {
            let mut v = fail(format!("{field} is not valid JSON: {e}"), Some(field));
            if let Some(err) = v.get_mut("error").and_then(Value::as_object_mut) {
                err.insert("line".into(), json!(e.line()));
                err.insert("column".into(), json!(e.column()));
            }
            Err(v)
        }
    }
}
