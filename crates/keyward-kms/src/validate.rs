//! Request checks KMS makes before it looks anything up, in AWS's words: the key identifier
//! forms each key field accepts (from the [`Operation`] table).

use crate::error::{ErrorCode, KmsError, Result};
use crate::operation::{KeyForms, Operation};
use serde_json::Value;

/// The form of a key identifier as written in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefForm {
    /// A key id (`1234abcd-12ab-34cd-56ef-1234567890ab`, or `mrk-` and 32 hex digits).
    KeyId,
    /// A key ARN (`arn:...:key/...`).
    KeyArn,
    /// An alias name (`alias/...`).
    AliasName,
    /// An alias ARN (`arn:...:alias/...`).
    AliasArn,
    /// Another ARN (the resolver reports it).
    OtherArn,
    /// Nothing KMS recognizes.
    Invalid,
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// True for a key id in key-id form: a UUID, or `mrk-` and 32 hex digits (multi-Region).
pub fn is_key_id(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix("mrk-") {
        return rest.len() == 32 && is_hex(rest);
    }
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5 && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && is_hex(p))
}

/// Classifies a key identifier.
pub fn key_ref_form(s: &str) -> KeyRefForm {
    if s.starts_with("alias/") {
        return KeyRefForm::AliasName;
    }
    if s.starts_with("arn:") {
        let resource = s.splitn(6, ':').nth(5).unwrap_or_default();
        return if resource.starts_with("key/") {
            KeyRefForm::KeyArn
        } else if resource.starts_with("alias/") {
            KeyRefForm::AliasArn
        } else {
            KeyRefForm::OtherArn
        };
    }
    if is_key_id(s) {
        KeyRefForm::KeyId
    } else {
        KeyRefForm::Invalid
    }
}

/// AWS's NotFoundException for a key identifier that is not in a form the field accepts.
pub fn invalid_key_id(s: &str) -> KmsError {
    KmsError::new(ErrorCode::NotFoundException, format!("Invalid keyId '{s}'"))
}

/// Checks one key identifier against the forms its field accepts.
pub fn check_key_form(s: &str, forms: KeyForms) -> Result<()> {
    let ok = match key_ref_form(s) {
        KeyRefForm::KeyId => forms.key_id,
        KeyRefForm::KeyArn | KeyRefForm::OtherArn => forms.key_arn,
        KeyRefForm::AliasName => forms.alias_name,
        KeyRefForm::AliasArn => forms.alias_arn,
        KeyRefForm::Invalid => false,
    };
    if ok {
        Ok(())
    } else {
        Err(invalid_key_id(s))
    }
}

/// Checks every key field of `op`'s request against the forms the operation table records.
pub fn check_key_fields(op: Operation, input: &Value) -> Result<()> {
    for field in op.fields() {
        if let (Some(forms), Some(Value::String(s))) = (field.key, input.get(field.name)) {
            let alias = matches!(key_ref_form(s), KeyRefForm::AliasName | KeyRefForm::AliasArn);
            if field.name == "TargetKeyId" && alias {
                // An alias must point at a key, never at another alias.
                return Err(KmsError::validation("Aliases must refer to keys. Not aliases"));
            }
            check_key_form(s, forms)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_recognized() {
        let cases = [
            ("1234abcd-12ab-34cd-56ef-1234567890ab", KeyRefForm::KeyId),
            ("mrk-1234abcd12ab34cd56ef1234567890ab", KeyRefForm::KeyId),
            ("mrk-1234", KeyRefForm::Invalid),
            ("1234abcd-12ab-34cd-56ef-1234567890a", KeyRefForm::Invalid),
            ("1234abcd-12ab-34cd-56ef-1234567890ag", KeyRefForm::Invalid),
            ("nokey", KeyRefForm::Invalid),
            ("alias/app", KeyRefForm::AliasName),
            ("arn:aws:kms:us-east-1:111122223333:key/x", KeyRefForm::KeyArn),
            ("arn:aws:kms:us-east-1:111122223333:alias/app", KeyRefForm::AliasArn),
            ("arn:aws:kms:us-east-1:111122223333:grant/x", KeyRefForm::OtherArn),
        ];
        for (s, want) in cases {
            assert_eq!(key_ref_form(s), want, "{s}");
        }
        assert!(check_key_form("alias/app", KeyForms::ANY).is_ok());
        let e = check_key_form("alias/app", KeyForms::KEY).unwrap_err();
        assert_eq!(e.message, "Invalid keyId 'alias/app'");
        assert_eq!(e.code, ErrorCode::NotFoundException);
    }
}
