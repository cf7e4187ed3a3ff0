//! Requests and responses of aliases (CreateAlias, UpdateAlias, DeleteAlias, ListAliases),
//! grants (CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant) and key
//! material import (GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial).

use super::nullable;
use crate::ops::Blob;
use crate::record::GrantConstraints;
use crate::types::{GrantOperation, WrappingAlgorithm, WrappingKeySpec};
use serde::{Deserialize, Serialize};

pub use crate::ops::grants::CreateGrantRequest;
pub use crate::ops::import::ImportRequest;

/// CreateAlias and UpdateAlias input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AliasRequest {
    /// `alias/...`.
    #[serde(deserialize_with = "nullable")]
    pub alias_name: String,
    /// The key (key id or key ARN).
    #[serde(deserialize_with = "nullable")]
    pub target_key_id: String,
}

/// DeleteAlias input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeleteAliasRequest {
    /// `alias/...`.
    #[serde(deserialize_with = "nullable")]
    pub alias_name: String,
}

/// ListAliases input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListAliasesRequest {
    /// Only the aliases of this key.
    pub key_id: Option<String>,
    /// 1–1000.
    pub limit: Option<i64>,
    /// From a previous `NextMarker`.
    pub marker: Option<String>,
}

/// One entry of ListAliases.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasListEntry {
    /// `alias/...`.
    pub alias_name: String,
    /// Alias ARN.
    pub alias_arn: String,
    /// Key id (absent for a predefined AWS managed key alias whose key does not exist yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_key_id: Option<String>,
    /// Epoch seconds (absent like `target_key_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<f64>,
    /// Epoch seconds (absent like `target_key_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_date: Option<f64>,
}

/// ListAliases output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesResponse {
    /// This page.
    pub aliases: Vec<AliasListEntry>,
    /// More pages follow.
    pub truncated: bool,
    /// Marker of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// CreateGrant output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGrantResponse {
    /// A token that makes the grant effective at once.
    pub grant_token: String,
    /// The grant's id.
    pub grant_id: String,
}

/// ListGrants input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListGrantsRequest {
    /// 1–1000.
    pub limit: Option<i64>,
    /// From a previous `NextMarker`.
    pub marker: Option<String>,
    /// Key.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// Only this grant.
    pub grant_id: Option<String>,
    /// Only this grantee's grants.
    pub grantee_principal: Option<String>,
    /// Only the grants of this grantee service principal.
    pub grantee_service_principal: Option<String>,
}

/// ListRetirableGrants input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListRetirableGrantsRequest {
    /// 1–1000.
    pub limit: Option<i64>,
    /// From a previous `NextMarker`.
    pub marker: Option<String>,
    /// The retiring principal whose grants to list (this or RetiringServicePrincipal).
    pub retiring_principal: Option<String>,
    /// The retiring service principal whose grants to list.
    pub retiring_service_principal: Option<String>,
}

/// One grant, as ListGrants and ListRetirableGrants show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GrantListEntry {
    /// Key ARN.
    pub key_id: String,
    /// Grant id.
    pub grant_id: String,
    /// Name, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Epoch seconds.
    pub creation_date: f64,
    /// Grantee, when given as GranteePrincipal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grantee_principal: Option<String>,
    /// Retiring principal, when given as RetiringPrincipal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_principal: Option<String>,
    /// `arn:aws:iam::ACCOUNT:root` of the account that created the grant.
    pub issuing_account: String,
    /// The operations allowed.
    pub operations: Vec<GrantOperation>,
    /// Encryption-context and SourceArn constraints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraints: Option<GrantConstraints>,
    /// Grantee, when given as GranteeServicePrincipal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grantee_service_principal: Option<String>,
    /// Retiring principal, when given as RetiringServicePrincipal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_service_principal: Option<String>,
}

/// ListGrants and ListRetirableGrants output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListGrantsResponse {
    /// This page.
    pub grants: Vec<GrantListEntry>,
    /// More pages follow.
    pub truncated: bool,
    /// Marker of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// RetireGrant input: a grant token, or a key and grant id.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RetireGrantRequest {
    /// Token from CreateGrant.
    pub grant_token: Option<String>,
    /// Key of the grant.
    pub key_id: Option<String>,
    /// Grant id.
    pub grant_id: Option<String>,
    /// DryRun.
    pub dry_run: Option<bool>,
}

/// RevokeGrant input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RevokeGrantRequest {
    /// Key of the grant.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// Grant id.
    #[serde(deserialize_with = "nullable")]
    pub grant_id: String,
    /// DryRun.
    pub dry_run: Option<bool>,
}

/// GetParametersForImport input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GetParametersForImportRequest {
    /// Key (Origin EXTERNAL).
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// Required.
    pub wrapping_algorithm: Option<WrappingAlgorithm>,
    /// Required.
    pub wrapping_key_spec: Option<WrappingKeySpec>,
}

/// GetParametersForImport output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersForImportResponse {
    /// Key ARN.
    pub key_id: String,
    /// The token ImportKeyMaterial must present.
    pub import_token: Blob,
    /// The wrapping public key (DER).
    pub public_key: Blob,
    /// Epoch seconds.
    pub parameters_valid_to: f64,
}

/// DeleteImportedKeyMaterial input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeleteMaterialRequest {
    /// Key.
    #[serde(deserialize_with = "nullable")]
    pub key_id: String,
    /// The material to delete (default: the current one).
    pub key_material_id: Option<String>,
}

/// DeleteImportedKeyMaterial output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteImportedKeyMaterialResponse {
    /// Key ARN.
    pub key_id: String,
    /// The deleted material.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// ImportKeyMaterial output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportKeyMaterialResponse {
    /// Key ARN.
    pub key_id: String,
    /// The material's id.
    pub key_material_id: String,
}
