//! The request parameters of a KMS event that feed condition keys, read into the [`Call`]
//! (`requestParameters` and, for Nitro enclaves, `additionalEventData.recipient`), with the
//! facts derived and what the event lacks. Parameters a request may leave out take the value
//! AWS fills in (KMS documents that its request-parameter condition keys see the default).

use super::Fact;
use crate::get_str;
use keyward_core::eval::call::{Call, KeyFacts, MultiRegion};
use keyward_core::json::{Node, Value};
use keyward_core::model::{Grant, GrantConstraint};
use keyward_core::span::Span;

/// What reading the parameters adds: facts and unknowns.
#[derive(Default)]
pub(super) struct Notes {
    pub(super) derived: Vec<Fact>,
    pub(super) unknown: Vec<String>,
}

impl Notes {
    fn fact(&mut self, name: &str, value: &str, from: &str) {
        self.derived.push(Fact { name: name.into(), value: value.into(), from: from.into() });
    }
}

/// A string or a scalar member, as text (CloudTrail writes numbers and booleans bare).
fn scalar(node: &Node, key: &str) -> Option<String> {
    let v = node.get(key)?;
    match &v.value {
        Value::String(s) => Some(s.clone()),
        Value::Array(_) | Value::Object(_) | Value::Null => None,
        _ => Some(v.to_serde().to_string()),
    }
}

fn strings(node: &Node, key: &str) -> Vec<String> {
    crate::get_array(node, key).iter().filter_map(|n| n.as_str().map(str::to_string)).collect()
}

/// CloudTrail's tags: `[{"tagKey": .., "tagValue": ..}]` (or the API's `TagKey`/`TagValue`).
fn tags(node: Option<&Node>) -> Vec<(String, String)> {
    let items = match node.map(|n| &n.value) {
        Some(Value::Array(a)) => a.as_slice(),
        _ => return crate::read_tags(node),
    };
    items
        .iter()
        .filter_map(|t| {
            let k = get_str(t, "tagKey").or_else(|| get_str(t, "TagKey"))?;
            let v = get_str(t, "tagValue").or_else(|| get_str(t, "TagValue")).unwrap_or("");
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

/// An encryption context object as pairs.
pub(super) fn context(node: Option<&Node>) -> Option<Vec<(String, String)>> {
    let members = node?.as_object()?;
    Some(
        members
            .iter()
            .map(|m| {
                let v =
                    m.value.as_str().map_or_else(|| m.value.to_serde().to_string(), str::to_string);
                (m.key.clone(), v)
            })
            .collect(),
    )
}

const RP: &str = "requestParameters";

/// Reads the parameters of `name` (the eventName) into `call`.
pub(super) fn read(name: &str, ev: &Node, call: &mut Call, n: &mut Notes) {
    let empty = Node { value: Value::Null, span: Span::SYNTHETIC };
    let p = ev.get(RP).unwrap_or(&empty);
    let from = |field: &str| format!("{RP}.{field}");
    let mut string = |field: &str, key: &str, default: Option<&str>, n: &mut Notes| {
        let v = scalar(p, field);
        match (&v, default) {
            (Some(v), _) => n.fact(key, v, &from(field)),
            (None, Some(d)) => n.fact(key, d, &format!("default of {RP}.{field} (absent)")),
            (None, None) => {}
        }
        v.or(default.map(str::to_string))
    };
    let q = &mut call.params;
    match name {
        "Sign" | "Verify" => {
            q.signing_algorithm = string("signingAlgorithm", "kms:SigningAlgorithm", None, n);
            q.message_type = string("messageType", "kms:MessageType", Some("RAW"), n);
            if q.signing_algorithm.is_none() {
                n.unknown.push(
                    "kms:SigningAlgorithm (requestParameters has no signingAlgorithm)".into(),
                );
            }
        }
        "GenerateMac" | "VerifyMac" => {
            q.mac_algorithm = string("macAlgorithm", "kms:MacAlgorithm", None, n);
            if q.mac_algorithm.is_none() {
                n.unknown.push("kms:MacAlgorithm (requestParameters has no macAlgorithm)".into());
            }
        }
        "GenerateDataKeyPair" | "GenerateDataKeyPairWithoutPlaintext" => {
            q.data_key_pair_spec = string("keyPairSpec", "kms:DataKeyPairSpec", None, n);
            if q.data_key_pair_spec.is_none() {
                n.unknown.push("kms:DataKeyPairSpec (requestParameters has no keyPairSpec)".into());
            }
        }
        "DeriveSharedSecret" => {
            q.key_agreement_algorithm =
                string("keyAgreementAlgorithm", "kms:KeyAgreementAlgorithm", None, n);
        }
        "EnableKeyRotation" => {
            q.rotation_period_days =
                string("rotationPeriodInDays", "kms:RotationPeriodInDays", Some("365"), n)
                    .and_then(|d| d.parse().ok());
        }
        "ReplicateKey" => {
            q.replica_region = string("replicaRegion", "kms:ReplicaRegion", None, n);
            q.request_tags = tags(p.get("tags"));
            q.bypass_policy_lockout = bypass(&mut string, n);
        }
        "UpdatePrimaryRegion" => {
            q.primary_region = string("primaryRegion", "kms:PrimaryRegion", None, n);
        }
        "ScheduleKeyDeletion" => {
            q.pending_window_days = string(
                "pendingWindowInDays",
                "kms:ScheduleKeyDeletionPendingWindowInDays",
                Some("30"),
                n,
            )
            .and_then(|d| d.parse().ok());
        }
        "TagResource" => q.request_tags = tags(p.get("tags")),
        "UntagResource" => q.tag_keys = strings(p, "tagKeys"),
        "GetParametersForImport" => {
            q.wrapping_algorithm = string("wrappingAlgorithm", "kms:WrappingAlgorithm", None, n);
            q.wrapping_key_spec = string("wrappingKeySpec", "kms:WrappingKeySpec", None, n);
        }
        "ImportKeyMaterial" => {
            q.expiration_model =
                string("expirationModel", "kms:ExpirationModel", Some("KEY_MATERIAL_EXPIRES"), n);
            q.valid_to = string("validTo", "kms:ValidTo", None, n);
            if q.valid_to.is_none() && q.expiration_model.as_deref() == Some("KEY_MATERIAL_EXPIRES")
            {
                n.unknown.push("kms:ValidTo (requestParameters has no validTo)".into());
            }
        }
        "PutKeyPolicy" => q.bypass_policy_lockout = bypass(&mut string, n),
        "CreateKey" => create_key(p, call, n, &mut string),
        "CreateGrant" => create_grant(p, call, n),
        _ => {}
    }
    let q = &mut call.params;
    for (k, v) in &q.request_tags {
        n.fact(&format!("aws:RequestTag/{k}"), v, &from("tags"));
    }
    let keys: Vec<&str> = if q.tag_keys.is_empty() {
        q.request_tags.iter().map(|(k, _)| k.as_str()).collect()
    } else {
        q.tag_keys.iter().map(String::as_str).collect()
    };
    if !keys.is_empty() {
        let src = if q.tag_keys.is_empty() { "tags" } else { "tagKeys" };
        n.fact("aws:TagKeys", &keys.join(", "), &from(src));
    }
    attestation(ev, call, n);
}

fn bypass(
    string: &mut impl FnMut(&str, &str, Option<&str>, &mut Notes) -> Option<String>,
    n: &mut Notes,
) -> Option<bool> {
    string("bypassPolicyLockoutSafetyCheck", "kms:BypassPolicyLockoutSafetyCheck", Some("false"), n)
        .map(|b| b == "true")
}

/// CreateKey: the key's facts are the request's (with their defaults), and its tags.
fn create_key(
    p: &Node,
    call: &mut Call,
    n: &mut Notes,
    string: &mut impl FnMut(&str, &str, Option<&str>, &mut Notes) -> Option<String>,
) {
    let spec = if p.get("keySpec").is_none() && p.get("customerMasterKeySpec").is_some() {
        string("customerMasterKeySpec", "kms:KeySpec", None, n)
    } else {
        string("keySpec", "kms:KeySpec", Some("SYMMETRIC_DEFAULT"), n)
    };
    let usage = string("keyUsage", "kms:KeyUsage", Some("ENCRYPT_DECRYPT"), n);
    let origin = string("origin", "kms:KeyOrigin", Some("AWS_KMS"), n);
    let multi = string("multiRegion", "kms:MultiRegion", Some("false"), n);
    call.key = KeyFacts {
        spec,
        usage,
        origin,
        multi_region: Some(if multi.as_deref() == Some("true") {
            MultiRegion::Primary
        } else {
            MultiRegion::SingleRegion
        }),
        ..KeyFacts::default()
    };
    call.params.bypass_policy_lockout = bypass(string, n);
    call.params.request_tags = tags(p.get("tags"));
}

/// CreateGrant: the grant being created (`kms:Grant*`, and its constraint's context).
fn create_grant(p: &Node, call: &mut Call, n: &mut Notes) {
    let Some(grantee) = get_str(p, "granteePrincipal") else {
        n.unknown.push("kms:GranteePrincipal (requestParameters has no granteePrincipal)".into());
        return;
    };
    n.fact("kms:GranteePrincipal", grantee, &format!("{RP}.granteePrincipal"));
    let retiring = get_str(p, "retiringPrincipal").map(str::to_string);
    if let Some(r) = &retiring {
        n.fact("kms:RetiringPrincipal", r, &format!("{RP}.retiringPrincipal"));
    }
    let operations = strings(p, "operations");
    n.fact("kms:GrantOperations", &operations.join(", "), &format!("{RP}.operations"));
    let c = p.get("constraints");
    let constraint = match (
        context(c.and_then(|c| c.get("encryptionContextEquals"))),
        context(c.and_then(|c| c.get("encryptionContextSubset"))),
    ) {
        (Some(e), _) => Some(GrantConstraint::Equals(e)),
        (None, Some(s)) => Some(GrantConstraint::Subset(s)),
        (None, None) => None,
    };
    if let Some(con) = &constraint {
        n.fact("kms:GrantConstraintType", con.type_name(), &format!("{RP}.constraints"));
        for (k, v) in con.pairs() {
            n.fact(&format!("kms:EncryptionContext:{k}"), v, &format!("{RP}.constraints"));
        }
    }
    call.create_grant = Some(Grant {
        grant_id: None,
        key_id: get_str(p, "keyId").map(str::to_string),
        grantee: grantee.to_string(),
        retiring_principal: retiring,
        operations,
        constraint,
        source_arn: None,
        name: get_str(p, "name").map(str::to_string),
        issuing_account: None,
        creation_date: None,
        span: p.span,
    });
}

/// `kms:RecipientAttestation:*` from `additionalEventData.recipient` (a Nitro enclave or
/// NitroTPM attestation document's measurements).
fn attestation(ev: &Node, call: &mut Call, n: &mut Notes) {
    let Some(r) = ev.get("additionalEventData").and_then(|a| a.get("recipient")) else {
        if ev.get(RP).and_then(|p| p.get("recipient")).is_some() {
            n.unknown.push("kms:RecipientAttestation:* (the request names a recipient but additionalEventData records no measurements)".into());
        }
        return;
    };
    for m in r.as_object().unwrap_or_default() {
        let Some(v) = m.value.as_str() else { continue };
        let lower = m.key.to_ascii_lowercase();
        let name = if lower == "attestationdocumentenclaveimagedigest" {
            "ImageSha384".to_string()
        } else if let Some(i) = lower.strip_prefix("attestationdocumentenclavepcr") {
            format!("PCR{i}")
        } else if let Some(i) = lower.strip_prefix("attestationdocumentnitrotpmpcr") {
            format!("NitroTPMPCR{i}")
        } else {
            continue;
        };
        n.fact(
            &format!("kms:RecipientAttestation:{name}"),
            v,
            &format!("additionalEventData.recipient.{}", m.key),
        );
        call.params.attestation.push((name, v.to_string()));
    }
}
