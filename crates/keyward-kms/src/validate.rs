//! Request checks KMS makes before it looks anything up, in AWS's words: every field's
//! constraints from AWS's service model ([`crate::model`], generated from botocore by
//! `scripts/gen-kms-model`) as `N validation error(s) detected: Value 'V' at 'path' failed to
//! satisfy constraint: Member must ...`, then the key identifier forms each key field accepts
//! (from the [`Operation`] table).

use crate::error::{ErrorCode, KmsError, Result};
use crate::operation::{KeyForms, Operation};
use serde_json::Value;

/// A member's wire type in the service model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string (also enumerations).
    Str,
    /// Bytes, base64 on the wire.
    Blob,
    /// An integer.
    Int,
    /// A boolean.
    Bool,
    /// A timestamp.
    Time,
    /// A list.
    List,
    /// A map (its values' shape is `member`).
    Map,
    /// A structure.
    Struct,
}

/// A pattern constraint: AWS's text, and when it is one character class with a count, the
/// class's ranges (inclusive code points) and the count allowed. Empty ranges: not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern {
    /// The pattern as AWS writes it (in its messages too).
    pub text: &'static str,
    /// The character class.
    pub ranges: &'static [(u32, u32)],
    /// Fewest characters.
    pub min: u32,
    /// Most characters.
    pub max: u32,
}

/// The model's pattern of a Region name (ReplicateKey's ReplicaRegion, UpdatePrimaryRegion's
/// PrimaryRegion), which is not one character class; [`is_region_name`] checks it.
pub const REGION_PATTERN: &str = "^([a-z]+-){2,3}\\d+$";

/// Whether `s` matches [`REGION_PATTERN`]: two or three lowercase words, each followed by `-`,
/// then digits (`us-east-1`, `us-gov-west-1`).
pub fn is_region_name(s: &str) -> bool {
    let Some((words, digits)) = s.rsplit_once('-') else { return false };
    let words: Vec<&str> = words.split('-').collect();
    (2..=3).contains(&words.len())
        && words.iter().all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The model's pattern of a service principal (CreateGrant's GranteeServicePrincipal and
/// RetiringServicePrincipal); [`is_service_principal`] checks it.
pub const SERVICE_PRINCIPAL_PATTERN: &str =
    "^([A-Za-z0-9\\-]+)\\.([A-Za-z0-9\\-]+)(\\.[A-Za-z0-9\\-]+)+$";

/// Whether `s` matches [`SERVICE_PRINCIPAL_PATTERN`]: three or more non-empty dot-separated
/// labels of ASCII letters, digits and `-` (`cloudtrail.amazonaws.com`).
pub fn is_service_principal(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 3
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// The model's pattern of a grant's SourceArn constraint; [`is_source_arn`] checks it.
pub const SOURCE_ARN_PATTERN: &str = "^arn:aws[a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+$";

/// Whether `s` matches [`SOURCE_ARN_PATTERN`]: `arn:aws…:service:region:account:resource`
/// with a lowercase partition starting `aws`, a non-empty service, a 12-digit account and a
/// non-empty resource on one line (Java's `.` matches no line terminator).
pub fn is_source_arn(s: &str) -> bool {
    let lower =
        |t: &str| t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts[..] else { return false };
    arn == "arn"
        && partition.strip_prefix("aws").is_some_and(lower)
        && !service.is_empty()
        && lower(service)
        && lower(region)
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !resource.is_empty()
        && !resource.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'])
}

/// The checker of a pattern that is not one character class, by its text.
fn special(text: &str) -> Option<fn(&str) -> bool> {
    match text {
        REGION_PATTERN => Some(is_region_name),
        SERVICE_PRINCIPAL_PATTERN => Some(is_service_principal),
        SOURCE_ARN_PATTERN => Some(is_source_arn),
        _ => None,
    }
}

impl Pattern {
    /// Whether keyward checks this pattern: one character class with a count, or one of the
    /// patterns with a checker of its own (Region, service principal, SourceArn).
    pub fn checked(&self) -> bool {
        !self.ranges.is_empty() || special(self.text).is_some()
    }

    /// Whether `s` matches; true when the pattern is not checked.
    pub fn matches(&self, s: &str) -> bool {
        if let Some(check) = special(self.text) {
            return check(s);
        }
        if self.ranges.is_empty() {
            return true;
        }
        let n = s.chars().count();
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        n >= self.min
            && n <= self.max
            && s.chars().all(|c| self.ranges.iter().any(|(a, b)| (*a..=*b).contains(&(c as u32))))
    }
}

/// A shape of the service model with its constraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Wire type.
    pub kind: Kind,
    /// Least length (strings, blobs, lists, maps) or value (integers).
    pub min: Option<i64>,
    /// Greatest length or value.
    pub max: Option<i64>,
    /// Pattern (strings).
    pub pattern: Option<&'static Pattern>,
    /// Allowed values (enumerations).
    pub enums: &'static [&'static str],
    /// AWS leaves the value out of its messages.
    pub sensitive: bool,
    /// A list's element shape, a map's value shape.
    pub member: Option<&'static Shape>,
    /// A structure's members, in the model's order.
    pub members: &'static [Member],
}

/// One member of a structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// AWS name (PascalCase).
    pub name: &'static str,
    /// Its shape.
    pub shape: &'static Shape,
    /// Required.
    pub required: bool,
}

/// An operation of the model and its input shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationModel {
    /// AWS name.
    pub name: &'static str,
    /// The request shape.
    pub input: &'static Shape,
}

/// The model's entry for the operation named `name`.
pub fn operation_model(name: &str) -> Option<&'static OperationModel> {
    let ops = &crate::model::OPERATIONS;
    ops.binary_search_by(|o| o.name.cmp(name)).ok().and_then(|i| ops.get(i))
}

/// A field path as AWS writes it: each member name with its first letter in lower case.
fn camel(name: &str) -> String {
    let mut out = name.to_string();
    if let Some(first) = out.get_mut(..1) {
        first.make_ascii_lowercase();
    }
    out
}

/// A value as AWS quotes it in a validation message (Java's rendering), None for a sensitive
/// one (AWS leaves it out).
fn render(v: &Value, shape: &Shape) -> Option<String> {
    if shape.sensitive {
        return None;
    }
    Some(match (v, shape.kind) {
        (Value::Null, _) => "null".to_string(),
        (Value::String(s), Kind::Blob) => {
            let n = blob_len(s).unwrap_or(0);
            format!("'java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]'")
        }
        _ => format!("'{}'", plain(v)),
    })
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(plain).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter().map(|(k, v)| format!("{k}={}", plain(v))).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

fn blob_len(s: &str) -> Option<usize> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s.as_bytes()).ok().map(|b| b.len())
}

/// Collects the violations of `v` (at `path`) against `shape`, in AWS's order.
fn check_value(v: &Value, shape: &Shape, path: &str, out: &mut Vec<String>) {
    let mut fail = |constraint: String| {
        let value = render(v, shape).map(|r| format!(" {r}")).unwrap_or_default();
        out.push(format!("Value{value} at '{path}' failed to satisfy constraint: {constraint}"));
    };
    let bounds = |n: i64, what: &str, fail: &mut dyn FnMut(String)| {
        if let Some(min) = shape.min.filter(|m| n < *m) {
            fail(format!("Member must have {what} greater than or equal to {min}"));
        }
        if let Some(max) = shape.max.filter(|m| n > *m) {
            fail(format!("Member must have {what} less than or equal to {max}"));
        }
    };
    let len = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    match (shape.kind, v) {
        (Kind::Str, Value::String(s)) => {
            if let Some(p) = shape.pattern.filter(|p| !p.matches(s)) {
                fail(format!("Member must satisfy regular expression pattern: {}", p.text));
            }
            bounds(len(s.encode_utf16().count()), "length", &mut fail);
            if !shape.enums.is_empty() && !shape.enums.contains(&s.as_str()) {
                fail(format!("Member must satisfy enum value set: [{}]", shape.enums.join(", ")));
            }
        }
        (Kind::Blob, Value::String(s)) => {
            if let Some(n) = blob_len(s) {
                bounds(len(n), "length", &mut fail);
            }
        }
        (Kind::Int, Value::Number(n)) => {
            if let Some(n) = n.as_i64() {
                bounds(n, "value", &mut fail);
            }
        }
        (Kind::List, Value::Array(items)) => {
            bounds(len(items.len()), "length", &mut fail);
            if let Some(elem) = shape.member {
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{path}.{}.member", i + 1);
                    if !item.is_null() {
                        check_value(item, elem, &p, out);
                    }
                }
            }
        }
        (Kind::Map, Value::Object(o)) => bounds(len(o.len()), "length", &mut fail),
        (Kind::Struct, Value::Object(o)) => check_members(o, shape, Some(path), out),
        // A value of another JSON type: the request parser reports it.
        _ => {}
    }
}

fn check_members(
    o: &serde_json::Map<String, Value>,
    shape: &Shape,
    prefix: Option<&str>,
    out: &mut Vec<String>,
) {
    for m in shape.members {
        let path = match prefix {
            Some(p) => format!("{p}.{}", camel(m.name)),
            None => camel(m.name),
        };
        match o.get(m.name) {
            None | Some(Value::Null) if m.required => out.push(format!(
                "Value null at '{path}' failed to satisfy constraint: Member must not be null"
            )),
            None | Some(Value::Null) => {}
            Some(v) => check_value(v, m.shape, &path, out),
        }
    }
}

/// Every constraint violation of a request, in AWS's message form, or None.
pub fn violations(op: &str, input: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(model), Some(o)) = (operation_model(op), input.as_object()) {
        check_members(o, model.input, None, &mut out);
    }
    out
}

/// The violations of one member's value (`member` of `op`'s request, PascalCase).
pub fn member_violations(op: &str, member: &str, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let m = operation_model(op).and_then(|o| o.input.members.iter().find(|m| m.name == member));
    if let Some(m) = m {
        check_value(value, m.shape, &camel(m.name), &mut out);
    }
    out
}

/// AWS's ValidationException for a request breaking its operation's model constraints.
pub fn check_request(op: Operation, input: &Value) -> Result<()> {
    validation_result(violations(op.as_str(), input))
}

/// Ok for no violations, else AWS's ValidationException counting them.
pub fn validation_result(v: Vec<String>) -> Result<()> {
    match v.len() {
        0 => Ok(()),
        1 => Err(KmsError::validation(format!("1 validation error detected: {}", v.join("; ")))),
        n => Err(KmsError::validation(format!("{n} validation errors detected: {}", v.join("; ")))),
    }
}

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
    match (ok, key_ref_form(s)) {
        (true, _) => Ok(()),
        // AWS's answer when an operation that takes only a key is given an alias ARN.
        (false, KeyRefForm::AliasArn) => Err(KmsError::new(
            ErrorCode::InvalidArnException,
            "Key Aliases are not supported for this operation",
        )),
        (false, _) => Err(invalid_key_id(s)),
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

impl crate::kms::Kms {
    /// AWS's refusal of a key policy naming an IAM user or role that does not exist: checked
    /// for the accounts the account model knows (it has at least one identity there; other
    /// accounts' identities cannot be known, so they pass). BypassPolicyLockoutSafetyCheck
    /// does not skip this check: AWS documents it as skipping the lockout check only.
    pub(crate) fn check_principals_exist(
        &self,
        policy: &keyward_core::eval::NamedPolicy,
    ) -> Result<()> {
        use keyward_core::model::AwsPrincipal;
        let known_account = |account: &str| {
            let prefix = format!("arn:aws:iam::{account}:");
            self.identities.keys().any(|arn| arn.starts_with(&prefix))
        };
        for st in &policy.policy.statements {
            for e in st.principal.iter().flat_map(|p| &p.entries) {
                let exists = match &e.aws {
                    AwsPrincipal::User(arn) => {
                        let account = arn.split(':').nth(4).unwrap_or_default();
                        !known_account(account) || self.identities.contains_key(arn)
                    }
                    AwsPrincipal::Role { account, name, .. } => {
                        let prefix = format!("arn:aws:iam::{account}:role/");
                        !known_account(account)
                            || self.identities.keys().any(|arn| {
                                arn.starts_with(&prefix) && arn.rsplit('/').next() == Some(name)
                            })
                    }
                    _ => true,
                };
                if !exists {
                    return Err(KmsError::new(
                        ErrorCode::MalformedPolicyDocumentException,
                        "Policy contains a statement with one or more invalid principals.",
                    ));
                }
            }
        }
        Ok(())
    }
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
