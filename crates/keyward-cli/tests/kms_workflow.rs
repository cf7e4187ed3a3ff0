//! The seeds' KMS workflows end to end through the built `keyward` binary, each step a
//! separate process over the same `--state` directory: create a key, alias it, encrypt with a
//! context, decrypt, fail with the wrong context, envelope-encrypt a file, rotate, grant to a
//! role and use the grant as that role, disable, schedule deletion, and let the window pass;
//! imported key material that expires at a simulated time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod kms_common;

use kms_common::{allow, b64, unb64, Env};

const ROLE: &str = "arn:aws:iam::111122223333:role/DataProcessingRole";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/DataProcessingRole/etl-run";

#[test]
fn seed_workflow_end_to_end() {
    let env = Env::new();

    // Create a key and an alias (seed 003: create-key ... --query KeyMetadata.KeyId).
    let key = env.create_key(&[
        "--description",
        "Application data encryption key",
        "--key-usage",
        "ENCRYPT_DECRYPT",
        "--key-spec",
        "SYMMETRIC_DEFAULT",
    ]);
    assert_eq!(key.len(), 36, "{key}");
    env.run(&["kms", "create-alias", "--alias-name", "alias/my-app-key", "--target-key-id", &key])
        .ok();
    // ListAliases also lists the predefined AWS managed key aliases (no TargetKeyId), as AWS.
    let aliases = env.run(&["kms", "list-aliases", "--key-id", &key]).json();
    assert_eq!(aliases["Aliases"][0]["AliasName"], "alias/my-app-key");
    assert_eq!(aliases["Aliases"][0]["TargetKeyId"], key.as_str());
    let all = env.run(&["kms", "list-aliases"]).json();
    assert!(all["Aliases"].as_array().unwrap().iter().any(|a| a["AliasName"] == "alias/aws/s3"));

    // Encrypt with an encryption context; decrypt with the same context.
    let secret = env.write("secret.txt", b"Sensitive customer data");
    let ctx = "Department=Finance,Project=Audit2024";
    let blob = env.text(
        &[
            "encrypt",
            "--key-id",
            "alias/my-app-key",
            "--plaintext",
            &format!("fileb://{secret}"),
            "--encryption-context",
            ctx,
        ],
        "CiphertextBlob",
    );
    let ct = env.write("encrypted-data.bin", &unb64(&blob));
    let decrypt = |ctx: &str| {
        env.run(&[
            "kms",
            "decrypt",
            "--ciphertext-blob",
            &format!("fileb://{ct}"),
            "--encryption-context",
            ctx,
        ])
    };
    let out = decrypt(ctx).json();
    assert_eq!(unb64(out["Plaintext"].as_str().unwrap()), b"Sensitive customer data");
    assert!(out["KeyId"].as_str().unwrap().ends_with(&key));

    // The seed's "This will FAIL - wrong context", and no context at all.
    decrypt("Department=HR,Project=Audit2024").kms_error("InvalidCiphertextException", "Decrypt");
    env.run(&["kms", "decrypt", "--ciphertext-blob", &format!("fileb://{ct}")])
        .kms_error("InvalidCiphertextException", "Decrypt");

    // Plain text on the command line, as the seeds write it, needs raw-in-base64-out (aws CLI v2).
    let blob = env.text(
        &[
            "encrypt",
            "--key-id",
            "alias/my-app-key",
            "--plaintext",
            "This is a secret",
            "--cli-binary-format",
            "raw-in-base64-out",
        ],
        "CiphertextBlob",
    );
    let plain = env.text(&["decrypt", "--ciphertext-blob", &blob], "Plaintext");
    assert_eq!(unb64(&plain), b"This is a secret");

    // Data keys (seed 003's envelope script, first half).
    let dk = env
        .run(&[
            "kms",
            "generate-data-key",
            "--key-id",
            "alias/my-app-key",
            "--key-spec",
            "AES_256",
            "--encryption-context",
            "Application=WebApp,Environment=Production",
        ])
        .json();
    let dk_plain = unb64(dk["Plaintext"].as_str().unwrap());
    assert_eq!(dk_plain.len(), 32);
    let again = env.text(
        &[
            "decrypt",
            "--ciphertext-blob",
            dk["CiphertextBlob"].as_str().unwrap(),
            "--encryption-context",
            r#"{"Application":"WebApp","Environment":"Production"}"#,
        ],
        "Plaintext",
    );
    assert_eq!(unb64(&again), dk_plain);
    let without = env
        .run(&[
            "kms",
            "generate-data-key-without-plaintext",
            "--key-id",
            &key,
            "--number-of-bytes",
            "16",
        ])
        .json();
    assert!(without.get("Plaintext").is_none() && without["CiphertextBlob"].is_string());

    // Envelope-encrypt a file and decrypt it (replaces the seeds' openssl scripts).
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let input = env.write("report.csv", &data);
    let enc = env.p("report.csv.kwe");
    let dec = env.p("report.decrypted.csv");
    env.run(&[
        "encrypt-file",
        "--key-id",
        "alias/my-app-key",
        "--encryption-context",
        "FileName=report.csv",
        &input,
        &enc,
    ])
    .ok();
    env.run(&["decrypt-file", &enc, &dec]).ok();
    assert_eq!(std::fs::read(&dec).unwrap(), data);

    // Rotation: enable, rotate on demand; old ciphertext still decrypts, new uses new material.
    // The seed writes `--key-id alias/my-app-key` here; AWS (and keyward) answer
    // NotFoundException "Invalid keyId": EnableKeyRotation takes a key id or key ARN only.
    let out = env.run(&["kms", "enable-key-rotation", "--key-id", "alias/my-app-key"]);
    let msg = out.kms_error("NotFoundException", "EnableKeyRotation");
    assert!(msg.contains("Invalid keyId 'alias/my-app-key'"), "{msg}");
    env.run(&["kms", "enable-key-rotation", "--key-id", &key]).ok();
    let status = env.run(&["kms", "get-key-rotation-status", "--key-id", &key]).json();
    assert_eq!(status["KeyRotationEnabled"], true);
    let before = env.text(&["describe-key", "--key-id", &key], "KeyMetadata.CurrentKeyMaterialId");
    env.run(&["kms", "rotate-key-on-demand", "--key-id", &key]).ok();
    let after = env.text(&["describe-key", "--key-id", &key], "KeyMetadata.CurrentKeyMaterialId");
    assert_ne!(before, after);
    let rotations = env.run(&["kms", "list-key-rotations", "--key-id", &key]).json();
    assert_eq!(rotations["Rotations"].as_array().unwrap().len(), 1, "{rotations}");
    assert_eq!(rotations["Rotations"][0]["RotationType"], "ON_DEMAND");
    decrypt(ctx).ok();
    env.run(&["decrypt-file", "--force", &enc, &dec]).ok();
    env.run(&["kms", "disable-key-rotation", "--key-id", &key]).ok();

    // A role whose identity policy allows only DescribeKey is refused Decrypt...
    let ro = env.write("role-policy.json", allow(&["kms:DescribeKey"]).as_bytes());
    env.run(&["iam", "put-role", "--arn", ROLE, "--policy", &format!("ro=file://{ro}")]).ok();
    let as_role = |args: &[&str]| {
        let mut a = vec!["kms"];
        a.extend_from_slice(args);
        a.extend(["--as", SESSION]);
        env.run(&a)
    };
    let decrypt_args =
        ["decrypt", "--ciphertext-blob", &format!("fileb://{ct}"), "--encryption-context", ctx];
    let err = as_role(&decrypt_args).kms_error("AccessDeniedException", "Decrypt").to_string();
    assert!(err.contains(&format!("User: {SESSION} is not authorized to perform: kms:Decrypt")));
    as_role(&["describe-key", "--key-id", "alias/my-app-key"]).ok();

    // ...until a grant with an encryption-context constraint lets it decrypt.
    let grant = env
        .run(&[
            "kms",
            "create-grant",
            "--key-id",
            &key,
            "--grantee-principal",
            ROLE,
            "--operations",
            "Decrypt",
            "Encrypt",
            "--constraints",
            "EncryptionContextSubset={Department=Finance}",
            "--name",
            "etl",
        ])
        .json();
    let grant_id = grant["GrantId"].as_str().unwrap().to_string();
    assert!(grant["GrantToken"].is_string());
    let out = as_role(&decrypt_args).json();
    assert_eq!(unb64(out["Plaintext"].as_str().unwrap()), b"Sensitive customer data");
    // The constraint holds: an HR context is not covered by the grant.
    let hr = env.text(
        &[
            "encrypt",
            "--key-id",
            &key,
            "--plaintext",
            &b64(b"hr"),
            "--encryption-context",
            "Department=HR",
        ],
        "CiphertextBlob",
    );
    as_role(&["decrypt", "--ciphertext-blob", &hr, "--encryption-context", "Department=HR"])
        .kms_error("AccessDeniedException", "Decrypt");
    // The grant covers Encrypt but not GenerateDataKey.
    as_role(&[
        "encrypt",
        "--key-id",
        &key,
        "--plaintext",
        &b64(b"x"),
        "--encryption-context",
        "Department=Finance",
    ])
    .ok();
    as_role(&["generate-data-key", "--key-id", &key, "--key-spec", "AES_256"])
        .kms_error("AccessDeniedException", "GenerateDataKey");
    let grants = env.run(&["kms", "list-grants", "--key-id", &key]).json();
    assert_eq!(grants["Grants"][0]["GranteePrincipal"], ROLE);
    assert_eq!(grants["Grants"][0]["Name"], "etl");
    env.run(&["kms", "revoke-grant", "--key-id", &key, "--grant-id", &grant_id]).ok();
    as_role(&decrypt_args).kms_error("AccessDeniedException", "Decrypt");

    // Tags and description.
    env.run(&["kms", "tag-resource", "--key-id", &key, "--tags", "TagKey=team,TagValue=data"]).ok();
    let tags = env.run(&["kms", "list-resource-tags", "--key-id", &key]).json();
    assert_eq!(tags["Tags"][0], serde_json::json!({"TagKey": "team", "TagValue": "data"}));
    env.run(&["kms", "untag-resource", "--key-id", &key, "--tag-keys", "team"]).ok();
    env.run(&["kms", "update-key-description", "--key-id", &key, "--description", "renamed"]).ok();
    assert_eq!(env.text(&["describe-key", "--key-id", &key], "KeyMetadata.Description"), "renamed");

    // Disable: encrypt fails with DisabledException; enable again.
    let encrypt_args = ["encrypt", "--key-id", "alias/my-app-key", "--plaintext", "aGk="];
    env.run(&["kms", "disable-key", "--key-id", &key]).ok();
    assert_eq!(env.text(&["describe-key", "--key-id", &key], "KeyMetadata.KeyState"), "Disabled");
    let mut a = vec!["kms"];
    a.extend_from_slice(&encrypt_args);
    env.run(&a).kms_error("DisabledException", "Encrypt");
    env.run(&["kms", "enable-key", "--key-id", &key]).ok();
    env.run(&a).ok();

    // Schedule deletion: the key is pending deletion and unusable; cancel leaves it disabled.
    let sched = env
        .run(&["kms", "schedule-key-deletion", "--key-id", &key, "--pending-window-in-days", "7"])
        .json();
    assert_eq!(sched["KeyState"], "PendingDeletion");
    assert!(sched["DeletionDate"].as_str().unwrap().ends_with("+00:00"));
    env.run(&a).kms_error("KMSInvalidStateException", "Encrypt");
    env.run(&["kms", "cancel-key-deletion", "--key-id", &key]).ok();
    assert_eq!(env.text(&["describe-key", "--key-id", &key], "KeyMetadata.KeyState"), "Disabled");

    // Alias maintenance.
    let key2 = env.create_key(&[]);
    env.run(&["kms", "update-alias", "--alias-name", "alias/my-app-key", "--target-key-id", &key2])
        .ok();
    assert_eq!(
        env.text(&["describe-key", "--key-id", "alias/my-app-key"], "KeyMetadata.KeyId"),
        key2
    );
    env.run(&["kms", "delete-alias", "--alias-name", "alias/my-app-key"]).ok();
    env.run(&["kms", "describe-key", "--key-id", "alias/my-app-key"])
        .kms_error("NotFoundException", "DescribeKey");
    let keys = env.run(&["kms", "list-keys"]).json();
    assert_eq!(keys["Keys"].as_array().unwrap().len(), 2);
}

#[test]
fn a_simulated_time_shows_a_deletion_but_only_the_real_clock_completes_it() {
    let env = Env::new();
    let key = env.create_key(&[]);
    env.run(&["kms", "create-alias", "--alias-name", "alias/old", "--target-key-id", &key]).ok();
    env.run(&["kms", "schedule-key-deletion", "--key-id", &key, "--pending-window-in-days", "7"])
        .ok();
    let deletion = env.text(&["describe-key", "--key-id", &key], "KeyMetadata.DeletionDate");
    let year: i32 = deletion[..4].parse().unwrap();
    // Far past the window, simulated: the key shows as deleted...
    let later = format!("{}-01-01T00:00:00Z", year + 2);
    env.run(&["kms", "describe-key", "--key-id", &key, "--time", &later])
        .kms_error("NotFoundException", "DescribeKey");
    let customer = |v: &serde_json::Value| {
        v["Aliases"].as_array().unwrap().iter().filter(|a| a.get("TargetKeyId").is_some()).count()
    };
    let aliases = env.run(&["kms", "list-aliases", "--time", &later]).json();
    assert_eq!(customer(&aliases), 0, "{aliases}");
    // ...a call that would write at that time is refused...
    let err = env
        .run(&["kms", "create-key", "--time", &later])
        .kms_error("ValidationException", "CreateKey")
        .to_string();
    assert!(err.contains("only the real clock may complete"), "{err}");
    // ...and nothing was deleted: with the real clock the key is still pending deletion.
    let state = env.text(&["describe-key", "--key-id", &key], "KeyMetadata.KeyState");
    assert_eq!(state, "PendingDeletion");
    let aliases = env.run(&["kms", "list-aliases"]).json();
    assert_eq!(customer(&aliases), 1, "{aliases}");
}

#[test]
fn key_policy_round_trip_and_lockout_check() {
    let env = Env::new();
    let key = env.create_key(&[]);
    let policy =
        env.text(&["get-key-policy", "--key-id", &key, "--policy-name", "default"], "Policy");
    assert!(policy.contains("Enable IAM User Permissions"), "{policy}");
    let names = env.run(&["kms", "list-key-policies", "--key-id", &key]).json();
    assert_eq!(names["PolicyNames"], serde_json::json!(["default"]));

    // A policy that still lets the account administer the key.
    let p = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "Root", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"
    }]})
    .to_string();
    let file = env.write("key-policy.json", p.as_bytes());
    env.run(&[
        "kms",
        "put-key-policy",
        "--key-id",
        &key,
        "--policy-name",
        "default",
        "--policy",
        &format!("file://{file}"),
    ])
    .ok();
    assert_eq!(env.text(&["get-key-policy", "--key-id", &key], "Policy"), p);

    // One that would lock the caller out is refused.
    let lock = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/nobody"},
        "Action": "kms:Decrypt", "Resource": "*"
    }]})
    .to_string();
    env.run(&["kms", "put-key-policy", "--key-id", &key, "--policy", &lock])
        .kms_error("MalformedPolicyDocumentException", "PutKeyPolicy");
}

#[test]
fn asymmetric_and_mac_keys() {
    let env = Env::new();
    let sign = env.create_key(&["--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY"]);
    let msg = b64(b"release v1.0");
    let sig = env.text(
        &["sign", "--key-id", &sign, "--message", &msg, "--signing-algorithm", "ECDSA_SHA_256"],
        "Signature",
    );
    let ok = env.text(
        &[
            "verify",
            "--key-id",
            &sign,
            "--message",
            &msg,
            "--signature",
            &sig,
            "--signing-algorithm",
            "ECDSA_SHA_256",
        ],
        "SignatureValid",
    );
    assert_eq!(ok, "True");
    let pk = env.run(&["kms", "get-public-key", "--key-id", &sign]).json();
    assert!(pk["PublicKey"].is_string() && pk["KeySpec"] == "ECC_NIST_P256", "{pk}");

    let mac = env.create_key(&["--key-spec", "HMAC_256", "--key-usage", "GENERATE_VERIFY_MAC"]);
    let tag = env.text(
        &["generate-mac", "--key-id", &mac, "--message", &msg, "--mac-algorithm", "HMAC_SHA_256"],
        "Mac",
    );
    let valid = env.text(
        &[
            "verify-mac",
            "--key-id",
            &mac,
            "--message",
            &msg,
            "--mac",
            &tag,
            "--mac-algorithm",
            "HMAC_SHA_256",
        ],
        "MacValid",
    );
    assert_eq!(valid, "True");
    let random = env.text(&["generate-random", "--number-of-bytes", "24"], "Plaintext");
    assert_eq!(unb64(&random).len(), 24);

    // A data key pair under a symmetric key.
    let sym = env.create_key(&[]);
    let pair = env
        .run(&[
            "kms",
            "generate-data-key-pair",
            "--key-id",
            &sym,
            "--key-pair-spec",
            "ECC_NIST_P256",
        ])
        .json();
    assert!(pair["PrivateKeyPlaintext"].is_string() && pair["PublicKey"].is_string(), "{pair}");
    let re = env.text(
        &[
            "re-encrypt",
            "--ciphertext-blob",
            pair["PrivateKeyCiphertextBlob"].as_str().unwrap(),
            "--destination-key-id",
            &sym,
        ],
        "CiphertextBlob",
    );
    let back = env.text(&["decrypt", "--ciphertext-blob", &re], "Plaintext");
    assert_eq!(back, pair["PrivateKeyPlaintext"].as_str().unwrap());
}

#[test]
fn imported_material_expires_at_a_simulated_time() {
    let env = Env::new();
    let key = env.create_key(&["--origin", "EXTERNAL"]);
    let params = env.import_parameters(&key);
    let public = unb64(params["PublicKey"].as_str().unwrap());
    let alg = keyward_kms::types::WrappingAlgorithm::RsaesOaepSha256;
    let wrapped =
        keyward_kms::crypto::asym::wrap_material(&public, alg, &[0x5a; 32], &mut rand_core::OsRng)
            .unwrap();
    let wrapped = env.write("wrapped.b64", b64(&wrapped).as_bytes());
    let token = env.write("token.b64", params["ImportToken"].as_str().unwrap().as_bytes());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let at = |days: i64| {
        let secs = i64::try_from(now.as_secs()).unwrap() + days * 86_400;
        let t = chrono::DateTime::from_timestamp(secs, 0).unwrap();
        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    env.run(&[
        "kms",
        "import-key-material",
        "--key-id",
        &key,
        "--import-token",
        &format!("file://{token}"),
        "--encrypted-key-material",
        &format!("file://{wrapped}"),
        "--expiration-model",
        "KEY_MATERIAL_EXPIRES",
        "--valid-to",
        &at(1),
    ])
    .ok();
    let plain = env.write("plain.txt", b"expiring");
    let ct = env.text(
        &["encrypt", "--key-id", &key, "--plaintext", &format!("fileb://{plain}")],
        "CiphertextBlob",
    );
    let ct = env.write("ct.b64", ct.as_bytes());
    // Two days on (simulated), the material has expired: the key is PendingImport and
    // Decrypt answers as AWS does...
    let later = at(2);
    let state =
        env.text(&["describe-key", "--key-id", &key, "--time", &later], "KeyMetadata.KeyState");
    assert_eq!(state, "PendingImport");
    let err = env
        .run(&["kms", "decrypt", "--ciphertext-blob", &format!("file://{ct}"), "--time", &later])
        .kms_error("KMSInvalidStateException", "Decrypt")
        .to_string();
    assert!(err.trim_end().ends_with(&format!("key/{key} is pending import.")), "{err}");
    // ...but only the real clock deletes it: now the key still decrypts.
    let out = env.run(&["kms", "decrypt", "--ciphertext-blob", &format!("file://{ct}")]).json();
    assert_eq!(unb64(out["Plaintext"].as_str().unwrap()), b"expiring");
}
