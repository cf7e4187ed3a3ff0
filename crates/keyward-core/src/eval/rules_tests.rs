//! The classifier against an independent oracle, over every combination of facts.
//!
//! The oracle is written as the documented steps, each a table of (condition, rule): first the
//! gates, then the ways to be allowed, then the reasons for an implicit deny. It shares no code
//! with `classify` beyond the fact types.

#![allow(clippy::panic, reason = "test code: a failure is a test failure")]

use super::{classify, Caller, Facts, Identity, Names, Retire, Rule};
use crate::eval::Decision;

const CALLERS: [Caller; 3] = [Caller::NotIam, Caller::SameAccount, Caller::OtherAccount];
const NAMES: [Names; 4] = [Names::Nobody, Names::Account, Names::Role, Names::Caller];
const IDENTITIES: [Identity; 3] = [Identity::Nothing, Identity::RootUser, Identity::Policy];
const RETIRES: [Retire; 5] = [
    Retire::NotAsked,
    Retire::Nobody,
    Retire::GrantAccount,
    Retire::Grantee,
    Retire::RetiringPrincipal,
];

/// Every combination of facts.
fn all_facts() -> Vec<Facts> {
    let mut out = Vec::new();
    for bits in 0u32..(1 << 9) {
        let b = |i: u32| bits & (1 << i) != 0;
        for caller in CALLERS {
            for resource_names in NAMES {
                for (identity, retire) in
                    IDENTITIES.iter().flat_map(|i| RETIRES.iter().map(move |r| (*i, *r)))
                {
                    out.push(Facts {
                        explicit_deny: b(0),
                        scp_allows: b(1),
                        rcp_allows: b(2),
                        kms_key: b(3),
                        caller,
                        resource_names,
                        identity,
                        boundary_allows: b(4),
                        session_allows: b(5),
                        grant_allows: b(6),
                        cross_account_action: b(7),
                        grant_exceeded: b(8),
                        retire,
                    });
                }
            }
        }
    }
    out
}

/// The documented steps (aws-semantics.md §3.2, §3.3, §3.5; tests/scenarios/README.md,
/// "Decision procedure").
fn oracle(f: &Facts) -> Rule {
    // Step 1 and 2: an explicit deny, then the organization's gates.
    let abroad = f.caller == Caller::OtherAccount;
    let gates = [
        (f.explicit_deny, Rule::ExplicitDeny),
        (f.kms_key && abroad && !f.cross_account_action, Rule::CrossAccountNotCallable),
        (!f.scp_allows, Rule::ScpNoAllow),
        (!f.rcp_allows, Rule::RcpNoAllow),
    ];
    if let Some((_, r)) = gates.iter().find(|(c, _)| *c) {
        return *r;
    }
    let iam = f.caller != Caller::NotIam;
    let home = f.caller == Caller::SameAccount;
    // RetireGrant is decided by the grant alone.
    if f.kms_key {
        let retire = match f.retire {
            Retire::NotAsked => None,
            Retire::RetiringPrincipal => Some(Rule::RetiringPrincipalRetires),
            Retire::Grantee => Some(Rule::GranteeRetires),
            Retire::GrantAccount => Some(Rule::GrantAccountRetires),
            Retire::Nobody => Some(Rule::RetireNotPermitted),
        };
        if let Some(r) = retire {
            return r;
        }
    }
    let capped_ok = f.boundary_allows && f.session_allows;
    let identity_yes = f.identity != Identity::Nothing;
    let identity_side = iam && identity_yes && capped_ok;
    let names = |n: Names| f.resource_names == n;
    let resource_side = !names(Names::Nobody);
    let direct_ok = names(Names::Caller) && (home || !iam);

    // Step 3: what allows.
    let allows: &[(bool, Rule)] = if f.kms_key {
        &[
            (direct_ok, Rule::KeyPolicyAllowsCaller),
            (home && names(Names::Role) && capped_ok, Rule::KeyPolicyAllowsRole),
            (home && names(Names::Account) && identity_side, Rule::KeyPolicyDelegatesToIam),
            (abroad && resource_side && identity_side, Rule::CrossAccountBothAllow),
            (f.grant_allows, Rule::GrantAllows),
        ]
    } else {
        &[
            (direct_ok, Rule::ResourcePolicyAllows),
            (home && names(Names::Role) && capped_ok, Rule::ResourcePolicyAllows),
            (abroad && resource_side && identity_side, Rule::CrossAccountBothAllow),
            (home && identity_side, Rule::IdentityAllows),
        ]
    };
    if let Some((_, r)) = allows.iter().find(|(c, _)| *c) {
        return *r;
    }

    // Step 4: why nothing allowed. A route that was open but capped names its cap.
    let cap = if f.boundary_allows { Rule::SessionNoAllow } else { Rule::BoundaryNoAllow };
    let reasons: &[(bool, Rule)] = if f.kms_key {
        &[
            (f.grant_exceeded, Rule::CreateGrantBeyondParentGrant),
            (!iam, Rule::KmsNothingAllows),
            (abroad && !resource_side, Rule::CrossAccountNoResourceAllow),
            (abroad && identity_yes && !capped_ok, cap),
            (abroad, Rule::CrossAccountNoIdentityAllow),
            (names(Names::Role), cap),
            (names(Names::Account) && identity_yes, cap),
            (names(Names::Account), Rule::KmsDelegatedNoIamAllow),
            (f.identity == Identity::Policy, Rule::KmsNotDelegated),
            (true, Rule::KmsNothingAllows),
        ]
    } else {
        &[
            (abroad && !resource_side, Rule::CrossAccountNoResourceAllow),
            (identity_yes && !capped_ok, cap),
            (abroad, Rule::CrossAccountNoIdentityAllow),
            (true, Rule::NothingAllows),
        ]
    };
    reasons.iter().find(|(c, _)| *c).map_or(Rule::NothingAllows, |(_, r)| *r)
}

#[test]
fn classifier_agrees_with_the_documented_steps_on_every_combination() {
    let all = all_facts();
    assert_eq!(all.len(), 512 * 3 * 4 * 3 * 5);
    let mut disagreements = Vec::new();
    for f in &all {
        let (got, want) = (classify(f), oracle(f));
        if got != want {
            disagreements.push(format!("{f:?}: classify {got:?}, oracle {want:?}"));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements, first: {}",
        disagreements.len(),
        disagreements.first().map_or("", String::as_str)
    );
}

#[test]
fn every_rule_is_reached_and_decides_as_it_says() {
    let reached: Vec<Rule> = all_facts().iter().map(classify).collect();
    let every = [
        Rule::ExplicitDeny,
        Rule::ScpNoAllow,
        Rule::RcpNoAllow,
        Rule::KeyPolicyAllowsCaller,
        Rule::KeyPolicyAllowsRole,
        Rule::KeyPolicyDelegatesToIam,
        Rule::GrantAllows,
        Rule::ResourcePolicyAllows,
        Rule::IdentityAllows,
        Rule::CrossAccountBothAllow,
        Rule::KmsNotDelegated,
        Rule::KmsDelegatedNoIamAllow,
        Rule::KmsNothingAllows,
        Rule::BoundaryNoAllow,
        Rule::SessionNoAllow,
        Rule::CrossAccountNoResourceAllow,
        Rule::CrossAccountNoIdentityAllow,
        Rule::NothingAllows,
        Rule::CrossAccountNotCallable,
        Rule::CreateGrantBeyondParentGrant,
        Rule::RetiringPrincipalRetires,
        Rule::GranteeRetires,
        Rule::GrantAccountRetires,
        Rule::RetireNotPermitted,
    ];
    for r in every {
        assert!(reached.contains(&r), "no combination of facts reaches {r:?}");
    }
    // Allow exactly when no gate closed and some route allowed: an explicit deny always wins,
    // and nothing but an explicit deny is an ExplicitDeny.
    for f in all_facts() {
        let d = classify(&f).decision();
        assert_eq!(d == Decision::ExplicitDeny, f.explicit_deny, "{f:?}");
        if !f.scp_allows || !f.rcp_allows {
            assert_ne!(d, Decision::Allow, "{f:?}");
        }
    }
}

#[test]
fn a_grant_only_adds_an_allow_and_only_on_a_kms_key() {
    for f in all_facts() {
        let with = classify(&Facts { grant_allows: true, ..f }).decision();
        let without = classify(&Facts { grant_allows: false, ..f }).decision();
        if without == Decision::Allow {
            assert_eq!(with, Decision::Allow, "{f:?}");
        }
        if !f.kms_key {
            assert_eq!(with, without, "{f:?}");
        }
    }
}

#[test]
fn grants_change_no_decision_the_policies_make_allow_or_explicit_deny() {
    // The fast path of `decide` relies on this to leave grants out of the tally.
    for f in all_facts() {
        let policies = Facts { grant_allows: false, grant_exceeded: false, ..f };
        let without = classify(&policies);
        if without.decision() != Decision::ImplicitDeny {
            assert_eq!(classify(&f), without, "{f:?}");
        }
    }
}
