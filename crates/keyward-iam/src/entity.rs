//! The operations users, roles and groups share, as one table: inline policies
//! (Put/Get/List/Delete{User,Role,Group}Policy), attached managed policies
//! (Attach/Detach/ListAttached{User,Role,Group}Policies), tags (Tag/Untag/List{User,Role}Tags)
//! and permissions boundaries (Put/Delete{User,Role}PermissionsBoundary).

use crate::model::{check_policy, tags_param, Account, Kind};
use crate::query::{url_encode, Params};
use crate::xml::Xml;
use crate::{authz, Ctx, IamError};
use keyward_core::model::PolicyKind;
use keyward_kms::Kms;

/// What a shared operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    PutInline,
    GetInline,
    ListInline,
    DeleteInline,
    Attach,
    Detach,
    ListAttached,
    Tag,
    Untag,
    ListTags,
    PutBoundary,
    DeleteBoundary,
}

/// Every shared operation: action, entity kind, what it does.
const OPS: &[(&str, Kind, Op)] = &[
    ("PutUserPolicy", Kind::User, Op::PutInline),
    ("PutRolePolicy", Kind::Role, Op::PutInline),
    ("PutGroupPolicy", Kind::Group, Op::PutInline),
    ("GetUserPolicy", Kind::User, Op::GetInline),
    ("GetRolePolicy", Kind::Role, Op::GetInline),
    ("GetGroupPolicy", Kind::Group, Op::GetInline),
    ("ListUserPolicies", Kind::User, Op::ListInline),
    ("ListRolePolicies", Kind::Role, Op::ListInline),
    ("ListGroupPolicies", Kind::Group, Op::ListInline),
    ("DeleteUserPolicy", Kind::User, Op::DeleteInline),
    ("DeleteRolePolicy", Kind::Role, Op::DeleteInline),
    ("DeleteGroupPolicy", Kind::Group, Op::DeleteInline),
    ("AttachUserPolicy", Kind::User, Op::Attach),
    ("AttachRolePolicy", Kind::Role, Op::Attach),
    ("AttachGroupPolicy", Kind::Group, Op::Attach),
    ("DetachUserPolicy", Kind::User, Op::Detach),
    ("DetachRolePolicy", Kind::Role, Op::Detach),
    ("DetachGroupPolicy", Kind::Group, Op::Detach),
    ("ListAttachedUserPolicies", Kind::User, Op::ListAttached),
    ("ListAttachedRolePolicies", Kind::Role, Op::ListAttached),
    ("ListAttachedGroupPolicies", Kind::Group, Op::ListAttached),
    ("TagUser", Kind::User, Op::Tag),
    ("TagRole", Kind::Role, Op::Tag),
    ("UntagUser", Kind::User, Op::Untag),
    ("UntagRole", Kind::Role, Op::Untag),
    ("ListUserTags", Kind::User, Op::ListTags),
    ("ListRoleTags", Kind::Role, Op::ListTags),
    ("PutUserPermissionsBoundary", Kind::User, Op::PutBoundary),
    ("PutRolePermissionsBoundary", Kind::Role, Op::PutBoundary),
    ("DeleteUserPermissionsBoundary", Kind::User, Op::DeleteBoundary),
    ("DeleteRolePermissionsBoundary", Kind::Role, Op::DeleteBoundary),
];

fn name_param(kind: Kind) -> &'static str {
    match kind {
        Kind::User => "UserName",
        Kind::Role => "RoleName",
        _ => "GroupName",
    }
}

fn what(kind: Kind) -> &'static str {
    match kind {
        Kind::User => "user",
        Kind::Role => "role",
        _ => "group",
    }
}

/// Runs a shared operation; `None` when `action` is not one.
pub(crate) fn call(
    kms: &mut Kms,
    ctx: &Ctx<'_>,
    acct: &mut Account,
    action: &str,
    p: &Params,
) -> Result<Option<Xml>, IamError> {
    let Some(&(_, kind, op)) = OPS.iter().find(|(a, _, _)| *a == action) else {
        return Ok(None);
    };
    let np = name_param(kind);
    let name = p.required(np)?.to_string();
    let arn = acct.get(kind, &name)?.arn.clone();
    authz::authorize(kms, ctx, &format!("iam:{action}"), &arn)?;
    let mut x = Xml::new();
    let e = acct.get_mut(kind, &name)?;
    match op {
        Op::PutInline => {
            let pname = p.required("PolicyName")?;
            let doc = p.required("PolicyDocument")?;
            check_policy(doc, PolicyKind::Identity)?;
            e.inline.insert(pname.to_string(), doc.to_string());
        }
        Op::GetInline | Op::DeleteInline => {
            let pname = p.required("PolicyName")?;
            let Some(doc) = e.inline.get(pname).cloned() else {
                return Err(IamError::no_such(format!(
                    "The {} policy with name {pname} cannot be found.",
                    what(kind)
                )));
            };
            if op == Op::GetInline {
                x.leaf(np, &name)
                    .leaf("PolicyName", pname)
                    .leaf("PolicyDocument", &url_encode(&doc));
                return Ok(Some(x));
            }
            e.inline.remove(pname);
        }
        Op::ListInline => {
            x.members("PolicyNames", e.inline.keys(), |m, n| {
                m.text(n);
            });
            x.leaf("IsTruncated", "false");
            return Ok(Some(x));
        }
        Op::Attach | Op::Detach => {
            let parn = p.required("PolicyArn")?.to_string();
            if op == Op::Attach {
                acct.attachable(&parn)?;
                let e = acct.get_mut(kind, &name)?;
                if !e.attached.contains(&parn) {
                    if e.attached.len() >= 10 {
                        return Err(IamError::limit("Cannot exceed quota for PoliciesPerUser: 10"));
                    }
                    e.attached.push(parn);
                }
            } else {
                if !e.attached.contains(&parn) {
                    return Err(IamError::no_such(format!("Policy {parn} was not found.")));
                }
                e.attached.retain(|a| *a != parn);
            }
        }
        Op::ListAttached => {
            x.members("AttachedPolicies", e.attached.iter(), |m, a| {
                m.leaf("PolicyName", a.rsplit('/').next().unwrap_or(a)).leaf("PolicyArn", a);
            });
            x.leaf("IsTruncated", "false");
            return Ok(Some(x));
        }
        Op::Tag => {
            for t in tags_param(p) {
                e.tags.retain(|o| o.tag_key != t.tag_key);
                e.tags.push(t);
            }
            if e.tags.len() > 50 {
                return Err(IamError::limit("The number of tags has reached the maximum limit."));
            }
        }
        Op::Untag => {
            let keys = p.list("TagKeys");
            e.tags.retain(|t| !keys.contains(&t.tag_key));
        }
        Op::ListTags => {
            x.members("Tags", e.tags.iter(), |m, t| {
                m.leaf("Key", &t.tag_key).leaf("Value", &t.tag_value);
            });
            x.leaf("IsTruncated", "false");
            return Ok(Some(x));
        }
        Op::PutBoundary => {
            let parn = p.required("PermissionsBoundary")?.to_string();
            acct.attachable(&parn)?;
            let e = acct.get_mut(kind, &name)?;
            e.boundary = Some(parn);
            e.boundary_text = None;
        }
        Op::DeleteBoundary => {
            e.boundary = None;
            e.boundary_text = None;
        }
    }
    acct.commit(kms, Vec::new())?;
    Ok(Some(x))
}
