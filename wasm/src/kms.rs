//! `KmsSession`: an in-memory keyward KMS for the page, every call gated by the engine.

use crate::explain::explanation_json;
use crate::util::{opt_str, out, parse_object, type_name, MAX_DOC};
use keyward_kms::record::OrgPolicyRecord;
use keyward_kms::{Caller, Config, Kms, KmsError};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

/// An in-memory KMS (account 111122223333, us-east-1) with the default admin seeded.
#[wasm_bindgen]
#[derive(Debug)]
pub struct KmsSession {
    kms: Kms,
}

fn kms_error(e: &KmsError) -> Value {
    let mut err = json!({"code": e.code.as_str(), "message": e.message});
    if let (Some(x), Some(o)) = (&e.explanation, err.as_object_mut()) {
        let mut ex = explanation_json(x, None);
        if let Some(eo) = ex.as_object_mut() {
            eo.insert("ok".into(), json!(true));
        }
        o.insert("explanation".into(), ex);
    }
    json!({"ok": false, "error": err})
}

fn bad(code: &str, message: String, field: &str) -> String {
    out(&json!({"ok": false, "error": {"code": code, "message": message, "field": field}}))
}

fn ms(now_ms: f64) -> i64 {
    if now_ms.is_finite() {
        now_ms.clamp(0.0, 8.64e15) as i64
    } else {
        0
    }
}

impl Default for KmsSession {
    fn default() -> Self {
        KmsSession::new()
    }
}

impl KmsSession {
    fn run(&mut self, caller: &Caller, operation: &str, input_json: &str) -> String {
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
            Ok(output) => out(&json!({"ok": true, "output": output})),
            Err(e) => out(&kms_error(&e)),
        }
    }

    fn org(&mut self, name: &str, kind: &str, text: &str) -> String {
        let rec = OrgPolicyRecord {
            name: name.to_string(),
            kind: kind.to_string(),
            level: 0,
            accounts: Vec::new(),
            text: text.to_string(),
        };
        match self.kms.put_org_policy(rec) {
            Ok(()) => out(&json!({"ok": true})),
            Err(e) => out(&kms_error(&e)),
        }
    }
}

#[wasm_bindgen]
impl KmsSession {
    /// A fresh KMS with the default administrator.
    #[wasm_bindgen(constructor)]
    pub fn new() -> KmsSession {
        let mut kms = Kms::in_memory(Box::new(rand_core::OsRng), Config::default());
        if let Err(e) = kms.seed_defaults() {
            crate::log(&format!("keyward-wasm: seeding the default identity failed: {e}"));
        }
        KmsSession { kms }
    }

    /// Calls an operation as `principal` ("" = the default caller) at `now_ms`.
    pub fn call(
        &mut self,
        principal: &str,
        operation: &str,
        input_json: &str,
        now_ms: f64,
    ) -> String {
        crate::guard(|| {
            let principal = if principal.trim().is_empty() {
                keyward_kms::account::DEFAULT_CALLER.to_string()
            } else {
                principal.trim().to_string()
            };
            let caller = Caller { principal, now_ms: ms(now_ms), ..Caller::default() };
            self.run(&caller, operation, input_json)
        })
    }

    /// Calls an operation with a full caller description (CallerSpec JSON).
    pub fn call_as(&mut self, caller_json: &str, operation: &str, input_json: &str) -> String {
        crate::guard(|| {
            let o = match parse_object(caller_json, "caller_json") {
                Ok(o) => o,
                Err(_) => {
                    return bad(
                        "ValidationException",
                        "caller_json must be a JSON object".into(),
                        "caller_json",
                    )
                }
            };
            let s = |k: &str| opt_str(&o, k, k).ok().flatten().map(str::to_string);
            let num = |k: &str| o.get(k).and_then(Value::as_f64);
            let mut extra = Vec::new();
            if let Some(ctx) = o.get("context").and_then(Value::as_object) {
                for (k, v) in ctx {
                    match v {
                        Value::String(s) => extra.push((k.clone(), s.clone())),
                        other => {
                            return bad(
                                "ValidationException",
                                format!(
                                    "caller_json.context.{k} must be a string, not {}",
                                    type_name(other)
                                ),
                                "caller_json",
                            )
                        }
                    }
                }
            }
            let caller = Caller {
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
            };
            self.run(&caller, operation, input_json)
        })
    }

    /// Creates or replaces a user or role: policies `[{name, text}]` or `{name: text}`.
    pub fn put_identity(
        &mut self,
        arn: &str,
        policies_json: &str,
        boundary: Option<String>,
    ) -> String {
        crate::guard(|| {
            let parsed = if policies_json.trim().is_empty() {
                Ok(Value::Array(Vec::new()))
            } else {
                serde_json::from_str::<Value>(policies_json)
            };
            let policies: Vec<(String, String)> = match parsed {
                Ok(Value::Object(m)) => {
                    let mut v = Vec::new();
                    for (k, t) in m {
                        let Value::String(t) = t else {
                            return bad(
                                "ValidationException",
                                format!("policies_json.{k} must be a policy text (string)"),
                                "policies_json",
                            );
                        };
                        v.push((k, t));
                    }
                    v
                }
                Ok(Value::Array(items)) => {
                    let mut v = Vec::new();
                    for (i, it) in items.iter().enumerate() {
                        let name = it.get("name").and_then(Value::as_str);
                        let text = it.get("text").and_then(Value::as_str);
                        match (name, text) {
                            (Some(n), Some(t)) => v.push((n.to_string(), t.to_string())),
                            _ => {
                                return bad(
                                    "ValidationException",
                                    format!(
                                        "policies_json[{i}] must be {{name, text}} with strings"
                                    ),
                                    "policies_json",
                                )
                            }
                        }
                    }
                    v
                }
                Ok(other) => {
                    return bad(
                        "ValidationException",
                        format!(
                            "policies_json must be an array or an object, not {}",
                            type_name(&other)
                        ),
                        "policies_json",
                    )
                }
                Err(e) => {
                    return bad(
                        "SerializationException",
                        format!("policies_json is not valid JSON: {e}"),
                        "policies_json",
                    )
                }
            };
            let boundary = boundary.filter(|b| !b.trim().is_empty());
            match self.kms.put_identity(arn, policies, boundary, Vec::new()) {
                Ok(()) => out(&json!({"ok": true})),
                Err(e) => out(&kms_error(&e)),
            }
        })
    }

    /// Adds or replaces an SCP (level 0, every account).
    pub fn put_scp(&mut self, name: &str, text: &str) -> String {
        crate::guard(|| self.org(name, "scp", text))
    }

    /// Adds or replaces an RCP (level 0, every account).
    pub fn put_rcp(&mut self, name: &str, text: &str) -> String {
        crate::guard(|| self.org(name, "rcp", text))
    }

    /// Removes an SCP or RCP.
    pub fn delete_org_policy(&mut self, name: &str) -> String {
        crate::guard(|| match self.kms.delete_org_policy(name) {
            Ok(()) => out(&json!({"ok": true})),
            Err(e) => out(&kms_error(&e)),
        })
    }

    /// The default caller's ARN.
    pub fn default_caller(&self) -> String {
        keyward_kms::account::DEFAULT_CALLER.to_string()
    }

    /// The supported operations (JSON array).
    pub fn operations(&self) -> String {
        let names: Vec<&str> = keyward_kms::Operation::ALL.iter().map(|o| o.as_str()).collect();
        out(&json!(names))
    }
}
