//! The typed request and response of every KMS operation, in AWS's wire shape (serde derives
//! give the AWS JSON 1.1 form; only the [`crate::wire`] adapter turns them into JSON). Secrets
//! (plaintexts, data keys, private keys, random bytes) are [`SecretBlob`]s: zeroed on drop,
//! redacted in `Debug`, base64 only when serialized for the wire.

pub mod agreement;
pub mod crypto;
pub mod grants;
pub mod kem;
pub mod keys;
pub mod last_usage;
pub mod multi_region;

pub use agreement::*;
pub use crypto::*;
pub use grants::*;
pub use kem::*;
pub use keys::*;
pub use last_usage::*;
pub use multi_region::*;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// Secret bytes in a request or response: zeroed on drop, redacted in `Debug`, base64 on the
/// wire.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretBlob(pub Zeroizing<Vec<u8>>);

impl SecretBlob {
    /// Wraps bytes.
    pub fn new(bytes: Vec<u8>) -> SecretBlob {
        SecretBlob(Zeroizing::new(bytes))
    }

    /// The bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBlob(<redacted {} bytes>)", self.0.len())
    }
}

impl Serialize for SecretBlob {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let text = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*self.0));
        s.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for SecretBlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<SecretBlob, D::Error> {
        let s = Zeroizing::new(String::deserialize(d)?);
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map(SecretBlob::new)
            .map_err(|_| serde::de::Error::custom("Invalid base64 for a blob field"))
    }
}

/// An empty response (`{}` on the wire).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Empty {}

/// A response that names one key (`{"KeyId": ARN}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyIdResponse {
    /// Key ARN.
    pub key_id: String,
}

/// Reads a field that AWS treats as absent when `null` (into its default); the wire adapter
/// reports a missing required one by name.
pub(crate) fn nullable<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
