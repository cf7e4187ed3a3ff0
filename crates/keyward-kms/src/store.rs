//! Storage: the KMS keeps its whole state in memory and writes every change through a
//! [`Store`] before acknowledging the call. One call's changes are one atomic commit.

use crate::record::{
    AccessKeyRecord, AliasRecord, GrantRecord, IdentityRecord, KeyRecord, OrgPolicyRecord,
};

/// Everything a store holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// Keys.
    pub keys: Vec<KeyRecord>,
    /// Aliases.
    pub aliases: Vec<AliasRecord>,
    /// Grants.
    pub grants: Vec<GrantRecord>,
    /// Identities.
    pub identities: Vec<IdentityRecord>,
    /// Access keys.
    pub access_keys: Vec<AccessKeyRecord>,
    /// SCPs and RCPs.
    pub org_policies: Vec<OrgPolicyRecord>,
}

/// One change; a commit is a list of them applied atomically, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Insert or replace a key (by key ARN: a multi-Region key has one record per Region).
    PutKey(Box<KeyRecord>),
    /// Delete a key (by key ARN).
    DeleteKey(String),
    /// Insert or replace an alias (by alias ARN).
    PutAlias(AliasRecord),
    /// Delete an alias (by alias ARN).
    DeleteAlias(String),
    /// Insert or replace a grant (by grant id).
    PutGrant(Box<GrantRecord>),
    /// Delete a grant (by grant id).
    DeleteGrant(String),
    /// Insert or replace an identity (by ARN).
    PutIdentity(Box<IdentityRecord>),
    /// Delete an identity (by ARN).
    DeleteIdentity(String),
    /// Insert or replace an access key (by id).
    PutAccessKey(Box<AccessKeyRecord>),
    /// Delete an access key (by id).
    DeleteAccessKey(String),
    /// Insert or replace an organization policy (by name).
    PutOrgPolicy(Box<OrgPolicyRecord>),
    /// Delete an organization policy (by name).
    DeleteOrgPolicy(String),
}

/// A storage failure. The KMS reports it as KMSInternalException and leaves its in-memory
/// state unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage error: {0}")]
pub struct StoreError(pub String);

/// Durable storage behind the KMS.
pub trait Store {
    /// Reads the whole state (at open).
    fn load(&mut self) -> Result<State, StoreError>;
    /// Writes `changes` atomically and durably; returns only once they are durable.
    fn commit(&mut self, changes: &[Change]) -> Result<(), StoreError>;
}

/// A store that keeps nothing (tests, WASM): the in-memory state is all there is.
#[derive(Debug, Default, Clone, Copy)]
pub struct MemoryStore;

impl Store for MemoryStore {
    fn load(&mut self) -> Result<State, StoreError> {
        Ok(State::default())
    }

    fn commit(&mut self, _changes: &[Change]) -> Result<(), StoreError> {
        Ok(())
    }
}
