//! Roles (Create/Get/List/DeleteRole, UpdateAssumeRolePolicy, UpdateRole) and groups
//! (Create/Get/List/DeleteGroup, Add/RemoveUserToGroup, ListGroupsForUser).

use crate::model::{check_trust_policy, tags_param, Account, Entity, Kind};
use crate::query::{url_encode, Params};
use crate::users::{boundary_and_tags, entity_xml};
use crate::xml::Xml;
use crate::{authz, Ctx, IamError};
use keyward_core::eval::Principal;
use keyward_kms::store::Change;
use keyward_kms::Kms;
use rand_core::RngCore;

/// A role's longest session when CreateRole does not say (seconds).
pub(crate) const DEFAULT_MAX_SESSION_S: i64 = 3600;

fn role_xml(x: &mut Xml, e: &Entity) {
    entity_xml(x, e, "RoleName", "RoleId");
    if let Some(t) = &e.trust {
        x.leaf("AssumeRolePolicyDocument", &url_encode(t));
    }
    x.opt("Description", e.description.as_deref());
    x.leaf("MaxSessionDuration", &e.max_session_s.unwrap_or(DEFAULT_MAX_SESSION_S).to_string());
    boundary_and_tags(x, e, false);
}

fn group_xml(x: &mut Xml, e: &Entity) {
    entity_xml(x, e, "GroupName", "GroupId");
}

/// Runs a role or group action; `None` when `action` is not one.
pub(crate) fn call(
    kms: &mut Kms,
    ctx: &Ctx<'_>,
    rng: &mut dyn RngCore,
    acct: &mut Account,
    action: &str,
    p: &Params,
) -> Result<Option<Xml>, IamError> {
    let now = ctx.caller.now_ms;
    let mut x = Xml::new();
    let mut extra = Vec::new();
    match action {
        "CreateRole" => {
            let name = p.required("RoleName")?;
            let mut e = acct.new_entity(Kind::Role, name, p.get("Path"), now, rng)?;
            authz::authorize(kms, ctx, "iam:CreateRole", &e.arn)?;
            let trust = p.required("AssumeRolePolicyDocument")?;
            check_trust_policy(trust)?;
            e.trust = Some(trust.to_string());
            e.max_session_s = p.int("MaxSessionDuration", 3600, 43200)?;
            e.description = p.get("Description").map(str::to_string);
            e.tags = tags_param(p);
            e.boundary = acct.boundary_param(p)?;
            x.node("Role", |r| role_xml(r, &e));
            acct.entities.insert(e.arn.clone(), e);
        }
        "GetRole" => {
            let e = acct.get(Kind::Role, p.required("RoleName")?)?;
            authz::authorize(kms, ctx, "iam:GetRole", &e.arn)?;
            x.node("Role", |r| role_xml(r, e));
            return Ok(Some(x));
        }
        "ListRoles" => {
            authz::authorize(kms, ctx, "iam:ListRoles", &acct.arn(Kind::Role, "/", ""))?;
            let prefix = p.get("PathPrefix").unwrap_or("/");
            let mine = format!("arn:aws:iam::{}:", acct.account);
            let roles = acct.entities.values().filter(|e| {
                e.kind == Kind::Role && e.path.starts_with(prefix) && e.arn.starts_with(&mine)
            });
            x.members("Roles", roles, role_xml);
            x.leaf("IsTruncated", "false");
            return Ok(Some(x));
        }
        "DeleteRole" => {
            let e = acct.get(Kind::Role, p.required("RoleName")?)?.clone();
            authz::authorize(kms, ctx, "iam:DeleteRole", &e.arn)?;
            e.check_no_policies()?;
            // The role's sessions end with it.
            for k in kms.access_keys() {
                let of_role = Principal::parse(&k.principal)
                    .ok()
                    .and_then(|pr| pr.role_arn)
                    .is_some_and(|r| r.rsplit('/').next() == Some(e.name.as_str()))
                    && k.principal.contains(&format!("::{}:", acct.account));
                if of_role {
                    extra.push(Change::DeleteAccessKey(k.id.clone()));
                }
            }
            acct.entities.remove(&e.arn);
        }
        "UpdateAssumeRolePolicy" => {
            let name = p.required("RoleName")?;
            let arn = acct.get(Kind::Role, name)?.arn.clone();
            authz::authorize(kms, ctx, "iam:UpdateAssumeRolePolicy", &arn)?;
            let doc = p.required("PolicyDocument")?;
            check_trust_policy(doc)?;
            acct.get_mut(Kind::Role, name)?.trust = Some(doc.to_string());
        }
        "UpdateRole" => {
            let name = p.required("RoleName")?;
            let arn = acct.get(Kind::Role, name)?.arn.clone();
            authz::authorize(kms, ctx, "iam:UpdateRole", &arn)?;
            let max = p.int("MaxSessionDuration", 3600, 43200)?;
            let e = acct.get_mut(Kind::Role, name)?;
            if max.is_some() {
                e.max_session_s = max;
            }
            if let Some(d) = p.get("Description") {
                e.description = Some(d.to_string());
            }
        }
        "CreateGroup" => {
            let name = p.required("GroupName")?;
            let e = acct.new_entity(Kind::Group, name, p.get("Path"), now, rng)?;
            authz::authorize(kms, ctx, "iam:CreateGroup", &e.arn)?;
            x.node("Group", |g| group_xml(g, &e));
            acct.entities.insert(e.arn.clone(), e);
        }
        "GetGroup" => {
            let g = acct.get(Kind::Group, p.required("GroupName")?)?;
            authz::authorize(kms, ctx, "iam:GetGroup", &g.arn)?;
            x.node("Group", |x| group_xml(x, g));
            let members = acct
                .entities
                .values()
                .filter(|u| u.kind == Kind::User && u.groups.contains(&g.name));
            x.members("Users", members, |m, u| entity_xml(m, u, "UserName", "UserId"));
            x.leaf("IsTruncated", "false");
            return Ok(Some(x));
        }
        "ListGroups" => {
            authz::authorize(kms, ctx, "iam:ListGroups", &acct.arn(Kind::Group, "/", ""))?;
            let mine = format!("arn:aws:iam::{}:", acct.account);
            let groups = acct
                .entities
                .values()
                .filter(|e| e.kind == Kind::Group && e.arn.starts_with(&mine));
            x.members("Groups", groups, group_xml);
            x.leaf("IsTruncated", "false");
            return Ok(Some(x));
        }
        "ListGroupsForUser" => {
            let u = acct.get(Kind::User, p.required("UserName")?)?;
            authz::authorize(kms, ctx, "iam:ListGroupsForUser", &u.arn)?;
            let groups = u.groups.iter().filter_map(|g| acct.find(Kind::Group, g));
            x.members("Groups", groups, group_xml);
            x.leaf("IsTruncated", "false");
            return Ok(Some(x));
        }
        "DeleteGroup" => {
            let g = acct.get(Kind::Group, p.required("GroupName")?)?.clone();
            authz::authorize(kms, ctx, "iam:DeleteGroup", &g.arn)?;
            if acct.entities.values().any(|u| u.groups.contains(&g.name)) {
                return Err(IamError::conflict(
                    "Cannot delete entity, must remove users from group first.",
                ));
            }
            g.check_no_policies()?;
            acct.entities.remove(&g.arn);
        }
        "AddUserToGroup" | "RemoveUserFromGroup" => {
            let g = acct.get(Kind::Group, p.required("GroupName")?)?.clone();
            authz::authorize(kms, ctx, &format!("iam:{action}"), &g.arn)?;
            let u = acct.get_mut(Kind::User, p.required("UserName")?)?;
            if action == "AddUserToGroup" {
                if !u.groups.contains(&g.name) {
                    u.groups.push(g.name.clone());
                }
            } else {
                u.groups.retain(|n| *n != g.name);
            }
        }
        _ => return Ok(None),
    }
    acct.commit(kms, extra)?;
    Ok(Some(x))
}
