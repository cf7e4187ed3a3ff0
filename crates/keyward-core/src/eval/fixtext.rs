//! Fixes as text: the fixed policy text for each policy [`Edit`], made on the original text
//! (formatting and key order kept) through the spans of the JSON reader. `fix.rs` decides which
//! edits work; this file writes them into the document a person will paste.

use super::fix::Edit;
use crate::json::{read, Limits, Node, Value};
use crate::span::Span;

fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn range(s: Span) -> Option<(usize, usize)> {
    (!s.is_synthetic()).then_some((s.start as usize, s.end as usize))
}

/// `text` with `[start, end)` replaced by `with`.
fn splice(text: &str, start: usize, end: usize, with: &str) -> Option<String> {
    Some(format!("{}{with}{}", text.get(..start)?, text.get(end..)?))
}

/// The whitespace that starts the line `offset` is on.
fn indent_at(text: &str, offset: usize) -> &str {
    let line_start = text.get(..offset).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
    let line = text.get(line_start..).unwrap_or("");
    let n = line.len() - line.trim_start_matches([' ', '\t']).len();
    line.get(..n).unwrap_or("")
}

/// The indentation step of a multi-line statement `stmt` whose first line is indented by
/// `indent` (the extra whitespace of its first member's line); None for a one-line statement.
fn unit_of(stmt: &str, indent: &str) -> Option<String> {
    let member = stmt.lines().nth(1)?;
    let ws = &member[..member.len() - member.trim_start_matches([' ', '\t']).len()];
    let unit = ws.strip_prefix(indent).filter(|u| !u.is_empty()).unwrap_or("  ");
    Some(unit.to_string())
}

/// Lays out compact JSON text one member per line: nested lines start with `indent` plus one
/// `unit` per level (the first line is not indented: it follows the splice point). Strings are
/// copied as they are; empty containers stay `{}` and `[]`.
fn pretty(json: &str, indent: &str, unit: &str) -> String {
    let mut out = String::with_capacity(json.len() * 2);
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(indent);
        (0..depth).for_each(|_| out.push_str(unit));
    };
    let mut chars = json.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                if matches!(chars.peek(), Some('}' | ']')) {
                    out.extend(chars.next());
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// `new` (compact JSON) laid out like the element at `[ls, le)` of the same document: one
/// member per line with the document's indentation when that element is, else as it is; and
/// the indentation of that element's first line.
fn laid_out_like<'t>(text: &'t str, (ls, le): (usize, usize), new: &str) -> (&'t str, String) {
    let indent = indent_at(text, ls);
    let laid_out = match text.get(ls..le).and_then(|t| unit_of(t, indent)) {
        Some(unit) => pretty(new, indent, &unit),
        None => new.to_string(),
    };
    (indent, laid_out)
}

/// Adds `new` after the last element of an array, at `[ls, le)`, laid out like it.
fn append_after(text: &str, last: (usize, usize), new: &str) -> Option<String> {
    let (indent, laid_out) = laid_out_like(text, last, new);
    splice(text, last.1, last.1, &format!(",\n{indent}{laid_out}"))
}

/// Makes the lone element at `[s, e)` (a Statement object, one CreateGrant request) a list of
/// it and `new`, laid out like it.
fn wrap_with(text: &str, (s, e): (usize, usize), new: &str) -> Option<String> {
    let orig = text.get(s..e)?;
    let (indent, laid_out) = laid_out_like(text, (s, e), new);
    splice(text, s, e, &format!("[{orig},\n{indent}{laid_out}]"))
}

/// The n-th statement object of a policy (a lone Statement object is statement 0).
fn statement(root: &Node, n: usize) -> Option<&Node> {
    let st = root.get("Statement")?;
    match &st.value {
        Value::Array(items) => items.get(n),
        Value::Object(_) if n == 0 => Some(st),
        _ => None,
    }
}

/// Adds a string to a string-or-array element value.
fn add_value(text: &str, node: &Node, value: &str) -> Option<String> {
    let (start, end) = range(node.span)?;
    match &node.value {
        Value::String(_) => {
            let orig = text.get(start..end)?;
            splice(text, start, end, &format!("[{orig}, {}]", quoted(value)))
        }
        Value::Array(items) => match items.last() {
            Some(last) => {
                let (_, e) = range(last.span)?;
                splice(text, e, e, &format!(", {}", quoted(value)))
            }
            None => splice(text, start, end, &format!("[{}]", quoted(value))),
        },
        _ => None,
    }
}

/// Applies a policy edit to the policy's text (None: a request edit, or text that does not hold
/// the statement the edit names).
pub fn apply_to_text(text: &str, edit: &Edit) -> Option<String> {
    let (root, _) = read(text, Limits::default());
    let root = root?;
    match edit {
        Edit::AddAction { statement: n, action, .. } => {
            add_value(text, statement(&root, *n)?.get("Action")?, action)
        }
        Edit::AddResource { statement: n, resource, .. } => {
            add_value(text, statement(&root, *n)?.get("Resource")?, resource)
        }
        Edit::AddPrincipal { statement: n, principal, principal_type, .. } => {
            let p = statement(&root, *n)?.get("Principal")?;
            if let Some(list) = p.get(principal_type) {
                return add_value(text, list, principal);
            }
            let members = p.as_object()?;
            match members.last() {
                Some(m) => {
                    let (_, e) = range(m.value.span)?;
                    splice(text, e, e, &format!(", \"{principal_type}\": {}", quoted(principal)))
                }
                None => {
                    let (s, e) = range(p.span)?;
                    splice(text, s, e, &format!("{{\"{principal_type}\": {}}}", quoted(principal)))
                }
            }
        }
        Edit::AddStatement { statement: new, .. } => {
            let st = root.get("Statement")?;
            let (s, e) = range(st.span)?;
            match &st.value {
                Value::Array(items) => match items.last() {
                    Some(last) => append_after(text, range(last.span)?, new),
                    None => splice(text, s, e, &format!("[{new}]")),
                },
                Value::Object(_) => wrap_with(text, (s, e), new),
                _ => None,
            }
        }
        Edit::AddConditionValue { statement: n, operator, key, value, .. } => {
            let cond = statement(&root, *n)?.get("Condition")?.get(operator)?;
            let members = cond.as_object()?;
            let node = &members.iter().find(|m| m.key.eq_ignore_ascii_case(key))?.value;
            add_value(text, node, value)
        }
        Edit::AddGrant { .. } => {
            // The grants document: a list, a ListGrants response, or one CreateGrant request.
            let new = grant_json(edit)?;
            let list = match &root.value {
                Value::Array(_) => &root,
                Value::Object(_) => match root.get("Grants") {
                    Some(g) => g,
                    None => return wrap_with(text, range(root.span)?, &new),
                },
                _ => return None,
            };
            let (s, e) = range(list.span)?;
            match &list.value {
                Value::Array(items) => match items.last() {
                    Some(last) => append_after(text, range(last.span)?, &new),
                    None => splice(text, s, e, &format!("[{new}]")),
                },
                _ => None,
            }
        }
        Edit::SetContext { .. } | Edit::RemoveContext { .. } => None,
    }
}

/// The CreateGrant request of an AddGrant edit, as JSON.
pub fn grant_json(edit: &Edit) -> Option<String> {
    let Edit::AddGrant { grantee, operations, encryption_context_subset } = edit else {
        return None;
    };
    let mut g = serde_json::Map::new();
    g.insert("Name".into(), "keyward-fix".into());
    g.insert("GranteePrincipal".into(), grantee.clone().into());
    g.insert("Operations".into(), operations.clone().into());
    if !encryption_context_subset.is_empty() {
        g.insert(
            "Constraints".into(),
            serde_json::json!({ "EncryptionContextSubset": encryption_context_subset }),
        );
    }
    Some(serde_json::Value::Object(g).to_string())
}

/// A new policy holding the statement of an AddStatement edit (for a policy that does not exist).
pub fn new_policy_text(edit: &Edit) -> Option<String> {
    match edit {
        Edit::AddStatement { statement, .. } => Some(format!(
            "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {}\n  ]\n}}\n",
            pretty(statement, "    ", "  ")
        )),
        Edit::AddGrant { .. } => {
            Some(format!("[\n  {}\n]\n", pretty(&grant_json(edit)?, "  ", "  ")))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use crate::eval::Source;

    #[test]
    fn a_new_statement_takes_the_documents_layout() {
        let doc = "{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n        {\n            \"Sid\": \"A\",\n            \"Effect\": \"Allow\",\n            \"Action\": \"kms:Encrypt\",\n            \"Resource\": \"*\"\n        }\n    ]\n}\n";
        let new = r#"{"Sid":"B","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/x,y"},"Action":["kms:Decrypt"],"Resource":"*","Condition":{}}"#;
        let e = Edit::AddStatement { source: Source::ResourcePolicy, statement: new.to_string() };
        let out = apply_to_text(doc, &e).unwrap();
        let want = "        },\n        {\n            \"Sid\": \"B\",\n            \"Effect\": \"Allow\",\n            \"Principal\": {\n                \"AWS\": \"arn:aws:iam::1:role/x,y\"\n            },\n            \"Action\": [\n                \"kms:Decrypt\"\n            ],\n            \"Resource\": \"*\",\n            \"Condition\": {}\n        }\n    ]";
        assert!(out.contains(want), "{out}");
        let longest = |t: &str| t.lines().map(str::len).max().unwrap_or(0);
        assert!(longest(&out) <= longest(doc) + 30, "{out}");
        // The result is still the same JSON as a one-line insertion.
        let a: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(a["Statement"][1]["Principal"]["AWS"], "arn:aws:iam::1:role/x,y");
        // A one-line document keeps one-line statements.
        let flat =
            r#"{"Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}"#;
        let out = apply_to_text(flat, &e).unwrap();
        assert!(out.contains(&format!(",\n{new}")), "{out}");
    }

    #[test]
    fn a_new_grant_takes_the_documents_layout_in_a_list_or_beside_one_request() {
        let e = Edit::AddGrant {
            grantee: "arn:aws:iam::111122223333:role/BatchProcessingRole".into(),
            operations: vec!["Decrypt".into()],
            encryption_context_subset: [("Department".to_string(), "Finance".to_string())].into(),
        };
        let one = "{\n  \"GranteePrincipal\": \"arn:aws:iam::111122223333:role/Other\",\n  \"Operations\": [\n    \"Decrypt\"\n  ],\n  \"Name\": \"g\"\n}\n";
        let list = format!("[\n  {}\n]\n", one.trim_end().replace('\n', "\n  "));
        let longest = |t: &str| t.lines().map(str::len).max().unwrap_or(0);
        for doc in [one.to_string(), list] {
            let out = apply_to_text(&doc, &e).unwrap();
            assert!(longest(&out) <= longest(&doc) + "BatchProcessingRole".len(), "{out}");
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            let grants = v.as_array().unwrap();
            assert_eq!(grants.len(), 2, "{out}");
            assert_eq!(
                grants[1]["GranteePrincipal"],
                "arn:aws:iam::111122223333:role/BatchProcessingRole"
            );
            assert_eq!(
                grants[1]["Constraints"]["EncryptionContextSubset"]["Department"],
                "Finance"
            );
        }
        // A new document is laid out one member per line too.
        let new = new_policy_text(&e).unwrap();
        assert!(new.lines().count() > 8 && longest(&new) < 80, "{new}");
        assert!(serde_json::from_str::<serde_json::Value>(&new).is_ok(), "{new}");
    }

    #[test]
    fn adds_action_to_string_and_list() {
        let t = r#"{"Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}"#;
        let e = Edit::AddAction {
            source: Source::Boundary,
            statement: 0,
            action: "kms:Decrypt".into(),
        };
        let out = apply_to_text(t, &e).unwrap();
        assert!(out.contains(r#""Action": ["kms:Encrypt", "kms:Decrypt"]"#), "{out}");
        let out2 = apply_to_text(&out, &e).unwrap();
        assert!(out2.contains(r#"["kms:Encrypt", "kms:Decrypt", "kms:Decrypt"]"#), "{out2}");
    }

    #[test]
    fn appends_statement_with_indent() {
        let t = "{\n  \"Statement\": [\n    {\"Effect\": \"Deny\"}\n  ]\n}";
        let e = Edit::AddStatement { source: Source::Boundary, statement: "{\"X\":1}".into() };
        let out = apply_to_text(t, &e).unwrap();
        assert!(out.contains("{\"Effect\": \"Deny\"},\n    {\"X\":1}\n  ]"), "{out}");
    }

    #[test]
    fn request_edits_and_missing_statements_give_none() {
        let t = r#"{"Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}"#;
        let e = Edit::AddAction { source: Source::Boundary, statement: 3, action: "a:b".into() };
        assert_eq!(apply_to_text(t, &e), None);
        let p = new_policy_text(&Edit::AddStatement {
            source: Source::Boundary,
            statement: "{\"Effect\":\"Allow\"}".into(),
        })
        .unwrap();
        assert!(crate::json::read(&p, Limits::default()).0.is_some(), "{p}");
        assert_eq!(new_policy_text(&e), None);
    }
}
