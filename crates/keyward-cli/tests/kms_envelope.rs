//! `keyward encrypt-file` / `decrypt-file` end to end: round trips (empty, one chunk, many
//! chunks), a gated Decrypt of the data key, tampered and truncated files failing without
//! leaving any output, `--force`, and `--key-id` on decrypt.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod kms_common;

use kms_common::{allow, Env};

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}

/// Env with a key aliased `alias/files`.
fn setup() -> Env {
    let env = Env::new();
    let key = env.create_key(&[]);
    env.run(&["kms", "create-alias", "--alias-name", "alias/files", "--target-key-id", &key]).ok();
    env
}

#[test]
fn round_trips_of_several_sizes() {
    let env = setup();
    for (n, chunk) in
        [(0usize, "65536"), (1, "65536"), (5000, "1000"), (4000, "1000"), (300_000, "65536")]
    {
        let plain = data(n);
        let input = env.write("in.bin", &plain);
        let (enc, dec) = (env.p("in.kwe"), env.p("out.bin"));
        env.run(&[
            "encrypt-file",
            "--force",
            "--key-id",
            "alias/files",
            "--chunk-size",
            chunk,
            "--encryption-context",
            "Purpose=test,Size=n",
            &input,
            &enc,
        ])
        .ok();
        let sealed = std::fs::read(&enc).unwrap();
        assert!(sealed.starts_with(b"kwenv\r\n\x1a"));
        if n > 16 {
            assert!(!sealed.windows(16).any(|w| w == &plain[..16]), "plaintext leaked");
        }
        env.run(&["decrypt-file", "--force", &enc, &dec]).ok();
        assert_eq!(std::fs::read(&dec).unwrap(), plain, "size {n} chunk {chunk}");
    }
    assert_eq!(env.files(), ["in.bin", "in.kwe", "out.bin", "state"]);
}

fn assert_fails_cleanly(env: &Env, enc: &str, what: &str) {
    let out = env.run(&["decrypt-file", enc, &env.p("plain.out")]);
    assert_eq!(out.code, 1, "{what}: {}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(!env.path("plain.out").exists(), "{what}: partial output left");
    assert!(!env.files().iter().any(|f| f.contains(".tmp")), "{what}: temporary file left");
}

#[test]
fn tampered_truncated_and_foreign_files_fail_without_output() {
    let env = setup();
    let plain = data(10_000);
    let input = env.write("in.bin", &plain);
    let enc = env.p("in.kwe");
    env.run(&["encrypt-file", "--key-id", "alias/files", "--chunk-size", "1024", &input, &enc])
        .ok();
    let good = std::fs::read(&enc).unwrap();

    // A flipped bit in a late chunk: the earlier, authentic chunks must not survive as output.
    let mut bad = good.clone();
    let at = bad.len() - 100;
    bad[at] ^= 1;
    let f = env.write("flipped.kwe", &bad);
    assert_fails_cleanly(&env, &f, "flipped bit");
    let out = env.run(&["decrypt-file", &f, &env.p("plain.out")]);
    assert!(out.stderr.contains("failed authentication"), "{}", out.stderr);

    // Cut at a chunk boundary (the final chunk is missing).
    // 10,000 bytes in 1,024-byte chunks: nine full sealed chunks and a final one of 784 + 16.
    let header = good.len() - 9 * (1024 + 16) - (784 + 16);
    let cut = &good[..header + 5 * (1024 + 16)];
    let f = env.write("cut.kwe", cut);
    assert_fails_cleanly(&env, &f, "truncated");

    // A changed header byte (in the salt): the header is authenticated, so it fails.
    let mut hdr = good.clone();
    hdr[20] ^= 0x20;
    let f = env.write("header.kwe", &hdr);
    assert_fails_cleanly(&env, &f, "header");

    // Not an envelope file at all.
    let f = env.write("plain.txt", b"just some text, not encrypted");
    assert_fails_cleanly(&env, &f, "foreign");
    let out = env.run(&["decrypt-file", &f, &env.p("plain.out")]);
    assert!(out.stderr.contains("not a keyward envelope file"), "{}", out.stderr);
}

#[test]
fn the_data_key_decrypt_is_authorized() {
    let env = setup();
    let input = env.write("in.bin", &data(2000));
    let enc = env.p("in.kwe");
    env.run(&[
        "encrypt-file",
        "--key-id",
        "alias/files",
        "--encryption-context",
        "Dept=Finance",
        &input,
        &enc,
    ])
    .ok();
    let role = "arn:aws:iam::111122223333:role/Reader";
    let session = "arn:aws:sts::111122223333:assumed-role/Reader/r";
    let p = env.write("reader.json", allow(&["kms:DescribeKey"]).as_bytes());
    env.run(&["iam", "put-role", "--arn", role, "--policy", &format!("ro=file://{p}")]).ok();

    let out = env.run(&["decrypt-file", "--as", session, &enc, &env.p("out.bin")]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("An error occurred (AccessDeniedException) when calling the Decrypt operation: User: arn:aws:sts::111122223333:assumed-role/Reader/r is not authorized to perform: kms:Decrypt"), "{}", out.stderr);
    assert!(!env.path("out.bin").exists());
    let out = env.run(&["decrypt-file", "--as", session, "--explain", &enc, &env.p("out.bin")]);
    assert!(out.stderr.contains("kms:EncryptionContext:Dept = Finance"), "{}", out.stderr);

    // Allowed once the role may Decrypt with that context.
    let p2 = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "kms:Decrypt", "Resource": "*",
        "Condition": {"StringEquals": {"kms:EncryptionContext:Dept": "Finance"}}}]})
    .to_string();
    let p2 = env.write("reader2.json", p2.as_bytes());
    env.run(&["iam", "put-role", "--arn", role, "--policy", &format!("dec=file://{p2}")]).ok();
    env.run(&["decrypt-file", "--as", session, &enc, &env.p("out.bin")]).ok();
    assert_eq!(std::fs::read(env.path("out.bin")).unwrap(), data(2000));

    // Encrypting needs GenerateDataKey, which the role lacks.
    let out = env.run(&[
        "encrypt-file",
        "--as",
        session,
        "--key-id",
        "alias/files",
        &input,
        &env.p("x.kwe"),
    ]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("(AccessDeniedException) when calling the GenerateDataKey operation"),
        "{}",
        out.stderr
    );
    assert!(!env.path("x.kwe").exists());
}

#[test]
fn force_key_id_and_usage_errors() {
    let env = setup();
    let input = env.write("in.bin", b"hello");
    let enc = env.p("in.kwe");
    env.run(&["encrypt-file", "--key-id", "alias/files", &input, &enc]).ok();
    let before = std::fs::read(&enc).unwrap();

    // OUT exists: refused (2) and untouched, unless --force.
    let out = env.run(&["encrypt-file", "--key-id", "alias/files", &input, &enc]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    assert_eq!(std::fs::read(&enc).unwrap(), before);
    env.run(&["encrypt-file", "--force", "--key-id", "alias/files", &input, &enc]).ok();
    assert_ne!(std::fs::read(&enc).unwrap(), before);

    // --key-id on decrypt must name the key the data key is under.
    let other = env.create_key(&[]);
    let out = env.run(&["decrypt-file", "--key-id", &other, &enc, &env.p("o.bin")]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("(IncorrectKeyException)"), "{}", out.stderr);
    env.run(&["decrypt-file", "--key-id", "alias/files", &enc, &env.p("o.bin")]).ok();

    // Missing input, bad context, bad chunk size, unknown key.
    assert_eq!(
        env.run(&["encrypt-file", "--key-id", "alias/files", "missing", &env.p("m")]).code,
        2
    );
    let out = env.run(&[
        "encrypt-file",
        "--key-id",
        "alias/files",
        "--encryption-context",
        "x",
        &input,
        &env.p("m"),
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--encryption-context"));
    assert_eq!(
        env.run(&[
            "encrypt-file",
            "--key-id",
            "alias/files",
            "--chunk-size",
            "0",
            &input,
            &env.p("m")
        ])
        .code,
        2
    );
    let out = env.run(&["encrypt-file", "--key-id", "alias/nope", &input, &env.p("m")]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("(NotFoundException)"), "{}", out.stderr);
    assert!(!env.path("m").exists());
    // Disabled key: DisabledException from GenerateDataKey.
    // DisableKey takes a key id or key ARN only, as AWS's API reference says.
    let out = env.run(&["kms", "disable-key", "--key-id", "alias/files"]);
    assert!(out.stderr.contains("Invalid keyId 'alias/files'"), "{}", out.stderr);
    let id = env.text(&["describe-key", "--key-id", "alias/files"], "KeyMetadata.KeyId");
    env.run(&["kms", "disable-key", "--key-id", &id]).ok();
    let out = env.run(&["encrypt-file", "--key-id", "alias/files", &input, &env.p("m")]);
    assert!(
        out.stderr.contains("(DisabledException) when calling the GenerateDataKey"),
        "{}",
        out.stderr
    );
}
