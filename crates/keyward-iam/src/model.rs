//! IAM entities as the IAM API sees them — users, roles, groups and customer managed policies
//! with paths, ids, inline and attached policies, group membership, trust policies and
//! versions — kept in the KMS's identity records (the `iam` field, as JSON) so they are durable
//! through the same store and commit. A user's or role's effective policies and boundary (what
//! the KMS evaluates) are derived from them on every change and committed with it.

use crate::IamError;
use keyward_core::json::Limits;
use keyward_core::model::PolicyKind;
use keyward_core::parse::parse_policy;
use keyward_core::span::LineIndex;
use keyward_kms::record::{IdentityRecord, Tag};
use keyward_kms::store::Change;
use keyward_kms::{ErrorCode, Kms};
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An IAM user.
    #[default]
    User,
    /// An IAM role.
    Role,
    /// An IAM group.
    Group,
    /// A customer managed policy.
    Policy,
}

impl Kind {
    /// The ARN's resource type.
    pub fn arn_type(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Role => "role",
            Kind::Group => "group",
            Kind::Policy => "policy",
        }
    }
    /// The unique-id prefix AWS uses.
    fn id_prefix(self) -> &'static str {
        match self {
            Kind::User => "AIDA",
            Kind::Role => "AROA",
            Kind::Group => "AGPA",
            Kind::Policy => "ANPA",
        }
    }
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, ...
    pub id: String,
    /// The document.
    pub document: String,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
}

/// A user, role, group or managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Entity {
    /// What it is.
    pub kind: Kind,
    /// Name.
    pub name: String,
    /// Path (`/` by default).
    pub path: String,
    /// Unique id (AIDA…, AROA…, AGPA…, ANPA…).
    pub id: String,
    /// ARN.
    pub arn: String,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
    /// Inline policies by name (users, roles, groups).
    #[serde(default)]
    pub inline: BTreeMap<String, String>,
    /// Attached managed policy ARNs (users, roles, groups).
    #[serde(default)]
    pub attached: Vec<String>,
    /// The managed policy set as permissions boundary (users, roles).
    #[serde(default)]
    pub boundary: Option<String>,
    /// A boundary given as text by `keyward iam` (kept until a boundary ARN replaces it).
    #[serde(default)]
    pub boundary_text: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Trust policy (roles).
    #[serde(default)]
    pub trust: Option<String>,
    /// Longest session, seconds (roles; 3600 by default).
    #[serde(default)]
    pub max_session_s: Option<i64>,
    /// Description (roles, policies).
    #[serde(default)]
    pub description: Option<String>,
    /// Names of the groups a user belongs to.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Versions of a managed policy, oldest first.
    #[serde(default)]
    pub versions: Vec<PolicyVersion>,
    /// The default version's id.
    #[serde(default)]
    pub default_version: String,
    /// The number the next version gets.
    #[serde(default)]
    pub next_version: u32,
}

impl Entity {
    /// AWS's DeleteConflict while the entity still has inline or attached policies.
    pub fn check_no_policies(&self) -> Result<(), IamError> {
        if !self.inline.is_empty() {
            return Err(IamError::conflict("Cannot delete entity, must delete policies first."));
        }
        if !self.attached.is_empty() {
            return Err(IamError::conflict(
                "Cannot delete entity, must detach all policies first.",
            ));
        }
        Ok(())
    }

    /// The default version's document (managed policies).
    pub fn default_document(&self) -> Option<&str> {
        self.versions.iter().find(|v| v.id == self.default_version).map(|v| v.document.as_str())
    }
}

/// AWS managed policies keyward knows (by ARN): AdministratorAccess and ReadOnlyAccess for KMS.
pub const AWS_MANAGED: &[(&str, &str)] = &[
    (
        "arn:aws:iam::aws:policy/AdministratorAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    ),
    (
        "arn:aws:iam::aws:policy/AWSKeyManagementServicePowerUser",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:CreateAlias","kms:CreateKey","kms:DeleteAlias","kms:Describe*","kms:GenerateRandom","kms:Get*","kms:List*","kms:TagResource","kms:UntagResource","iam:ListGroups","iam:ListRoles","iam:ListUsers"],"Resource":"*"}]}"#,
    ),
];

/// Checks a policy document with keyward's parser: `MalformedPolicyDocument` naming the first
/// error and its line:column.
pub fn check_policy(text: &str, kind: PolicyKind) -> Result<(), IamError> {
    check_policy_except(text, kind, &[])
}

/// A role trust policy: a resource policy whose statements name no Resource (the role is the
/// resource). Like a KMS key policy it is the root of trust of its resource (a principal of
/// the role's own account needs it to allow, or to name the account and an identity policy to
/// allow), so keyward reads it with the key-policy grammar and rules.
pub fn check_trust_policy(text: &str) -> Result<(), IamError> {
    check_policy_except(text, PolicyKind::Key, &["missing-resource"])
}

/// A trust policy as the evaluator reads it: each statement without `Resource` or
/// `NotResource` applies to the role (`"Resource": "*"`).
pub fn trust_for_eval(text: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(text) else {
        return text.to_string();
    };
    let add = |st: &mut serde_json::Value| {
        if let Some(o) = st.as_object_mut() {
            if !o.contains_key("Resource") && !o.contains_key("NotResource") {
                o.insert("Resource".into(), serde_json::Value::String("*".into()));
            }
        }
    };
    match v.get_mut("Statement") {
        Some(serde_json::Value::Array(a)) => a.iter_mut().for_each(add),
        Some(st) => add(st),
        None => {}
    }
    v.to_string()
}

fn check_policy_except(text: &str, kind: PolicyKind, ignore: &[&str]) -> Result<(), IamError> {
    if text.chars().count() > 131_072 {
        return Err(IamError::malformed_policy("The policy document is too large.".into()));
    }
    let (policy, diags) = parse_policy(text, kind, Limits::default());
    let error = diags
        .iter()
        .find(|d| d.severity == keyward_core::diag::Severity::Error && !ignore.contains(&d.code));
    if let Some(d) = error {
        let lc = LineIndex::new(text).line_col(d.span.start);
        return Err(IamError::malformed_policy(format!(
            "Syntax errors in policy: {} (line {}, column {})",
            d.message, lc.line, lc.col
        )));
    }
    if policy.is_none() {
        return Err(IamError::malformed_policy(
            "Syntax errors in policy: the document is not a JSON object (line 1, column 1)".into(),
        ));
    }
    Ok(())
}

/// The IAM entities of the store, as loaded for one call.
#[derive(Debug, Clone)]
pub struct Account {
    /// The caller's account: entities are created there.
    pub account: String,
    /// Every entity by ARN.
    pub entities: BTreeMap<String, Entity>,
    stored: BTreeMap<String, IdentityRecord>,
}

fn split_arn(arn: &str) -> Option<(Kind, String, String)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (_acct, res) = rest.split_once(':')?;
    let (ty, tail) = res.split_once('/')?;
    let kind = match ty {
        "user" => Kind::User,
        "role" => Kind::Role,
        "group" => Kind::Group,
        "policy" => Kind::Policy,
        _ => return None,
    };
    let (path, name) = match tail.rsplit_once('/') {
        Some((p, n)) => (format!("/{p}/"), n.to_string()),
        None => ("/".to_string(), tail.to_string()),
    };
    Some((kind, path, name))
}

impl Account {
    /// Loads every entity; identities made by `keyward iam` (no IAM view yet) are read as
    /// users and roles whose policies are inline.
    pub fn load(kms: &Kms, account: &str) -> Account {
        let mut entities = BTreeMap::new();
        let mut stored = BTreeMap::new();
        for rec in kms.identities() {
            let from_json = rec.iam.as_deref().and_then(|j| serde_json::from_str::<Entity>(j).ok());
            let e = match from_json {
                Some(e) => e,
                None => {
                    let Some((kind, path, name)) = split_arn(&rec.arn) else { continue };
                    Entity {
                        kind,
                        name,
                        path,
                        id: rec.unique_id.clone(),
                        arn: rec.arn.clone(),
                        inline: rec.policies.iter().cloned().collect(),
                        boundary_text: rec.boundary.clone(),
                        tags: rec.tags.clone(),
                        ..Entity::default()
                    }
                }
            };
            entities.insert(rec.arn.clone(), e);
            stored.insert(rec.arn.clone(), rec.clone());
        }
        Account { account: account.to_string(), entities, stored }
    }

    /// The ARN an entity of this account would have.
    pub fn arn(&self, kind: Kind, path: &str, name: &str) -> String {
        format!("arn:aws:iam::{}:{}{path}{name}", self.account, kind.arn_type())
    }

    /// The entity of this account with this kind and name (any path).
    pub fn find(&self, kind: Kind, name: &str) -> Option<&Entity> {
        let prefix = format!("arn:aws:iam::{}:", self.account);
        self.entities
            .values()
            .find(|e| e.kind == kind && e.name == name && e.arn.starts_with(&prefix))
    }

    /// [`Account::find`], or AWS's NoSuchEntity.
    pub fn get(&self, kind: Kind, name: &str) -> Result<&Entity, IamError> {
        self.find(kind, name).ok_or_else(|| {
            IamError::no_such(format!("The {} with name {name} cannot be found.", kind.arn_type()))
        })
    }

    /// A mutable entity by kind and name.
    pub fn get_mut(&mut self, kind: Kind, name: &str) -> Result<&mut Entity, IamError> {
        let arn = self.get(kind, name)?.arn.clone();
        self.entities.get_mut(&arn).ok_or_else(|| IamError::no_such(arn))
    }

    /// A managed policy by ARN (customer managed, or one of [`AWS_MANAGED`]).
    pub fn policy_document(&self, arn: &str) -> Option<String> {
        if let Some((_, doc)) = AWS_MANAGED.iter().find(|(a, _)| *a == arn) {
            return Some((*doc).to_string());
        }
        self.entities
            .get(arn)
            .filter(|e| e.kind == Kind::Policy)
            .and_then(|e| e.default_document().map(str::to_string))
    }

    /// [`Account::policy_document`], or AWS's NoSuchEntity for a policy that is not there.
    pub fn attachable(&self, arn: &str) -> Result<String, IamError> {
        self.policy_document(arn).ok_or_else(|| {
            IamError::no_such(format!("Policy {arn} does not exist or is not attachable."))
        })
    }

    /// The `PermissionsBoundary` parameter of CreateUser/CreateRole, checked.
    pub fn boundary_param(&self, p: &crate::query::Params) -> Result<Option<String>, IamError> {
        p.get("PermissionsBoundary").map(|b| self.attachable(b).map(|_| b.to_string())).transpose()
    }

    /// A new entity, with a fresh unique id.
    pub fn new_entity(
        &self,
        kind: Kind,
        name: &str,
        path: Option<&str>,
        now_ms: i64,
        rng: &mut dyn RngCore,
    ) -> Result<Entity, IamError> {
        check_name(name, kind)?;
        let path = path.unwrap_or("/");
        if !path.starts_with('/') || !path.ends_with('/') || path.len() > 512 {
            return Err(IamError::validation(format!(
                "The specified value for path is invalid. It must begin and end with / and \
                 contain only alphanumeric characters and/or / characters. ({path})"
            )));
        }
        if self.find(kind, name).is_some() {
            let what = match kind {
                Kind::Policy => {
                    return Err(IamError::exists(format!(
                        "A policy called {name} already exists. Duplicate names are not allowed."
                    )))
                }
                Kind::User => "User",
                Kind::Role => "Role",
                Kind::Group => "Group",
            };
            return Err(IamError::exists(format!("{what} with name {name} already exists.")));
        }
        Ok(Entity {
            kind,
            name: name.to_string(),
            path: path.to_string(),
            id: random_id(kind.id_prefix(), 17, rng),
            arn: self.arn(kind, path, name),
            created_ms: now_ms,
            ..Entity::default()
        })
    }

    /// The record the KMS evaluates for an entity: effective policies (inline, attached, and
    /// for a user those of its groups) and boundary, with the IAM view as JSON.
    pub fn derived(&self, e: &Entity) -> IdentityRecord {
        let mut policies: Vec<(String, String)> = Vec::new();
        if matches!(e.kind, Kind::User | Kind::Role) {
            let mut add = |owner: &Entity, prefix: &str| {
                for (n, t) in &owner.inline {
                    policies.push((format!("{prefix}{n}"), t.clone()));
                }
                for arn in &owner.attached {
                    if let Some(doc) = self.policy_document(arn) {
                        policies.push((arn.clone(), doc));
                    }
                }
            };
            add(e, "");
            for g in &e.groups {
                if let Some(group) = self.find(Kind::Group, g) {
                    add(group, &format!("group/{g}/"));
                }
            }
        }
        let boundary = match &e.boundary {
            Some(arn) => self.policy_document(arn),
            None => e.boundary_text.clone(),
        };
        IdentityRecord {
            arn: e.arn.clone(),
            unique_id: e.id.clone(),
            policies,
            boundary,
            tags: if matches!(e.kind, Kind::User | Kind::Role) { e.tags.clone() } else { vec![] },
            iam: serde_json::to_string(e).ok(),
        }
    }

    /// Commits the entities as they now stand, with `extra` (access-key changes), in one
    /// durable commit: only the records that changed are written.
    pub fn commit(&self, kms: &mut Kms, extra: Vec<Change>) -> Result<(), IamError> {
        let mut changes: Vec<Change> = Vec::new();
        for arn in self.stored.keys() {
            if !self.entities.contains_key(arn) {
                changes.push(Change::DeleteIdentity(arn.clone()));
            }
        }
        for e in self.entities.values() {
            let rec = self.derived(e);
            if self.stored.get(&e.arn) != Some(&rec) {
                changes.push(Change::PutIdentity(Box::new(rec)));
            }
        }
        changes.extend(extra);
        kms.commit_iam(changes).map_err(|e| match e.code {
            ErrorCode::MalformedPolicyDocumentException => IamError::malformed_policy(e.message),
            _ => IamError::new(500, "ServiceFailure", e.message),
        })
    }
}

/// Names: 1–64 (users, groups, roles) or 1–128 (policies) of `[\w+=,.@-]`.
fn check_name(name: &str, kind: Kind) -> Result<(), IamError> {
    let max = if kind == Kind::Policy { 128 } else { 64 };
    let ok = !name.is_empty()
        && name.chars().count() <= max
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(IamError::validation(format!(
            "1 validation error detected: Value '{name}' at '{}Name' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have \
             length between 1 and {max}",
            kind.arn_type()
        )))
    }
}

/// `prefix` followed by `n` characters of AWS's id alphabet (A–Z, 2–7).
pub fn random_id(prefix: &str, n: usize, rng: &mut dyn RngCore) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut raw = vec![0u8; n];
    rng.fill_bytes(&mut raw);
    let tail: String = raw
        .iter()
        .map(|b| char::from(ALPHABET.get(usize::from(b & 31)).copied().unwrap_or(b'A')))
        .collect();
    format!("{prefix}{tail}")
}

/// Epoch milliseconds as IAM's ISO 8601 timestamp.
pub fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

/// `Tags.member.N.Key/Value` of a request.
pub fn tags_param(p: &crate::query::Params) -> Vec<Tag> {
    p.structs("Tags", &["Key", "Value"])
        .into_iter()
        .map(|m| Tag {
            tag_key: m.get("Key").cloned().unwrap_or_default(),
            tag_value: m.get("Value").cloned().unwrap_or_default(),
        })
        .collect()
}
