//! Customer managed policies (`arn:aws:iam::ACCOUNT:policy/NAME`): CreatePolicy, GetPolicy,
//! ListPolicies, DeletePolicy and versions (CreatePolicyVersion, GetPolicyVersion,
//! ListPolicyVersions, SetDefaultPolicyVersion, DeletePolicyVersion; at most 5). A new default
//! version changes what every user, role and group it is attached to may do, in the same
//! commit.

use crate::model::{check_policy, iso, Account, Entity, Kind, PolicyVersion};
use crate::query::{url_encode, Params};
use crate::xml::Xml;
use crate::{authz, Ctx, IamError};
use keyward_core::model::PolicyKind;
use keyward_kms::Kms;

/// How many users, roles and groups a policy is attached to, and used as boundary by.
pub(crate) fn usage(acct: &Account, arn: &str) -> (usize, usize) {
    let attached = acct.entities.values().filter(|e| e.attached.iter().any(|a| a == arn)).count();
    let boundary = acct.entities.values().filter(|e| e.boundary.as_deref() == Some(arn)).count();
    (attached, boundary)
}

/// The fields of a managed policy.
pub(crate) fn policy_xml(x: &mut Xml, acct: &Account, e: &Entity) {
    let (attached, boundary) = usage(acct, &e.arn);
    let updated = e.versions.iter().map(|v| v.created_ms).max().unwrap_or(e.created_ms);
    x.leaf("PolicyName", &e.name)
        .leaf("PolicyId", &e.id)
        .leaf("Arn", &e.arn)
        .leaf("Path", &e.path)
        .leaf("DefaultVersionId", &e.default_version)
        .leaf("AttachmentCount", &attached.to_string())
        .leaf("PermissionsBoundaryUsageCount", &boundary.to_string())
        .leaf("IsAttachable", "true")
        .opt("Description", e.description.as_deref())
        .leaf("CreateDate", &iso(e.created_ms))
        .leaf("UpdateDate", &iso(updated));
}

/// One version of a managed policy.
pub(crate) fn version_xml(x: &mut Xml, e: &Entity, v: &PolicyVersion) {
    x.leaf("Document", &url_encode(&v.document))
        .leaf("VersionId", &v.id)
        .leaf("IsDefaultVersion", if v.id == e.default_version { "true" } else { "false" })
        .leaf("CreateDate", &iso(v.created_ms));
}

fn policy<'a>(acct: &'a Account, arn: &str) -> Result<&'a Entity, IamError> {
    acct.entities.get(arn).filter(|e| e.kind == Kind::Policy).ok_or_else(|| {
        IamError::no_such(format!("Policy {arn} does not exist or is not attachable."))
    })
}

/// Runs a managed-policy action; `None` when `action` is not one.
pub(crate) fn call(
    kms: &mut Kms,
    ctx: &Ctx<'_>,
    rng: &mut dyn rand_core::RngCore,
    acct: &mut Account,
    action: &str,
    p: &Params,
) -> Result<Option<Xml>, IamError> {
    let now = ctx.caller.now_ms;
    let mut x = Xml::new();
    match action {
        "CreatePolicy" => {
            let name = p.required("PolicyName")?;
            let doc = p.required("PolicyDocument")?;
            let mut e = acct.new_entity(Kind::Policy, name, p.get("Path"), now, rng)?;
            authz::authorize(kms, ctx, "iam:CreatePolicy", &e.arn)?;
            check_policy(doc, PolicyKind::Identity)?;
            e.description = p.get("Description").map(str::to_string);
            e.versions.push(PolicyVersion {
                id: "v1".into(),
                document: doc.into(),
                created_ms: now,
            });
            e.default_version = "v1".into();
            e.next_version = 2;
            acct.entities.insert(e.arn.clone(), e.clone());
            x.node("Policy", |x| policy_xml(x, acct, &e));
        }
        "GetPolicy" => {
            let arn = p.required("PolicyArn")?;
            let e = policy(acct, arn)?;
            authz::authorize(kms, ctx, "iam:GetPolicy", arn)?;
            x.node("Policy", |x| policy_xml(x, acct, e));
            return Ok(Some(x));
        }
        "ListPolicies" => {
            authz::authorize(kms, ctx, "iam:ListPolicies", &acct.arn(Kind::Policy, "/", ""))?;
            let mine = format!("arn:aws:iam::{}:", acct.account);
            let only_attached = p.get("OnlyAttached") == Some("true");
            let aws_only = p.get("Scope") == Some("AWS");
            let list = acct.entities.values().filter(|e| {
                e.kind == Kind::Policy
                    && e.arn.starts_with(&mine)
                    && !aws_only
                    && (!only_attached || usage(acct, &e.arn).0 > 0)
            });
            x.members("Policies", list, |m, e| policy_xml(m, acct, e));
            x.leaf("IsTruncated", "false");
            return Ok(Some(x));
        }
        "DeletePolicy" => {
            let arn = p.required("PolicyArn")?.to_string();
            let e = policy(acct, &arn)?;
            authz::authorize(kms, ctx, "iam:DeletePolicy", &arn)?;
            if usage(acct, &arn) != (0, 0) {
                return Err(IamError::conflict("Cannot delete a policy attached to entities."));
            }
            if e.versions.len() > 1 {
                return Err(IamError::conflict(
                    "This policy has more than one version. Before you delete a policy, you \
                     must delete the policy's versions. The default version is deleted with \
                     the policy.",
                ));
            }
            acct.entities.remove(&arn);
        }
        "CreatePolicyVersion" => {
            let arn = p.required("PolicyArn")?.to_string();
            policy(acct, &arn)?;
            authz::authorize(kms, ctx, "iam:CreatePolicyVersion", &arn)?;
            let doc = p.required("PolicyDocument")?;
            check_policy(doc, PolicyKind::Identity)?;
            let default = p.get("SetAsDefault") == Some("true");
            let e = acct.entities.get_mut(&arn).ok_or_else(|| IamError::no_such(arn.clone()))?;
            if e.versions.len() >= 5 {
                return Err(IamError::limit(
                    "A managed policy can have up to 5 versions. Before you create a new \
                     version, you must delete an existing version.",
                ));
            }
            let v = PolicyVersion {
                id: format!("v{}", e.next_version.max(2)),
                document: doc.to_string(),
                created_ms: now,
            };
            e.next_version = e.next_version.max(2) + 1;
            if default {
                e.default_version = v.id.clone();
            }
            e.versions.push(v.clone());
            let e = e.clone();
            x.node("PolicyVersion", |x| {
                x.leaf("VersionId", &v.id)
                    .leaf("IsDefaultVersion", if default { "true" } else { "false" })
                    .leaf("CreateDate", &iso(now));
            });
            acct.entities.insert(arn, e);
        }
        "GetPolicyVersion" | "DeletePolicyVersion" | "SetDefaultPolicyVersion" => {
            let arn = p.required("PolicyArn")?.to_string();
            let id = p.required("VersionId")?.to_string();
            let e = policy(acct, &arn)?;
            authz::authorize(kms, ctx, &format!("iam:{action}"), &arn)?;
            let Some(v) = e.versions.iter().find(|v| v.id == id).cloned() else {
                return Err(IamError::no_such(format!(
                    "Policy {arn} version {id} does not exist or is not attachable."
                )));
            };
            if action == "GetPolicyVersion" {
                x.node("PolicyVersion", |x| version_xml(x, e, &v));
                return Ok(Some(x));
            }
            let e = acct.entities.get_mut(&arn).ok_or_else(|| IamError::no_such(arn.clone()))?;
            if action == "SetDefaultPolicyVersion" {
                e.default_version = id;
            } else if e.default_version == id {
                return Err(IamError::conflict("Cannot delete the default version of a policy."));
            } else {
                e.versions.retain(|v| v.id != id);
            }
        }
        "ListPolicyVersions" => {
            let arn = p.required("PolicyArn")?;
            let e = policy(acct, arn)?;
            authz::authorize(kms, ctx, "iam:ListPolicyVersions", arn)?;
            x.members("Versions", e.versions.iter().rev(), |m, v| {
                m.leaf("VersionId", &v.id)
                    .leaf(
                        "IsDefaultVersion",
                        if v.id == e.default_version { "true" } else { "false" },
                    )
                    .leaf("CreateDate", &iso(v.created_ms));
            });
            x.leaf("IsTruncated", "false");
            return Ok(Some(x));
        }
        "GetAccountAuthorizationDetails" => {
            authz::authorize(kms, ctx, "iam:GetAccountAuthorizationDetails", "*")?;
            crate::details::write(&mut x, acct);
            return Ok(Some(x));
        }
        _ => return Ok(None),
    }
    acct.commit(kms, Vec::new())?;
    Ok(Some(x))
}
