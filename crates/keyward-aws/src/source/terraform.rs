//! Policy documents inside Terraform plan or state JSON (`terraform show -json`).
//!
//! There a policy is a JSON string inside JSON (`"policy": "{\"Version\": ...}"`). It is linted
//! unescaped, and each finding is mapped back through the escapes to the plan file.

use super::span::string_map;
use super::Doc;
use keyward_core::json::{Node, Value};
use keyward_core::parse::DocKind;

/// True when `root` looks like `terraform show -json` output.
pub fn is_plan(root: &Node) -> bool {
    root.get("format_version").is_some()
        && (root.get("planned_values").is_some()
            || root.get("values").is_some()
            || root.get("resource_changes").is_some())
}

/// Every policy string in the plan's planned values (or the state's values, or, failing both,
/// the `after` side of each resource change).
pub fn extract<'a>(root: &Node, orig: &str) -> Vec<Doc<'a>> {
    let mut out = Vec::new();
    let module = root
        .get("planned_values")
        .or_else(|| root.get("values"))
        .and_then(|v| v.get("root_module"));
    if let Some(m) = module {
        walk_module(m, orig, &mut out, 0);
    } else if let Some(Value::Array(changes)) = root.get("resource_changes").map(|c| &c.value) {
        for c in changes {
            let after = c.get("change").and_then(|c| c.get("after"));
            if let (Some(ty), Some(addr), Some(values)) = (
                c.get("type").and_then(Node::as_str),
                c.get("address").and_then(Node::as_str),
                after,
            ) {
                resource(ty, addr, values, orig, &mut out);
            }
        }
    }
    out
}

fn walk_module(m: &Node, orig: &str, out: &mut Vec<Doc<'_>>, depth: usize) {
    if depth > 32 {
        return;
    }
    if let Some(Value::Array(rs)) = m.get("resources").map(|r| &r.value) {
        for r in rs {
            if let (Some(ty), Some(addr), Some(values)) = (
                r.get("type").and_then(Node::as_str),
                r.get("address").and_then(Node::as_str),
                r.get("values"),
            ) {
                resource(ty, addr, values, orig, out);
            }
        }
    }
    if let Some(Value::Array(children)) = m.get("child_modules").map(|c| &c.value) {
        for c in children {
            walk_module(c, orig, out, depth + 1);
        }
    }
}

/// The policy attributes of one resource.
fn resource(ty: &str, addr: &str, values: &Node, orig: &str, out: &mut Vec<Doc<'_>>) {
    let (attr, kind) = match ty {
        "aws_kms_key" | "aws_kms_replica_key" | "aws_kms_key_policy" => ("policy", "key"),
        "aws_iam_policy"
        | "aws_iam_role_policy"
        | "aws_iam_user_policy"
        | "aws_iam_group_policy" => ("policy", "identity"),
        "aws_s3_bucket_policy" | "aws_sqs_queue_policy" | "aws_sns_topic_policy" => {
            ("policy", "resource")
        }
        "aws_organizations_policy" => match values.get("type").and_then(Node::as_str) {
            Some("SERVICE_CONTROL_POLICY") => ("content", "scp"),
            Some("RESOURCE_CONTROL_POLICY") => ("content", "rcp"),
            _ => return,
        },
        "aws_iam_role" | "aws_iam_user" | "aws_iam_group" => {
            if let Some(Value::Array(items)) = values.get("inline_policy").map(|p| &p.value) {
                for (i, item) in items.iter().enumerate() {
                    if let Some(p) = item.get("policy") {
                        push(p, format!("{addr}.inline_policy[{i}].policy"), "identity", orig, out);
                    }
                }
            }
            return;
        }
        _ => return,
    };
    if let Some(p) = values.get(attr) {
        push(p, format!("{addr}.{attr}"), kind, orig, out);
    }
}

fn push(node: &Node, label: String, kind: &str, orig: &str, out: &mut Vec<Doc<'_>>) {
    let (Some(s), Some(kind)) = (node.as_str(), DocKind::from_name(kind)) else { return };
    if s.trim().is_empty() {
        return;
    }
    let (start, end) = (node.span.start as usize, node.span.end as usize);
    let Some(raw) = orig.get(start..end) else { return };
    out.push(Doc {
        label: Some(label),
        kind: Some(kind),
        text: s.to_string().into(),
        map: string_map(raw, start, s),
        pos: start,
    });
}
