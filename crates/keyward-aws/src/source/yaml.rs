//! YAML to [`Tree`], keeping the byte offset of every node (for CloudFormation YAML templates).
//!
//! CloudFormation short-form tags become their long form (`!Ref X` is `{"Ref": "X"}`, `!Sub s`
//! is `{"Fn::Sub": s}`), so the template code sees one shape for JSON and YAML. Plain scalars
//! are typed the YAML 1.2 core-schema way: null, booleans and JSON-valid numbers; anything
//! else is a string.

use super::tree::{Member, Tree, V};
use keyward_core::span::CharOffsets;
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A YAML syntax error: byte offset and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub pos: usize,
    pub message: String,
}

/// How many nodes aliases may add in all: each alias copies its anchor's whole tree, so a few
/// hundred bytes of nested aliases (a "billion laughs" document) would otherwise expand to
/// gigabytes. Real templates stay far below this.
pub(crate) const ALIAS_NODE_LIMIT: usize = 100_000;

/// Reads the first document of `text`.
pub fn read(text: &str) -> Result<Option<Tree>, YamlError> {
    let offsets = CharOffsets::new(text);
    let mut b = Builder {
        offsets: &offsets,
        stack: Vec::new(),
        root: None,
        anchors: HashMap::new(),
        expanded: 0,
        bomb: None,
    };
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut b, false).map_err(|e| YamlError {
        pos: offsets.byte(e.marker().index()),
        message: e.info().to_string(),
    })?;
    if let Some(pos) = b.bomb {
        return Err(YamlError {
            pos,
            message: format!(
                "aliases expand to more than {ALIAS_NODE_LIMIT} nodes (a YAML alias bomb?); \
                 expansion stopped at this alias"
            ),
        });
    }
    Ok(b.root)
}

/// The number of nodes in `t`.
fn size(t: &Tree) -> usize {
    match &t.v {
        V::Arr(items) => 1 + items.iter().map(size).sum::<usize>(),
        V::Obj(members) => 1 + members.iter().map(|m| size(&m.value)).sum::<usize>(),
        _ => 1,
    }
}

enum Frame {
    Seq {
        pos: usize,
        tag: Option<Tag>,
        anchor: usize,
        items: Vec<Tree>,
    },
    Map {
        pos: usize,
        tag: Option<Tag>,
        anchor: usize,
        members: Vec<Member>,
        key: Option<(String, usize)>,
    },
}

struct Builder<'a> {
    offsets: &'a CharOffsets,
    stack: Vec<Frame>,
    root: Option<Tree>,
    /// Anchored trees with their node counts.
    anchors: HashMap<usize, (Tree, usize)>,
    /// Nodes added by aliases so far.
    expanded: usize,
    /// Where the alias that crossed [`ALIAS_NODE_LIMIT`] is; nothing is expanded after it.
    bomb: Option<usize>,
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = self.offsets.byte(mark.index());
        match ev {
            Event::Scalar(s, style, anchor, tag) => {
                let v = scalar(s, style, tag.as_ref());
                let node = with_tag(Tree { pos, end: pos, v }, tag.as_ref());
                self.finish(node, anchor);
            }
            Event::SequenceStart(anchor, tag) => {
                self.stack.push(Frame::Seq { pos, tag, anchor, items: Vec::new() });
            }
            Event::MappingStart(anchor, tag) => {
                self.stack.push(Frame::Map { pos, tag, anchor, members: Vec::new(), key: None });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { pos, tag, anchor, items }) => {
                        (with_tag(Tree { pos, end: pos, v: V::Arr(items) }, tag.as_ref()), anchor)
                    }
                    Some(Frame::Map { pos, tag, anchor, members, .. }) => {
                        (with_tag(Tree { pos, end: pos, v: V::Obj(members) }, tag.as_ref()), anchor)
                    }
                    None => return,
                };
                self.finish(node, anchor);
            }
            Event::Alias(id) => {
                let null = Tree { pos, end: pos, v: V::Null };
                let node = match self.anchors.get(&id) {
                    Some((tree, n)) if self.bomb.is_none() => {
                        self.expanded = self.expanded.saturating_add(*n);
                        if self.expanded > ALIAS_NODE_LIMIT {
                            self.bomb = Some(pos);
                            null
                        } else {
                            tree.clone()
                        }
                    }
                    _ => null,
                };
                self.finish(node, 0);
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

impl Builder<'_> {
    fn finish(&mut self, node: Tree, anchor: usize) {
        if anchor != 0 {
            let n = size(&node);
            self.anchors.insert(anchor, (node.clone(), n));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { members, key, .. }) => match key.take() {
                None => *key = Some((key_text(&node), node.pos)),
                Some((k, key_pos)) => members.push(Member { key: k, key_pos, value: node }),
            },
        }
    }
}

/// A mapping key as a string (complex keys become their JSON text).
fn key_text(t: &Tree) -> String {
    match &t.v {
        V::Str(s) | V::Num(s) => s.clone(),
        V::Bool(b) => b.to_string(),
        V::Null => "null".to_string(),
        V::Arr(_) | V::Obj(_) => "?".to_string(),
    }
}

fn scalar(s: String, style: TScalarStyle, tag: Option<&Tag>) -> V {
    if style != TScalarStyle::Plain || tag.is_some_and(|t| t.handle == "!!" && t.suffix == "str") {
        return V::Str(s);
    }
    match s.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => V::Null,
        "true" | "True" | "TRUE" => V::Bool(true),
        "false" | "False" | "FALSE" => V::Bool(false),
        _ if looks_numeric(&s) && serde_json::from_str::<serde_json::Number>(&s).is_ok() => {
            V::Num(s)
        }
        _ => V::Str(s),
    }
}

fn looks_numeric(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b == b'-' || b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
}

/// Wraps a node carrying a CloudFormation short-form tag into the long form.
fn with_tag(node: Tree, tag: Option<&Tag>) -> Tree {
    let Some(tag) = tag.filter(|t| t.handle == "!") else { return node };
    let key = match tag.suffix.as_str() {
        "Ref" => "Ref".to_string(),
        "Condition" => "Condition".to_string(),
        other => format!("Fn::{other}"),
    };
    // `!GetAtt A.B` is the scalar form of `Fn::GetAtt: [A, B]`; both are handled downstream.
    let pos = node.pos;
    Tree { pos, end: pos, v: V::Obj(vec![Member { key, key_pos: pos, value: node }]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_tags() {
        let text = "A:\n  B: !Sub 'x-${AWS::Region}'\n  C: [1, true, ~, 2012-10-17]\n";
        let t = read(text).unwrap().unwrap();
        let a = t.get("A").unwrap();
        let sub = a.get("B").unwrap().get("Fn::Sub").unwrap();
        assert_eq!(sub.as_str(), Some("x-${AWS::Region}"));
        assert_eq!(sub.pos, text.find("'x-").unwrap());
        let V::Arr(items) = &a.get("C").unwrap().v else { panic!("not an array") };
        let vs: Vec<&V> = items.iter().map(|i| &i.v).collect();
        assert_eq!(
            vs,
            vec![&V::Num("1".into()), &V::Bool(true), &V::Null, &V::Str("2012-10-17".into())]
        );
    }

    #[test]
    fn an_alias_bomb_is_refused_at_the_alias() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(text.len() < 800);
        let e = read(&text).err().unwrap_or_else(|| panic!("the bomb was expanded"));
        assert!(e.message.contains("alias bomb"), "{}", e.message);
        // The alias that crossed the limit: on line 5 (where the total passes 10^5), at a `*`.
        let line = text[..e.pos].matches('\n').count() + 1;
        assert_eq!((line, &text[e.pos..e.pos + 1]), (5, "*"), "{e:?}");
        // Modest reuse is fine.
        let ok = "base: &b {Effect: Allow}\nuse: [*b, *b, *b]\n";
        assert!(read(ok).is_ok());
    }

    #[test]
    fn syntax_error_has_position() {
        let e = read("a: [1, 2\nb: 3\n").err();
        assert!(e.is_some_and(|e| e.pos > 0));
    }
}
