//! CloudTrail records of calls, as AWS writes them (KMS Developer Guide, "Logging AWS KMS API
//! calls with AWS CloudTrail"): the event envelope (`userIdentity`, times, ids, `resources`,
//! `eventType`...), the request parameters KMS logs (an allow-list per operation, in
//! [`params`]: never plaintexts, ciphertexts, messages or key material) and the service events
//! KMS writes when it acts by itself (RotateKey, DeleteKey, DeleteExpiredKeyMaterial).
//!
//! Pure: no clock, no randomness. Times and the `requestID`/`eventID` arrive with each call,
//! so the same inputs always give the same record. The envelope ([`api_event`]) does not know
//! KMS: an IAM or STS call builds its own `requestParameters` and passes them in.

pub(crate) mod facts;
pub mod params;
mod state;

pub use facts::{ServiceEvent, ServiceEventKind, TrailFacts};
pub use state::StateInputs;

use crate::operation::Operation;
use serde_json::{json, Map, Value};

/// The `eventVersion` keyward writes (the one of AWS's current KMS examples).
pub const EVENT_VERSION: &str = "1.11";
/// `eventSource` of KMS events.
pub const KMS_SOURCE: &str = "kms.amazonaws.com";

/// Who made a call, as the server knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The caller: IAM user, assumed-role session, root or federated user ARN; or an AWS
    /// service principal (`s3.amazonaws.com`, or `service:s3.amazonaws.com`).
    pub arn: String,
    /// The caller's unique id (`AIDA...` for a user, `AROA...` for the role of a session). When
    /// absent a stable one is derived from the ARN.
    pub unique_id: Option<String>,
    /// The access key the request was signed with.
    pub access_key_id: Option<String>,
    /// For a role session: the role's ARN (with its path, which the session ARN drops).
    pub issuer_arn: Option<String>,
    /// For a role session: when the session was created, epoch milliseconds.
    pub session_created_ms: Option<i64>,
    /// Whether the session was created with MFA.
    pub mfa: bool,
    /// The AWS service that made the call on the caller's behalf (`invokedBy`).
    pub invoked_by: Option<String>,
}

/// A resource of an event (`resources[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// ARN.
    pub arn: String,
    /// Owning account.
    pub account: String,
    /// CloudTrail resource type, e.g. `AWS::KMS::Key`.
    pub kind: &'static str,
}

impl Resource {
    /// A KMS key resource; the account is read from the ARN.
    pub fn kms_key(arn: &str) -> Resource {
        let account = arn.split(':').nth(4).unwrap_or_default().to_string();
        Resource { arn: arn.to_string(), account, kind: "AWS::KMS::Key" }
    }
}

/// One API call of any service, ready to be recorded: everything the envelope needs.
#[derive(Debug, Clone)]
pub struct ApiCall<'a> {
    /// `eventSource`, e.g. `kms.amazonaws.com`, `sts.amazonaws.com`.
    pub event_source: &'a str,
    /// `eventName`: the operation.
    pub event_name: &'a str,
    /// `awsRegion`.
    pub region: &'a str,
    /// `recipientAccountId`: the account whose trail receives the event.
    pub recipient_account: &'a str,
    /// Request time, epoch milliseconds.
    pub time_ms: i64,
    /// The caller.
    pub identity: &'a Identity,
    /// `sourceIPAddress` (the client address; a service name for calls made by a service).
    pub source_ip: Option<&'a str>,
    /// `userAgent`.
    pub user_agent: Option<&'a str>,
    /// `requestParameters`, already filtered (null when there are none).
    pub request_parameters: Value,
    /// `responseElements` (null for cryptographic operations and failures).
    pub response_elements: Value,
    /// `additionalEventData`, when the service adds some.
    pub additional: Option<Value>,
    /// `errorCode` and `errorMessage` of a failed call.
    pub error: Option<(&'a str, &'a str)>,
    /// `resources`.
    pub resources: &'a [Resource],
    /// `readOnly`.
    pub read_only: bool,
    /// `requestID`.
    pub request_id: &'a str,
    /// `eventID`.
    pub event_id: &'a str,
}

/// RFC 3339 UTC with seconds, as `eventTime` has it.
pub fn event_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

/// The date format KMS uses inside `requestParameters` and `responseElements`
/// (`Aug 10, 2022, 10:38:27 PM`).
pub fn java_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%b %-d, %Y, %-I:%M:%S %p").to_string())
        .unwrap_or_default()
}

/// The CloudTrail `errorCode` of an error code: a KMS AccessDeniedException is recorded as
/// `AccessDenied`; other codes as they are.
pub fn error_code(code: &str) -> &str {
    if code == "AccessDeniedException" {
        "AccessDenied"
    } else {
        code
    }
}

/// A stable stand-in unique id (`AIDA` / `AROA` + 17 characters) for an identity the account
/// model has none for.
fn derived_id(prefix: &str, arn: &str) -> String {
    use sha2::Digest as _;
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let hash = sha2::Sha256::digest(arn.as_bytes());
    let tail: String =
        hash.iter().take(17).map(|b| char::from(ALPHABET[usize::from(b % 32)])).collect();
    format!("{prefix}{tail}")
}

/// `userIdentity` of a caller.
pub fn user_identity(id: &Identity) -> Value {
    let arn = id.arn.as_str();
    let service = arn.strip_prefix("service:").unwrap_or(arn);
    if !arn.starts_with("arn:") && service.ends_with(".amazonaws.com") {
        return json!({ "type": "AWSService", "invokedBy": service });
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let account = parts.get(4).copied().unwrap_or_default();
    let resource = parts.get(5).copied().unwrap_or_default();
    let mut m = Map::new();
    let put = |m: &mut Map<String, Value>, k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    if resource == "root" {
        put(&mut m, "type", json!("Root"));
        put(&mut m, "principalId", json!(account));
    } else if let Some(user) = resource.strip_prefix("user/") {
        put(&mut m, "type", json!("IAMUser"));
        let uid = id.unique_id.clone().unwrap_or_else(|| derived_id("AIDA", arn));
        put(&mut m, "principalId", json!(uid));
        put(&mut m, "userName", json!(user.rsplit('/').next().unwrap_or(user)));
    } else if let Some(rest) = resource.strip_prefix("assumed-role/") {
        let (role, session) = rest.split_once('/').unwrap_or((rest, ""));
        let issuer =
            id.issuer_arn.clone().unwrap_or_else(|| format!("arn:aws:iam::{account}:role/{role}"));
        let role_id = id.unique_id.clone().unwrap_or_else(|| derived_id("AROA", &issuer));
        put(&mut m, "type", json!("AssumedRole"));
        put(&mut m, "principalId", json!(format!("{role_id}:{session}")));
        let mut attrs = Map::new();
        if let Some(ms) = id.session_created_ms {
            attrs.insert("creationDate".into(), json!(event_time(ms)));
        }
        attrs.insert("mfaAuthenticated".into(), json!(if id.mfa { "true" } else { "false" }));
        let ctx = json!({
            "sessionIssuer": {
                "type": "Role",
                "principalId": role_id,
                "arn": issuer,
                "accountId": account,
                "userName": role,
            },
            "webIdFederationData": {},
            "attributes": attrs,
        });
        m.insert("sessionContext".into(), ctx);
    } else if let Some(name) = resource.strip_prefix("federated-user/") {
        put(&mut m, "type", json!("FederatedUser"));
        put(&mut m, "principalId", json!(format!("{account}:{name}")));
    } else {
        put(&mut m, "type", json!("AWSAccount"));
        put(&mut m, "principalId", json!(account));
    }
    if m.get("type").and_then(Value::as_str) != Some("AWSAccount") {
        put(&mut m, "arn", json!(arn));
    }
    put(&mut m, "accountId", json!(account));
    if let Some(k) = &id.access_key_id {
        put(&mut m, "accessKeyId", json!(k));
    }
    if let Some(s) = &id.invoked_by {
        put(&mut m, "invokedBy", json!(s));
    }
    Value::Object(m)
}

fn resources_json(resources: &[Resource]) -> Value {
    Value::Array(
        resources
            .iter()
            .map(|r| json!({ "accountId": r.account, "type": r.kind, "ARN": r.arn }))
            .collect(),
    )
}

/// The CloudTrail record of one API call (`eventType` `AwsApiCall`).
pub fn api_event(c: &ApiCall<'_>) -> Value {
    let mut m = Map::new();
    let identity = user_identity(c.identity);
    // A call a service makes (for the caller, or as itself) has the service's name as its
    // source address and user agent.
    let service = identity.get("invokedBy").and_then(Value::as_str).map(str::to_string);
    m.insert("eventVersion".into(), json!(EVENT_VERSION));
    m.insert("userIdentity".into(), identity);
    m.insert("eventTime".into(), json!(event_time(c.time_ms)));
    m.insert("eventSource".into(), json!(c.event_source));
    m.insert("eventName".into(), json!(c.event_name));
    m.insert("awsRegion".into(), json!(c.region));
    if let Some(s) = service.as_deref().or(c.source_ip) {
        m.insert("sourceIPAddress".into(), json!(s));
    }
    if let Some(a) = service.as_deref().or(c.user_agent) {
        m.insert("userAgent".into(), json!(a));
    }
    if let Some((code, message)) = c.error {
        m.insert("errorCode".into(), json!(error_code(code)));
        if !message.is_empty() {
            m.insert("errorMessage".into(), json!(message));
        }
    }
    m.insert("requestParameters".into(), c.request_parameters.clone());
    m.insert("responseElements".into(), c.response_elements.clone());
    if let Some(a) = &c.additional {
        m.insert("additionalEventData".into(), a.clone());
    }
    m.insert("requestID".into(), json!(c.request_id));
    m.insert("eventID".into(), json!(c.event_id));
    m.insert("readOnly".into(), json!(c.read_only));
    if !c.resources.is_empty() {
        m.insert("resources".into(), resources_json(c.resources));
    }
    m.insert("eventType".into(), json!("AwsApiCall"));
    m.insert("managementEvent".into(), json!(true));
    m.insert("recipientAccountId".into(), json!(c.recipient_account));
    m.insert("eventCategory".into(), json!("Management"));
    Value::Object(m)
}

/// One KMS call, ready to be recorded: the wire request and its outcome, with the facts the
/// KMS knows about it ([`crate::Kms::trail_facts`]).
#[derive(Debug, Clone)]
pub struct KmsCall<'a> {
    /// The operation.
    pub op: Operation,
    /// The request as sent (AWS JSON 1.1 body).
    pub request: &'a Value,
    /// The response of a successful call; `Err((code, message))` for a failed one.
    pub outcome: Result<&'a Value, (&'a str, &'a str)>,
    /// Keys, key material ids.
    pub facts: &'a TrailFacts,
    /// The caller.
    pub identity: &'a Identity,
    /// `awsRegion`.
    pub region: &'a str,
    /// Request time, epoch milliseconds.
    pub time_ms: i64,
    /// `sourceIPAddress`.
    pub source_ip: Option<&'a str>,
    /// `userAgent`.
    pub user_agent: Option<&'a str>,
    /// `requestID`.
    pub request_id: &'a str,
    /// `eventID`.
    pub event_id: &'a str,
}

/// The CloudTrail record of one KMS call.
pub fn kms_event(c: &KmsCall<'_>) -> Value {
    let rule = params::rule(c.op);
    let request_parameters = params::request_parameters(c.op, c.request, c.facts);
    let response_elements = match c.outcome {
        Ok(out) => params::response_elements(c.op, out),
        Err(_) => Value::Null,
    };
    let additional = if c.outcome.is_ok() { c.facts.additional() } else { None };
    let account_of_caller = c.identity.arn.split(':').nth(4).unwrap_or_default().to_string();
    let recipient = c
        .facts
        .resources
        .first()
        .map(|r| r.account.clone())
        .filter(|a| !a.is_empty())
        .unwrap_or(account_of_caller);
    api_event(&ApiCall {
        event_source: KMS_SOURCE,
        event_name: c.op.as_str(),
        region: c.region,
        recipient_account: &recipient,
        time_ms: c.time_ms,
        identity: c.identity,
        source_ip: c.source_ip,
        user_agent: c.user_agent,
        request_parameters,
        response_elements,
        additional,
        error: c.outcome.err(),
        resources: &c.facts.resources,
        read_only: rule.read_only,
        request_id: c.request_id,
        event_id: c.event_id,
    })
}

/// The CloudTrail record of something KMS did by itself (`eventType` `AwsServiceEvent`).
pub fn service_event(e: &ServiceEvent, event_id: &str) -> Value {
    let resource = Resource::kms_key(&e.key_arn);
    let key_id = e.key_arn.rsplit('/').next().unwrap_or_default();
    let mut m = Map::new();
    m.insert("eventVersion".into(), json!(EVENT_VERSION));
    m.insert(
        "userIdentity".into(),
        json!({ "accountId": resource.account, "invokedBy": "AWS Internal" }),
    );
    m.insert("eventTime".into(), json!(event_time(e.at_ms)));
    m.insert("eventSource".into(), json!(KMS_SOURCE));
    m.insert("eventName".into(), json!(e.kind.name()));
    m.insert("awsRegion".into(), json!(e.region));
    m.insert("sourceIPAddress".into(), json!("AWS Internal"));
    m.insert("userAgent".into(), json!("AWS Internal"));
    m.insert("requestParameters".into(), Value::Null);
    m.insert("responseElements".into(), Value::Null);
    // AWS names the expired material in serviceEventDetails (KMS Developer Guide,
    // ct-deleteexpiredkeymaterial, 2025), a rotation's new material in additionalEventData.
    let expired = e.kind == ServiceEventKind::DeleteExpiredKeyMaterial;
    if let Some(id) = e.key_material_id.as_ref().filter(|_| !expired) {
        m.insert("additionalEventData".into(), json!({ "keyMaterialId": id }));
    }
    m.insert("eventID".into(), json!(event_id));
    m.insert("readOnly".into(), json!(false));
    m.insert("resources".into(), resources_json(std::slice::from_ref(&resource)));
    m.insert("eventType".into(), json!("AwsServiceEvent"));
    m.insert("managementEvent".into(), json!(true));
    m.insert("recipientAccountId".into(), json!(resource.account));
    m.insert("eventCategory".into(), json!("Management"));
    match (&e.key_material_id, expired) {
        (Some(id), true) => {
            let details = json!({ "keyId": key_id, "keyMaterialId": id });
            m.insert("serviceEventDetails".into(), details);
        }
        _ if e.kind != ServiceEventKind::DeleteKey => {
            m.insert("serviceEventDetails".into(), json!({ "keyId": key_id }));
        }
        _ => {}
    }
    Value::Object(m)
}
