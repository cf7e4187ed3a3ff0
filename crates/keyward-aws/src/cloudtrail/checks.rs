//! Where an event's keys are (`resources[]`, the request's key references, the denial
//! message), and the authorizations an API call needs beyond its first: ReEncrypt's
//! `kms:ReEncryptTo` on the destination key, and the alias operations' permission on the alias
//! (and, for UpdateAlias, on the other key).

use super::{params, Fact};
use crate::get_str;
use keyward_core::eval::call::{arn_region, Call, KeyFacts};
use keyward_core::json::Node;
use serde::Serialize;

/// One authorization AWS makes for the call, besides the first ([`super::DerivedEvent::call`]).
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What it checks, for people (e.g. `kms:ReEncryptTo on the destination key`).
    pub label: String,
    /// The action.
    pub action: String,
    /// The resource (a key ARN or an alias ARN).
    pub resource: String,
    /// The call, everything the event tells.
    #[serde(skip)]
    pub call: Call,
}

/// The key ARNs an event names, and how to name a key it refers to.
pub(super) struct Keys {
    /// Key ARNs of `resources[]`, in order.
    arns: Vec<String>,
    /// The key ARN in a denial message.
    in_message: Option<String>,
    region: Option<String>,
    account: Option<String>,
}

impl Keys {
    pub(super) fn of(ev: &Node, region: Option<&str>, account: Option<&str>) -> Keys {
        let arns = crate::get_array(ev, "resources")
            .iter()
            .filter_map(|r| get_str(r, "ARN"))
            .filter(|a| a.contains(":key/"))
            .map(str::to_string)
            .collect();
        let in_message = get_str(ev, "errorMessage").and_then(|msg| {
            let at = msg.find("arn:aws:kms:")?;
            let arn: String = msg.get(at..)?.chars().take_while(|c| !c.is_whitespace()).collect();
            Some(arn.trim_end_matches(['.', ',']).to_string())
        });
        Keys {
            arns,
            in_message,
            region: region.map(str::to_string),
            account: account.map(str::to_string),
        }
    }

    /// The key ARN of `key_ref` (the request's `field`): a key ARN as given, the
    /// `resources[]` ARN that ends with the key id, the `nth` `resources[]` ARN, any
    /// `resources[]` ARN, the denial message's, or the key id in the event's Region and
    /// account. With where it came from.
    pub(super) fn resolve(
        &self,
        key_ref: Option<&str>,
        field: &str,
        nth: Option<usize>,
    ) -> Option<(String, String)> {
        let rp = format!("requestParameters.{field}");
        let is_alias = key_ref.is_some_and(|k| k.starts_with("alias/") || k.contains(":alias/"));
        if let Some(k) = key_ref.filter(|k| k.starts_with("arn:") && k.contains(":key/")) {
            return Some((k.to_string(), rp));
        }
        let id = key_ref.filter(|k| !is_alias && !k.starts_with("arn:"));
        if let Some(id) = id {
            if let Some(a) = self.arns.iter().find(|a| a.ends_with(&format!("key/{id}"))) {
                return Some((a.clone(), format!("resources[].ARN (key id of {rp})")));
            }
        }
        if let Some(a) = nth.and_then(|i| self.arns.get(i)).or_else(|| self.arns.first()) {
            return Some((a.clone(), "resources[].ARN".into()));
        }
        if let Some(a) = &self.in_message {
            return Some((a.clone(), "errorMessage".into()));
        }
        let (id, region, account) = (id?, self.region.as_deref()?, self.account.as_deref()?);
        Some((format!("arn:aws:kms:{region}:{account}:key/{id}"), format!("{rp} + awsRegion")))
    }
}

/// The authorizations the call needs besides its first.
pub(super) fn further(
    event: &str,
    params: Option<&Node>,
    keys: &Keys,
    first: &Call,
    derived: &mut Vec<Fact>,
    unknown: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Vec<Check> {
    let mut fact = |name: &str, value: &str, from: &str| {
        derived.push(Fact { name: name.into(), value: value.into(), from: from.into() });
    };
    let mut out = Vec::new();
    match event {
        "ReEncrypt" => {
            let dest_ref = params.and_then(|p| get_str(p, "destinationKeyId"));
            let Some((dest, from)) = keys.resolve(dest_ref, "destinationKeyId", Some(1)) else {
                unknown.push("the destination key ARN (kms:ReEncryptTo is not checked)".into());
                return out;
            };
            let same = dest == first.resource;
            let mut to = Call {
                action: "kms:ReEncryptTo".into(),
                resource: dest.clone(),
                encryption_context: Vec::new(),
                encryption_algorithm: None,
                request_alias: dest_ref.and_then(super::alias_name),
                key: KeyFacts::default(),
                ..first.clone()
            };
            let mut notes = params::Notes::default();
            super::read_context(params, "destinationEncryptionContext", true, &mut to, &mut notes);
            super::read_algorithm(params, "destinationEncryptionAlgorithm", &mut to, &mut notes);
            fact("ReEncryptTo: resource", &dest, &from);
            for f in notes.derived {
                fact(&format!("ReEncryptTo: {}", f.name), &f.value, &f.from);
            }
            let on_same = if same { "true" } else { "false" };
            fact("kms:ReEncryptOnSameKey", on_same, "sourceKeyId vs destinationKeyId");
            to.params.reencrypt_on_same_key = Some(same);
            if let (Some(a), Some(b)) = (arn_region(&first.resource), arn_region(&dest)) {
                if a != b {
                    warnings.push(format!("ReEncrypt's source key is in {a} and its destination key in {b}: both must be in the Region of the request"));
                }
            }
            out.push(Check {
                label: "kms:ReEncryptTo on the destination key".into(),
                action: to.action.clone(),
                resource: dest,
                call: to,
            });
        }
        "CreateAlias" | "UpdateAlias" | "DeleteAlias" => {
            let name = params.and_then(|p| get_str(p, "aliasName"));
            let alias_arn = name.and_then(|n| {
                let n = n.strip_prefix("alias/").unwrap_or(n);
                let region = arn_region(&first.resource).or(first.region.as_deref())?;
                let account = keyward_core::eval::call::arn_account(&first.resource)?;
                Some(format!("arn:aws:kms:{region}:{account}:alias/{n}"))
            });
            match alias_arn {
                Some(a) => {
                    fact("alias resource", &a, "requestParameters.aliasName");
                    out.push(Check {
                        label: format!("{} on the alias (IAM policies alone)", first.action),
                        action: first.action.clone(),
                        resource: a.clone(),
                        call: Call { resource: a, key: KeyFacts::default(), ..first.clone() },
                    });
                }
                None => unknown.push(format!(
                    "the alias ARN ({} needs permission on the alias too; the event names no alias or key)",
                    first.action
                )),
            }
            if event == "UpdateAlias" {
                match keys.arns.iter().find(|a| **a != first.resource) {
                    Some(k) => {
                        fact("other key", k, "resources[].ARN");
                        out.push(Check {
                            label: "kms:UpdateAlias on the other key of the alias".into(),
                            action: first.action.clone(),
                            resource: k.clone(),
                            call: Call { resource: k.clone(), ..first.clone() },
                        });
                    }
                    None => unknown.push("the key the alias pointed to before (UpdateAlias needs permission on it too; resources[] names one key)".into()),
                }
            }
        }
        _ => {}
    }
    out
}
