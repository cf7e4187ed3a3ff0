//! Shared by the store's tests and benchmark: deterministic sample records of every type, and
//! temporary state directories on the real disk (so fsync costs what it costs).

#![allow(dead_code, unreachable_pub, reason = "each test binary uses a different subset")]

use keyward_kms::record::{
    AccessKeyRecord, AliasRecord, GrantConstraints, GrantRecord, IdentityRecord, ImportParams,
    KeyRecord, Material, OrgPolicyRecord, Rotation, RotationEvent, Secret, Tag,
};
use keyward_kms::types::{GrantOperation, KeySpec, KeyState, KeyUsage, Origin};
use keyward_store::MasterKey;

/// A fresh directory under cargo's target tmp dir (a real disk, unlike a tmpfs `/tmp`), or
/// under `KEYWARD_STORE_TMPDIR` when set (e.g. `/dev/shm` to measure the cost without fsync).
pub fn tmp() -> tempfile::TempDir {
    let base = std::env::var_os("KEYWARD_STORE_TMPDIR").map_or_else(
        || option_env!("CARGO_TARGET_TMPDIR").map_or_else(std::env::temp_dir, Into::into),
        Into::into,
    );
    let _ = std::fs::create_dir_all(&base);
    tempfile::Builder::new().prefix("keyward-store-").tempdir_in(base).unwrap()
}

pub fn master(byte: u8) -> MasterKey {
    MasterKey::from_bytes([byte; 32])
}

/// 64 hex characters derived from `n`.
pub fn hex64(n: u64) -> String {
    (0..4).map(|i| format!("{:016x}", mix(n.wrapping_add(i)))).collect()
}

/// SplitMix64's finalizer: a cheap deterministic scramble.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// 32 bytes of "key material" derived from `n`.
pub fn material_bytes(n: u64) -> Vec<u8> {
    (0..4).flat_map(|i| mix(n ^ (i << 56)).to_le_bytes()).collect()
}

pub fn key_id(n: u64) -> String {
    let h = hex64(n);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

pub fn key(n: u64) -> KeyRecord {
    let key_id = key_id(n);
    KeyRecord {
        arn: format!("arn:aws:kms:us-east-1:111122223333:key/{key_id}"),
        key_id,
        account: "111122223333".to_owned(),
        region: "us-east-1".to_owned(),
        created_ms: 1_700_000_000_000 + n as i64,
        description: format!("key number {n}"),
        spec: KeySpec::SymmetricDefault,
        usage: KeyUsage::EncryptDecrypt,
        origin: Origin::AwsKms,
        state: KeyState::Enabled,
        deletion_ms: None,
        pending_window_days: None,
        policy: policy(n, 0),
        tags: vec![Tag { tag_key: "n".to_owned(), tag_value: n.to_string() }],
        rotation: None,
        rotations: Vec::new(),
        materials: vec![Material {
            id: hex64(n ^ 0xabcd),
            created_ms: 1_700_000_000_000 + n as i64,
            origin: "CREATE".to_owned(),
            secret: Secret::new(material_bytes(n)),
        }],
        import: None,
        material_expires_ms: None,
        imports: Default::default(),
        multi_region: None,
        aws_managed: false,
    }
}

/// The ARN of [`key`]`(n)`: the id the store keeps keys by.
pub fn key_arn(n: u64) -> String {
    format!("arn:aws:kms:us-east-1:111122223333:key/{}", key_id(n))
}

/// A key using every optional field, including import parameters.
pub fn full_key(n: u64) -> KeyRecord {
    let mut k = key(n);
    k.origin = Origin::External;
    k.state = KeyState::PendingDeletion;
    k.deletion_ms = Some(1_800_000_000_000);
    k.pending_window_days = Some(7);
    k.rotation = Some(Rotation { period_days: 365, next_ms: 1_750_000_000_000 });
    k.rotations.push(RotationEvent {
        material_id: hex64(n + 1),
        at_ms: 1_710_000_000_000,
        kind: "ON_DEMAND".to_owned(),
    });
    k.materials.push(Material {
        id: hex64(n + 1),
        created_ms: 1_710_000_000_000,
        origin: "ON_DEMAND".to_owned(),
        secret: Secret::new(material_bytes(n + 1)),
    });
    k.import = Some(ImportParams {
        wrapping_key: Secret::new(b"WRAPPING-KEY-DER-BYTES-0123456789".to_vec()),
        algorithm: "RSAES_OAEP_SHA_256".to_owned(),
        token: vec![1, 2, 3, 4],
        valid_to_ms: 1_700_086_400_000,
    });
    k.material_expires_ms = Some(1_900_000_000_000);
    k
}

/// Key policy text, version `v`.
pub fn policy(n: u64, v: u64) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Id":"key-{n}-v{v}","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::111122223333:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
    )
}

pub fn alias(n: u64, key_id: &str) -> AliasRecord {
    AliasRecord {
        name: format!("alias/a{n}"),
        arn: format!("arn:aws:kms:us-east-1:111122223333:alias/a{n}"),
        key_id: key_id.to_owned(),
        created_ms: 1,
        updated_ms: 2,
    }
}

pub fn grant(n: u64, key_id: &str) -> GrantRecord {
    GrantRecord {
        grant_id: hex64(n ^ 0x0067_7261_6e74),
        key_id: key_id.to_owned(),
        name: Some(format!("g{n}")),
        grantee: "arn:aws:iam::111122223333:role/App".to_owned(),
        retiring: (n % 2 == 0).then(|| "arn:aws:iam::111122223333:role/Admin".to_owned()),
        operations: vec![GrantOperation::Decrypt, GrantOperation::Encrypt],
        constraints: Some(GrantConstraints {
            encryption_context_subset: Some([("dept".to_owned(), format!("d{n}"))].into()),
            encryption_context_equals: None,
            source_arn: (n % 3 == 0).then(|| format!("arn:aws:s3:us-east-1:111122223333:b{n}")),
        }),
        issuer: "arn:aws:iam::111122223333:root".to_owned(),
        created_ms: 3,
        tokens: vec![format!("token-{n}")],
        region: "us-east-1".to_owned(),
        grantee_is_service: false,
        retiring_is_service: false,
    }
}

pub fn identity(n: u64) -> IdentityRecord {
    IdentityRecord {
        arn: format!("arn:aws:iam::111122223333:role/R{n}"),
        unique_id: format!("AROA{n:016}"),
        policies: vec![("inline".to_owned(), policy(n, 1))],
        boundary: Some(policy(n, 2)),
        tags: vec![Tag { tag_key: "team".to_owned(), tag_value: "blue".to_owned() }],
        iam: None,
    }
}

/// An access key whose secret is `secret`.
pub fn access_key(n: u64, secret: &str) -> AccessKeyRecord {
    AccessKeyRecord {
        id: format!("AKIA{n:016}"),
        secret: Secret::new(secret.as_bytes().to_vec()),
        principal: "arn:aws:iam::111122223333:user/alice".to_owned(),
        session_policy: Some(policy(n, 3)),
        created_ms: 4,
        inactive: false,
        session: None,
    }
}

pub fn org_policy(n: u64) -> OrgPolicyRecord {
    OrgPolicyRecord {
        name: format!("scp-{n}"),
        kind: "scp".to_owned(),
        level: 1,
        accounts: vec!["111122223333".to_owned()],
        text: policy(n, 4),
    }
}
