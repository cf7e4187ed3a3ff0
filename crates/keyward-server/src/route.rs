//! IAM and STS on the KMS's listener: a request whose SigV4 credential scope names `iam` or
//! `sts` is an AWS Query request, handed to keyward-iam under the KMS lock (one writer, one
//! commit per call); everything else stays KMS. Also the `--test-clock` control.

use crate::handler::{authenticate, Incoming, Reply, Shared};
use crate::log::Entry;
use keyward_iam::query::Params;
use keyward_iam::{Ctx, IamError, Service};
use keyward_kms::Caller;
use std::sync::atomic::Ordering;

/// The Query service a request is for: the credential scope's service in `Authorization`.
pub(crate) fn query_service(req: &Incoming<'_>) -> Option<Service> {
    let auth = req.header("authorization")?;
    let credential = auth.split("Credential=").nth(1)?;
    let scope = credential.split([',', ' ']).next()?;
    match scope.split('/').nth(3)? {
        "iam" => Some(Service::Iam),
        "sts" => Some(Service::Sts),
        _ => None,
    }
}

fn xml_error(service: Service, e: &IamError, request_id: &str) -> Reply {
    Reply {
        status: e.status,
        body: keyward_iam::xml::error(service, e, request_id).into_bytes(),
        error_type: Some(e.code.clone()),
        xml: true,
    }
}

/// The Query-protocol code for a SigV4 failure (the KMS names them `…Exception`).
fn auth_code(kms_code: &str) -> (u16, &'static str) {
    match kms_code {
        "InvalidSignatureException" => (403, "SignatureDoesNotMatch"),
        "MissingAuthenticationTokenException" => (403, "MissingAuthenticationToken"),
        "IncompleteSignatureException" => (400, "IncompleteSignature"),
        "ExpiredTokenException" => (403, "ExpiredToken"),
        _ => (403, "InvalidClientTokenId"),
    }
}

/// `POST /_keyward/clock` with a body of seconds, under `--test-clock`: moves the server's
/// clock that far ahead of the wall clock (0 resets it). `None` for any other request.
pub(crate) fn test_clock(shared: &Shared, req: &Incoming<'_>) -> Option<Reply> {
    if !shared.opts.test_clock || req.path != "/_keyward/clock" || req.method != "POST" {
        return None;
    }
    let text = String::from_utf8_lossy(req.body);
    let reply = match text.trim().parse::<i64>() {
        Ok(s) if (0..=10 * 366 * 86_400).contains(&s) => {
            shared.clock_offset_ms.store(s * 1000, Ordering::Relaxed);
            Reply { status: 200, body: b"{}".to_vec(), error_type: None, xml: false }
        }
        _ => Reply::error(
            400,
            "ValidationException",
            "The body must be a number of seconds between 0 and 316224000.",
        ),
    };
    Some(reply)
}

/// Handles one IAM or STS request.
pub(crate) fn handle(
    shared: &Shared,
    req: &Incoming<'_>,
    request_id: &str,
    now: i64,
    service: Service,
    entry: &mut Entry,
) -> Reply {
    let clock = shared.clock(now);
    // IAM is global: its credential scope's Region is us-east-1. STS answers in any Region.
    let scope = match service {
        Service::Iam => ("iam", Some("us-east-1")),
        Service::Sts => ("sts", None),
    };
    let params = Params::parse(req.query, req.body);
    if let Ok(p) = &params {
        entry.operation = p.get("Action").map(|a| a.chars().take(64).collect());
    }
    let identity = match authenticate(shared, req, now, clock, Some(scope)) {
        Ok(i) => i,
        Err(e) => {
            let (status, code) = auth_code(e.code);
            return xml_error(service, &IamError::new(status, code, e.message), request_id);
        }
    };
    entry.principal = Some(identity.principal.clone());
    let params = match params {
        Ok(p) => p,
        Err(e) => return xml_error(service, &e, request_id),
    };
    let caller = Caller {
        extra_context: identity.session_context(clock),
        principal: identity.principal.clone(),
        now_ms: clock,
        source_ip: Some(req.peer.to_string()),
        session_policy: identity.session_policy.clone(),
        ..Caller::default()
    };
    let ctx = Ctx {
        caller: &caller,
        session: identity.session.as_ref(),
        admin: identity.dev,
        request_id,
    };
    let (status, body, code) = {
        let mut kms = shared.kms.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        keyward_iam::respond(&mut kms, &ctx, &mut rand_core::OsRng, service, &params)
    };
    Reply { status, body: body.into_bytes(), error_type: code, xml: true }
}
