//! `aws kms get-key-policy`, `describe-key` and `list-grants` output, and
//! `aws organizations describe-policy` output (SCPs and RCPs).

use crate::embedded::policy_from_node;
use crate::{get_str, invalid, read_json};
use keyward_core::diag::Diagnostic;
use keyward_core::json::Value;
use keyward_core::model::{Grant, Policy, PolicyKind};
use keyward_core::parse::parse_grants_node;

/// Reads a key policy: `aws kms get-key-policy` output (`{"Policy": "<json>"}`, spans mapped
/// back through the string's escapes) or a plain policy document.
pub fn key_policy(text: &str) -> (Option<Policy>, Vec<Diagnostic>) {
    embedded_or_plain(text, "Policy", PolicyKind::Key)
}

/// Reads an SCP or RCP: `aws organizations describe-policy` output
/// (`{"Policy": {"PolicySummary": {...}, "Content": "<json>"}}`) or a plain policy document.
/// Returns the policy and its name (from `PolicySummary.Name`) when the output says.
pub fn org_policy(
    text: &str,
    kind: PolicyKind,
) -> (Option<(Policy, Option<String>)>, Vec<Diagnostic>) {
    let (root, mut diags) = read_json(text);
    let Some(root) = root else { return (None, diags) };
    let outer = root.get("Policy").filter(|p| p.get("Content").is_some());
    let Some(outer) = outer else {
        let (p, d) = policy_from_node(text, &root, kind, "");
        diags.extend(d);
        return (p.map(|p| (p, None)), diags);
    };
    let name = outer.get("PolicySummary").and_then(|s| get_str(s, "Name")).map(str::to_string);
    let Some(content) = outer.get("Content") else { return (None, diags) };
    let (p, d) = policy_from_node(text, content, kind, "Policy.Content");
    diags.extend(d);
    (p.map(|p| (p, name)), diags)
}

fn embedded_or_plain(
    text: &str,
    member: &str,
    kind: PolicyKind,
) -> (Option<Policy>, Vec<Diagnostic>) {
    let (root, mut diags) = read_json(text);
    let Some(root) = root else { return (None, diags) };
    let embedded = root.get(member).filter(|n| matches!(n.value, Value::String(_)));
    let (p, d) = match embedded {
        Some(node) => policy_from_node(text, node, kind, member),
        None if root.get("Statement").is_some() || root.get("Version").is_some() => {
            policy_from_node(text, &root, kind, "")
        }
        None => {
            let msg = format!(
                "expected a policy document or `aws kms get-key-policy` output (`{{\"{member}\": \"...\"}}`)"
            );
            (None, vec![invalid(root.span, "", msg)])
        }
    };
    diags.extend(d);
    (p, diags)
}

/// Reads grants: `aws kms list-grants` output, a list of grants, or a CreateGrant request.
pub fn grants(text: &str) -> (Vec<Grant>, Vec<Diagnostic>) {
    let (root, mut diags) = read_json(text);
    let Some(root) = root else { return (Vec::new(), diags) };
    let (g, d) = parse_grants_node(&root);
    diags.extend(d);
    (g, diags)
}

/// What `aws kms describe-key` says about a key.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct KeyInfo {
    /// Key ARN.
    pub arn: String,
    /// Key id.
    pub key_id: String,
    /// Owning account.
    pub account: String,
    /// `KeySpec` (or the older `CustomerMasterKeySpec`).
    pub key_spec: Option<String>,
    /// `KeyUsage`.
    pub key_usage: Option<String>,
    /// `Origin`.
    pub origin: Option<String>,
    /// `KeyState`.
    pub key_state: Option<String>,
    /// `KeyManager` (`AWS` or `CUSTOMER`).
    pub key_manager: Option<String>,
}

/// Reads `aws kms describe-key` output (`{"KeyMetadata": {...}}`).
pub fn describe_key(text: &str) -> (Option<KeyInfo>, Vec<Diagnostic>) {
    let (root, mut diags) = read_json(text);
    let Some(root) = root else { return (None, diags) };
    let Some(md) = root.get("KeyMetadata") else {
        diags.push(invalid(
            root.span,
            "",
            "expected `aws kms describe-key` output with `KeyMetadata`",
        ));
        return (None, diags);
    };
    let s = |k: &str| get_str(md, k).map(str::to_string);
    let Some(arn) = s("Arn") else {
        diags.push(invalid(md.span, "KeyMetadata", "KeyMetadata has no `Arn`"));
        return (None, diags);
    };
    let info = KeyInfo {
        key_id: s("KeyId").unwrap_or_else(|| arn.rsplit('/').next().unwrap_or("").to_string()),
        account: s("AWSAccountId")
            .unwrap_or_else(|| arn.split(':').nth(4).unwrap_or("").to_string()),
        key_spec: s("KeySpec").or_else(|| s("CustomerMasterKeySpec")),
        key_usage: s("KeyUsage"),
        origin: s("Origin"),
        key_state: s("KeyState"),
        key_manager: s("KeyManager"),
        arn,
    };
    (Some(info), diags)
}
