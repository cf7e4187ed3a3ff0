//! `keyward.Kms`: an in-memory keyward KMS in the Python process. Every call is authorized by
//! keyward-core, as in `keyward serve`. The library's JSON entry point (`Kms::call`) is used as
//! it is; the Python class adds one method per common operation.

use crate::util::{fail, out};
use keyward_kms::record::OrgPolicyRecord;
use keyward_kms::{Caller, Config, Kms, KmsError};
use pyo3::prelude::*;
use serde_json::{json, Value};
use std::sync::Mutex;

/// The native half of `keyward.Kms` (the account 111122223333, the admin user seeded).
#[pyclass(module = "keyward._keyward")]
#[derive(Debug)]
pub(crate) struct KmsCore {
    kms: Mutex<Kms>,
}

fn kms_error(e: &KmsError) -> Value {
    let mut err = json!({"code": e.code.as_str(), "message": e.message});
    if let (Some(x), Some(o)) = (&e.explanation, err.as_object_mut()) {
        o.insert("explanation".into(), json!(x));
        o.insert("human".into(), json!(keyward_core::eval::render_human(x)));
    }
    json!({"ok": false, "error": err})
}

impl KmsCore {
    fn with<T>(&self, f: impl FnOnce(&mut Kms) -> T) -> Result<T, String> {
        match self.kms.lock() {
            Ok(mut k) => Ok(f(&mut k)),
            Err(_) => Err(out(&fail("the KMS is unusable after a panic in another thread", None))),
        }
    }
}

#[pymethods]
impl KmsCore {
    /// A fresh KMS; `region` defaults to us-east-1.
    #[new]
    #[pyo3(signature = (region = None))]
    fn new(region: Option<String>) -> PyResult<Self> {
        let mut config = Config::default();
        if let Some(r) = region {
            config.region = r;
        }
        let mut kms = Kms::in_memory(Box::new(rand_core::OsRng), config);
        kms.seed_defaults().map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!("seeding the default identity: {e}"))
        })?;
        Ok(KmsCore { kms: Mutex::new(kms) })
    }

    /// Calls `operation` with the JSON request `input_json`; `caller_json` is `{principal,
    /// now_ms, source_ip?, via_service?, mfa_age_s?, source_vpce?, session_policy?, region?}`.
    fn call(&self, caller_json: &str, operation: &str, input_json: &str) -> String {
        let caller: Value = serde_json::from_str(caller_json).unwrap_or(Value::Null);
        let s = |k: &str| caller.get(k).and_then(Value::as_str).map(str::to_string);
        let caller = Caller {
            principal: s("principal")
                .unwrap_or_else(|| keyward_kms::account::DEFAULT_CALLER.to_string()),
            now_ms: caller.get("now_ms").and_then(Value::as_i64).unwrap_or(0),
            source_ip: s("source_ip"),
            via_service: s("via_service"),
            mfa_age_s: caller.get("mfa_age_s").and_then(Value::as_u64),
            source_vpce: s("source_vpce"),
            session_policy: s("session_policy"),
            region: s("region"),
            ..Caller::default()
        };
        let input = match serde_json::from_str::<Value>(input_json) {
            Ok(v) => v,
            Err(e) => {
                return out(
                    &json!({"ok": false, "error": {"code": "SerializationException", "message": format!("request is not valid JSON: {e}")}}),
                )
            }
        };
        match self.with(|k| k.call(&caller, operation, &input)) {
            Ok(Ok(output)) => out(&json!({"ok": true, "output": output})),
            Ok(Err(e)) => out(&kms_error(&e)),
            Err(e) => e,
        }
    }

    /// Adds or replaces an IAM user or role: `policies_json` is `[[name, text], ...]`.
    #[pyo3(signature = (arn, policies_json, boundary = None))]
    fn put_identity(&self, arn: &str, policies_json: &str, boundary: Option<String>) -> String {
        let policies: Vec<(String, String)> = match serde_json::from_str(policies_json) {
            Ok(p) => p,
            Err(e) => return out(&fail(format!("policies: {e}"), Some("policies"))),
        };
        match self.with(|k| k.put_identity(arn, policies, boundary, Vec::new())) {
            Ok(Ok(())) => out(&json!({"ok": true})),
            Ok(Err(e)) => out(&kms_error(&e)),
            Err(e) => e,
        }
    }

    /// Adds or replaces an SCP or RCP (`kind` = "scp" | "rcp") at level 0 for every account.
    fn put_org_policy(&self, name: &str, kind: &str, text: &str) -> String {
        let rec = OrgPolicyRecord {
            name: name.to_string(),
            kind: kind.to_string(),
            level: 0,
            accounts: Vec::new(),
            text: text.to_string(),
        };
        match self.with(|k| k.put_org_policy(rec)) {
            Ok(Ok(())) => out(&json!({"ok": true})),
            Ok(Err(e)) => out(&kms_error(&e)),
            Err(e) => e,
        }
    }

    /// The operations the KMS supports.
    #[staticmethod]
    fn operations() -> Vec<&'static str> {
        keyward_kms::Operation::ALL.iter().map(|o| o.as_str()).collect()
    }

    /// The default caller's ARN.
    #[staticmethod]
    fn default_caller() -> &'static str {
        keyward_kms::account::DEFAULT_CALLER
    }
}
