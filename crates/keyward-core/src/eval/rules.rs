//! The rules AWS documents, as one exhaustive `match` over a few named facts.
//!
//! `decide.rs` reads every policy and grant into a tally and reduces it to [`Facts`]; this file
//! says which documented rule those facts fall under. Arms are tried in order, as the steps of
//! the evaluation flowcharts are (`aws-semantics.md` §3.2, §3.3, §3.5): an explicit deny first,
//! then the organization gates, then what allows, then why nothing did.

use super::decide::Decision;
use serde::Serialize;

/// The rule that decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// An explicit Deny applied.
    ExplicitDeny,
    /// An SCP level has no Allow for this request.
    ScpNoAllow,
    /// An RCP level has no Allow for this request.
    RcpNoAllow,
    /// The key policy allows the caller directly.
    KeyPolicyAllowsCaller,
    /// The key policy allows the caller's role (within boundary and session policy).
    KeyPolicyAllowsRole,
    /// The key policy delegates to the account and an IAM policy allows.
    KeyPolicyDelegatesToIam,
    /// A grant allows.
    GrantAllows,
    /// The resource policy allows the caller.
    ResourcePolicyAllows,
    /// Identity policies allow (same account).
    IdentityAllows,
    /// Cross-account: both the resource side and the identity side allow.
    CrossAccountBothAllow,
    /// KMS: IAM allows but the key policy does not delegate to the account for this action.
    KmsNotDelegated,
    /// KMS: the key policy delegates to the account but no IAM policy allows.
    KmsDelegatedNoIamAllow,
    /// KMS: nothing allows.
    KmsNothingAllows,
    /// Identity policies allow, but the permissions boundary does not.
    BoundaryNoAllow,
    /// Identity policies allow, but the session policy does not.
    SessionNoAllow,
    /// Cross-account: the identity side allows, the resource side does not.
    CrossAccountNoResourceAllow,
    /// Cross-account: the resource side allows, the caller's identity side does not.
    CrossAccountNoIdentityAllow,
    /// Nothing allows.
    NothingAllows,
    /// KMS: the operation cannot be called on a key in another account; cross-account
    /// permission for it has no effect.
    CrossAccountNotCallable,
    /// KMS: a grant gives the caller CreateGrant, but the grant requested is not within it
    /// (an operation the parent grant lacks, or a looser constraint).
    CreateGrantBeyondParentGrant,
    /// RetireGrant: the caller is the grant's retiring principal.
    RetiringPrincipalRetires,
    /// RetireGrant: the caller is the grantee and the grant includes RetireGrant.
    GranteeRetires,
    /// RetireGrant: the caller is (or is allowed by IAM policies of) the account in which the
    /// grant was created.
    GrantAccountRetires,
    /// RetireGrant: the grant names neither the caller as retiring principal nor as a grantee
    /// that may retire, and the grant's account does not allow it.
    RetireNotPermitted,
}

impl Rule {
    /// The decision this rule makes.
    pub fn decision(self) -> Decision {
        match self {
            Rule::ExplicitDeny => Decision::ExplicitDeny,
            Rule::KeyPolicyAllowsCaller
            | Rule::KeyPolicyAllowsRole
            | Rule::KeyPolicyDelegatesToIam
            | Rule::GrantAllows
            | Rule::ResourcePolicyAllows
            | Rule::IdentityAllows
            | Rule::CrossAccountBothAllow
            | Rule::RetiringPrincipalRetires
            | Rule::GranteeRetires
            | Rule::GrantAccountRetires => Decision::Allow,
            Rule::ScpNoAllow
            | Rule::RcpNoAllow
            | Rule::KmsNotDelegated
            | Rule::KmsDelegatedNoIamAllow
            | Rule::KmsNothingAllows
            | Rule::BoundaryNoAllow
            | Rule::SessionNoAllow
            | Rule::CrossAccountNoResourceAllow
            | Rule::CrossAccountNoIdentityAllow
            | Rule::NothingAllows
            | Rule::CrossAccountNotCallable
            | Rule::CreateGrantBeyondParentGrant
            | Rule::RetireNotPermitted => Decision::ImplicitDeny,
        }
    }
}

/// Who calls, relative to the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    /// An AWS service principal or an anonymous caller: no identity policies, no SCPs.
    NotIam,
    /// An IAM principal of the account that owns the resource.
    SameAccount,
    /// An IAM principal of another account.
    OtherAccount,
}

/// The strongest way an applicable Allow of the key policy (or other resource policy) names
/// the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Names {
    /// No Allow of the resource policy applies.
    Nobody,
    /// The caller's account principal: delegation to the account's IAM policies.
    Account,
    /// The role of the caller's session: limited by boundary and session policy.
    Role,
    /// The caller itself (user, session, `*`, or the root user through its account).
    Caller,
}

/// What the caller's own account allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Identity {
    /// No identity policy allows.
    Nothing,
    /// The root user, which has every identity permission implicitly.
    RootUser,
    /// An identity policy allows.
    Policy,
}

/// For RetireGrant: the strongest way the grant being retired lets the caller retire it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retire {
    /// The action is not RetireGrant.
    NotAsked,
    /// No way: the grant does not name the caller, and its account does not allow it.
    Nobody,
    /// The account in which the grant was created: its root user, or through its IAM policies.
    GrantAccount,
    /// The grantee, and the grant includes RetireGrant.
    Grantee,
    /// The grant's retiring principal.
    RetiringPrincipal,
}

/// The facts of one request that the documented rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Facts {
    /// An applicable Deny in any policy.
    pub explicit_deny: bool,
    /// Every SCP level has an applicable Allow (true when no SCP binds the caller).
    pub scp_allows: bool,
    /// Every RCP level has an applicable Allow (true when no RCP binds the resource).
    pub rcp_allows: bool,
    /// The resource is a KMS key: its key policy is the root of trust.
    pub kms_key: bool,
    /// Who calls.
    pub caller: Caller,
    /// How the resource policy's Allow names the caller.
    pub resource_names: Names,
    /// What the caller's identity policies allow.
    pub identity: Identity,
    /// The permissions boundary allows (true when there is none).
    pub boundary_allows: bool,
    /// The session policy allows (true when there is none).
    pub session_allows: bool,
    /// A grant on the key applies (grantee, operation, constraint).
    pub grant_allows: bool,
    /// The action can be called on a key in another account (true for unknown actions).
    pub cross_account_action: bool,
    /// CreateGrant: a grant would give it, but the grant requested goes beyond that grant.
    pub grant_exceeded: bool,
    /// RetireGrant: who the grant lets retire it.
    pub retire: Retire,
}

/// The rule the facts fall under: the first arm that matches, in the flowcharts' order.
pub(crate) fn classify(f: &Facts) -> Rule {
    use Caller::{NotIam, OtherAccount, SameAccount};
    use Identity::{Policy, RootUser};
    use Names::{Account, Caller as Direct, Nobody, Role};
    match *f {
        // IAM User Guide, *Policy evaluation logic* (reference_policies_evaluation-logic): "an
        // explicit deny in any of these policies overrides the allow".
        Facts { explicit_deny: true, .. } => Rule::ExplicitDeny,
        // KMS *Allowing users in other accounts to use a KMS key* (key-policy-modifying-
        // external-accounts): cross-account permission "is effective only for" the
        // cryptographic operations and a few others; for key management it has no effect.
        Facts { kms_key: true, caller: OtherAccount, cross_account_action: false, .. } => {
            Rule::CrossAccountNotCallable
        }
        // *Service control policies* (orgs_manage_policies_scps_evaluation): every level from
        // the root to the account must allow; SCPs never grant.
        Facts { scp_allows: false, .. } => Rule::ScpNoAllow,
        // *Resource control policies* (orgs_manage_policies_rcps_evaluation): the same for the
        // resource's account.
        Facts { rcp_allows: false, .. } => Rule::RcpNoAllow,

        // --- RetireGrant: KMS *Retiring and revoking grants* (grant-delete) and the RetireGrant
        // API reference. The grant decides who may retire it; kms:RetireGrant in a key policy
        // is not effective.
        Facts { kms_key: true, retire: Retire::RetiringPrincipal, .. } => {
            Rule::RetiringPrincipalRetires
        }
        Facts { kms_key: true, retire: Retire::Grantee, .. } => Rule::GranteeRetires,
        Facts { kms_key: true, retire: Retire::GrantAccount, .. } => Rule::GrantAccountRetires,
        Facts { kms_key: true, retire: Retire::Nobody, .. } => Rule::RetireNotPermitted,

        // --- KMS keys: the key policy is the root of trust (KMS *Key policies*, key-policies).
        // A key-policy Allow that names the caller (user, session, `*`, a service principal)
        // suffices in the key's account; it is not capped by boundary or session policy.
        Facts { kms_key: true, caller: NotIam | SameAccount, resource_names: Direct, .. } => {
            Rule::KeyPolicyAllowsCaller
        }
        // One that names the caller's role is capped by its boundary and session policy
        // (IAM *Policy evaluation logic*, "role ARN" vs "session ARN").
        Facts {
            kms_key: true,
            caller: SameAccount,
            resource_names: Role,
            boundary_allows: true,
            session_allows: true,
            ..
        } => Rule::KeyPolicyAllowsRole,
        // KMS *Default key policy* (key-policy-default): naming the account lets its IAM
        // policies allow, per action; identity ∩ boundary ∩ session policy.
        Facts {
            kms_key: true,
            caller: SameAccount,
            resource_names: Account,
            identity: RootUser | Policy,
            boundary_allows: true,
            session_allows: true,
            ..
        } => Rule::KeyPolicyDelegatesToIam,
        // KMS *Allowing users in other accounts to use a KMS key* (key-policy-modifying-
        // external-accounts): the key policy names the external caller or its account, and an
        // IAM policy in the caller's account allows.
        Facts {
            kms_key: true,
            caller: OtherAccount,
            resource_names: Direct | Role | Account,
            identity: RootUser | Policy,
            boundary_allows: true,
            session_allows: true,
            ..
        } => Rule::CrossAccountBothAllow,
        // KMS *Grants in AWS KMS* (grants): a grant allows its grantee the listed operations,
        // without the key policy, in any account.
        Facts { kms_key: true, grant_allows: true, .. } => Rule::GrantAllows,
        // KMS *Creating grants*, "Granting CreateGrant permission" (create-grant-overview): a
        // grantee whose CreateGrant comes from a grant can delegate only within that grant.
        Facts { kms_key: true, grant_exceeded: true, .. } => Rule::CreateGrantBeyondParentGrant,
        // Why a KMS request was not allowed.
        Facts { kms_key: true, caller: NotIam, .. } => Rule::KmsNothingAllows,
        Facts { kms_key: true, caller: OtherAccount, resource_names: Nobody, .. } => {
            Rule::CrossAccountNoResourceAllow
        }
        Facts {
            kms_key: true,
            caller: OtherAccount,
            identity: RootUser | Policy,
            boundary_allows: false,
            ..
        } => Rule::BoundaryNoAllow,
        Facts {
            kms_key: true,
            caller: OtherAccount,
            identity: RootUser | Policy,
            session_allows: false,
            ..
        } => Rule::SessionNoAllow,
        Facts { kms_key: true, caller: OtherAccount, .. } => Rule::CrossAccountNoIdentityAllow,
        Facts {
            kms_key: true,
            caller: SameAccount,
            resource_names: Role,
            boundary_allows: false,
            ..
        }
        | Facts {
            kms_key: true,
            caller: SameAccount,
            resource_names: Account,
            identity: RootUser | Policy,
            boundary_allows: false,
            ..
        } => Rule::BoundaryNoAllow,
        Facts { kms_key: true, caller: SameAccount, resource_names: Role, .. }
        | Facts {
            kms_key: true,
            caller: SameAccount,
            resource_names: Account,
            identity: RootUser | Policy,
            ..
        } => Rule::SessionNoAllow,
        Facts { kms_key: true, caller: SameAccount, resource_names: Account, .. } => {
            Rule::KmsDelegatedNoIamAllow
        }
        Facts { kms_key: true, caller: SameAccount, identity: Policy, .. } => Rule::KmsNotDelegated,
        Facts { kms_key: true, caller: SameAccount, .. } => Rule::KmsNothingAllows,

        // --- Other resources (IAM *Policy evaluation logic*). In the same account the resource
        // policy and identity policies are a union; a resource policy naming the user or
        // session allows alone, one naming the role is capped by boundary and session policy.
        Facts { kms_key: false, caller: NotIam | SameAccount, resource_names: Direct, .. } => {
            Rule::ResourcePolicyAllows
        }
        Facts {
            kms_key: false,
            caller: SameAccount,
            resource_names: Role,
            boundary_allows: true,
            session_allows: true,
            ..
        } => Rule::ResourcePolicyAllows,
        // *Cross-account policy evaluation logic*: both accounts must allow.
        Facts {
            kms_key: false,
            caller: OtherAccount,
            resource_names: Direct | Role | Account,
            identity: RootUser | Policy,
            boundary_allows: true,
            session_allows: true,
            ..
        } => Rule::CrossAccountBothAllow,
        Facts {
            kms_key: false,
            caller: SameAccount,
            identity: RootUser | Policy,
            boundary_allows: true,
            session_allows: true,
            ..
        } => Rule::IdentityAllows,
        Facts { kms_key: false, caller: OtherAccount, resource_names: Nobody, .. } => {
            Rule::CrossAccountNoResourceAllow
        }
        Facts { kms_key: false, identity: RootUser | Policy, boundary_allows: false, .. } => {
            Rule::BoundaryNoAllow
        }
        Facts { kms_key: false, identity: RootUser | Policy, session_allows: false, .. } => {
            Rule::SessionNoAllow
        }
        Facts { kms_key: false, caller: OtherAccount, .. } => Rule::CrossAccountNoIdentityAllow,
        Facts { kms_key: false, .. } => Rule::NothingAllows,
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
