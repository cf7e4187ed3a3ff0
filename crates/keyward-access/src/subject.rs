//! Who is asked about: the subjects of an account export, the principals a key policy names,
//! and the policy set and request of one subject calling one action on one key.

use keyward_core::eval::call::Call;
use keyward_core::eval::{NamedPolicy, PolicySet, Principal, Request};
use keyward_core::model::{Effect, Policy, PolicyKind};

/// Someone whose access is asked about.
#[derive(Debug, Clone)]
pub struct Subject {
    /// ARN, or a description.
    pub label: String,
    /// `user`, `role`, `account`, `external role`, `service`, `anyone`...
    pub kind: &'static str,
    pub principal: Principal,
    pub id: Option<String>,
    pub identity: Vec<NamedPolicy>,
    pub boundary: Option<NamedPolicy>,
    pub tags: Vec<(String, String)>,
    /// A condition that holds for the verdict (e.g. the other account's IAM must allow).
    pub assumption: Option<String>,
    /// Context keys the subject brings beyond what its ARN, id and tags give
    /// (`aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`).
    pub context: Vec<(String, String)>,
}

/// The identity policy assumed for principals of other accounts: their own account's IAM
/// policies are not known, so the verdict says what the key side allows.
pub fn assumed_identity(account: &str) -> Option<NamedPolicy> {
    let text =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let (p, _) = keyward_core::parse::parse_policy(
        text,
        PolicyKind::Identity,
        keyward_core::json::Limits::default(),
    );
    p.map(|p| NamedPolicy::new(format!("(assumed) IAM policies of account {account}"), p))
}

/// The subjects of an export plus the principals a key policy names outside it. (Everyone
/// else, "anyone" included, is covered by the principal classes of `class.rs`.)
pub fn subjects(
    export: Option<&keyward_aws::export::AccountExport>,
    key_policies: &[&Policy],
    key_account: &str,
) -> Vec<Subject> {
    use keyward_core::model::AwsPrincipal;
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    if let Some(ex) = export {
        for id in ex.identities() {
            let Ok(principal) = id.principal() else { continue };
            seen.insert(id.arn.clone());
            out.push(Subject {
                label: id.arn.clone(),
                kind: match id.kind {
                    keyward_aws::export::IdentityKind::User => "user",
                    keyward_aws::export::IdentityKind::Role => "role",
                },
                principal,
                id: id.id.clone(),
                identity: id.policies.clone(),
                boundary: id.boundary.clone(),
                tags: id.tags.clone(),
                assumption: None,
                context: Vec::new(),
            });
        }
    }
    let export_account = export.and_then(|e| e.account()).unwrap_or(key_account).to_string();
    for p in key_policies {
        for st in p.statements.iter().filter(|s| s.effect == Effect::Allow) {
            let Some(spec) = &st.principal else { continue };
            if spec.negated {
                continue;
            }
            for e in &spec.entries {
                let (arn, kind, account) = match &e.aws {
                    AwsPrincipal::Any => continue,
                    AwsPrincipal::Account(a) => {
                        (format!("arn:aws:iam::{a}:root"), "account", a.clone())
                    }
                    AwsPrincipal::User(u) => {
                        (u.clone(), "user", u.split(':').nth(4).unwrap_or("").to_string())
                    }
                    AwsPrincipal::Role { arn, account, .. } => {
                        (arn.clone(), "role", account.clone())
                    }
                    AwsPrincipal::Session(s) => {
                        (s.clone(), "session", s.split(':').nth(4).unwrap_or("").to_string())
                    }
                    AwsPrincipal::Other(_) => continue,
                    AwsPrincipal::NotAws => {
                        if e.kind == keyward_core::model::PrincipalType::Service
                            && seen.insert(e.text.clone())
                        {
                            if let Ok(principal) = Principal::parse(&format!("service:{}", e.text))
                            {
                                out.push(Subject {
                                    label: e.text.clone(),
                                    kind: "service",
                                    principal,
                                    id: None,
                                    identity: Vec::new(),
                                    boundary: None,
                                    tags: Vec::new(),
                                    assumption: None,
                                    context: Vec::new(),
                                });
                            }
                        }
                        continue;
                    }
                };
                let same = account == export_account;
                if (same && export.is_some() && kind != "account") || !seen.insert(arn.clone()) {
                    continue;
                }
                let Ok(principal) = Principal::parse(&arn) else { continue };
                let (identity, assumption) = if same {
                    if kind == "account" {
                        continue; // the account's own principals are the export's rows
                    }
                    (
                        Vec::new(),
                        Some("not in the export: its identity policies are unknown".to_string()),
                    )
                } else {
                    (
                        assumed_identity(&account).into_iter().collect(),
                        Some(format!("an IAM policy in account {account} must also allow it")),
                    )
                };
                let kind = match (same, kind) {
                    (false, "account") => "other account",
                    (false, "role") => "external role",
                    (false, "user") => "external user",
                    (false, _) => "external session",
                    (true, k) => k,
                };
                out.push(Subject {
                    label: arn,
                    kind,
                    principal,
                    id: None,
                    identity,
                    boundary: None,
                    tags: Vec::new(),
                    assumption,
                    context: Vec::new(),
                });
            }
        }
    }
    out
}

/// What the key says about itself (for kms:KeySpec and friends).
#[derive(Debug, Clone, Default)]
pub struct KeyFacts {
    pub arn: String,
    pub spec: Option<String>,
    pub usage: Option<String>,
    pub origin: Option<String>,
}

impl KeyFacts {
    /// A symmetric key by ARN; an error names what is wrong with `arn`.
    pub fn from_arn(arn: &str) -> Result<KeyFacts, String> {
        if !arn.starts_with("arn:") || !arn.contains(":key/") {
            return Err(format!("`{arn}`: give the key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)"));
        }
        Ok(KeyFacts::symmetric(arn))
    }

    /// A symmetric encryption key (the default key spec).
    pub fn symmetric(arn: &str) -> KeyFacts {
        KeyFacts {
            arn: arn.to_string(),
            spec: Some("SYMMETRIC_DEFAULT".into()),
            usage: Some("ENCRYPT_DECRYPT".into()),
            origin: Some("AWS_KMS".into()),
        }
    }

    /// The account that owns the key.
    pub fn account(&self) -> &str {
        self.arn.split(':').nth(4).unwrap_or("")
    }
}

/// The policy set and request of a subject calling `action` on `key`.
pub fn build(
    s: &Subject,
    key: &KeyFacts,
    key_policy: &NamedPolicy,
    extra: &PolicySet,
    action: &str,
) -> (PolicySet, Request) {
    let set = PolicySet {
        resource_policy: Some(key_policy.clone()),
        identity: s.identity.clone(),
        boundary: s.boundary.clone(),
        grants: extra.grants.clone(),
        scps: if s.principal.account == key.account() || s.assumption.is_none() {
            extra.scps.clone()
        } else {
            Vec::new()
        },
        rcps: extra.rcps.clone(),
        ..PolicySet::default()
    };
    let mut req = call(s, key, action).request(s.principal.clone());
    for (k, v) in &s.context {
        req.context.set_str(k, v.as_str());
    }
    (set, req)
}

/// The call of a subject doing `action` on `key`, as far as an export tells.
pub fn call(s: &Subject, key: &KeyFacts, action: &str) -> Call {
    Call {
        principal_tags: s.tags.clone(),
        principal_id: s.id.clone(),
        key: keyward_core::eval::call::KeyFacts {
            spec: key.spec.clone(),
            usage: key.usage.clone(),
            origin: key.origin.clone(),
            ..Default::default()
        },
        region: key.arn.split(':').nth(3).map(str::to_string),
        ..Call::new(action, key.arn.clone())
    }
}
