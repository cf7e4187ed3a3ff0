//! Requests and responses of the multi-Region key operations (ReplicateKey,
//! UpdatePrimaryRegion) and the `MultiRegionConfiguration` of a key's metadata.

use super::keys::KeyMetadata;
use super::nullable;
use crate::record::Tag;
use serde::{Deserialize, Serialize};

/// One key of a multi-Region set: its ARN and Region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultiRegionKey {
    /// Key ARN.
    pub arn: String,
    /// Region.
    pub region: String,
}

/// `KeyMetadata.MultiRegionConfiguration`: present for multi-Region keys only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultiRegionConfiguration {
    /// `PRIMARY` or `REPLICA`: the described key's role.
    pub multi_region_key_type: &'static str,
    /// The primary key (the described key itself when it is the primary).
    pub primary_key: MultiRegionKey,
    /// Every replica key (the described key too when it is a replica).
    pub replica_keys: Vec<MultiRegionKey>,
}

/// ReplicateKey input (sent to the primary key's Region).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ReplicateKeyRequest {
    /// The multi-Region primary key: key id or key ARN.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// The Region of the new replica.
    #[serde(deserialize_with = "nullable")]
    pub replica_region: String,
    /// The replica's key policy (the default key policy when absent).
    pub policy: Option<String>,
    /// Skip the lockout safety check of `policy`.
    pub bypass_policy_lockout_safety_check: Option<bool>,
    /// The replica's description.
    pub description: Option<String>,
    /// The replica's tags.
    pub tags: Option<Vec<Tag>>,
}

/// ReplicateKey output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicateKeyResponse {
    /// The new replica's metadata.
    pub replica_key_metadata: KeyMetadata,
    /// The replica's key policy.
    pub replica_policy: String,
    /// The replica's tags.
    pub replica_tags: Vec<Tag>,
}

/// UpdatePrimaryRegion input (sent to the current primary key's Region).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UpdatePrimaryRegionRequest {
    /// The current primary key: key id or key ARN.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// The Region of the replica that becomes the primary.
    #[serde(deserialize_with = "nullable")]
    pub primary_region: String,
}
