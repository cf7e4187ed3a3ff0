//! A value tree that remembers where each value sits in the original file (read from JSON or
//! YAML), so policies inside templates can be rendered with a [`super::span::SpanMap`] back
//! to that file.

use keyward_core::json::{Node, Value};

/// A value read from JSON or YAML, with the byte offset of its first character.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    /// Byte offset of the value in the original text.
    pub pos: usize,
    /// One past its last byte (JSON only; YAML values carry `pos`).
    pub end: usize,
    /// The value.
    pub v: V,
}

/// The value of a [`Tree`].
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    /// A number, as written (always valid JSON).
    Num(String),
    Str(String),
    Arr(Vec<Tree>),
    Obj(Vec<Member>),
}

/// One key of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub key: String,
    pub key_pos: usize,
    pub value: Tree,
}

impl Tree {
    /// Converts a span-keeping JSON node.
    pub fn from_node(n: &Node) -> Tree {
        let v = match &n.value {
            Value::Null => V::Null,
            Value::Bool(b) => V::Bool(*b),
            Value::Number(s) => V::Num(s.to_string()),
            Value::String(s) => V::Str(s.clone()),
            Value::Array(a) => V::Arr(a.iter().map(Tree::from_node).collect()),
            Value::Object(m) => V::Obj(
                m.iter()
                    .map(|m| Member {
                        key: m.key.clone(),
                        key_pos: m.key_span.start as usize,
                        value: Tree::from_node(&m.value),
                    })
                    .collect(),
            ),
        };
        Tree { pos: n.span.start as usize, end: n.span.end as usize, v }
    }

    /// The first member named `key`, when this is an object.
    pub fn get(&self, key: &str) -> Option<&Tree> {
        match &self.v {
            V::Obj(m) => m.iter().find(|m| m.key == key).map(|m| &m.value),
            _ => None,
        }
    }

    /// The string, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.v {
            V::Str(s) => Some(s),
            _ => None,
        }
    }
}
