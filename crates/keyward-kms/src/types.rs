//! AWS KMS enumerations (key specs, usages, states, algorithms) with their wire names.

/// Defines an enum whose variants carry AWS wire names, with `as_str`, `parse` and serde.
macro_rules! aws_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The AWS wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }

            /// Parses the AWS wire name (case-sensitive, as AWS is).
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$v),)+ _ => None }
            }

            /// The accepted names, for error messages.
            pub fn names() -> String {
                [$($s),+].join(", ")
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<$name, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| {
                    <D::Error as ::serde::de::Error>::custom(format!(
                        "Value '{s}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                        $name::names()
                    ))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use aws_enum;

aws_enum!(
    /// The type of key material.
    KeySpec {
        /// AES-256-GCM.
        SymmetricDefault = "SYMMETRIC_DEFAULT",
        /// RSA 2048.
        Rsa2048 = "RSA_2048",
        /// RSA 3072.
        Rsa3072 = "RSA_3072",
        /// RSA 4096.
        Rsa4096 = "RSA_4096",
        /// NIST P-256.
        EccNistP256 = "ECC_NIST_P256",
        /// NIST P-384.
        EccNistP384 = "ECC_NIST_P384",
        /// NIST P-521.
        EccNistP521 = "ECC_NIST_P521",
        /// secp256k1.
        EccSecgP256k1 = "ECC_SECG_P256K1",
        /// HMAC with SHA-224.
        Hmac224 = "HMAC_224",
        /// HMAC with SHA-256.
        Hmac256 = "HMAC_256",
        /// HMAC with SHA-384.
        Hmac384 = "HMAC_384",
        /// HMAC with SHA-512.
        Hmac512 = "HMAC_512",
        /// Ed25519 (RFC 8032).
        EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
        /// ML-DSA-44 (FIPS 204).
        MlDsa44 = "ML_DSA_44",
        /// ML-DSA-65 (FIPS 204).
        MlDsa65 = "ML_DSA_65",
        /// ML-DSA-87 (FIPS 204).
        MlDsa87 = "ML_DSA_87",
        /// ML-KEM-512 (FIPS 203).
        MlKem512 = "ML_KEM_512",
        /// ML-KEM-768 (FIPS 203).
        MlKem768 = "ML_KEM_768",
        /// ML-KEM-1024 (FIPS 203).
        MlKem1024 = "ML_KEM_1024",
    }
);

impl KeySpec {
    /// True for the ML-DSA specs.
    pub fn is_ml_dsa(self) -> bool {
        matches!(self, KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87)
    }

    /// True for the ML-KEM specs.
    pub fn is_ml_kem(self) -> bool {
        matches!(self, KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024)
    }

    /// True for the NIST curves that can agree keys (ECDH).
    pub fn agrees_keys(self) -> bool {
        matches!(self, KeySpec::EccNistP256 | KeySpec::EccNistP384 | KeySpec::EccNistP521)
    }

    /// True for asymmetric specs (a key pair: RSA, ECC, Ed25519, ML-DSA, ML-KEM).
    pub fn is_asymmetric(self) -> bool {
        self.is_rsa()
            || self.is_ecc()
            || self.is_ml_dsa()
            || self.is_ml_kem()
            || self == KeySpec::EccNistEdwards25519
    }

    /// True for RSA specs.
    pub fn is_rsa(self) -> bool {
        matches!(self, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096)
    }

    /// True for elliptic-curve specs.
    pub fn is_ecc(self) -> bool {
        matches!(
            self,
            KeySpec::EccNistP256
                | KeySpec::EccNistP384
                | KeySpec::EccNistP521
                | KeySpec::EccSecgP256k1
        )
    }

    /// True for HMAC specs.
    pub fn is_hmac(self) -> bool {
        matches!(self, KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512)
    }

    /// The key usages AWS allows for this spec.
    pub fn usages(self) -> &'static [KeyUsage] {
        match self {
            KeySpec::SymmetricDefault => &[KeyUsage::EncryptDecrypt],
            s if s.is_rsa() => &[KeyUsage::EncryptDecrypt, KeyUsage::SignVerify],
            s if s.agrees_keys() => &[KeyUsage::SignVerify, KeyUsage::KeyAgreement],
            s if s.is_ml_kem() => &[KeyUsage::EncapsulateDecapsulate],
            s if s.is_asymmetric() => &[KeyUsage::SignVerify],
            _ => &[KeyUsage::GenerateVerifyMac],
        }
    }

    /// Encryption algorithms for an ENCRYPT_DECRYPT key of this spec.
    pub fn encryption_algorithms(self) -> &'static [EncryptionAlgorithm] {
        match self {
            KeySpec::SymmetricDefault => &[EncryptionAlgorithm::SymmetricDefault],
            s if s.is_rsa() => {
                &[EncryptionAlgorithm::RsaesOaepSha1, EncryptionAlgorithm::RsaesOaepSha256]
            }
            _ => &[],
        }
    }

    /// Signing algorithms for a SIGN_VERIFY key of this spec.
    pub fn signing_algorithms(self) -> &'static [SigningAlgorithm] {
        use SigningAlgorithm as A;
        match self {
            s if s.is_rsa() => &[
                A::RsassaPssSha256,
                A::RsassaPssSha384,
                A::RsassaPssSha512,
                A::RsassaPkcs1V15Sha256,
                A::RsassaPkcs1V15Sha384,
                A::RsassaPkcs1V15Sha512,
            ],
            KeySpec::EccNistP256 | KeySpec::EccSecgP256k1 => &[A::EcdsaSha256],
            KeySpec::EccNistP384 => &[A::EcdsaSha384],
            KeySpec::EccNistP521 => &[A::EcdsaSha512],
            KeySpec::EccNistEdwards25519 => &[A::Ed25519Sha512, A::Ed25519PhSha512],
            s if s.is_ml_dsa() => &[A::MlDsaShake256],
            _ => &[],
        }
    }

    /// The MAC algorithm of an HMAC spec.
    pub fn mac_algorithms(self) -> &'static [MacAlgorithm] {
        match self {
            KeySpec::Hmac224 => &[MacAlgorithm::HmacSha224],
            KeySpec::Hmac256 => &[MacAlgorithm::HmacSha256],
            KeySpec::Hmac384 => &[MacAlgorithm::HmacSha384],
            KeySpec::Hmac512 => &[MacAlgorithm::HmacSha512],
            _ => &[],
        }
    }
}

aws_enum!(
    /// What a key may be used for.
    KeyUsage {
        /// Encrypt and decrypt.
        EncryptDecrypt = "ENCRYPT_DECRYPT",
        /// Sign and verify.
        SignVerify = "SIGN_VERIFY",
        /// Generate and verify MACs.
        GenerateVerifyMac = "GENERATE_VERIFY_MAC",
        /// Derive shared secrets (ECDH).
        KeyAgreement = "KEY_AGREEMENT",
        /// Encapsulate and decapsulate shared secrets (ML-KEM).
        EncapsulateDecapsulate = "ENCAPSULATE_DECAPSULATE",
    }
);

aws_enum!(
    /// Lifecycle state of a key.
    KeyState {
        /// A multi-Region replica being made (ReplicateKey's answer).
        Creating = "Creating",
        /// Usable.
        Enabled = "Enabled",
        /// Disabled by EnableKey/DisableKey.
        Disabled = "Disabled",
        /// Scheduled for deletion.
        PendingDeletion = "PendingDeletion",
        /// EXTERNAL origin key without key material.
        PendingImport = "PendingImport",
        /// A multi-Region primary key scheduled for deletion while it still has replicas: its
        /// waiting period starts when the last replica is deleted.
        PendingReplicaDeletion = "PendingReplicaDeletion",
        /// Custom key store disconnected (never produced locally; accepted for completeness).
        Unavailable = "Unavailable",
    }
);

aws_enum!(
    /// Where the key material came from.
    Origin {
        /// Generated by KMS.
        AwsKms = "AWS_KMS",
        /// Imported by the customer.
        External = "EXTERNAL",
    }
);

aws_enum!(
    /// Encryption algorithms.
    EncryptionAlgorithm {
        /// AES-256-GCM (symmetric keys).
        SymmetricDefault = "SYMMETRIC_DEFAULT",
        /// RSA OAEP with SHA-1.
        RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        /// RSA OAEP with SHA-256.
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
    }
);

aws_enum!(
    /// Signing algorithms.
    SigningAlgorithm {
        /// RSASSA-PSS SHA-256.
        RsassaPssSha256 = "RSASSA_PSS_SHA_256",
        /// RSASSA-PSS SHA-384.
        RsassaPssSha384 = "RSASSA_PSS_SHA_384",
        /// RSASSA-PSS SHA-512.
        RsassaPssSha512 = "RSASSA_PSS_SHA_512",
        /// RSASSA-PKCS1-v1_5 SHA-256.
        RsassaPkcs1V15Sha256 = "RSASSA_PKCS1_V1_5_SHA_256",
        /// RSASSA-PKCS1-v1_5 SHA-384.
        RsassaPkcs1V15Sha384 = "RSASSA_PKCS1_V1_5_SHA_384",
        /// RSASSA-PKCS1-v1_5 SHA-512.
        RsassaPkcs1V15Sha512 = "RSASSA_PKCS1_V1_5_SHA_512",
        /// ECDSA SHA-256.
        EcdsaSha256 = "ECDSA_SHA_256",
        /// ECDSA SHA-384.
        EcdsaSha384 = "ECDSA_SHA_384",
        /// ECDSA SHA-512.
        EcdsaSha512 = "ECDSA_SHA_512",
        /// ML-DSA (pure, empty context; SHAKE256 inside).
        MlDsaShake256 = "ML_DSA_SHAKE_256",
        /// Ed25519 (pure): RAW messages only.
        Ed25519Sha512 = "ED25519_SHA_512",
        /// Ed25519ph: the SHA-512 digest of the message is signed.
        Ed25519PhSha512 = "ED25519_PH_SHA_512",
    }
);

aws_enum!(
    /// MAC algorithms.
    MacAlgorithm {
        /// HMAC SHA-224.
        HmacSha224 = "HMAC_SHA_224",
        /// HMAC SHA-256.
        HmacSha256 = "HMAC_SHA_256",
        /// HMAC SHA-384.
        HmacSha384 = "HMAC_SHA_384",
        /// HMAC SHA-512.
        HmacSha512 = "HMAC_SHA_512",
    }
);

aws_enum!(
    /// Sign/Verify message type.
    MessageType {
        /// The message itself (hashed by KMS).
        Raw = "RAW",
        /// A precomputed digest.
        Digest = "DIGEST",
        /// ML-DSA's 64-byte message representative μ, computed outside KMS.
        ExternalMu = "EXTERNAL_MU",
    }
);

aws_enum!(
    /// Data key lengths.
    DataKeySpec {
        /// 32 bytes.
        Aes256 = "AES_256",
        /// 16 bytes.
        Aes128 = "AES_128",
    }
);

aws_enum!(
    /// Data key pair specs.
    DataKeyPairSpec {
        /// RSA 2048.
        Rsa2048 = "RSA_2048",
        /// RSA 3072.
        Rsa3072 = "RSA_3072",
        /// RSA 4096.
        Rsa4096 = "RSA_4096",
        /// NIST P-256.
        EccNistP256 = "ECC_NIST_P256",
        /// NIST P-384.
        EccNistP384 = "ECC_NIST_P384",
        /// NIST P-521.
        EccNistP521 = "ECC_NIST_P521",
        /// secp256k1.
        EccSecgP256k1 = "ECC_SECG_P256K1",
        /// Ed25519.
        EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
        /// ML-KEM-512.
        MlKem512 = "ML_KEM_512",
        /// ML-KEM-768.
        MlKem768 = "ML_KEM_768",
        /// ML-KEM-1024.
        MlKem1024 = "ML_KEM_1024",
    }
);

impl DataKeyPairSpec {
    /// The key spec with the same material type.
    pub fn key_spec(self) -> KeySpec {
        match self {
            DataKeyPairSpec::Rsa2048 => KeySpec::Rsa2048,
            DataKeyPairSpec::Rsa3072 => KeySpec::Rsa3072,
            DataKeyPairSpec::Rsa4096 => KeySpec::Rsa4096,
            DataKeyPairSpec::EccNistP256 => KeySpec::EccNistP256,
            DataKeyPairSpec::EccNistP384 => KeySpec::EccNistP384,
            DataKeyPairSpec::EccNistP521 => KeySpec::EccNistP521,
            DataKeyPairSpec::EccSecgP256k1 => KeySpec::EccSecgP256k1,
            DataKeyPairSpec::EccNistEdwards25519 => KeySpec::EccNistEdwards25519,
            DataKeyPairSpec::MlKem512 => KeySpec::MlKem512,
            DataKeyPairSpec::MlKem768 => KeySpec::MlKem768,
            DataKeyPairSpec::MlKem1024 => KeySpec::MlKem1024,
        }
    }
}

aws_enum!(
    /// Operations a grant can allow.
    GrantOperation {
        /// Decrypt.
        Decrypt = "Decrypt",
        /// Encrypt.
        Encrypt = "Encrypt",
        /// GenerateDataKey.
        GenerateDataKey = "GenerateDataKey",
        /// GenerateDataKeyWithoutPlaintext.
        GenerateDataKeyWithoutPlaintext = "GenerateDataKeyWithoutPlaintext",
        /// ReEncryptFrom.
        ReEncryptFrom = "ReEncryptFrom",
        /// ReEncryptTo.
        ReEncryptTo = "ReEncryptTo",
        /// Sign.
        Sign = "Sign",
        /// Verify.
        Verify = "Verify",
        /// GetPublicKey.
        GetPublicKey = "GetPublicKey",
        /// CreateGrant.
        CreateGrant = "CreateGrant",
        /// RetireGrant.
        RetireGrant = "RetireGrant",
        /// DescribeKey.
        DescribeKey = "DescribeKey",
        /// GenerateDataKeyPair.
        GenerateDataKeyPair = "GenerateDataKeyPair",
        /// GenerateDataKeyPairWithoutPlaintext.
        GenerateDataKeyPairWithoutPlaintext = "GenerateDataKeyPairWithoutPlaintext",
        /// GenerateMac.
        GenerateMac = "GenerateMac",
        /// VerifyMac.
        VerifyMac = "VerifyMac",
        /// DeriveSharedSecret.
        DeriveSharedSecret = "DeriveSharedSecret",
        /// Encapsulate.
        Encapsulate = "Encapsulate",
        /// Decapsulate.
        Decapsulate = "Decapsulate",
    }
);

aws_enum!(
    /// Wrapping algorithms for key material import.
    WrappingAlgorithm {
        /// RSA OAEP SHA-256.
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
        /// RSA OAEP SHA-1.
        RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        /// RSA OAEP SHA-1 wrapping an ephemeral AES-256 key, which wraps the material with
        /// AES Key Wrap with Padding (RFC 5649).
        RsaAesKeyWrapSha1 = "RSA_AES_KEY_WRAP_SHA_1",
        /// As RSA_AES_KEY_WRAP_SHA_1 with RSA OAEP SHA-256.
        RsaAesKeyWrapSha256 = "RSA_AES_KEY_WRAP_SHA_256",
    }
);

aws_enum!(
    /// Wrapping key specs for key material import.
    WrappingKeySpec {
        /// RSA 2048.
        Rsa2048 = "RSA_2048",
        /// RSA 3072.
        Rsa3072 = "RSA_3072",
        /// RSA 4096.
        Rsa4096 = "RSA_4096",
    }
);
