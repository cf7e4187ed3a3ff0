//! GetAccountAuthorizationDetails in AWS's shape (UserDetailList, GroupDetailList,
//! RoleDetailList, Policies with every version), so `keyward who-can --export` and
//! `access-matrix` read the running server's account as they read AWS's.

use crate::managed::{policy_xml, version_xml};
use crate::model::{Account, Entity, Kind};
use crate::query::url_encode;
use crate::users::{boundary_and_tags, entity_xml};
use crate::xml::Xml;

fn inline(x: &mut Xml, list: &str, e: &Entity) {
    x.members(list, e.inline.iter(), |m, (n, t)| {
        m.leaf("PolicyName", n).leaf("PolicyDocument", &url_encode(t));
    });
}

fn attached(x: &mut Xml, e: &Entity) {
    x.members("AttachedManagedPolicies", e.attached.iter(), |m, a| {
        m.leaf("PolicyName", a.rsplit('/').next().unwrap_or(a)).leaf("PolicyArn", a);
    });
}

/// Writes the result of GetAccountAuthorizationDetails for the account's entities.
pub(crate) fn write(x: &mut Xml, acct: &Account) {
    let mine = format!("arn:aws:iam::{}:", acct.account);
    let mine = mine.as_str();
    let of =
        |k: Kind| acct.entities.values().filter(move |e| e.kind == k && e.arn.starts_with(mine));
    x.members("UserDetailList", of(Kind::User), |m, e| {
        entity_xml(m, e, "UserName", "UserId");
        inline(m, "UserPolicyList", e);
        m.members("GroupList", e.groups.iter(), |g, n| {
            g.text(n);
        });
        attached(m, e);
        boundary_and_tags(m, e, true);
    });
    x.members("GroupDetailList", of(Kind::Group), |m, e| {
        entity_xml(m, e, "GroupName", "GroupId");
        inline(m, "GroupPolicyList", e);
        attached(m, e);
    });
    x.members("RoleDetailList", of(Kind::Role), |m, e| {
        entity_xml(m, e, "RoleName", "RoleId");
        if let Some(t) = &e.trust {
            m.leaf("AssumeRolePolicyDocument", &url_encode(t));
        }
        m.node("InstanceProfileList", |_| {});
        inline(m, "RolePolicyList", e);
        attached(m, e);
        boundary_and_tags(m, e, true);
    });
    x.members("Policies", of(Kind::Policy), |m, e| {
        policy_xml(m, acct, e);
        m.members("PolicyVersionList", e.versions.iter(), |v, ver| version_xml(v, e, ver));
    });
    x.leaf("IsTruncated", "false");
}
