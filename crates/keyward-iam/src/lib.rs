//! keyward-iam: the IAM and STS APIs of `keyward serve` over the local account model, as a pure
//! library. It reads the AWS Query protocol (form-encoded `Action=...&Version=...`), runs the
//! operation on the identities the KMS authorizes against, authorizes the call itself with the
//! caller's identity policies (`iam:CreateRole` on the role's ARN, as AWS does), decides
//! AssumeRole with the role's trust policy through keyward's evaluator, and writes AWS's XML.
//!
//! - [`query`]: form decoding, `Name.member.N` lists.
//! - [`xml`]: the XML writer, result and error envelopes.
//! - [`model`]: IAM entities (users, roles, groups, customer managed policies) stored in the
//!   KMS's identity records, and the records derived from them.
//! - [`authz`]: the authorization of IAM calls and AssumeRole's trust decision.
//! - `users`, `roles`, `managed`, `details`, `sts`: the operations.
//!
//! No I/O, clock or OS randomness: time comes with the caller, randomness from the server.

pub mod authz;
mod details;
mod entity;
mod managed;
pub mod model;
pub mod query;
mod roles;
mod sts;
mod users;
pub mod xml;

use keyward_kms::record::SessionRecord;
use keyward_kms::{Caller, Kms};
use query::Params;
use rand_core::RngCore;

/// Which Query API a request is for (the SigV4 credential scope's service).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// IAM (API version 2010-05-08).
    Iam,
    /// STS (API version 2011-06-15).
    Sts,
}

impl Service {
    /// The XML namespace of responses.
    pub fn namespace(self) -> &'static str {
        match self {
            Service::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Service::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }

    /// The API version.
    pub fn version(self) -> &'static str {
        match self {
            Service::Iam => "2010-05-08",
            Service::Sts => "2011-06-15",
        }
    }
}

/// An IAM or STS error as AWS answers it: HTTP status, code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamError {
    /// HTTP status.
    pub status: u16,
    /// AWS's error code (`NoSuchEntity`, `AccessDenied`, ...).
    pub code: String,
    /// AWS's message.
    pub message: String,
}

impl IamError {
    /// An error.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> IamError {
        IamError { status, code: code.to_string(), message: message.into() }
    }
    /// ValidationError.
    pub fn validation(message: String) -> IamError {
        IamError::new(400, "ValidationError", message)
    }
    /// A required parameter is missing.
    pub fn missing(name: &str) -> IamError {
        IamError::validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: \
             Member must not be null",
            query::camel(name)
        ))
    }
    /// The body is not a form.
    pub fn malformed_query(message: String) -> IamError {
        IamError::new(400, "MalformedQueryString", message)
    }
    /// NoSuchEntity.
    pub fn no_such(message: String) -> IamError {
        IamError::new(404, "NoSuchEntity", message)
    }
    /// EntityAlreadyExists.
    pub fn exists(message: String) -> IamError {
        IamError::new(409, "EntityAlreadyExists", message)
    }
    /// DeleteConflict.
    pub fn conflict(message: &str) -> IamError {
        IamError::new(409, "DeleteConflict", message)
    }
    /// MalformedPolicyDocument.
    pub fn malformed_policy(message: String) -> IamError {
        IamError::new(400, "MalformedPolicyDocument", message)
    }
    /// LimitExceeded.
    pub fn limit(message: &str) -> IamError {
        IamError::new(409, "LimitExceeded", message)
    }
    /// AccessDenied.
    pub fn denied(message: String) -> IamError {
        IamError::new(403, "AccessDenied", message)
    }
}

/// Who calls, and with what, besides the parameters.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The caller: principal ARN, request time, source IP, session policy, session context
    /// keys (`aws:PrincipalTag/...` of session tags, `aws:SourceIdentity`).
    pub caller: &'a Caller,
    /// The session facts, when the request was signed with temporary credentials.
    pub session: Option<&'a SessionRecord>,
    /// The dev principal (an unknown access key under `--dev-principal`): an administrator.
    pub admin: bool,
    /// The request id, for the response metadata.
    pub request_id: &'a str,
}

/// Runs one Query request; returns the XML body of the response, or the error.
pub fn call(
    kms: &mut Kms,
    ctx: &Ctx<'_>,
    rng: &mut dyn RngCore,
    service: Service,
    params: &Params,
) -> Result<String, IamError> {
    let action = params.required("Action")?;
    if let Some(v) = params.get("Version") {
        if v != service.version() {
            return Err(IamError::new(
                400,
                "InvalidAction",
                format!("Could not find operation {action} for version {v}"),
            ));
        }
    }
    let result = match service {
        Service::Sts => sts::call(kms, ctx, rng, action, params)?,
        Service::Iam => users::call(kms, ctx, rng, action, params)?,
    };
    match result {
        Some(x) => Ok(xml::response(service, action, &x, ctx.request_id)),
        None => Err(IamError::new(
            400,
            "InvalidAction",
            format!("Could not find operation {action} for version {}", service.version()),
        )),
    }
}

/// Runs one Query request and shapes any error: `(HTTP status, XML body, error code)`.
pub fn respond(
    kms: &mut Kms,
    ctx: &Ctx<'_>,
    rng: &mut dyn RngCore,
    service: Service,
    params: &Params,
) -> (u16, String, Option<String>) {
    match call(kms, ctx, rng, service, params) {
        Ok(body) => (200, body, None),
        Err(e) => (e.status, xml::error(service, &e, ctx.request_id), Some(e.code)),
    }
}
