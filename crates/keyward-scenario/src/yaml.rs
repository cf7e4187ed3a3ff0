//! YAML scenario text to a [`Node`] tree whose every value and key has its span in the text,
//! so YAML scenarios get `file:line:col` diagnostics like JSON ones.
//!
//! Built on yaml-rust2's event parser, driven one event at a time (its `load` recurses once per
//! nesting level, so deep input could exhaust the stack). Plain scalars are typed the YAML 1.2
//! core-schema way, restricted to what JSON can say: `null`/`~`/empty, `true`/`false`, and
//! numbers written as JSON numbers; everything else is a string. Limits, each a diagnostic:
//! the size and nesting depth of [`Limits`], and a bound on the values that aliases expand to
//! (no exponential "billion laughs").

use keyward_core::diag::Diagnostic;
use keyward_core::json::{Limits, Member, Node, Value};
use keyward_core::span::CharOffsets;
use keyward_core::span::Span;
use std::collections::HashMap;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

/// The most a document may hold once aliases are expanded, in values (each value counts one,
/// and each 64 bytes of text one more): about 150 MB of tree at most.
const MAX_VALUES: usize = 1_000_000;

fn scalar_weight(text: &str) -> usize {
    1 + text.len() / 64
}

/// Reads the first YAML document of `text`.
pub(crate) fn read(text: &str, limits: Limits) -> Result<Node, Diagnostic> {
    let err =
        |at: usize, msg: String| Diagnostic::error("scenario-invalid", Span::new(at, at), "", msg);
    if text.len() > limits.max_bytes {
        let msg = format!(
            "input is {} bytes, more than the limit of {} bytes",
            text.len(),
            limits.max_bytes
        );
        return Err(err(0, msg));
    }
    let offsets = CharOffsets::new(text);
    let mut b = Builder { text, stack: Vec::new(), anchors: HashMap::new(), values: 0 };
    let mut parser = Parser::new_from_str(text);
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| {
            err(offsets.byte(e.marker().index()), format!("invalid YAML: {}", e.info()))
        })?;
        let at = offsets.byte(mark.index());
        match b.on_event(ev, at, limits.max_depth) {
            Step::More => {}
            Step::Done(node) => return Ok(node),
            Step::Empty => return Err(err(at, "the YAML document is empty".into())),
            Step::Fail(msg) => return Err(err(at, msg)),
        }
    }
}

enum Frame {
    Seq { at: usize, anchor: usize, size: usize, items: Vec<Node> },
    Map { at: usize, anchor: usize, size: usize, members: Vec<Member>, key: Option<(String, Span)> },
}

enum Step {
    More,
    Done(Node),
    Empty,
    Fail(String),
}

struct Builder<'t> {
    text: &'t str,
    stack: Vec<Frame>,
    /// Anchored values and their weight (see [`MAX_VALUES`]).
    anchors: HashMap<usize, (Node, usize)>,
    /// Values so far, aliases expanded.
    values: usize,
}

impl Builder<'_> {
    fn on_event(&mut self, ev: Event, at: usize, max_depth: usize) -> Step {
        let added = match &ev {
            Event::Scalar(text, ..) => scalar_weight(text),
            Event::SequenceStart(..) | Event::MappingStart(..) => 1,
            Event::Alias(id) => self.anchors.get(id).map_or(0, |(_, size)| *size),
            _ => 0,
        };
        self.values = self.values.saturating_add(added);
        if self.values > MAX_VALUES {
            return Step::Fail(format!(
                "the YAML holds more than {MAX_VALUES} values once its aliases are expanded"
            ));
        }
        match ev {
            Event::Scalar(s, style, anchor, tag) => {
                let end = self.scalar_end(at, &s, style);
                let weight = scalar_weight(&s);
                let node = Node { span: Span::new(at, end), value: scalar(s, style, tag.as_ref()) };
                self.finish(node, anchor, weight)
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if self.stack.len() >= max_depth => {
                Step::Fail(format!("the YAML is nested more than {max_depth} levels deep"))
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push(Frame::Seq { at, anchor, size: 1, items: Vec::new() });
                Step::More
            }
            Event::MappingStart(anchor, _) => {
                let members = Vec::new();
                self.stack.push(Frame::Map { at, anchor, size: 1, members, key: None });
                Step::More
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor, size) = match self.stack.pop() {
                    Some(Frame::Seq { at: start, anchor, size, items }) => {
                        let span = Span::new(start, at.max(start));
                        (Node { span, value: Value::Array(items) }, anchor, size)
                    }
                    Some(Frame::Map { at: start, anchor, size, members, .. }) => {
                        let span = Span::new(start, at.max(start));
                        (Node { span, value: Value::Object(members) }, anchor, size)
                    }
                    None => return Step::More,
                };
                self.finish(node, anchor, size)
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some((node, size)) => {
                    let (node, size) = (node.clone(), *size);
                    self.finish(node, 0, size)
                }
                None => Step::Fail("an alias names an unknown anchor".into()),
            },
            Event::StreamEnd => Step::Empty,
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => {
                Step::More
            }
        }
    }

    /// The end of a scalar's text: its start plus its value's length when that is plausible,
    /// else the start (quoted, escaped or folded text is longer or shorter than its value).
    fn scalar_end(&self, at: usize, s: &str, style: TScalarStyle) -> usize {
        let quoted = matches!(style, TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted);
        let end = at + s.len() + 2 * usize::from(quoted);
        if self.text.get(at..end).is_some() {
            end
        } else {
            at
        }
    }

    /// Places a finished value (of weight `size`) into its parent.
    fn finish(&mut self, node: Node, anchor: usize, size: usize) -> Step {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => return Step::Done(node),
            Some(Frame::Seq { items, size: total, .. }) => {
                *total = total.saturating_add(size);
                items.push(node);
            }
            Some(Frame::Map { members, key, size: total, .. }) => {
                *total = total.saturating_add(size);
                match key.take() {
                    None => *key = Some((key_text(&node), node.span)),
                    Some((k, key_span)) => members.push(Member { key: k, key_span, value: node }),
                }
            }
        }
        Step::More
    }
}

/// A mapping key as a string (complex keys have no string form).
fn key_text(n: &Node) -> String {
    match &n.value {
        Value::String(s) => s.clone(),
        Value::Number(t) => t.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_string(),
        Value::Array(_) | Value::Object(_) => "?".to_string(),
    }
}

fn scalar(s: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if style != TScalarStyle::Plain || tag.is_some_and(|t| t.handle == "!!" && t.suffix == "str") {
        return Value::String(s);
    }
    match s.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ if looks_numeric(&s) && serde_json::from_str::<serde_json::Number>(&s).is_ok() => {
            Value::Number(s.into())
        }
        _ => Value::String(s),
    }
}

fn looks_numeric(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b == b'-' || b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, needle: &str) -> u32 {
        text.find(needle).unwrap() as u32
    }

    #[test]
    fn values_and_keys_keep_their_positions() {
        let text = "a:\n  b: 'x'\n  c: [1, true, ~, 2012-10-17]\n";
        let n = read(text, Limits::default()).unwrap();
        let a = n.get("a").unwrap();
        let b = a.get("b").unwrap();
        assert_eq!(b.value, Value::String("x".into()));
        assert_eq!((b.span.start, b.span.end), (at(text, "'x'"), at(text, "'x'") + 3));
        let Value::Object(members) = &a.value else { panic!("not a mapping") };
        assert_eq!(members[1].key_span.start, at(text, "c:"));
        let Value::Array(items) = &a.get("c").unwrap().value else { panic!("not a sequence") };
        let vs: Vec<&Value> = items.iter().map(|i| &i.value).collect();
        assert_eq!(
            vs,
            [
                &Value::Number("1".into()),
                &Value::Bool(true),
                &Value::Null,
                &Value::String("2012-10-17".into())
            ]
        );
    }

    #[test]
    fn limits_are_diagnostics() {
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let e = read(&deep, Limits::default()).unwrap_err();
        assert!(e.message.contains("nested more than 64"), "{}", e.message);
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
        let e = read(bomb, Limits::default()).unwrap_err();
        assert!(e.message.contains("aliases are expanded"), "{}", e.message);
        let big = Limits { max_bytes: 4, ..Limits::default() };
        assert!(read("a: 12345", big).unwrap_err().message.contains("more than the limit"));
        assert!(read("", Limits::default()).unwrap_err().message.contains("empty"));
    }
}
