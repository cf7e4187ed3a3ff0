//! IAM's dispatch, users (Create/Get/List/DeleteUser) and access keys
//! (Create/List/Update/DeleteAccessKey: an inactive or deleted key is refused from the next
//! request on).

use crate::model::{iso, random_id, tags_param, Account, Entity, Kind};
use crate::query::Params;
use crate::xml::Xml;
use crate::{authz, Ctx, IamError};
use keyward_core::eval::{Principal, PrincipalKind};
use keyward_kms::record::{AccessKeyRecord, Secret};
use keyward_kms::store::Change;
use keyward_kms::Kms;
use rand_core::RngCore;

/// The caller's account (where entities are created and looked up).
pub(crate) fn account_of(ctx: &Ctx<'_>) -> String {
    Principal::parse(&ctx.caller.principal)
        .map(|p| p.account)
        .unwrap_or_else(|_| keyward_kms::account::DEFAULT_ACCOUNT.to_string())
}

/// Writes the fields every user, role and group shows.
pub(crate) fn entity_xml(x: &mut Xml, e: &Entity, name_field: &str, id_field: &str) {
    x.leaf("Path", &e.path)
        .leaf(name_field, &e.name)
        .leaf(id_field, &e.id)
        .leaf("Arn", &e.arn)
        .leaf("CreateDate", &iso(e.created_ms));
}

/// A user's or role's `PermissionsBoundary` and `Tags` (an empty `Tags` only when `always`,
/// as GetAccountAuthorizationDetails writes it).
pub(crate) fn boundary_and_tags(x: &mut Xml, e: &Entity, always: bool) {
    if let Some(b) = &e.boundary {
        x.node("PermissionsBoundary", |pb| {
            pb.leaf("PermissionsBoundaryType", "Policy").leaf("PermissionsBoundaryArn", b);
        });
    }
    if always || !e.tags.is_empty() {
        x.members("Tags", e.tags.iter(), |m, t| {
            m.leaf("Key", &t.tag_key).leaf("Value", &t.tag_value);
        });
    }
}

fn user_xml(x: &mut Xml, e: &Entity) {
    entity_xml(x, e, "UserName", "UserId");
    boundary_and_tags(x, e, false);
}

/// The user a request names by `UserName`, or the calling user when it names none.
fn user_name(ctx: &Ctx<'_>, p: &Params) -> Result<String, IamError> {
    if let Some(n) = p.get("UserName") {
        return Ok(n.to_string());
    }
    match Principal::parse(&ctx.caller.principal) {
        Ok(pr) if pr.kind == PrincipalKind::User => {
            pr.user_name.ok_or_else(|| IamError::missing("UserName"))
        }
        _ => Err(IamError::missing("UserName")),
    }
}

/// Runs an IAM action; `None` when keyward does not serve it.
pub(crate) fn call(
    kms: &mut Kms,
    ctx: &Ctx<'_>,
    rng: &mut dyn RngCore,
    action: &str,
    p: &Params,
) -> Result<Option<Xml>, IamError> {
    let mut acct = Account::load(kms, &account_of(ctx));
    let now = ctx.caller.now_ms;
    let mut x = Xml::new();
    match action {
        "CreateUser" => {
            let name = p.required("UserName")?;
            let mut e = acct.new_entity(Kind::User, name, p.get("Path"), now, rng)?;
            authz::authorize(kms, ctx, "iam:CreateUser", &e.arn)?;
            e.tags = tags_param(p);
            e.boundary = acct.boundary_param(p)?;
            x.node("User", |u| user_xml(u, &e));
            acct.entities.insert(e.arn.clone(), e);
            acct.commit(kms, Vec::new())?;
        }
        "GetUser" => {
            let name = user_name(ctx, p)?;
            let e = acct.get(Kind::User, &name)?;
            authz::authorize(kms, ctx, "iam:GetUser", &e.arn)?;
            x.node("User", |u| user_xml(u, e));
        }
        "ListUsers" => {
            authz::authorize(kms, ctx, "iam:ListUsers", &acct.arn(Kind::User, "/", ""))?;
            let prefix = p.get("PathPrefix").unwrap_or("/");
            let users = acct.entities.values().filter(|e| {
                e.kind == Kind::User
                    && e.path.starts_with(prefix)
                    && e.arn.starts_with(&format!("arn:aws:iam::{}:", acct.account))
            });
            x.members("Users", users, user_xml);
            x.leaf("IsTruncated", "false");
        }
        "DeleteUser" => {
            let name = p.required("UserName")?;
            let e = acct.get(Kind::User, name)?.clone();
            authz::authorize(kms, ctx, "iam:DeleteUser", &e.arn)?;
            if kms.access_keys().iter().any(|k| k.principal == e.arn && k.session.is_none()) {
                return Err(IamError::conflict(
                    "Cannot delete entity, must delete access keys first.",
                ));
            }
            e.check_no_policies()?;
            if !e.groups.is_empty() {
                return Err(IamError::conflict(
                    "Cannot delete entity, must remove users from group first.",
                ));
            }
            // Its GetSessionToken sessions end with it.
            let sessions = kms
                .access_keys()
                .iter()
                .filter(|k| k.principal == e.arn)
                .map(|k| Change::DeleteAccessKey(k.id.clone()))
                .collect();
            acct.entities.remove(&e.arn);
            acct.commit(kms, sessions)?;
        }
        "CreateAccessKey" => {
            let name = user_name(ctx, p)?;
            let e = acct.get(Kind::User, &name)?;
            authz::authorize(kms, ctx, "iam:CreateAccessKey", &e.arn)?;
            let held = kms
                .access_keys()
                .iter()
                .filter(|k| k.principal == e.arn && k.session.is_none())
                .count();
            if held >= 2 {
                return Err(IamError::limit("Cannot exceed quota for AccessKeysPerUser: 2"));
            }
            let rec = new_key(&e.arn, "AKIA", now, rng);
            let secret = String::from_utf8_lossy(rec.secret.expose()).into_owned();
            x.node("AccessKey", |k| {
                k.leaf("UserName", &name)
                    .leaf("AccessKeyId", &rec.id)
                    .leaf("Status", "Active")
                    .leaf("SecretAccessKey", &secret)
                    .leaf("CreateDate", &iso(now));
            });
            acct.commit(kms, vec![Change::PutAccessKey(Box::new(rec))])?;
        }
        "ListAccessKeys" => {
            let name = user_name(ctx, p)?;
            let e = acct.get(Kind::User, &name)?;
            authz::authorize(kms, ctx, "iam:ListAccessKeys", &e.arn)?;
            let keys = kms.access_keys();
            let mine = keys.iter().filter(|k| k.principal == e.arn && k.session.is_none());
            x.members("AccessKeyMetadata", mine, |m, k| {
                m.leaf("UserName", &name)
                    .leaf("AccessKeyId", &k.id)
                    .leaf("Status", if k.inactive { "Inactive" } else { "Active" })
                    .leaf("CreateDate", &iso(k.created_ms));
            });
            x.leaf("IsTruncated", "false");
        }
        "UpdateAccessKey" | "DeleteAccessKey" => {
            let id = p.required("AccessKeyId")?;
            let name = user_name(ctx, p)?;
            let e = acct.get(Kind::User, &name)?;
            authz::authorize(kms, ctx, &format!("iam:{action}"), &e.arn)?;
            let mine = |k: &&AccessKeyRecord| k.principal == e.arn && k.session.is_none();
            let Some(rec) = kms.access_key(id).filter(mine).cloned() else {
                return Err(IamError::no_such(format!(
                    "The Access Key with id {id} cannot be found."
                )));
            };
            let change = if action == "DeleteAccessKey" {
                Change::DeleteAccessKey(rec.id)
            } else {
                let status = p.required("Status")?;
                let inactive = match status {
                    "Active" => false,
                    "Inactive" => true,
                    s => {
                        return Err(IamError::validation(format!(
                            "1 validation error detected: Value '{s}' at 'status' failed to \
                             satisfy constraint: Member must satisfy enum value set: [Active, \
                             Inactive]"
                        )))
                    }
                };
                Change::PutAccessKey(Box::new(AccessKeyRecord { inactive, ..rec }))
            };
            acct.commit(kms, vec![change])?;
        }
        _ => {
            if let Some(x) = crate::entity::call(kms, ctx, &mut acct, action, p)? {
                return Ok(Some(x));
            }
            if let Some(x) = crate::roles::call(kms, ctx, rng, &mut acct, action, p)? {
                return Ok(Some(x));
            }
            return crate::managed::call(kms, ctx, rng, &mut acct, action, p);
        }
    }
    Ok(Some(x))
}

/// A new access key (`AKIA…` long-term, `ASIA…` temporary) with a 40-character secret.
pub(crate) fn new_key(
    principal: &str,
    prefix: &str,
    now: i64,
    rng: &mut dyn RngCore,
) -> AccessKeyRecord {
    let mut raw = [0u8; 30];
    rng.fill_bytes(&mut raw);
    let secret = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw);
    AccessKeyRecord {
        id: random_id(prefix, 16, rng),
        secret: Secret::new(secret.into_bytes()),
        principal: principal.to_string(),
        session_policy: None,
        created_ms: now,
        inactive: false,
        session: None,
    }
}
