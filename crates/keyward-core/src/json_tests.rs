//! Unit tests of the JSON reader: spans, escapes, unicode, numbers, duplicates and limits.

use super::*;
use crate::span::LineIndex;

fn ok(text: &str) -> Node {
    let (node, diags) = read(text, Limits::default());
    assert!(diags.is_empty(), "unexpected diagnostics: {diags:?}");
    node.expect("a document")
}

fn errs(text: &str) -> Vec<(&'static str, u32, u32)> {
    let (_, diags) = read(text, Limits::default());
    let idx = LineIndex::new(text);
    diags
        .iter()
        .map(|d| {
            let lc = idx.line_col(d.span.start);
            (d.code, lc.line, lc.col)
        })
        .collect()
}

#[test]
fn spans_of_keys_and_values() {
    let text = "{\n  \"Effect\": \"Allow\",\n  \"n\": [1, true]\n}";
    let root = ok(text);
    let members = root.as_object().unwrap();
    assert_eq!(
        &text[members[0].key_span.start as usize..members[0].key_span.end as usize],
        "\"Effect\""
    );
    let v = &members[0].value;
    assert_eq!(&text[v.span.start as usize..v.span.end as usize], "\"Allow\"");
    let arr = &members[1].value;
    assert_eq!(&text[arr.span.start as usize..arr.span.end as usize], "[1, true]");
    assert_eq!(root.span, Span::new(0, text.len()));
}

#[test]
fn escapes_and_unicode() {
    let root = ok(r#"["a\"b\\c\/d\n\t", "\u00e9\u4e2d", "\ud83d\ude00", "é中😀"]"#);
    let Value::Array(items) = root.value else { panic!() };
    assert_eq!(items[0].as_str(), Some("a\"b\\c/d\n\t"));
    assert_eq!(items[1].as_str(), Some("é中"));
    assert_eq!(items[2].as_str(), Some("😀"));
    assert_eq!(items[3].as_str(), Some("é中😀"));
}

#[test]
fn bad_strings() {
    assert_eq!(errs(r#"["\q"]"#), vec![("json-invalid-string", 1, 3)]);
    assert_eq!(errs(r#"["\ud800"]"#), vec![("json-invalid-string", 1, 3)]);
    assert_eq!(errs(r#"["\u12G4"]"#), vec![("json-invalid-string", 1, 3)]);
    assert_eq!(errs("[\"a\u{1}\"]"), vec![("json-invalid-string", 1, 4)]);
    assert_eq!(errs("[\"abc"), vec![("json-syntax", 1, 6)]);
}

#[test]
fn numbers_follow_the_json_grammar() {
    let root = ok("[0, -1, 1.5, 2e10, -0.5E-3, 1700000000]");
    let Value::Array(items) = root.value else { panic!() };
    let texts: Vec<_> = items
        .iter()
        .map(|n| match &n.value {
            Value::Number(t) => t.to_string(),
            _ => panic!(),
        })
        .collect();
    assert_eq!(texts, ["0", "-1", "1.5", "2e10", "-0.5E-3", "1700000000"]);
    for bad in ["[01]", "[1.]", "[.5]", "[+1]", "[1e]", "[-]", "[1x]"] {
        assert_eq!(errs(bad).first().map(|e| e.0), Some("json-syntax"), "{bad}");
    }
}

#[test]
fn duplicate_keys_are_all_reported_and_reading_continues() {
    let text = "{\"a\": 1,\n \"a\": 2, \"b\": {\"c\": 1, \"c\": 2}}";
    assert_eq!(errs(text), vec![("json-duplicate-key", 2, 2), ("json-duplicate-key", 2, 24)]);
    let (node, _) = read(text, Limits::default());
    assert!(node.is_some());
}

#[test]
fn keys_differing_in_case_are_not_duplicates() {
    ok(r#"{"Action": 1, "action": 2}"#);
}

#[test]
fn syntax_errors_point_at_the_offending_character() {
    assert_eq!(errs("{\"a\": 1,}"), vec![("json-syntax", 1, 9)]);
    assert_eq!(errs("{\"a\" 1}"), vec![("json-syntax", 1, 6)]);
    assert_eq!(errs("{\"a\": 1}\n x"), vec![("json-syntax", 2, 2)]);
    assert_eq!(errs(""), vec![("json-syntax", 1, 1)]);
    assert_eq!(errs("[tru]"), vec![("json-syntax", 1, 2)]);
    assert_eq!(errs("{a: 1}"), vec![("json-syntax", 1, 2)]);
    assert_eq!(errs("[1 2]"), vec![("json-syntax", 1, 4)]);
}

#[test]
fn depth_limit_is_enforced_without_overflowing_the_stack() {
    let deep = "[".repeat(64) + &"]".repeat(64);
    ok(&deep);
    let too_deep = "[".repeat(65) + &"]".repeat(65);
    assert_eq!(errs(&too_deep), vec![("json-too-deep", 1, 65)]);
    let huge = "[".repeat(100_000);
    assert_eq!(errs(&huge), vec![("json-too-deep", 1, 65)]);
    let limits = Limits { max_depth: 2, ..Limits::default() };
    assert!(read("[[1]]", limits).1.is_empty());
    assert_eq!(read("[[[1]]]", limits).1[0].code, "json-too-deep");
}

#[test]
fn size_limit_is_enforced() {
    let limits = Limits { max_bytes: 10, ..Limits::default() };
    let (node, diags) = read("[1,2,3,4,5,6]", limits);
    assert!(node.is_none());
    assert_eq!(diags[0].code, "json-too-large");
    assert!(read("[1,2,3,4]", limits).1.is_empty());
}

#[test]
fn byte_order_mark_and_whitespace_are_accepted() {
    ok("\u{feff} \t\r\n{}\n");
}

#[test]
fn serde_round_trip() {
    let root = ok(r#"{"a": [1, "x", null, false], "b": {"c": 2.5}}"#);
    let back = Node::from_serde(&root.to_serde());
    assert_eq!(back.to_serde(), root.to_serde());
}

#[test]
fn string_stop_finds_the_first_stop_byte_in_every_position() {
    let naive = |s: &str| s.bytes().position(|b| b == b'"' || b == b'\\' || b < b' ');
    // Each stop byte, and bytes next to them in value (0x1f/0x20, 0x21/0x23, 0x5b/0x5d, bytes
    // of multi-byte characters), at every offset of a word and in the tail.
    let fillers = ["a", " ", "!", "#", "[", "]", "\u{e9}", "\u{20ac}", "\u{7f}"];
    let stops = ["\"", "\\", "\u{1f}", "\u{0}", "\n", ""];
    for filler in fillers {
        for stop in stops {
            for before in 0..20 {
                for after in [0, 1, 9] {
                    let s = format!("{}{stop}{}", filler.repeat(before), " \"".repeat(after));
                    assert_eq!(string_stop(&s), naive(&s), "{s:?}");
                }
            }
        }
    }
}
