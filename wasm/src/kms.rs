//! `KmsSession`: the wasm-bindgen face of `keyward_bundle::kms::Session`, an in-memory keyward
//! KMS for the page with every call gated by the engine (randomness from the browser).

use keyward_bundle::kms::{ms, Session};
use keyward_bundle::out;
use keyward_kms::{Caller, Config};
use wasm_bindgen::prelude::*;

/// An in-memory KMS (account 111122223333, us-east-1) with the default admin seeded.
#[wasm_bindgen]
#[derive(Debug)]
pub struct KmsSession {
    session: Session,
}

impl Default for KmsSession {
    fn default() -> Self {
        KmsSession::new()
    }
}

#[wasm_bindgen]
impl KmsSession {
    /// A fresh KMS with the default administrator.
    #[wasm_bindgen(constructor)]
    pub fn new() -> KmsSession {
        let (session, seeded) = Session::new(Box::new(rand_core::OsRng), Config::default());
        if let Err(e) = seeded {
            crate::log(&format!("keyward-wasm: seeding the default identity failed: {e}"));
        }
        KmsSession { session }
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
                Session::default_caller().to_string()
            } else {
                principal.trim().to_string()
            };
            let caller = Caller { principal, now_ms: ms(now_ms), ..Caller::default() };
            out(&self.session.call(&caller, operation, input_json))
        })
    }

    /// Calls an operation with a full caller description (CallerSpec JSON).
    pub fn call_as(&mut self, caller_json: &str, operation: &str, input_json: &str) -> String {
        crate::guard(|| out(&self.session.call_as(caller_json, operation, input_json)))
    }

    /// Creates or replaces a user or role: policies `[{name, text}]` or `{name: text}`.
    pub fn put_identity(
        &mut self,
        arn: &str,
        policies_json: &str,
        boundary: Option<String>,
    ) -> String {
        crate::guard(|| out(&self.session.put_identity(arn, policies_json, boundary)))
    }

    /// Adds or replaces an SCP (level 0, every account).
    pub fn put_scp(&mut self, name: &str, text: &str) -> String {
        crate::guard(|| out(&self.session.put_org_policy(name, "scp", text)))
    }

    /// Adds or replaces an RCP (level 0, every account).
    pub fn put_rcp(&mut self, name: &str, text: &str) -> String {
        crate::guard(|| out(&self.session.put_org_policy(name, "rcp", text)))
    }

    /// Removes an SCP or RCP.
    pub fn delete_org_policy(&mut self, name: &str) -> String {
        crate::guard(|| out(&self.session.delete_org_policy(name)))
    }

    /// The default caller's ARN.
    pub fn default_caller(&self) -> String {
        Session::default_caller().to_string()
    }

    /// The supported operations (JSON array).
    pub fn operations(&self) -> String {
        out(&Session::operations())
    }
}
