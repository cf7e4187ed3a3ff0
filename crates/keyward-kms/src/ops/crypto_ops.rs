//! Cryptographic operations: Encrypt, Decrypt, ReEncrypt, data keys and key pairs,
//! GenerateRandom, Sign/Verify, GetPublicKey, GenerateMac/VerifyMac.

use super::{check_state, check_usage, dry_run, Blob, StateRule};
use crate::auth::Ask;
use crate::crypto::{asym, blob, mac, CryptoError};
use crate::error::{ErrorCode, KmsError, Result};
use crate::kms::{Caller, KeyEntry, Kms};
use crate::record::KeyRecord;
use crate::types::{DataKeySpec, EncryptionAlgorithm, KeySpec, KeyUsage, MessageType};
use keyward_core::eval::Principal;
use std::collections::BTreeMap;

pub use crate::api::crypto::{
    DataKeyPairRequest, DataKeyRequest, DecryptRequest, DecryptResponse, EncryptRequest,
    EncryptResponse, GenerateDataKeyPairResponse, GenerateDataKeyPairWithoutPlaintextResponse,
    GenerateDataKeyResponse, GenerateDataKeyWithoutPlaintextResponse, GenerateMacResponse,
    GenerateRandomRequest, GenerateRandomResponse, GetPublicKeyRequest, GetPublicKeyResponse,
    MacRequest, ReEncryptRequest, ReEncryptResponse, SignRequest, SignResponse, VerifyMacResponse,
    VerifyResponse,
};
use crate::api::SecretBlob;

type Ec = BTreeMap<String, String>;

fn crypto_err(e: CryptoError) -> KmsError {
    match e {
        CryptoError::InvalidCiphertext => KmsError::new(ErrorCode::InvalidCiphertextException, ""),
        CryptoError::InvalidSignature => KmsError::new(ErrorCode::KMSInvalidSignatureException, ""),
        CryptoError::InvalidInput(m) => KmsError::validation(m),
        CryptoError::Internal(m) => KmsError::new(ErrorCode::KMSInternalException, m),
        CryptoError::Unsupported(m) => KmsError::new(ErrorCode::UnsupportedOperationException, m),
    }
}

fn check_len(field: &str, b: &[u8], max: usize) -> Result<()> {
    if b.is_empty() || b.len() > max {
        return Err(KmsError::constraint(
            field,
            &format!("Member must have length between 1 and {max}"),
        ));
    }
    Ok(())
}

fn algorithm(rec: &KeyRecord, alg: Option<EncryptionAlgorithm>) -> Result<EncryptionAlgorithm> {
    let alg = match (alg, rec.spec) {
        (Some(a), _) => a,
        (None, KeySpec::SymmetricDefault) => EncryptionAlgorithm::SymmetricDefault,
        (None, _) => {
            return Err(KmsError::validation(
                "EncryptionAlgorithm is required for an asymmetric key.",
            ))
        }
    };
    if !rec.spec.encryption_algorithms().contains(&alg) {
        return Err(KmsError::new(
            ErrorCode::InvalidKeyUsageException,
            format!("Algorithm {alg} is incompatible with key spec {}.", rec.spec),
        ));
    }
    Ok(alg)
}

/// The key material a symmetric ciphertext names in its header (KeyMaterialId of responses).
fn material_of(alg: EncryptionAlgorithm, ct: &[u8]) -> Option<String> {
    (alg == EncryptionAlgorithm::SymmetricDefault)
        .then(|| blob::header(ct).ok().map(|h| h.material_id))
        .flatten()
}

fn newest(rec: &KeyRecord) -> Result<&crate::record::Material> {
    rec.materials.last().ok_or_else(|| {
        KmsError::new(
            ErrorCode::KMSInvalidStateException,
            format!("{} is pending import.", rec.arn),
        )
    })
}

impl Kms {
    /// Authorizes a use of key `id` with a context and grant tokens, then checks state and usage;
    /// returns the key's entry (its record and ciphers).
    #[allow(clippy::too_many_arguments, reason = "one gate for every key use")]
    fn use_key(
        &self,
        caller: &Caller,
        p: &Principal,
        id: &str,
        alias: Option<&str>,
        action: &'static str,
        context: Option<&Ec>,
        tokens: &[String],
        usage: KeyUsage,
    ) -> Result<&KeyEntry> {
        self.authorize(
            caller,
            p,
            Ask {
                action,
                key_id: Some(id),
                request_alias: alias,
                context,
                grant_tokens: tokens,
                ..Ask::default()
            },
        )?;
        let entry = self.key(id)?;
        let rec = &entry.rec;
        check_state(rec, StateRule::Use)?;
        if rec.usage != usage {
            check_usage(rec, usage, action.trim_start_matches("kms:"))?;
        }
        Ok(entry)
    }

    fn encrypt_with(
        &mut self,
        id: &str,
        alg: EncryptionAlgorithm,
        context: &Ec,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let entry = self
            .keys
            .get(id)
            .ok_or_else(|| KmsError::new(ErrorCode::NotFoundException, "key vanished"))?;
        let rec = &entry.rec;
        let mat = newest(rec)?;
        if alg == EncryptionAlgorithm::SymmetricDefault {
            check_len("plaintext", plaintext, 4096)?;
            let rng = self.rng.as_mut();
            match entry.cipher(mat) {
                Some(c) => c.seal(&rec.key_id, context, plaintext, rng),
                None => blob::seal(&rec.key_id, mat, context, plaintext, rng),
            }
            .map_err(crypto_err)
        } else {
            if !context.is_empty() {
                return Err(KmsError::validation(
                    "EncryptionContext is not supported with asymmetric keys.",
                ));
            }
            let max = asym::max_plaintext(rec.spec, alg);
            if plaintext.len() > max {
                return Err(KmsError::validation(format!(
                    "Algorithm {alg} and key spec {} cannot encrypt data larger than {max} bytes.",
                    rec.spec
                )));
            }
            asym::rsa_encrypt(&mat.secret, alg, plaintext, self.rng.as_mut()).map_err(crypto_err)
        }
    }

    /// Encrypt.
    pub fn encrypt(&mut self, caller: &Caller, r: EncryptRequest) -> Result<EncryptResponse> {
        let p = self.begin(caller)?;
        let (id, alias) = self.resolve(&p, &r.key_id)?;
        let ctx = r.encryption_context.unwrap_or_default();
        let tokens = r.grant_tokens.unwrap_or_default();
        let entry = self.use_key(
            caller,
            &p,
            &id,
            alias.as_deref(),
            "kms:Encrypt",
            Some(&ctx),
            &tokens,
            KeyUsage::EncryptDecrypt,
        )?;
        let rec = &entry.rec;
        let alg = algorithm(rec, r.encryption_algorithm)?;
        let arn = rec.arn.clone();
        dry_run(r.dry_run)?;
        let ct = self.encrypt_with(&id, alg, &ctx, r.plaintext.expose())?;
        Ok(EncryptResponse { ciphertext_blob: Blob(ct), key_id: arn, encryption_algorithm: alg })
    }

    /// Finds the key of a ciphertext: from its header (symmetric) or the KeyId (asymmetric).
    fn ciphertext_key(
        &self,
        p: &Principal,
        ct: &[u8],
        key_id: Option<&str>,
        field: &str,
    ) -> Result<(String, Option<String>)> {
        check_len("ciphertextBlob", ct, 6144)?;
        let given = key_id.map(|k| self.resolve(p, k)).transpose()?;
        match blob::parse(ct) {
            Ok(h) => {
                // The key of this Region with the header's id: a multi-Region key's replica
                // decrypts what its related keys encrypted.
                let handle = crate::kms::key_handle(&self.region, h.key_id);
                if !self.keys.contains_key(&handle) {
                    return Err(KmsError::new(
                        ErrorCode::InvalidCiphertextException,
                        "The ciphertext refers to a key that does not exist.",
                    ));
                }
                let _ = field;
                if let Some((gid, _)) = &given {
                    if *gid != handle {
                        return Err(KmsError::new(
                            ErrorCode::IncorrectKeyException,
                            // AWS's text, the same for KeyId (Decrypt) and SourceKeyId
                            // (ReEncrypt): it does not name `field`.
                            "The key ID in the request does not identify a CMK that can perform this operation.",
                        ));
                    }
                }
                Ok((handle, given.and_then(|g| g.1)))
            }
            // Unreadable as a symmetric blob: with a KeyId, authorization and the key state
            // come first and decryption then fails; without one there is no key to ask.
            Err(_) => given.ok_or_else(|| KmsError::new(ErrorCode::InvalidCiphertextException, "")),
        }
    }

    /// Decrypts `ct` (its buffer becomes the plaintext) with the key's cipher for the
    /// material the blob names; returns the plaintext and, for a symmetric blob, that
    /// material's id.
    fn decrypt_with(
        &self,
        entry: &KeyEntry,
        alg: EncryptionAlgorithm,
        ct: Vec<u8>,
        ctx: &Ec,
    ) -> Result<(SecretBlob, Option<String>)> {
        let rec = &entry.rec;
        if alg == EncryptionAlgorithm::SymmetricDefault {
            // Built only for a material without a cipher (its id or bytes are unusable), which
            // then fails as it would without the key's ciphers.
            let fallback = std::cell::OnceCell::new();
            let (pt, cipher) = blob::open_owned_with(ct, ctx, |h| {
                if let Some(c) = entry.ciphers.iter().find(|c| c.is_for(h)) {
                    return Ok(c);
                }
                let mat = rec.materials.iter().find(|m| h.is_material(&m.id));
                let c = blob::Cipher::new(mat.ok_or(CryptoError::InvalidCiphertext)?)?;
                Ok(fallback.get_or_init(|| c))
            })
            .map_err(crypto_err)?;
            Ok((SecretBlob(pt), Some(cipher.material_id())))
        } else {
            let pt = asym::rsa_decrypt(&newest(rec)?.secret, alg, &ct).map_err(crypto_err)?;
            Ok((SecretBlob::new(pt), None))
        }
    }

    /// Decrypt.
    pub fn decrypt(&mut self, caller: &Caller, r: DecryptRequest) -> Result<DecryptResponse> {
        let p = self.begin(caller)?;
        let (id, alias) =
            self.ciphertext_key(&p, &r.ciphertext_blob.0, r.key_id.as_deref(), "KeyId")?;
        let ctx = r.encryption_context.unwrap_or_default();
        let tokens = r.grant_tokens.unwrap_or_default();
        let entry = self.use_key(
            caller,
            &p,
            &id,
            alias.as_deref(),
            "kms:Decrypt",
            Some(&ctx),
            &tokens,
            KeyUsage::EncryptDecrypt,
        )?;
        let alg = algorithm(&entry.rec, r.encryption_algorithm)?;
        dry_run(r.dry_run)?;
        let (plaintext, key_material_id) =
            self.decrypt_with(entry, alg, r.ciphertext_blob.0, &ctx)?;
        Ok(DecryptResponse {
            key_id: entry.rec.arn.clone(),
            plaintext,
            encryption_algorithm: alg,
            key_material_id,
        })
    }

    /// ReEncrypt: kms:ReEncryptFrom on the source key, kms:ReEncryptTo on the destination.
    pub fn re_encrypt(
        &mut self,
        caller: &Caller,
        r: ReEncryptRequest,
    ) -> Result<ReEncryptResponse> {
        let p = self.begin(caller)?;
        let (src, src_alias) = self.ciphertext_key(
            &p,
            &r.ciphertext_blob.0,
            r.source_key_id.as_deref(),
            "SourceKeyId",
        )?;
        let (dst, dst_alias) = self.resolve(&p, &r.destination_key_id)?;
        let sctx = r.source_encryption_context.unwrap_or_default();
        let dctx = r.destination_encryption_context.unwrap_or_default();
        let tokens = r.grant_tokens.unwrap_or_default();
        let sentry = self.use_key(
            caller,
            &p,
            &src,
            src_alias.as_deref(),
            "kms:ReEncryptFrom",
            Some(&sctx),
            &tokens,
            KeyUsage::EncryptDecrypt,
        )?;
        let srec = &sentry.rec;
        let salg = algorithm(srec, r.source_encryption_algorithm)?;
        let dentry = self.use_key(
            caller,
            &p,
            &dst,
            dst_alias.as_deref(),
            "kms:ReEncryptTo",
            Some(&dctx),
            &tokens,
            KeyUsage::EncryptDecrypt,
        )?;
        let drec = &dentry.rec;
        let dalg = algorithm(drec, r.destination_encryption_algorithm)?;
        let (sarn, darn) = (srec.arn.clone(), drec.arn.clone());
        dry_run(r.dry_run)?;
        let (pt, source_key_material_id) =
            self.decrypt_with(self.key(&src)?, salg, r.ciphertext_blob.0, &sctx)?;
        let ct = self.encrypt_with(&dst, dalg, &dctx, pt.expose())?;
        Ok(ReEncryptResponse {
            ciphertext_blob: Blob(ct.clone()),
            source_key_id: sarn,
            key_id: darn,
            source_encryption_algorithm: salg,
            destination_encryption_algorithm: dalg,
            source_key_material_id,
            destination_key_material_id: material_of(dalg, &ct),
        })
    }

    /// The common start of the data-key operations: resolve, authorize, check state and usage,
    /// require a symmetric key, refuse attestation. Returns the key id and ARN.
    fn data_key_gate(
        &mut self,
        caller: &Caller,
        key_ref: &str,
        action: &'static str,
        ctx: &Ec,
        tokens: &[String],
        recipient: bool,
    ) -> Result<(String, String)> {
        let p = self.begin(caller)?;
        let (id, alias) = self.resolve(&p, key_ref)?;
        let entry = self.use_key(
            caller,
            &p,
            &id,
            alias.as_deref(),
            action,
            Some(ctx),
            tokens,
            KeyUsage::EncryptDecrypt,
        )?;
        let rec = &entry.rec;
        if rec.spec != KeySpec::SymmetricDefault {
            return Err(KmsError::new(
                ErrorCode::InvalidKeyUsageException,
                format!("{} is not a symmetric encryption key.", rec.arn),
            ));
        }
        if recipient {
            return Err(KmsError::new(
                ErrorCode::UnsupportedOperationException,
                "Recipient (Nitro Enclaves attestation) is not supported by keyward.",
            ));
        }
        let arn = rec.arn.clone();
        Ok((id, arn))
    }

    /// GenerateDataKey: a data key, in plaintext and encrypted under the KMS key.
    pub fn generate_data_key(
        &mut self,
        caller: &Caller,
        r: DataKeyRequest,
    ) -> Result<GenerateDataKeyResponse> {
        let (key, ciphertext_blob, key_id) = self.data_key(caller, r, "kms:GenerateDataKey")?;
        let key_material_id =
            material_of(EncryptionAlgorithm::SymmetricDefault, &ciphertext_blob.0);
        Ok(GenerateDataKeyResponse { ciphertext_blob, key_id, plaintext: key, key_material_id })
    }

    /// GenerateDataKeyWithoutPlaintext: a data key encrypted under the KMS key only.
    pub fn generate_data_key_without_plaintext(
        &mut self,
        caller: &Caller,
        r: DataKeyRequest,
    ) -> Result<GenerateDataKeyWithoutPlaintextResponse> {
        let (_, ciphertext_blob, key_id) =
            self.data_key(caller, r, "kms:GenerateDataKeyWithoutPlaintext")?;
        let key_material_id =
            material_of(EncryptionAlgorithm::SymmetricDefault, &ciphertext_blob.0);
        Ok(GenerateDataKeyWithoutPlaintextResponse { ciphertext_blob, key_id, key_material_id })
    }

    /// The data-key operations: the key, its ciphertext and the KMS key's ARN.
    fn data_key(
        &mut self,
        caller: &Caller,
        r: DataKeyRequest,
        action: &'static str,
    ) -> Result<(SecretBlob, Blob, String)> {
        let ctx = r.encryption_context.unwrap_or_default();
        let tokens = r.grant_tokens.unwrap_or_default();
        let (id, arn) =
            self.data_key_gate(caller, &r.key_id, action, &ctx, &tokens, r.recipient.is_some())?;
        let n = match (r.number_of_bytes, r.key_spec) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(KmsError::validation(
                    "Specify exactly one of NumberOfBytes and KeySpec.",
                ))
            }
            (Some(n), None) if (1..=1024).contains(&n) => usize::try_from(n).unwrap_or(32),
            (Some(_), None) => {
                return Err(KmsError::constraint(
                    "numberOfBytes",
                    "Member must have value between 1 and 1024",
                ))
            }
            (None, Some(DataKeySpec::Aes128)) => 16,
            (None, Some(DataKeySpec::Aes256)) => 32,
        };
        dry_run(r.dry_run)?;
        let mut key = SecretBlob::new(vec![0u8; n]);
        self.rng.fill_bytes(&mut key.0);
        let ct =
            self.encrypt_with(&id, EncryptionAlgorithm::SymmetricDefault, &ctx, key.expose())?;
        Ok((key, Blob(ct), arn))
    }

    /// GenerateDataKeyPair: a key pair, the private key in plaintext and encrypted.
    pub fn generate_data_key_pair(
        &mut self,
        caller: &Caller,
        r: DataKeyPairRequest,
    ) -> Result<GenerateDataKeyPairResponse> {
        let spec = r.key_pair_spec;
        let (private, ct, public, arn) =
            self.data_key_pair(caller, r, "kms:GenerateDataKeyPair")?;
        Ok(GenerateDataKeyPairResponse {
            key_material_id: material_of(EncryptionAlgorithm::SymmetricDefault, &ct.0),
            private_key_ciphertext_blob: ct,
            public_key: public,
            key_id: arn,
            key_pair_spec: spec,
            private_key_plaintext: private,
        })
    }

    /// GenerateDataKeyPairWithoutPlaintext: a key pair, the private key encrypted only.
    pub fn generate_data_key_pair_without_plaintext(
        &mut self,
        caller: &Caller,
        r: DataKeyPairRequest,
    ) -> Result<GenerateDataKeyPairWithoutPlaintextResponse> {
        let spec = r.key_pair_spec;
        let (_, ct, public, arn) =
            self.data_key_pair(caller, r, "kms:GenerateDataKeyPairWithoutPlaintext")?;
        Ok(GenerateDataKeyPairWithoutPlaintextResponse {
            key_material_id: material_of(EncryptionAlgorithm::SymmetricDefault, &ct.0),
            private_key_ciphertext_blob: ct,
            public_key: public,
            key_id: arn,
            key_pair_spec: spec,
        })
    }

    /// The key-pair operations: private key, its ciphertext, public key, KMS key ARN.
    fn data_key_pair(
        &mut self,
        caller: &Caller,
        r: DataKeyPairRequest,
        action: &'static str,
    ) -> Result<(SecretBlob, Blob, Blob, String)> {
        let ctx = r.encryption_context.unwrap_or_default();
        let tokens = r.grant_tokens.unwrap_or_default();
        let (id, arn) =
            self.data_key_gate(caller, &r.key_id, action, &ctx, &tokens, r.recipient.is_some())?;
        dry_run(r.dry_run)?;
        let spec = r.key_pair_spec.key_spec();
        let private =
            crate::crypto::generate_material(spec, self.rng.as_mut()).map_err(crypto_err)?;
        let public = asym::public_key_der(spec, &private).map_err(crypto_err)?;
        let private = asym::private_key_pkcs8(spec, &private).map_err(crypto_err)?;
        let ct =
            self.encrypt_with(&id, EncryptionAlgorithm::SymmetricDefault, &ctx, private.expose())?;
        Ok((SecretBlob::new(private.expose().to_vec()), Blob(ct), Blob(public), arn))
    }

    /// GenerateRandom (1–1024 bytes).
    pub fn generate_random(
        &mut self,
        caller: &Caller,
        r: GenerateRandomRequest,
    ) -> Result<GenerateRandomResponse> {
        let n = r.number_of_bytes;
        let p = self.begin(caller)?;
        self.authorize(caller, &p, Ask { action: "kms:GenerateRandom", ..Ask::default() })?;
        let n = match n {
            Some(n) if (1..=1024).contains(&n) => usize::try_from(n).unwrap_or(32),
            Some(_) => {
                return Err(KmsError::constraint(
                    "numberOfBytes",
                    "Member must have value between 1 and 1024",
                ))
            }
            None => return Err(KmsError::validation("NumberOfBytes is required.")),
        };
        let mut b = SecretBlob::new(vec![0u8; n]);
        self.rng.fill_bytes(&mut b.0);
        Ok(GenerateRandomResponse { plaintext: b })
    }

    /// Sign.
    pub fn sign(&mut self, caller: &Caller, r: SignRequest) -> Result<SignResponse> {
        let signing_algorithm = r.signing_algorithm;
        let (key_id, sig) = self.sign_or_verify(caller, r, false)?;
        Ok(SignResponse { key_id, signature: Blob(sig.unwrap_or_default()), signing_algorithm })
    }

    /// Verify (a signature that does not verify is a `KMSInvalidSignatureException`).
    pub fn verify(&mut self, caller: &Caller, r: SignRequest) -> Result<VerifyResponse> {
        let signing_algorithm = r.signing_algorithm;
        let (key_id, _) = self.sign_or_verify(caller, r, true)?;
        Ok(VerifyResponse { key_id, signature_valid: true, signing_algorithm })
    }

    /// Sign (`verify` false; returns the signature) or Verify; returns the key ARN.
    fn sign_or_verify(
        &mut self,
        caller: &Caller,
        r: SignRequest,
        verify: bool,
    ) -> Result<(String, Option<Vec<u8>>)> {
        let p = self.begin(caller)?;
        let action = if verify { "kms:Verify" } else { "kms:Sign" };
        let (id, alias) = self.resolve(&p, &r.key_id)?;
        let tokens = r.grant_tokens.unwrap_or_default();
        let entry = self.use_key(
            caller,
            &p,
            &id,
            alias.as_deref(),
            action,
            None,
            &tokens,
            KeyUsage::SignVerify,
        )?;
        let rec = &entry.rec;
        if !rec.spec.signing_algorithms().contains(&r.signing_algorithm) {
            return Err(KmsError::new(
                ErrorCode::InvalidKeyUsageException,
                format!(
                    "Algorithm {} is incompatible with key spec {}.",
                    r.signing_algorithm, rec.spec
                ),
            ));
        }
        check_len("message", &r.message.0, 4096)?;
        let mt = r.message_type.unwrap_or(MessageType::Raw);
        dry_run(r.dry_run)?;
        let mat = newest(rec)?;
        let arn = rec.arn.clone();
        if verify {
            let sig = r.signature.ok_or_else(|| KmsError::validation("Signature is required."))?;
            check_len("signature", &sig.0, 6144)?;
            let ok =
                asym::verify(rec.spec, &mat.secret, r.signing_algorithm, &r.message.0, mt, &sig.0)
                    .map_err(crypto_err)?;
            if !ok {
                return Err(KmsError::new(ErrorCode::KMSInvalidSignatureException, ""));
            }
            return Ok((arn, None));
        }
        let spec = rec.spec;
        let entry = self
            .keys
            .get(&id)
            .ok_or_else(|| KmsError::new(ErrorCode::NotFoundException, "key vanished"))?;
        let mat = newest(&entry.rec)?;
        let sig =
            asym::sign(spec, &mat.secret, r.signing_algorithm, &r.message.0, mt, self.rng.as_mut())
                .map_err(crypto_err)?;
        Ok((arn, Some(sig)))
    }

    /// GetPublicKey.
    pub fn get_public_key(
        &mut self,
        caller: &Caller,
        r: GetPublicKeyRequest,
    ) -> Result<GetPublicKeyResponse> {
        let tokens = r.grant_tokens.as_deref().unwrap_or_default();
        let p = self.begin(caller)?;
        let (id, alias) = self.resolve(&p, &r.key_id)?;
        self.authorize(
            caller,
            &p,
            Ask {
                action: "kms:GetPublicKey",
                key_id: Some(&id),
                request_alias: alias.as_deref(),
                grant_tokens: tokens,
                ..Ask::default()
            },
        )?;
        let rec = &self.key(&id)?.rec;
        check_state(rec, StateRule::Use)?;
        if !rec.spec.is_asymmetric() {
            return Err(KmsError::new(
                ErrorCode::UnsupportedOperationException,
                format!("{} is not an asymmetric key.", rec.arn),
            ));
        }
        let public = asym::public_key_der(rec.spec, &newest(rec)?.secret).map_err(crypto_err)?;
        let encrypts = rec.usage == KeyUsage::EncryptDecrypt;
        Ok(GetPublicKeyResponse {
            key_id: rec.arn.clone(),
            public_key: Blob(public),
            customer_master_key_spec: rec.spec,
            key_spec: rec.spec,
            key_usage: rec.usage,
            encryption_algorithms: encrypts.then(|| rec.spec.encryption_algorithms().to_vec()),
            signing_algorithms: (rec.usage == KeyUsage::SignVerify)
                .then(|| rec.spec.signing_algorithms().to_vec()),
            key_agreement_algorithms: (rec.usage == KeyUsage::KeyAgreement).then(|| vec!["ECDH"]),
            encapsulation_algorithms: (rec.usage == KeyUsage::EncapsulateDecapsulate)
                .then(|| vec!["ML_KEM"]),
        })
    }

    /// GenerateMac.
    pub fn generate_mac(&mut self, caller: &Caller, r: MacRequest) -> Result<GenerateMacResponse> {
        let mac_algorithm = r.mac_algorithm;
        let (key_id, tag) = self.mac(caller, r, false)?;
        Ok(GenerateMacResponse { key_id, mac: Blob(tag.unwrap_or_default()), mac_algorithm })
    }

    /// VerifyMac (a MAC that does not verify is a `KMSInvalidMacException`).
    pub fn verify_mac(&mut self, caller: &Caller, r: MacRequest) -> Result<VerifyMacResponse> {
        let mac_algorithm = r.mac_algorithm;
        let (key_id, _) = self.mac(caller, r, true)?;
        Ok(VerifyMacResponse { key_id, mac_valid: true, mac_algorithm })
    }

    /// GenerateMac (`verify` false; returns the MAC) or VerifyMac; returns the key ARN.
    fn mac(
        &mut self,
        caller: &Caller,
        r: MacRequest,
        verify: bool,
    ) -> Result<(String, Option<Vec<u8>>)> {
        let p = self.begin(caller)?;
        let action = if verify { "kms:VerifyMac" } else { "kms:GenerateMac" };
        let (id, alias) = self.resolve(&p, &r.key_id)?;
        let tokens = r.grant_tokens.unwrap_or_default();
        let entry = self.use_key(
            caller,
            &p,
            &id,
            alias.as_deref(),
            action,
            None,
            &tokens,
            KeyUsage::GenerateVerifyMac,
        )?;
        let rec = &entry.rec;
        if !rec.spec.mac_algorithms().contains(&r.mac_algorithm) {
            return Err(KmsError::new(
                ErrorCode::InvalidKeyUsageException,
                format!(
                    "Algorithm {} is incompatible with key spec {}.",
                    r.mac_algorithm, rec.spec
                ),
            ));
        }
        check_len("message", &r.message.0, 4096)?;
        dry_run(r.dry_run)?;
        let key = newest(rec)?.secret.expose();
        if verify {
            let tag = r.mac.ok_or_else(|| KmsError::validation("Mac is required."))?;
            if !mac::verify(r.mac_algorithm, key, &r.message.0, &tag.0) {
                return Err(KmsError::new(ErrorCode::KMSInvalidMacException, ""));
            }
            return Ok((rec.arn.clone(), None));
        }
        let tag = mac::mac(r.mac_algorithm, key, &r.message.0);
        Ok((rec.arn.clone(), Some(tag)))
    }
}
