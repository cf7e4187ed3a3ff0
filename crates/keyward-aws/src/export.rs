//! `aws iam get-account-authorization-details` (users, roles, groups, managed policies with
//! their default versions, permission boundaries, tags) and `aws iam get-role` / `get-user`.
//!
//! Policy documents may be objects (as the aws CLI prints them) or URL-encoded strings (as the
//! API returns them); both are read with positions in the file. Every identity gets its
//! effective identity policies resolved once: inline, attached managed (default version), and
//! for users the inline and attached policies of their groups. Policies are shared (`Arc`).

use crate::embedded::policy_from_node;
use crate::{get_array, get_str, invalid, read_json, read_tags};
use keyward_core::diag::Diagnostic;
use keyward_core::eval::{NamedPolicy, Principal, PrincipalKind};
use keyward_core::json::{Node, Value};
use keyward_core::model::PolicyKind;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A user or a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// An IAM user.
    User,
    /// An IAM role.
    Role,
}

/// One user or role with everything that bears on its requests.
#[derive(Debug, Clone)]
pub struct Identity {
    /// User or role.
    pub kind: IdentityKind,
    /// `UserName` / `RoleName`.
    pub name: String,
    /// ARN.
    pub arn: String,
    /// `UserId` / `RoleId` (AIDA... / AROA...).
    pub id: Option<String>,
    /// Effective identity policies: inline, attached managed, and the user's groups' policies.
    pub policies: Vec<NamedPolicy>,
    /// Permissions boundary, when set and found in the export.
    pub boundary: Option<NamedPolicy>,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// Group names (users).
    pub groups: Vec<String>,
    /// Things the export names but does not contain (managed policies, groups, boundaries).
    pub missing: Vec<String>,
}

impl Identity {
    /// The principal this identity calls as (a role as its role ARN: any session of it).
    pub fn principal(&self) -> Result<Principal, String> {
        Principal::parse(&self.arn)
    }

    /// The account.
    pub fn account(&self) -> &str {
        self.arn.split(':').nth(4).unwrap_or("")
    }
}

/// A parsed account export.
#[derive(Debug, Clone, Default)]
pub struct AccountExport {
    /// Users, in file order.
    pub users: Vec<Identity>,
    /// Roles, in file order.
    pub roles: Vec<Identity>,
    /// Managed policies by ARN (default version).
    pub policies: BTreeMap<String, NamedPolicy>,
    /// Group names.
    pub groups: Vec<String>,
}

impl AccountExport {
    /// The account of the export (from the first user or role ARN).
    pub fn account(&self) -> Option<&str> {
        self.users.iter().chain(&self.roles).map(Identity::account).find(|a| !a.is_empty())
    }

    /// Every identity: users, then roles.
    pub fn identities(&self) -> impl Iterator<Item = &Identity> {
        self.users.iter().chain(&self.roles)
    }

    /// The identity a caller is: a user by ARN, a role or role session by role name.
    pub fn find(&self, p: &Principal) -> Option<&Identity> {
        match p.kind {
            PrincipalKind::User => self.users.iter().find(|u| u.arn == p.arn),
            PrincipalKind::Role | PrincipalKind::AssumedRole => self.roles.iter().find(|r| {
                r.account() == p.account && Some(r.name.as_str()) == p.role_name.as_deref()
            }),
            _ => None,
        }
    }
}

struct Reader<'t> {
    text: &'t str,
    diags: Vec<Diagnostic>,
    /// With [`account_export_shared`]: the inline policies read so far without a diagnostic,
    /// by their document's text in the file.
    shared: Option<HashMap<&'t str, Arc<keyward_core::model::Policy>>>,
}

impl<'t> Reader<'t> {
    fn policy(&mut self, node: &Node, path: &str, name: String) -> Option<NamedPolicy> {
        let (p, d) = policy_from_node(self.text, node, PolicyKind::Identity, path);
        self.diags.extend(d);
        p.map(|p| NamedPolicy::new(name, p))
    }

    /// An inline policy: with sharing on, a document whose text was read before without a
    /// diagnostic is that policy again (its diagnostics would be the same, elsewhere).
    fn inline_policy(&mut self, node: &Node, path: &str, name: String) -> Option<NamedPolicy> {
        let text = self.text;
        let raw = (!node.span.is_synthetic())
            .then(|| text.get(node.span.start as usize..node.span.end as usize))
            .flatten();
        let (Some(shared), Some(raw)) = (&mut self.shared, raw) else {
            return self.policy(node, path, name);
        };
        if let Some(p) = shared.get(raw) {
            return Some(NamedPolicy { name, policy: p.clone() });
        }
        let (p, d) = policy_from_node(text, node, PolicyKind::Identity, path);
        let np = p.map(|p| NamedPolicy::new(name, p));
        match (&np, d.is_empty()) {
            (Some(np), true) => {
                shared.insert(raw, np.policy.clone());
            }
            _ => self.diags.extend(d),
        }
        np
    }

    fn inline(&mut self, node: &Node, list: &str, owner: &str, path: &str) -> Vec<NamedPolicy> {
        let mut out = Vec::new();
        for (i, item) in get_array(node, list).iter().enumerate() {
            let name = get_str(item, "PolicyName").unwrap_or("inline");
            let p = format!("{path}.{list}[{i}].PolicyDocument");
            match item.get("PolicyDocument") {
                Some(doc) => {
                    out.extend(self.inline_policy(doc, &p, format!("{owner} inline '{name}'")))
                }
                None => {
                    self.diags.push(invalid(item.span, &p, "inline policy has no `PolicyDocument`"))
                }
            }
        }
        out
    }
}

fn attached(node: &Node) -> Vec<String> {
    get_array(node, "AttachedManagedPolicies")
        .iter()
        .filter_map(|a| get_str(a, "PolicyArn").map(str::to_string))
        .collect()
}

fn boundary_arn(node: &Node) -> Option<String> {
    node.get("PermissionsBoundary")
        .and_then(|b| get_str(b, "PermissionsBoundaryArn"))
        .map(str::to_string)
}

/// Reads `aws iam get-account-authorization-details` output.
pub fn account_export(text: &str) -> (Option<AccountExport>, Vec<Diagnostic>) {
    read_export(text, false)
}

/// [`account_export`] with inline policy documents of the same text (templated accounts
/// repeat them) read once and shared: the later copies' statement spans point at the first
/// copy. For analyses that read policies by content only (`who-can`, `access-matrix`); the
/// diagnostics are the same (a document with a diagnostic is never shared).
pub fn account_export_shared(text: &str) -> (Option<AccountExport>, Vec<Diagnostic>) {
    read_export(text, true)
}

fn read_export(text: &str, share: bool) -> (Option<AccountExport>, Vec<Diagnostic>) {
    let (root, diags) = read_json(text);
    let Some(root) = root else { return (None, diags) };
    let mut r = Reader { text, diags, shared: share.then(HashMap::new) };
    if root.as_object().is_none()
        || ["UserDetailList", "RoleDetailList", "GroupDetailList", "Policies"]
            .iter()
            .all(|k| root.get(k).is_none())
    {
        let msg = "expected `aws iam get-account-authorization-details` output (UserDetailList, RoleDetailList, GroupDetailList, Policies)";
        r.diags.push(invalid(root.span, "", msg));
        return (None, r.diags);
    }
    for k in ["UserDetailList", "RoleDetailList", "GroupDetailList", "Policies"] {
        if let Some(n) = root.get(k).filter(|n| !matches!(n.value, Value::Array(_))) {
            r.diags.push(invalid(
                n.span,
                k,
                format!("{k} must be an array, found {}", n.type_name()),
            ));
        }
    }
    let mut ex = AccountExport::default();
    for (i, p) in get_array(&root, "Policies").iter().enumerate() {
        let path = format!("Policies[{i}]");
        let Some(arn) = get_str(p, "Arn") else {
            r.diags.push(invalid(p.span, &path, "managed policy has no `Arn`"));
            continue;
        };
        let default = get_str(p, "DefaultVersionId");
        let versions = get_array(p, "PolicyVersionList");
        let chosen = versions.iter().enumerate().find(|(_, v)| {
            matches!(v.get("IsDefaultVersion").map(|b| &b.value), Some(Value::Bool(true)))
                || (default.is_some() && get_str(v, "VersionId") == default)
        });
        let Some((vi, v)) = chosen else {
            r.diags.push(invalid(
                p.span,
                &path,
                format!("managed policy `{arn}` has no default version in PolicyVersionList"),
            ));
            continue;
        };
        let vpath = format!("{path}.PolicyVersionList[{vi}].Document");
        let Some(doc) = v.get("Document") else {
            r.diags.push(invalid(v.span, &vpath, "policy version has no `Document`"));
            continue;
        };
        if let Some(np) = r.policy(doc, &vpath, arn.to_string()) {
            ex.policies.insert(arn.to_string(), np);
        }
    }
    // Groups: their own policies, resolved once.
    let mut groups: BTreeMap<String, (Vec<NamedPolicy>, Vec<String>)> = BTreeMap::new();
    for (i, g) in get_array(&root, "GroupDetailList").iter().enumerate() {
        let path = format!("GroupDetailList[{i}]");
        let Some(name) = get_str(g, "GroupName") else {
            r.diags.push(invalid(g.span, &path, "group has no `GroupName`"));
            continue;
        };
        let mut pols = r.inline(g, "GroupPolicyList", &format!("group {name}"), &path);
        let mut missing = Vec::new();
        resolve_managed(&ex, &attached(g), &mut pols, &mut missing);
        ex.groups.push(name.to_string());
        groups.insert(name.to_string(), (pols, missing));
    }
    for (list, kind, inline, name_key, id_key) in [
        ("UserDetailList", IdentityKind::User, "UserPolicyList", "UserName", "UserId"),
        ("RoleDetailList", IdentityKind::Role, "RolePolicyList", "RoleName", "RoleId"),
    ] {
        for (i, n) in get_array(&root, list).iter().enumerate() {
            let path = format!("{list}[{i}]");
            let (Some(name), Some(arn)) = (get_str(n, name_key), get_str(n, "Arn")) else {
                r.diags.push(invalid(n.span, &path, format!("entry needs `{name_key}` and `Arn`")));
                continue;
            };
            if let Err(e) = Principal::parse(arn) {
                r.diags.push(invalid(n.get("Arn").map_or(n.span, |a| a.span), &path, e));
                continue;
            }
            let who =
                format!("{} {name}", if kind == IdentityKind::User { "user" } else { "role" });
            let mut id = Identity {
                kind,
                name: name.to_string(),
                arn: arn.to_string(),
                id: get_str(n, id_key).map(str::to_string),
                policies: r.inline(n, inline, &who, &path),
                boundary: None,
                tags: read_tags(n.get("Tags")),
                groups: Vec::new(),
                missing: Vec::new(),
            };
            resolve_managed(&ex, &attached(n), &mut id.policies, &mut id.missing);
            for g in n
                .get("GroupList")
                .map(|g| match &g.value {
                    Value::Array(a) => a.iter().filter_map(Node::as_str).collect::<Vec<_>>(),
                    _ => Vec::new(),
                })
                .unwrap_or_default()
            {
                id.groups.push(g.to_string());
                match groups.get(g) {
                    Some((pols, missing)) => {
                        id.policies.extend(pols.iter().cloned());
                        id.missing.extend(missing.iter().cloned());
                    }
                    None => id.missing.push(format!("group {g} (not in the export)")),
                }
            }
            if let Some(b) = boundary_arn(n) {
                match ex.policies.get(&b) {
                    Some(p) => id.boundary = Some(p.clone()),
                    None => {
                        id.missing.push(format!("permissions boundary {b} (not in the export)"))
                    }
                }
            }
            match kind {
                IdentityKind::User => ex.users.push(id),
                IdentityKind::Role => ex.roles.push(id),
            }
        }
    }
    (Some(ex), r.diags)
}

fn resolve_managed(
    ex: &AccountExport,
    arns: &[String],
    out: &mut Vec<NamedPolicy>,
    missing: &mut Vec<String>,
) {
    for a in arns {
        match ex.policies.get(a) {
            Some(p) => out.push(p.clone()),
            None => missing.push(format!("managed policy {a} (not in the export)")),
        }
    }
}

/// Reads `aws iam get-role` or `aws iam get-user` output: the identity with its tags and
/// boundary ARN (listed as missing: these outputs carry no policy documents).
pub fn get_role_or_user(text: &str) -> (Option<Identity>, Vec<Diagnostic>) {
    let (root, mut diags) = read_json(text);
    let Some(root) = root else { return (None, diags) };
    let (node, kind, name_key, id_key) = match (root.get("Role"), root.get("User")) {
        (Some(n), _) => (n, IdentityKind::Role, "RoleName", "RoleId"),
        (None, Some(n)) => (n, IdentityKind::User, "UserName", "UserId"),
        _ => {
            diags.push(invalid(
                root.span,
                "",
                "expected `aws iam get-role` or `get-user` output (`Role` or `User`)",
            ));
            return (None, diags);
        }
    };
    let (Some(name), Some(arn)) = (get_str(node, name_key), get_str(node, "Arn")) else {
        diags.push(invalid(node.span, "", format!("needs `{name_key}` and `Arn`")));
        return (None, diags);
    };
    let mut id = Identity {
        kind,
        name: name.to_string(),
        arn: arn.to_string(),
        id: get_str(node, id_key).map(str::to_string),
        policies: Vec::new(),
        boundary: None,
        tags: read_tags(node.get("Tags")),
        groups: Vec::new(),
        missing: vec!["identity policies (get-role/get-user output has none)".to_string()],
    };
    if let Some(b) = boundary_arn(node) {
        id.missing.push(format!("permissions boundary {b} (document not included)"));
    }
    (Some(id), diags)
}
