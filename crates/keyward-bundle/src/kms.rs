//! `Session`: an in-memory keyward KMS (every call gated by the engine) behind JSON in and out,
//! for the playground's KMS tab and the Python package's `keyward.Kms`. The random number
//! generator is given by the caller (the browser's or the OS's).

use crate::explain::explanation_json;
use crate::util::{opt_str, parse_object, type_name, MAX_DOC};
use keyward_core::eval::render_human;
use keyward_kms::record::OrgPolicyRecord;
use keyward_kms::{Caller, Config, Kms, KmsError};
use rand_core::CryptoRngCore;
use serde_json::{json, Value};

/// An in-memory KMS with JSON calls.
#[derive(Debug)]
pub struct Session {
    kms: Kms,
}

/// A KMS error as `{ok: false, error: {code, message, explanation?, human?}}`; a denial's
/// explanation carries its human rendering both in `explanation.text` and in `human`.
pub fn kms_error(e: &KmsError) -> Value {
    let mut err = json!({"code": e.code.as_str(), "message": e.message});
    if let (Some(x), Some(o)) = (&e.explanation, err.as_object_mut()) {
        let mut ex = explanation_json(x, None);
        if let Some(eo) = ex.as_object_mut() {
            eo.insert("ok".into(), json!(true));
        }
        o.insert("explanation".into(), ex);
        o.insert("human".into(), json!(render_human(x)));
    }
    json!({"ok": false, "error": err})
}

fn bad(code: &str, message: String, field: &str) -> Value {
    json!({"ok": false, "error": {"code": code, "message": message, "field": field}})
}

/// Epoch milliseconds from a JS number (NaN and infinities are 0).
pub fn ms(now_ms: f64) -> i64 {
    if now_ms.is_finite() {
        now_ms.clamp(0.0, 8.64e15) as i64
    } else {
        0
    }
}

/// A caller from a CallerSpec object: `{principal?, now_ms?, source_ip?, via_service?,
/// mfa_age_s?, source_vpce?, session_policy?, context?, region?}` (principal defaults to the
/// admin; region to the session's).
pub fn caller_from_json(caller_json: &str) -> Result<Caller, Value> {
    let Ok(o) = parse_object(caller_json, "caller_json") else {
        return Err(bad(
            "ValidationException",
            "caller_json must be a JSON object".into(),
            "caller_json",
        ));
    };
    let s = |k: &str| opt_str(&o, k, k).ok().flatten().map(str::to_string);
    let num = |k: &str| o.get(k).and_then(Value::as_f64);
    let mut extra = Vec::new();
    if let Some(ctx) = o.get("context").and_then(Value::as_object) {
        for (k, v) in ctx {
            match v {
                Value::String(s) => extra.push((k.clone(), s.clone())),
                other => {
                    return Err(bad(
                        "ValidationException",
                        format!(
                            "caller_json.context.{k} must be a string, not {}",
                            type_name(other)
                        ),
                        "caller_json",
                    ))
                }
            }
        }
    }
    #[allow(clippy::needless_update, reason = "Caller may gain fields; they keep their defaults")]
    Ok(Caller {
        principal: s("principal")
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| keyward_kms::account::DEFAULT_CALLER.to_string()),
        now_ms: ms(num("now_ms").unwrap_or(0.0)),
        source_ip: s("source_ip"),
        via_service: s("via_service"),
        mfa_age_s: num("mfa_age_s").filter(|x| *x >= 0.0).map(|x| x as u64),
        source_vpce: s("source_vpce"),
        session_policy: s("session_policy"),
        extra_context: extra,
        region: s("region"),
        ..Caller::default()
    })
}

/// Identity policies as `[{name, text}]`, `[[name, text]]` or `{name: text}`.
fn policies(policies_json: &str) -> Result<Vec<(String, String)>, Value> {
    let parsed = if policies_json.trim().is_empty() {
        Ok(Value::Array(Vec::new()))
    } else {
        serde_json::from_str::<Value>(policies_json)
    };
    let invalid = |m: String| bad("ValidationException", m, "policies_json");
    match parsed {
        Ok(Value::Object(m)) => m
            .into_iter()
            .map(|(k, t)| match t {
                Value::String(t) => Ok((k, t)),
                _ => Err(invalid(format!("policies_json.{k} must be a policy text (string)"))),
            })
            .collect(),
        Ok(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let (name, text) = match it {
                    Value::Array(p) => (p.first(), p.get(1)),
                    _ => (it.get("name"), it.get("text")),
                };
                match (name.and_then(Value::as_str), text.and_then(Value::as_str)) {
                    (Some(n), Some(t)) => Ok((n.to_string(), t.to_string())),
                    _ => Err(invalid(format!(
                        "policies_json[{i}] must be {{name, text}} or [name, text] with strings"
                    ))),
                }
            })
            .collect(),
        Ok(other) => Err(invalid(format!(
            "policies_json must be an array or an object, not {}",
            type_name(&other)
        ))),
        Err(e) => Err(bad(
            "SerializationException",
            format!("policies_json is not valid JSON: {e}"),
            "policies_json",
        )),
    }
}

fn done(r: Result<(), KmsError>) -> Value {
    match r {
        Ok(()) => json!({"ok": true}),
        Err(e) => kms_error(&e),
    }
}

impl Session {
    /// A fresh KMS; `Err` carries the message when seeding the default administrator failed
    /// (the session is still usable).
    pub fn new(
        rng: Box<dyn CryptoRngCore + Send>,
        config: Config,
    ) -> (Session, Result<(), String>) {
        let mut kms = Kms::in_memory(rng, config);
        let seeded = kms.seed_defaults().map_err(|e| e.to_string());
        (Session { kms }, seeded)
    }

    /// Calls an operation by its AWS name with its AWS JSON request:
    /// `{ok: true, output}` or the KMS error.
    pub fn call(&mut self, caller: &Caller, operation: &str, input_json: &str) -> Value {
        if input_json.len() > MAX_DOC {
            return bad(
                "ValidationException",
                format!("input_json is {} bytes; the limit is {MAX_DOC} bytes", input_json.len()),
                "input_json",
            );
        }
        let input = if input_json.trim().is_empty() {
            Value::Null
        } else {
            match serde_json::from_str::<Value>(input_json) {
                Ok(v) => v,
                Err(e) => {
                    return bad(
                        "SerializationException",
                        format!("input_json is not valid JSON: {e}"),
                        "input_json",
                    )
                }
            }
        };
        match self.kms.call(caller, operation, &input) {
            Ok(output) => json!({"ok": true, "output": output}),
            Err(e) => kms_error(&e),
        }
    }

    /// [`Session::call`] with the caller given as CallerSpec JSON.
    pub fn call_as(&mut self, caller_json: &str, operation: &str, input_json: &str) -> Value {
        match caller_from_json(caller_json) {
            Ok(caller) => self.call(&caller, operation, input_json),
            Err(e) => e,
        }
    }

    /// Creates or replaces a user or role (see `policies` for the accepted shapes).
    pub fn put_identity(
        &mut self,
        arn: &str,
        policies_json: &str,
        boundary: Option<String>,
    ) -> Value {
        match policies(policies_json) {
            Ok(p) => {
                let boundary = boundary.filter(|b| !b.trim().is_empty());
                done(self.kms.put_identity(arn, p, boundary, Vec::new()))
            }
            Err(e) => e,
        }
    }

    /// Adds or replaces an SCP or RCP (`kind` = "scp" | "rcp") at level 0 for every account.
    pub fn put_org_policy(&mut self, name: &str, kind: &str, text: &str) -> Value {
        let rec = OrgPolicyRecord {
            name: name.to_string(),
            kind: kind.to_string(),
            level: 0,
            accounts: Vec::new(),
            text: text.to_string(),
        };
        done(self.kms.put_org_policy(rec))
    }

    /// Removes an SCP or RCP.
    pub fn delete_org_policy(&mut self, name: &str) -> Value {
        done(self.kms.delete_org_policy(name))
    }

    /// The supported operations.
    pub fn operations() -> Value {
        let names: Vec<&str> = keyward_kms::Operation::ALL.iter().map(|o| o.as_str()).collect();
        json!(names)
    }

    /// The default caller's ARN.
    pub fn default_caller() -> &'static str {
        keyward_kms::account::DEFAULT_CALLER
    }
}
