//! GetKeyLastUsage: the last successful cryptographic operation of a key. Calls through the
//! wire adapter (`Kms::call_op`: the server, `keyward kms`, the WASM module) are tracked, in
//! memory, from this instance's first call: `TrackingStartDate` says so. Each key of a
//! multi-Region set is tracked on its own, and ReEncrypt counts for both of its keys. With a
//! CloudTrail recorder (`Kms::call_op_recorded`), the last use names its event.

use super::{epoch_s, StateRule};
pub use crate::api::last_usage::{GetKeyLastUsageResponse, KeyLastUsage};
use crate::api::KeyRequest;
use crate::error::Result;
use crate::kms::{arn_region, Caller, Kms};
use crate::Operation;
use serde_json::Value;

/// The operations GetKeyLastUsage reports (AWS's `KeyLastUsageTrackingOperation`).
fn tracked(op: Operation) -> bool {
    use Operation as O;
    matches!(
        op,
        O::Decapsulate
            | O::Decrypt
            | O::DeriveSharedSecret
            | O::Encapsulate
            | O::Encrypt
            | O::GenerateDataKey
            | O::GenerateDataKeyPair
            | O::GenerateDataKeyPairWithoutPlaintext
            | O::GenerateDataKeyWithoutPlaintext
            | O::GenerateMac
            | O::ReEncrypt
            | O::Sign
            | O::Verify
            | O::VerifyMac
    )
}

impl Kms {
    /// Records a successful call of `op` on the keys its response names, with its CloudTrail
    /// event, when one records it.
    pub(crate) fn note_use(
        &mut self,
        op: Operation,
        now_ms: i64,
        out: &Value,
        event_id: Option<&str>,
    ) {
        if !tracked(op) {
            return;
        }
        let fields: &[&str] =
            if op == Operation::ReEncrypt { &["KeyId", "SourceKeyId"] } else { &["KeyId"] };
        // The handle is built in a kept buffer: this runs on every cryptographic call.
        let mut handle = std::mem::take(&mut self.handle_buf);
        for field in fields {
            let Some(arn) = out.get(*field).and_then(Value::as_str) else { continue };
            handle.clear();
            handle.push_str(arn_region(arn));
            handle.push('/');
            handle.push_str(arn.rsplit('/').next().unwrap_or_default());
            if let Some(k) = self.keys.get_mut(handle.as_str()) {
                k.last_use = Some(crate::kms::LastUse {
                    at_ms: now_ms,
                    op,
                    event_id: event_id.map(str::to_string),
                });
            }
        }
        self.handle_buf = handle;
    }

    /// GetKeyLastUsage (key id or key ARN; kms:GetKeyLastUsage in the key policy).
    pub fn get_key_last_usage(
        &mut self,
        caller: &Caller,
        r: KeyRequest,
    ) -> Result<GetKeyLastUsageResponse> {
        let (_, id) = self.gate(caller, &r.key_id, "kms:GetKeyLastUsage", StateRule::Any)?;
        let k = self.key(&id)?;
        let since =
            if self.tracking_since_ms == 0 { caller.now_ms } else { self.tracking_since_ms };
        Ok(GetKeyLastUsageResponse {
            key_id: k.rec.key_id.clone(),
            key_last_usage: k
                .last_use
                .as_ref()
                .map(|u| KeyLastUsage {
                    operation: Some(u.op.as_str()),
                    timestamp: Some(epoch_s(u.at_ms)),
                    cloud_trail_event_id: u.event_id.clone(),
                })
                .unwrap_or_default(),
            tracking_start_date: epoch_s(since.max(k.rec.created_ms)),
            key_creation_date: epoch_s(k.rec.created_ms),
        })
    }
}
