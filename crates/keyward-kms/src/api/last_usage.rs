//! The response of GetKeyLastUsage.

use serde::Serialize;

/// `KeyLastUsage`: the last successful cryptographic operation, or empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyLastUsage {
    /// The operation (`Decrypt`, `Encrypt`, `Sign`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<&'static str>,
    /// When, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<f64>,
    /// The `eventID` of the call's CloudTrail record (when a recorder wrote one).
    #[serde(rename = "CloudTrailEventId", skip_serializing_if = "Option::is_none")]
    pub cloud_trail_event_id: Option<String>,
}

/// GetKeyLastUsage output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyLastUsageResponse {
    /// Key id.
    pub key_id: String,
    /// The last use since tracking began (empty when none).
    pub key_last_usage: KeyLastUsage,
    /// When tracking began for this key: its creation, or the start of tracking if later.
    pub tracking_start_date: f64,
    /// The key's creation date.
    pub key_creation_date: f64,
}
