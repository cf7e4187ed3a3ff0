//! Which KMS key actions can be called on a key in another account.
//!
//! KMS *Allowing users in other accounts to use a KMS key* (key-policy-modifying-external-
//! accounts): cross-account permission "is effective only for" the cryptographic operations,
//! CreateGrant, DescribeKey, GetKeyRotationStatus, GetPublicKey, ListGrants, RetireGrant and
//! RevokeGrant; for the other key operations it has no effect. The facts are the `cross_account`
//! and `on_key` columns of the KMS vocabulary (`call/vocab.rs`), which follow the
//! `cross_account_use` flag of `kms-catalog.json` (botocore's "Cross-account use" notes).

use super::call::kms_action;

/// For a KMS key action (any case): whether it can be called on a key in another account.
/// `None` for actions that do not act on a key and for other services' actions (they are
/// decided by policies alone).
pub fn callable_across_accounts(action: &str) -> Option<bool> {
    kms_action(action).filter(|a| a.on_key).map(|a| a.cross_account)
}

#[cfg(test)]
mod tests {
    use super::callable_across_accounts;

    #[test]
    fn the_documented_operations_and_only_those_work_across_accounts() {
        // The page's list: the cryptographic operations and these seven.
        for a in [
            "creategrant",
            "describekey",
            "getkeyrotationstatus",
            "getpublickey",
            "listgrants",
            "retiregrant",
            "revokegrant",
            "decrypt",
            "reencryptfrom",
            "sign",
            "verifymac",
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
            "createalias",
            "importkeymaterial",
        ] {
            assert_eq!(callable_across_accounts(&format!("kms:{a}")), Some(false), "{a}");
        }
        assert_eq!(callable_across_accounts("kms:CreateKey"), None);
        assert_eq!(callable_across_accounts("kms:ListAliases"), None);
        assert_eq!(callable_across_accounts("s3:getobject"), None);
    }
}
