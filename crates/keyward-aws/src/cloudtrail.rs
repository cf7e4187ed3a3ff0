//! CloudTrail events to KMS requests: the caller, action, key, encryption context, time,
//! network origin and calling service, with what was derived and what could not be known, and
//! the outcome AWS recorded.
//!
//! Every authorization the call needs is derived: ReEncrypt is `kms:ReEncryptFrom` on the
//! source key and `kms:ReEncryptTo` on the destination key; the alias operations are also
//! checked on the alias. Events KMS writes by itself are read as such (nothing to authorize).
//!
//! Accepts one event, `{"Records": [...]}` (trail files), `aws cloudtrail lookup-events`
//! output (`{"Events": [{"CloudTrailEvent": "<json string>"}]}`) and a plain array of events.
//! Events inside a `CloudTrailEvent` string are read with positions mapped back into the file.

mod checks;
mod params;

pub use checks::Check;

use crate::embedded::{unescape, Mapped};
use crate::{get_str, invalid, read_json};
use keyward_core::diag::{Diagnostic, Severity};
use keyward_core::eval::call::{arn_region, kms_action, via_service, Call, KeyFacts, Mfa};
use keyward_core::eval::{Principal, PrincipalKind, Request};
use keyward_core::json::{Node, Value};
use keyward_core::span::Span;
use serde::Serialize;

/// What AWS recorded as the result of the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Recorded {
    /// No `errorCode`: the call succeeded (so it was authorized).
    Success,
    /// `AccessDenied` / `AccessDeniedException`: authorization refused it.
    AccessDenied {
        /// `errorMessage`.
        message: String,
    },
    /// Another error (after authorization, or unrelated to it).
    OtherError {
        /// `errorCode`.
        code: String,
        /// `errorMessage`.
        message: String,
    },
}

/// One fact derived from the event, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    /// What (a context key, or `principal`, `action`, `resource`).
    pub name: String,
    /// The value.
    pub value: String,
    /// The event field it came from.
    pub from: String,
}

/// A KMS request derived from one CloudTrail event.
#[derive(Debug, Clone, Serialize)]
pub struct DerivedEvent {
    /// `eventID`.
    pub event_id: Option<String>,
    /// `eventName`, e.g. `Decrypt`.
    pub event_name: String,
    /// `eventTime`.
    pub event_time: Option<String>,
    /// `userIdentity.type` (`(absent)` when the event has none).
    pub identity_type: String,
    /// KMS acted by itself (rotation, deletion after the waiting period, expired key material,
    /// multi-Region synchronization): there is no caller and nothing to authorize.
    pub kms_own: bool,
    /// The action is authorized in the caller's account by IAM policies alone (CreateKey,
    /// GenerateRandom, ListAliases, ListKeys, the custom key store operations...).
    pub account_level: bool,
    /// The caller.
    pub principal: Principal,
    /// The action, `kms:` + eventName.
    pub action: String,
    /// The key ARN (`*` when the event does not name one).
    pub resource: String,
    /// The call the request is built from: everything the event tells (tags and key facts can
    /// be added before building the request).
    #[serde(skip)]
    pub call: Call,
    /// The further authorizations the call needs: ReEncrypt's `kms:ReEncryptTo` on the
    /// destination key; the alias operations on the alias (and UpdateAlias on the other key).
    pub also: Vec<Check>,
    /// `userIdentity.accessKeyId`: the access key that signed the call.
    pub access_key_id: Option<String>,
    /// `sourceIPAddress` when it is an IP address (aws:SourceIp).
    pub source_ip: Option<String>,
    /// `vpcEndpointId` (aws:SourceVpce).
    pub vpc_endpoint: Option<String>,
    /// `sessionContext.attributes.mfaAuthenticated`.
    pub mfa: Option<bool>,
    /// The service that made the call on the caller's behalf (`invokedBy`).
    pub invoked_by: Option<String>,
    /// What AWS recorded.
    pub recorded: Recorded,
    /// Facts derived from the event.
    pub derived: Vec<Fact>,
    /// Inputs the event does not carry.
    pub unknown: Vec<String>,
    /// What cannot be true of a real event (a role ARN in an IAMUser identity, a key ARN in
    /// another Region than the event's).
    pub warnings: Vec<String>,
    /// Where the event is in the file.
    pub span: Span,
}

impl DerivedEvent {
    /// The request AWS evaluated, as far as the event tells.
    pub fn request(&self) -> Request {
        self.call.request(self.principal.clone())
    }
}

/// The events of a file: every event found, each with its span (spans of events read from a
/// `CloudTrailEvent` string point into the file through the escapes).
pub fn read_events(text: &str) -> (Vec<(Node, Option<Mapped>)>, Vec<Diagnostic>) {
    let (root, mut diags) = read_json(text);
    let Some(root) = root else { return (Vec::new(), diags) };
    let mut out = Vec::new();
    let items: Vec<&Node> = match (&root.value, root.get("Records"), root.get("Events")) {
        (Value::Array(a), _, _) => a.iter().collect(),
        (_, Some(r), _) => match &r.value {
            Value::Array(a) => a.iter().collect(),
            _ => {
                diags.push(invalid(r.span, "Records", "Records must be an array"));
                Vec::new()
            }
        },
        (_, None, Some(e)) => match &e.value {
            Value::Array(a) => a.iter().collect(),
            _ => {
                diags.push(invalid(e.span, "Events", "Events must be an array"));
                Vec::new()
            }
        },
        _ => vec![&root],
    };
    for (i, item) in items.into_iter().enumerate() {
        match item.get("CloudTrailEvent") {
            Some(s) if matches!(s.value, Value::String(_)) => {
                let Some(m) = unescape(text, s) else { continue };
                let (node, mut d) = keyward_core::json::read(&m.text, crate::EXPORT_LIMITS);
                m.map_diags(&mut d, &format!("Events[{i}].CloudTrailEvent"));
                diags.extend(d);
                if let Some(node) = node {
                    out.push((node, Some(m)));
                }
            }
            _ => out.push((item.clone(), None)),
        }
    }
    if out.is_empty() && diags.is_empty() {
        diags.push(invalid(root.span, "", "no CloudTrail events in the file"));
    }
    (out, diags)
}

/// Derives the request of every KMS event in the file (events of other services are skipped).
/// A record that cannot be read is an error only when no other one can: otherwise it is a
/// warning naming it, and the others are read.
pub fn kms_events(text: &str) -> (Vec<DerivedEvent>, Vec<Diagnostic>) {
    let (events, mut diags) = read_events(text);
    let before = diags.len();
    let mut out = Vec::new();
    let total = events.len();
    for (node, mapped) in &events {
        if get_str(node, "eventSource") != Some("kms.amazonaws.com") {
            continue;
        }
        match derive(node) {
            Ok(mut e) => {
                if let Some(m) = mapped {
                    e.span = m.to_file(e.span);
                }
                out.push(e);
            }
            Err(mut d) => {
                if let Some(m) = mapped {
                    m.map_diags(std::slice::from_mut(&mut d), "");
                }
                diags.push(d);
            }
        }
    }
    if !out.is_empty() {
        for d in diags.iter_mut().skip(before).filter(|d| d.severity == Severity::Error) {
            d.severity = Severity::Warning;
            d.message = format!("record skipped: {}", d.message);
        }
    }
    if out.is_empty() && diags.is_empty() {
        let msg =
            format!("none of the {total} event(s) is a KMS event (eventSource kms.amazonaws.com)");
        diags.push(invalid(Span::new(0, 0), "", msg));
    }
    (out, diags)
}

fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// `s3.amazonaws.com` + region → `s3.us-east-1.amazonaws.com` (the form kms:ViaService takes),
/// for the services that set it (see [`keyward_core::eval::call::VIA_SERVICES`]).
pub fn via_service_name(service: &str, region: &str) -> Option<String> {
    via_service(service, region)
}

/// Derives the request of one KMS event.
pub fn derive(ev: &Node) -> Result<DerivedEvent, Diagnostic> {
    let mut derived = Vec::new();
    let mut unknown = Vec::new();
    let mut warnings = Vec::new();
    let mut fact = |name: &str, value: &str, from: &str| {
        derived.push(Fact { name: name.into(), value: value.into(), from: from.into() });
    };
    let event_name = get_str(ev, "eventName")
        .ok_or_else(|| invalid(ev.span, "", "event has no `eventName`"))?
        .to_string();
    let region = get_str(ev, "awsRegion").map(str::to_string);
    let action = match event_name.as_str() {
        "ReEncrypt" => "kms:ReEncryptFrom".to_string(),
        n => format!("kms:{n}"),
    };
    let uid = ev
        .get("userIdentity")
        .ok_or_else(|| invalid(ev.span, "", "event has no `userIdentity`"))?;
    let itype = get_str(uid, "type").unwrap_or("(absent)").to_string();
    let session = uid.get("sessionContext");
    let attrs = session.and_then(|s| s.get("attributes"));
    let issuer = session.and_then(|s| s.get("sessionIssuer"));
    let account = get_str(uid, "accountId").or_else(|| get_str(ev, "recipientAccountId"));
    let uid_invoked = get_str(uid, "invokedBy");
    let bad = |msg: String| invalid(uid.span, "userIdentity", msg);
    // KMS's own events (rotation, deletion at the end of the waiting period, expired key
    // material, multi-Region synchronization): no caller, nothing to authorize.
    let kms_own = match itype.as_str() {
        // AWS's examples of these events name the invoker `AWS Internal`.
        "(absent)" => {
            uid_invoked.is_none_or(|s| s == "kms.amazonaws.com" || s == "AWS Internal")
                && get_str(uid, "arn").is_none()
        }
        "AWSService" => uid_invoked == Some("kms.amazonaws.com"),
        _ => false,
    };
    fact(
        "action",
        &action,
        if event_name == "ReEncrypt" {
            "eventName ReEncrypt (source key)"
        } else {
            "eventSource + eventName"
        },
    );
    let principal = if kms_own {
        fact("principal", "kms.amazonaws.com", "userIdentity (no type: KMS acted by itself)");
        Principal::parse("service:kms.amazonaws.com").map_err(bad)?
    } else {
        match itype.as_str() {
            "IAMUser" | "AssumedRole" | "FederatedUser" | "Root" => {
                let arn = get_str(uid, "arn")
                    .ok_or_else(|| bad(format!("{itype} identity has no `arn`")))?;
                let mut p =
                    Principal::parse(arn).map_err(|e| bad(format!("userIdentity.arn: {e}")))?;
                let expected = match itype.as_str() {
                    "IAMUser" => PrincipalKind::User,
                    "AssumedRole" => PrincipalKind::AssumedRole,
                    "FederatedUser" => PrincipalKind::FederatedUser,
                    _ => PrincipalKind::Root,
                };
                if p.kind != expected {
                    warnings.push(format!(
                        "userIdentity.type is {itype} but userIdentity.arn `{arn}` is not the ARN \
                         of such an identity: evaluated as the ARN says"
                    ));
                }
                if let Some(a) = account.filter(|a| *a != p.account && itype != "AssumedRole") {
                    warnings.push(format!(
                    "userIdentity.accountId {a} differs from the account of userIdentity.arn ({})",
                    p.account
                ));
                }
                fact("principal", &p.arn, "userIdentity.arn");
                if let Some(role) =
                    issuer.filter(|_| itype == "AssumedRole").and_then(|i| get_str(i, "arn"))
                {
                    // The issuer's ARN carries the role's path, which the session ARN drops.
                    p.role_arn = Some(role.to_string());
                    fact("role", role, "userIdentity.sessionContext.sessionIssuer.arn");
                }
                if itype == "FederatedUser" {
                    if let Some(u) = issuer.and_then(|i| get_str(i, "arn")) {
                        fact("issuing user", u, "userIdentity.sessionContext.sessionIssuer.arn");
                    }
                }
                p
            }
            "AWSService" => {
                let svc = uid_invoked
                    .ok_or_else(|| bad("AWSService identity has no `invokedBy`".into()))?;
                fact("principal", svc, "userIdentity.invokedBy");
                Principal::parse(&format!("service:{svc}")).map_err(bad)?
            }
            "AWSAccount" => {
                let acct =
                    account.ok_or_else(|| bad("AWSAccount identity has no `accountId`".into()))?;
                unknown.push(format!(
                    "which identity of account {acct} called (AWSAccount events do not say); \
                 evaluated as the account ({acct})"
                ));
                fact("principal", acct, "userIdentity.accountId");
                Principal::parse(acct).map_err(&bad)?
            }
            "(absent)" => {
                return Err(bad("userIdentity has no `type` and is not KMS's own \
                 (invokedBy is not kms.amazonaws.com)"
                    .into()))
            }
            other => {
                return Err(bad(format!(
                    "userIdentity type `{other}` is not supported (IAMUser, AssumedRole, \
                 FederatedUser, Root, AWSService, AWSAccount, or none for KMS's own events)"
                )))
            }
        }
    };
    let principal_id = get_str(uid, "principalId").map(|id| match id.split_once(':') {
        Some((role_id, _)) if itype == "AssumedRole" => role_id.to_string(),
        _ => id.to_string(),
    });
    let params = ev.get("requestParameters");
    let keys = checks::Keys::of(ev, region.as_deref(), account);
    let reencrypt = event_name == "ReEncrypt";
    let key_field = if reencrypt {
        "sourceKeyId"
    } else if params.and_then(|p| p.get("keyId")).is_some() {
        "keyId"
    } else {
        "targetKeyId"
    };
    let key_id = params.and_then(|p| get_str(p, key_field));
    let on_key = kms_action(&action).is_none_or(|a| a.on_key);
    let resource = if on_key {
        keys.resolve(key_id, key_field, reencrypt.then_some(0))
    } else {
        Some((
            "*".to_string(),
            "an account-level action (authorized by IAM policies alone)".to_string(),
        ))
    };
    let resource = match resource {
        Some((arn, from)) => {
            fact("resource", &arn, &from);
            arn
        }
        None => {
            unknown.push("the key ARN (no resources[], keyId or errorMessage names it)".into());
            "*".to_string()
        }
    };
    if let (Some(kr), Some(r)) = (arn_region(&resource), region.as_deref()) {
        if kr != r && !matches!(event_name.as_str(), "ReplicateKey" | "UpdatePrimaryRegion") {
            warnings.push(format!("the key ARN's Region ({kr}) differs from the event's awsRegion ({r}): KMS keys are used in their own Region"));
        }
    }
    let mut call = Call {
        region: region.clone(),
        principal_id,
        ..Call::new(action.clone(), resource.clone())
    };
    if let Some(a) = key_id.and_then(alias_name) {
        fact("kms:RequestAlias", &a, &format!("requestParameters.{key_field}"));
        call.request_alias = Some(a);
    }
    let (ec_field, alg_field) = if reencrypt {
        ("sourceEncryptionContext", "sourceEncryptionAlgorithm")
    } else {
        ("encryptionContext", "encryptionAlgorithm")
    };
    let takes_ec =
        call.kms_action().is_some_and(|a| a.encryption_context && a.name != "CreateGrant");
    let mut notes = params::Notes::default();
    read_context(params, ec_field, takes_ec, &mut call, &mut notes);
    read_algorithm(params, alg_field, &mut call, &mut notes);
    params::read(&event_name, ev, &mut call, &mut notes);
    derived.append(&mut notes.derived);
    unknown.append(&mut notes.unknown);
    let mut fact = |name: &str, value: &str, from: &str| {
        derived.push(Fact { name: name.into(), value: value.into(), from: from.into() });
    };
    if on_key && call.key.spec.is_none() && !kms_own {
        unknown.push("kms:KeySpec, kms:KeyUsage, kms:KeyOrigin (give describe-key output)".into());
    }
    if on_key && !kms_own {
        unknown.push("key tags (aws:ResourceTag/*) and aliases (kms:ResourceAliases)".into());
    }
    if params.and_then(|p| p.get("grantTokens")).is_some() {
        unknown.push("the grants named by requestParameters.grantTokens (give --grants)".into());
    }
    let time = get_str(ev, "eventTime").map(str::to_string);
    if let Some(t) = &time {
        fact("aws:CurrentTime", t, "eventTime");
        call.time = Some(t.clone());
    }
    if let Some(r) = &region {
        fact("aws:RequestedRegion", r, "awsRegion");
    }
    let source = get_str(ev, "sourceIPAddress");
    let invoked_by = uid_invoked
        .filter(|_| itype != "AWSService" && !kms_own)
        .or_else(|| {
            source.filter(|s| {
                s.ends_with(".amazonaws.com") && principal.kind != PrincipalKind::Service
            })
        })
        .map(str::to_string);
    // Sign-in and KMS itself are not services calling KMS on the caller's behalf.
    let service_caller = invoked_by.as_deref().filter(|s| {
        s.ends_with(".amazonaws.com") && !matches!(*s, "signin.amazonaws.com" | "kms.amazonaws.com")
    });
    call.via_aws_service = service_caller.is_some();
    if let Some(svc) = service_caller {
        match region.as_deref().and_then(|r| via_service(svc, r)) {
            Some(v) => {
                fact("kms:ViaService", &v, "userIdentity.invokedBy / sourceIPAddress");
                call.via_service = Some(v);
            }
            None => fact(
                "kms:ViaService",
                &format!("(none: {svc} is not a service that sets it)"),
                "userIdentity.invokedBy / sourceIPAddress",
            ),
        }
        fact("aws:ViaAWSService", "true", "userIdentity.invokedBy / sourceIPAddress");
        unknown
            .push(format!("aws:SourceIp of the original caller ({svc} called KMS on its behalf)"));
    }
    let source_ip = source.filter(|s| is_ip(s)).map(str::to_string);
    if let Some(ip) = &source_ip {
        fact("aws:SourceIp", ip, "sourceIPAddress");
    }
    call.network.source_ip.clone_from(&source_ip);
    let vpc_endpoint = get_str(ev, "vpcEndpointId").map(str::to_string);
    call.network.source_vpce.clone_from(&vpc_endpoint);
    match &vpc_endpoint {
        Some(v) => {
            fact("aws:SourceVpce", v, "vpcEndpointId");
            unknown.push(format!("aws:SourceVpc and the policy of VPC endpoint {v}"));
        }
        None if source_ip.is_some() => {
            fact("aws:SourceVpce", "(none: not through a VPC endpoint)", "no vpcEndpointId")
        }
        None => {}
    }
    let mfa = attrs.and_then(|a| get_str(a, "mfaAuthenticated")).map(|m| m == "true");
    call.mfa = mfa.map(|present| Mfa { present, age_s: None });
    if let Some(m) = mfa {
        fact(
            "aws:MultiFactorAuthPresent",
            if m { "true" } else { "false" },
            "userIdentity.sessionContext.attributes.mfaAuthenticated",
        );
        unknown
            .push("aws:MultiFactorAuthAge (CloudTrail records only whether MFA was used)".into());
    } else if principal.is_iam() {
        unknown.push("aws:MultiFactorAuthPresent (no sessionContext: long-term credentials, where the key is absent)".into());
    }
    if principal.is_iam() {
        unknown.push("principal tags and session tags (aws:PrincipalTag/*; give --account-export for IAM tags)".into());
    }
    if matches!(principal.kind, PrincipalKind::AssumedRole | PrincipalKind::FederatedUser) {
        unknown.push("the session policy passed when the session was created".into());
    }
    let also = if kms_own {
        unknown.clear();
        Vec::new()
    } else {
        checks::further(
            &event_name,
            params,
            &keys,
            &call,
            &mut derived,
            &mut unknown,
            &mut warnings,
        )
    };
    if reencrypt {
        // kms:ReEncryptOnSameKey is in the context of both halves.
        call.params.reencrypt_on_same_key = also.first().map(|to| to.resource == resource);
    }
    let recorded = match get_str(ev, "errorCode") {
        None => Recorded::Success,
        Some(code) => {
            let message = get_str(ev, "errorMessage").unwrap_or("").to_string();
            if code.starts_with("AccessDenied") {
                Recorded::AccessDenied { message }
            } else {
                Recorded::OtherError { code: code.to_string(), message }
            }
        }
    };
    Ok(DerivedEvent {
        event_id: get_str(ev, "eventID").map(str::to_string),
        event_name,
        event_time: time,
        identity_type: itype,
        kms_own,
        account_level: !on_key,
        principal,
        action,
        resource,
        call,
        also,
        access_key_id: get_str(uid, "accessKeyId").filter(|k| !k.is_empty()).map(str::to_string),
        source_ip,
        vpc_endpoint,
        mfa,
        invoked_by,
        recorded,
        derived,
        unknown,
        warnings,
        span: ev.span,
    })
}

/// `alias/NAME` from a key reference that names an alias (`alias/NAME` or an alias ARN).
fn alias_name(k: &str) -> Option<String> {
    if k.starts_with("alias/") {
        Some(k.to_string())
    } else {
        k.split_once(":alias/").map(|(_, n)| format!("alias/{n}"))
    }
}

fn read_context(
    params: Option<&Node>,
    field: &str,
    takes: bool,
    call: &mut Call,
    n: &mut params::Notes,
) {
    match params::context(params.and_then(|p| p.get(field))) {
        Some(pairs) => {
            for (k, v) in &pairs {
                n.derived.push(Fact {
                    name: format!("kms:EncryptionContext:{k}"),
                    value: v.clone(),
                    from: format!("requestParameters.{field}"),
                });
            }
            call.encryption_context = pairs;
        }
        None if takes => n.derived.push(Fact {
            name: "kms:EncryptionContext".into(),
            value: "(none)".into(),
            from: format!("requestParameters has no {field}"),
        }),
        None => {}
    }
}

fn read_algorithm(params: Option<&Node>, field: &str, call: &mut Call, n: &mut params::Notes) {
    let Some(alg) = params.and_then(|p| get_str(p, field)) else { return };
    n.derived.push(Fact {
        name: "kms:EncryptionAlgorithm".into(),
        value: alg.into(),
        from: format!("requestParameters.{field}"),
    });
    call.encryption_algorithm = Some(alg.to_string());
    if alg == "SYMMETRIC_DEFAULT" {
        call.key = KeyFacts {
            spec: Some("SYMMETRIC_DEFAULT".into()),
            usage: Some("ENCRYPT_DECRYPT".into()),
            ..KeyFacts::default()
        };
        n.derived.push(Fact {
            name: "kms:KeySpec".into(),
            value: "SYMMETRIC_DEFAULT".into(),
            from: format!("implied by {field} SYMMETRIC_DEFAULT"),
        });
    }
}

/// Which inputs a denial message (AWS's `errorMessage`) blames, in AWS's words: "because no
/// session policy allows", "with an explicit deny in a service control policy", ...
pub fn blamed_policy_type(message: &str) -> Option<&'static str> {
    const TYPES: &[(&str, &str)] = &[
        ("service control policy", "a service control policy (SCP)"),
        ("resource control policy", "a resource control policy (RCP)"),
        ("vpc endpoint policy", "a VPC endpoint policy"),
        ("permissions boundary", "a permissions boundary"),
        ("session policy", "a session policy"),
        ("identity-based policy", "an identity-based policy"),
        ("resource-based policy", "the key policy (resource-based policy)"),
    ];
    let m = message.to_ascii_lowercase();
    TYPES.iter().find(|(k, _)| m.contains(k)).map(|(_, v)| *v)
}
