//! Key material a request will need, made before the KMS lock is taken. RSA key generation
//! takes up to seconds; made under the lock it would stall every other caller (a Decrypt
//! waiting behind a CreateKey of an RSA_4096 key). The server finds the RSA sizes a request
//! needs here, generates them on a blocking thread with no lock held, then runs the call with
//! them in [`keyward_kms::crypto::premade::scope`].

use keyward_kms::crypto::premade::PremadeRsa;
use keyward_kms::Operation;
use serde_json::Value;

/// The RSA key sizes (bits) a request needs: CreateKey of an RSA key spec, GenerateDataKeyPair
/// of an RSA pair, GetParametersForImport with an RSA wrapping key. Empty for anything else,
/// and for a body that does not parse (the call then fails on its own).
pub fn rsa_bits_needed(op: Option<Operation>, body: &[u8]) -> Vec<usize> {
    let field = match op {
        Some(Operation::CreateKey) => ["KeySpec", "CustomerMasterKeySpec"].as_slice(),
        Some(Operation::GenerateDataKeyPair | Operation::GenerateDataKeyPairWithoutPlaintext) => {
            &["KeyPairSpec"]
        }
        Some(Operation::GetParametersForImport) => &["WrappingKeySpec"],
        _ => return Vec::new(),
    };
    let Ok(input) = serde_json::from_slice::<Value>(body) else { return Vec::new() };
    let spec = field.iter().find_map(|f| input.get(*f).and_then(Value::as_str));
    match spec {
        Some("RSA_2048") => vec![2048],
        Some("RSA_3072") => vec![3072],
        Some("RSA_4096") => vec![4096],
        _ => Vec::new(),
    }
}

/// Generates the RSA keys of `bits` sizes with the operating system's randomness. Keys that
/// fail to generate are left out (the call then generates under the lock, as before).
pub fn make(bits: &[usize]) -> Vec<PremadeRsa> {
    bits.iter()
        .filter_map(|b| keyward_kms::crypto::asym::rsa_ahead(*b, &mut rand_core::OsRng).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_by_operation() {
        let cases: &[(&str, &str, &[usize])] = &[
            ("CreateKey", r#"{"KeySpec":"RSA_4096"}"#, &[4096]),
            ("CreateKey", r#"{"CustomerMasterKeySpec":"RSA_2048"}"#, &[2048]),
            ("CreateKey", r#"{"KeySpec":"ECC_NIST_P256"}"#, &[]),
            ("CreateKey", "{}", &[]),
            ("GenerateDataKeyPair", r#"{"KeyPairSpec":"RSA_3072"}"#, &[3072]),
            ("GetParametersForImport", r#"{"WrappingKeySpec":"RSA_4096"}"#, &[4096]),
            ("Decrypt", r#"{"KeySpec":"RSA_4096"}"#, &[]),
            ("CreateKey", "not json", &[]),
        ];
        for (op, body, want) in cases {
            let op = Operation::parse(op);
            assert!(op.is_some(), "{body}");
            assert_eq!(rsa_bits_needed(op, body.as_bytes()), *want, "{body}");
        }
    }
}
