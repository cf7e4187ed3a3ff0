//! Which KMS key actions can be called on a key in another account.
//!
//! KMS *Allowing users in other accounts to use a KMS key* (key-policy-modifying-external-
//! accounts): cross-account permission "is effective only for" the cryptographic operations,
//! CreateGrant, DescribeKey, GetKeyRotationStatus, GetPublicKey, ListGrants, RetireGrant and
//! RevokeGrant; for the other key operations it has no effect. The lists follow the
//! `cross_account_use` flag of `kms-catalog.json` (botocore's "Cross-account use" notes).

/// Key actions that work on a key in another account (lower case).
const CROSS_ACCOUNT: &[&str] = &[
    "kms:creategrant",
    "kms:decrypt",
    "kms:derivesharedsecret",
    "kms:describekey",
    "kms:encrypt",
    "kms:generatedatakey",
    "kms:generatedatakeypair",
    "kms:generatedatakeypairwithoutplaintext",
    "kms:generatedatakeywithoutplaintext",
    "kms:generatemac",
    "kms:getkeyrotationstatus",
    "kms:getpublickey",
    "kms:listgrants",
    "kms:reencryptfrom",
    "kms:reencryptto",
    "kms:retiregrant",
    "kms:revokegrant",
    "kms:sign",
    "kms:verify",
    "kms:verifymac",
];

/// Key actions that only work on a key of the caller's own account (lower case).
const SAME_ACCOUNT_ONLY: &[&str] = &[
    "kms:cancelkeydeletion",
    "kms:createalias",
    "kms:deletealias",
    "kms:deleteimportedkeymaterial",
    "kms:disablekey",
    "kms:disablekeyrotation",
    "kms:enablekey",
    "kms:enablekeyrotation",
    "kms:getkeylastusage",
    "kms:getkeypolicy",
    "kms:getparametersforimport",
    "kms:importkeymaterial",
    "kms:listkeypolicies",
    "kms:listkeyrotations",
    "kms:listresourcetags",
    "kms:putkeypolicy",
    "kms:replicatekey",
    "kms:rotatekeyondemand",
    "kms:schedulekeydeletion",
    "kms:tagresource",
    "kms:untagresource",
    "kms:updatealias",
    "kms:updatekeydescription",
    "kms:updateprimaryregion",
];

/// For a KMS key action: whether it can be called on a key in another account. `None` for
/// actions the table does not know (they are decided by policies alone).
pub fn callable_across_accounts(action_lc: &str) -> Option<bool> {
    if CROSS_ACCOUNT.contains(&action_lc) {
        Some(true)
    } else if SAME_ACCOUNT_ONLY.contains(&action_lc) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{callable_across_accounts, CROSS_ACCOUNT, SAME_ACCOUNT_ONLY};

    #[test]
    fn the_lists_are_disjoint_lower_case_and_cover_the_documented_operations() {
        for a in CROSS_ACCOUNT.iter().chain(SAME_ACCOUNT_ONLY) {
            assert_eq!(a.to_ascii_lowercase(), *a);
            assert!(!(CROSS_ACCOUNT.contains(a) && SAME_ACCOUNT_ONLY.contains(a)), "{a}");
        }
        // The page's list: cryptographic operations and these seven.
        for a in [
            "creategrant",
            "describekey",
            "getkeyrotationstatus",
            "getpublickey",
            "listgrants",
            "retiregrant",
            "revokegrant",
        ] {
            assert_eq!(callable_across_accounts(&format!("kms:{a}")), Some(true), "{a}");
        }
        for a in [
            "schedulekeydeletion",
            "putkeypolicy",
            "tagresource",
            "enablekeyrotation",
            "disablekey",
            "getkeypolicy",
        ] {
            assert_eq!(callable_across_accounts(&format!("kms:{a}")), Some(false), "{a}");
        }
        assert_eq!(callable_across_accounts("kms:createkey"), None);
        assert_eq!(callable_across_accounts("s3:getobject"), None);
    }
}
