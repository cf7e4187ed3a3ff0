//! `keyward.Kms`: the PyO3 face of `keyward_bundle::kms::Session`, an in-memory keyward KMS in
//! the Python process whose every call is authorized by keyward-core, as in `keyward serve`
//! (the playground's KMS tab runs the same session). The Python class adds one method per
//! common operation.

use crate::util::{fail, out};
use keyward_bundle::kms::Session;
use keyward_kms::Config;
use pyo3::prelude::*;
use serde_json::Value;
use std::sync::Mutex;

/// The native half of `keyward.Kms` (the account 111122223333, the admin user seeded).
#[pyclass(module = "keyward._keyward")]
#[derive(Debug)]
pub(crate) struct KmsCore {
    session: Mutex<Session>,
}

impl KmsCore {
    fn with(&self, f: impl FnOnce(&mut Session) -> Value) -> String {
        match self.session.lock() {
            Ok(mut s) => out(&f(&mut s)),
            Err(_) => out(&fail("the KMS is unusable after a panic in another thread", None)),
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
        let (session, seeded) = Session::new(Box::new(rand_core::OsRng), config);
        seeded.map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!("seeding the default identity: {e}"))
        })?;
        Ok(KmsCore { session: Mutex::new(session) })
    }

    /// Calls `operation` with the JSON request `input_json`; `caller_json` is `{principal,
    /// now_ms, source_ip?, via_service?, mfa_age_s?, source_vpce?, session_policy?, region?}`.
    fn call(&self, caller_json: &str, operation: &str, input_json: &str) -> String {
        self.with(|s| s.call_as(caller_json, operation, input_json))
    }

    /// Adds or replaces an IAM user or role: `policies_json` is `[[name, text], ...]`.
    #[pyo3(signature = (arn, policies_json, boundary = None))]
    fn put_identity(&self, arn: &str, policies_json: &str, boundary: Option<String>) -> String {
        self.with(|s| s.put_identity(arn, policies_json, boundary))
    }

    /// Adds or replaces an SCP or RCP (`kind` = "scp" | "rcp") at level 0 for every account.
    fn put_org_policy(&self, name: &str, kind: &str, text: &str) -> String {
        self.with(|s| s.put_org_policy(name, kind, text))
    }

    /// The operations the KMS supports.
    #[staticmethod]
    fn operations() -> Vec<&'static str> {
        keyward_kms::Operation::ALL.iter().map(|o| o.as_str()).collect()
    }

    /// The default caller's ARN.
    #[staticmethod]
    fn default_caller() -> &'static str {
        Session::default_caller()
    }
}
