//! keyward-aws: read what the AWS CLI and CloudTrail print, and turn it into keyward inputs.
//!
//! - [`cloudtrail`]: CloudTrail events (one event, `{"Records": [...]}`, `lookup-events`
//!   output) to a derived KMS request, with the facts derived and the facts that could not be
//!   known, and the outcome AWS recorded.
//! - [`kms`]: `aws kms get-key-policy`, `describe-key` and `list-grants` output, and
//!   `aws organizations describe-policy` (SCPs and RCPs).
//! - [`export`]: `aws iam get-account-authorization-details` (users, roles, groups, managed
//!   policies, permission boundaries, tags) and `aws iam get-role` / `get-user`.
//! - [`hcl`]: Terraform source (`.tf`): the policy documents it writes, mapped back to the
//!   `.tf` text.
//! - [`embedded`]: policies embedded as JSON strings (and URL-encoded strings), with every
//!   diagnostic's span mapped back into the file through the escapes.
//! - [`source`]: the policies inside CloudFormation templates (JSON, YAML) and Terraform plans,
//!   with span maps into the file (the same [`source::span::SpanMap`] as `embedded`), and
//!   [`source::lint_source`]: lint one source file and place each finding in it.
//!
//! Like `keyward-core`, this crate is pure: it takes text, never paths, and reads no clock.
//! Problems are [`Diagnostic`]s with a span into the text that was given, so callers print
//! `file:line:col`. Shape errors use the code `aws-input-invalid`; errors inside embedded
//! policies keep the policy parser's codes.

pub mod cloudtrail;
pub mod embedded;
pub mod export;
pub mod hcl;
pub mod kms;
pub mod source;

use keyward_core::diag::Diagnostic;
use keyward_core::json::{Limits, Node};
use keyward_core::span::Span;

/// Limits for whole AWS CLI outputs (an account export can be large); embedded policies still
/// get keyward's 1 MiB policy limit.
pub const EXPORT_LIMITS: Limits = Limits { max_bytes: 512 * 1024 * 1024, max_depth: 64 };

/// The code of every shape error this crate reports.
pub const INVALID: &str = "aws-input-invalid";

pub(crate) fn invalid(span: Span, path: &str, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::error(INVALID, span, path, msg)
}

/// Reads a JSON document with [`EXPORT_LIMITS`].
pub(crate) fn read_json(text: &str) -> (Option<Node>, Vec<Diagnostic>) {
    keyward_core::json::read(text, EXPORT_LIMITS)
}

/// A string member of an object.
pub(crate) fn get_str<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.get(key).and_then(Node::as_str)
}

/// The items of an array member (empty when absent or not an array).
pub(crate) fn get_array<'a>(node: &'a Node, key: &str) -> &'a [Node] {
    match node.get(key).map(|n| &n.value) {
        Some(keyward_core::json::Value::Array(a)) => a,
        _ => &[],
    }
}

/// Tags written the IAM way (`[{"Key":..,"Value":..}]`) or as an object.
pub(crate) fn read_tags(node: Option<&Node>) -> Vec<(String, String)> {
    let Some(node) = node else { return Vec::new() };
    match &node.value {
        keyward_core::json::Value::Array(items) => items
            .iter()
            .filter_map(|t| {
                let k = get_str(t, "Key").or_else(|| get_str(t, "TagKey"))?;
                let v = get_str(t, "Value").or_else(|| get_str(t, "TagValue")).unwrap_or("");
                Some((k.to_string(), v.to_string()))
            })
            .collect(),
        keyward_core::json::Value::Object(members) => members
            .iter()
            .filter_map(|m| Some((m.key.clone(), m.value.as_str()?.to_string())))
            .collect(),
        _ => Vec::new(),
    }
}
