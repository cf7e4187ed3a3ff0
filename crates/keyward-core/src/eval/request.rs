//! The request being authorized: who (principal), what (action), on what (resource), and the
//! request context (condition keys and their values).

use super::keys::KeyFilter;
use serde::Serialize;
use std::borrow::Cow;
use std::sync::Arc;

/// What kind of identity is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PrincipalKind {
    /// The account's root user.
    Root,
    /// An IAM user.
    User,
    /// An IAM role, named by its role ARN (a session whose name is not known).
    Role,
    /// A role session `arn:aws:sts::A:assumed-role/Role/Session`.
    AssumedRole,
    /// A federated user session `arn:aws:sts::A:federated-user/Name`.
    FederatedUser,
    /// An AWS service principal, e.g. `s3.amazonaws.com`.
    Service,
    /// An anonymous (unsigned) caller.
    Anonymous,
}

/// The caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// Kind.
    pub kind: PrincipalKind,
    /// The caller's ARN (session ARN for sessions, root ARN for root); the service name for
    /// service principals; `*` for anonymous.
    pub arn: String,
    /// The caller's account (empty for services and anonymous).
    pub account: String,
    /// For a role session or a role: the role's ARN (with its path when known).
    pub role_arn: Option<String>,
    /// For a role session or a role: the role's name.
    pub role_name: Option<String>,
    /// For a user: the user name.
    pub user_name: Option<String>,
}

impl Principal {
    /// Reads a principal: a user, role, assumed-role or federated-user ARN, an account id or
    /// `arn:...:root` (the root user), `service:NAME` or a bare `NAME.amazonaws.com`, or
    /// `anonymous`.
    pub fn parse(s: &str) -> Result<Principal, String> {
        let base = |kind, arn: &str, account: &str| Principal {
            kind,
            arn: arn.to_string(),
            account: account.to_string(),
            role_arn: None,
            role_name: None,
            user_name: None,
        };
        if s == "anonymous" || s == "*" {
            return Ok(base(PrincipalKind::Anonymous, "*", ""));
        }
        if let Some(svc) = s.strip_prefix("service:") {
            return Ok(base(PrincipalKind::Service, svc, ""));
        }
        if !s.starts_with("arn:") && s.ends_with(".amazonaws.com") {
            return Ok(base(PrincipalKind::Service, s, ""));
        }
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(base(PrincipalKind::Root, &format!("arn:aws:iam::{s}:root"), s));
        }
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        let [arn, partition, service, _region, account, resource] = parts[..] else {
            return Err(format!(
                "`{s}` is not a principal: expected an IAM/STS ARN, an account id or service:NAME"
            ));
        };
        if arn != "arn" || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "`{s}` is not a principal ARN (arn:aws:iam::123456789012:user/Name)"
            ));
        }
        let last = resource.rsplit('/').next().unwrap_or(resource).to_string();
        let p = match (service, resource.split('/').next().unwrap_or("")) {
            ("iam", "root") if resource == "root" => base(PrincipalKind::Root, s, account),
            ("iam", "user") => {
                Principal { user_name: Some(last), ..base(PrincipalKind::User, s, account) }
            }
            ("iam", "role") => Principal {
                role_arn: Some(s.to_string()),
                role_name: Some(last),
                ..base(PrincipalKind::Role, s, account)
            },
            ("sts", "assumed-role") => {
                let mut it = resource.split('/');
                let (Some(_), Some(role), Some(_session)) = (it.next(), it.next(), it.next())
                else {
                    return Err(format!(
                        "`{s}` is not an assumed-role ARN (assumed-role/ROLE/SESSION)"
                    ));
                };
                Principal {
                    role_arn: Some(format!("arn:{partition}:iam::{account}:role/{role}")),
                    role_name: Some(role.to_string()),
                    ..base(PrincipalKind::AssumedRole, s, account)
                }
            }
            ("sts", "federated-user") => base(PrincipalKind::FederatedUser, s, account),
            _ => return Err(format!("`{s}` is not a user, role, session or root ARN")),
        };
        Ok(p)
    }

    /// The account principal ARN `arn:aws:iam::ACCOUNT:root`.
    pub fn account_arn(&self) -> String {
        format!("arn:aws:iam::{}:root", self.account)
    }

    /// The value of `aws:PrincipalType`.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            PrincipalKind::Root => "Account",
            PrincipalKind::User => "User",
            PrincipalKind::Role | PrincipalKind::AssumedRole => "AssumedRole",
            PrincipalKind::FederatedUser => "FederatedUser",
            PrincipalKind::Service => "AWSService",
            PrincipalKind::Anonymous => "Anonymous",
        }
    }

    /// The ARN a person would name this caller by in a policy: the role ARN for sessions.
    pub fn policy_arn(&self) -> &str {
        match self.kind {
            PrincipalKind::AssumedRole => self.role_arn.as_deref().unwrap_or(&self.arn),
            _ => &self.arn,
        }
    }

    /// True for IAM principals of an account (the ones SCPs and identity policies govern).
    pub fn is_iam(&self) -> bool {
        !matches!(self.kind, PrincipalKind::Service | PrincipalKind::Anonymous)
    }
}

/// A context value: one string, or a set of strings for multivalued keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CtxValue {
    /// Single-valued.
    One(String),
    /// Multivalued (`kms:EncryptionContextKeys`, `aws:TagKeys`, ...).
    Many(Vec<String>),
}

impl CtxValue {
    /// The values as a slice.
    pub fn as_slice(&self) -> &[String] {
        match self {
            CtxValue::One(s) => std::slice::from_ref(s),
            CtxValue::Many(v) => v,
        }
    }
}

/// The request context: condition keys (matched case-insensitively) and their values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Context {
    entries: Vec<ContextEntry>,
    /// When set, keys the filter does not want are not stored (see [`KeyFilter`]).
    #[serde(skip)]
    filter: Option<Arc<KeyFilter>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct ContextEntry {
    #[serde(skip)]
    hash: u64,
    #[serde(skip)]
    key_lc: Cow<'static, str>,
    key: Cow<'static, str>,
    value: CtxValue,
}

/// Keys every request carries, with their lower-case forms: setting them allocates nothing
/// for the key (the KMS builds a context per call; this keeps that cheap).
const KNOWN_KEYS: &[(&str, &str)] = &[
    ("aws:PrincipalArn", "aws:principalarn"),
    ("aws:PrincipalAccount", "aws:principalaccount"),
    ("kms:CallerAccount", "kms:calleraccount"),
    ("aws:PrincipalType", "aws:principaltype"),
    ("aws:PrincipalIsAWSService", "aws:principalisawsservice"),
    ("aws:PrincipalServiceName", "aws:principalservicename"),
    ("aws:username", "aws:username"),
    ("aws:userid", "aws:userid"),
    ("aws:SecureTransport", "aws:securetransport"),
    ("aws:RequestedRegion", "aws:requestedregion"),
    ("aws:CurrentTime", "aws:currenttime"),
    ("aws:EpochTime", "aws:epochtime"),
    ("aws:ResourceAccount", "aws:resourceaccount"),
    ("kms:EncryptionContextKeys", "kms:encryptioncontextkeys"),
    ("kms:ViaService", "kms:viaservice"),
    ("kms:KeySpec", "kms:keyspec"),
    ("kms:EncryptionAlgorithm", "kms:encryptionalgorithm"),
    ("kms:KeyUsage", "kms:keyusage"),
    ("kms:KeyOrigin", "kms:keyorigin"),
    ("kms:ResourceAliases", "kms:resourcealiases"),
    ("kms:RequestAlias", "kms:requestalias"),
    ("kms:GrantIsForAWSResource", "kms:grantisforawsresource"),
    ("aws:SourceIp", "aws:sourceip"),
    ("aws:MultiFactorAuthPresent", "aws:multifactorauthpresent"),
    ("aws:MultiFactorAuthAge", "aws:multifactorauthage"),
    ("aws:SourceVpce", "aws:sourcevpce"),
];

fn known_key(key: &str) -> Option<(&'static str, &'static str)> {
    KNOWN_KEYS.iter().find(|(k, _)| k.len() == key.len() && *k == key).copied()
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// An empty context that keeps only the keys `filter` wants.
    pub fn filtered(filter: Arc<KeyFilter>) -> Context {
        Context { entries: Vec::new(), filter: Some(filter) }
    }

    fn names(key: &str) -> (Cow<'static, str>, Cow<'static, str>) {
        match known_key(key) {
            Some((k, lc)) => (Cow::Borrowed(k), Cow::Borrowed(lc)),
            None => (Cow::Owned(key.to_string()), Cow::Owned(key.to_ascii_lowercase())),
        }
    }

    /// True when setting `key` would store it (always, without a filter).
    pub fn wants(&self, key: &str) -> bool {
        match &self.filter {
            None => true,
            Some(_) => {
                let (_, key_lc) = Context::names(key);
                self.accepts(&key_lc, key_hash(&key_lc))
            }
        }
    }

    /// True when some key starting with `prefix_lc` (lower case) would be stored.
    pub fn wants_prefix(&self, prefix_lc: &str) -> bool {
        self.filter.as_ref().is_none_or(|f| f.wants_prefix(prefix_lc))
    }

    fn accepts(&self, key_lc: &str, hash: u64) -> bool {
        self.filter.as_ref().is_none_or(|f| f.wants(key_lc, hash))
    }

    /// Sets `key` (replacing a value under the same key in any case).
    pub fn set(&mut self, key: &str, value: CtxValue) {
        let (key, key_lc) = Context::names(key);
        let hash = key_hash(&key_lc);
        if !self.accepts(&key_lc, hash) {
            return;
        }
        match self.entries.iter_mut().find(|e| e.hash == hash && e.key_lc == key_lc) {
            Some(e) => {
                e.key = key;
                e.value = value;
            }
            None => self.entries.push(ContextEntry { hash, key_lc, key, value }),
        }
    }

    /// Sets a single string value.
    pub fn set_str(&mut self, key: &str, value: impl Into<String>) {
        if self.filter.is_some() {
            let (_, key_lc) = Context::names(key);
            if !self.accepts(&key_lc, key_hash(&key_lc)) {
                return;
            }
        }
        self.set(key, CtxValue::One(value.into()));
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) {
        let key_lc = key.to_ascii_lowercase();
        self.entries.retain(|e| e.key_lc != key_lc);
    }

    /// Looks up a lower-case key.
    pub fn get_lc(&self, key_lc: &str) -> Option<&CtxValue> {
        self.get_hashed(key_hash(key_lc), key_lc)
    }

    /// Looks up a lower-case key whose [`key_hash`] is known (compiled conditions keep it).
    pub fn get_hashed(&self, hash: u64, key_lc: &str) -> Option<&CtxValue> {
        self.entries.iter().find(|e| e.hash == hash && e.key_lc == key_lc).map(|e| &e.value)
    }

    /// Looks up a key in any case.
    pub fn get(&self, key: &str) -> Option<&CtxValue> {
        self.get_lc(&key.to_ascii_lowercase())
    }

    /// The single value of a lower-case key (for policy variables).
    pub fn single_lc(&self, key_lc: &str) -> Option<String> {
        match self.get_lc(key_lc)? {
            CtxValue::One(s) => Some(s.clone()),
            CtxValue::Many(_) => None,
        }
    }

    /// All entries, in insertion order, with their keys as set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &CtxValue)> + Clone {
        self.entries.iter().map(|e| (e.key.as_ref(), &e.value))
    }
}

/// FNV-1a hash of a lower-case context key: lookups compare one integer before any string.
pub fn key_hash(key_lc: &str) -> u64 {
    key_lc
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// One authorization request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    /// Who.
    pub principal: Principal,
    /// The action as given, e.g. `kms:Decrypt`.
    pub action: String,
    /// The action lower-cased (for matching).
    #[serde(skip)]
    pub action_lc: String,
    /// The resource ARN (`*` for actions without a resource).
    pub resource: String,
    /// The request context.
    pub context: Context,
    /// Cached: the resource is a KMS key ARN.
    #[serde(skip)]
    kms_key: bool,
    /// Cached: byte range of the account in the resource ARN.
    #[serde(skip)]
    owner: Option<(usize, usize)>,
}

impl Request {
    /// Builds a request.
    pub fn new(principal: Principal, action: &str, resource: &str, context: Context) -> Request {
        let mut parts = resource.splitn(6, ':');
        let kms_key =
            parts.nth(2) == Some("kms") && parts.nth(2).is_some_and(|r| r.starts_with("key/"));
        let owner = resource.match_indices(':').nth(3).and_then(|(start, _)| {
            let rest = resource.get(start + 1..)?;
            let len = rest.find(':')?;
            (len > 0).then_some((start + 1, start + 1 + len))
        });
        Request {
            principal,
            action: action.to_string(),
            action_lc: action.to_ascii_lowercase(),
            resource: resource.to_string(),
            context,
            kms_key,
            owner,
        }
    }

    /// The account that owns the resource, from its ARN (None for `*` or account-less ARNs).
    pub fn resource_account(&self) -> Option<&str> {
        self.owner.and_then(|(a, b)| self.resource.get(a..b))
    }

    /// True when the resource is a KMS key ARN.
    pub fn is_kms_key(&self) -> bool {
        self.kms_key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_parse() {
        let s = Principal::parse("arn:aws:sts::111122223333:assumed-role/App/s1").unwrap();
        assert_eq!(s.kind, PrincipalKind::AssumedRole);
        assert_eq!(s.role_arn.as_deref(), Some("arn:aws:iam::111122223333:role/App"));
        assert_eq!(s.account, "111122223333");
        let r = Principal::parse("111122223333").unwrap();
        assert_eq!(
            (r.kind, r.arn.as_str()),
            (PrincipalKind::Root, "arn:aws:iam::111122223333:root")
        );
        let u = Principal::parse("arn:aws:iam::111122223333:user/ops/alice").unwrap();
        assert_eq!(u.user_name.as_deref(), Some("alice"));
        assert_eq!(
            Principal::parse("service:s3.amazonaws.com").unwrap().kind,
            PrincipalKind::Service
        );
        assert!(Principal::parse("arn:aws:iam::1:user/x").is_err());
        assert!(Principal::parse("bob").is_err());
    }

    #[test]
    fn context_keys_are_case_insensitive() {
        let mut c = Context::new();
        c.set_str("kms:EncryptionContext:Dept", "HR");
        assert_eq!(c.get("KMS:encryptioncontext:dept"), Some(&CtxValue::One("HR".into())));
        c.set_str("kms:encryptioncontext:DEPT", "Finance");
        assert_eq!(c.iter().count(), 1);
        c.remove("kms:EncryptionContext:Dept");
        assert!(c.get("kms:EncryptionContext:Dept").is_none());
    }

    #[test]
    fn kms_key_resources_are_recognised() {
        let p = Principal::parse("111122223333").unwrap();
        let r = Request::new(
            p.clone(),
            "kms:Decrypt",
            "arn:aws:kms:us-east-1:111122223333:key/abc",
            Context::new(),
        );
        assert!(r.is_kms_key());
        assert_eq!(r.resource_account(), Some("111122223333"));
        let r = Request::new(p, "s3:GetObject", "arn:aws:s3:::b/k", Context::new());
        assert!(!r.is_kms_key());
        assert_eq!(r.resource_account(), None);
    }
}
