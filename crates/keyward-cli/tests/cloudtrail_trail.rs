//! The local KMS's CloudTrail (issue 19) through the `keyward` binary: `keyward kms
//! --cloudtrail DIR` writes CloudTrail's S3 layout, `keyward explain --cloudtrail DIR --state`
//! explains the denied events with the rule that denied them, a gzip bomb or a broken file is
//! an error naming it, and a `keyward serve --cloudtrail` killed with SIGKILL while writing
//! never leaves a partial `.json.gz` visible.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod kms_common;
use kms_common::{allow, b64, Env};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

const OPS: &str = "arn:aws:iam::111122223333:user/ops";

/// Every `.json.gz` under `dir`, sorted.
fn trail_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.to_string_lossy().ends_with(".json.gz") {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, &mut v);
    v.sort();
    v
}

/// The records of one file (which must decompress and parse completely).
fn records(path: &Path) -> Vec<serde_json::Value> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    v["Records"].as_array().cloned().unwrap_or_else(|| panic!("{}: no Records", path.display()))
}

#[test]
fn kms_calls_are_recorded_in_cloudtrails_layout_and_denials_explained_from_the_state() {
    let env = Env::new();
    let trail = env.p("trail");
    let ct = |args: &[&str]| {
        let mut a = vec!["kms"];
        a.extend_from_slice(args);
        a.extend(["--cloudtrail", &trail]);
        env.run(&a)
    };
    let key = env.create_key(&[]);
    let policy = format!("enc={}", allow(&["kms:Encrypt"]));
    env.run(&["iam", "put-user", "--arn", OPS, "--policy", &policy]).ok();
    let plaintext = b64(b"the-plaintext-nobody-may-log");
    let out = ct(&[
        "encrypt",
        "--key-id",
        &key,
        "--plaintext",
        &plaintext,
        "--encryption-context",
        "app=billing",
        "--as",
        OPS,
    ]);
    let blob: serde_json::Value = out.json();
    let ciphertext = blob["CiphertextBlob"].as_str().unwrap().to_string();
    ct(&[
        "decrypt",
        "--ciphertext-blob",
        &ciphertext,
        "--encryption-context",
        "app=billing",
        "--as",
        OPS,
    ])
    .kms_error("AccessDeniedException", "Decrypt");
    let data_key = ct(&["generate-data-key", "--key-id", &key, "--key-spec", "AES_256"]).json();
    let files = trail_files(Path::new(&trail));
    assert_eq!(files.len(), 3, "one file per `keyward kms` call: {files:?}");
    let all: Vec<serde_json::Value> = files.iter().flat_map(|f| records(f)).collect();
    for f in &files {
        let rel = f.strip_prefix(&trail).unwrap().to_string_lossy().into_owned();
        let parts: Vec<&str> = rel.split('/').collect();
        assert_eq!(&parts[..4], ["AWSLogs", "111122223333", "CloudTrail", "us-east-1"], "{rel}");
        let name = parts[7];
        assert!(
            name.starts_with(&format!(
                "111122223333_CloudTrail_us-east-1_{}{}{}T",
                parts[4], parts[5], parts[6]
            )),
            "{name}"
        );
        assert!(
            name.ends_with(".json.gz")
                && name.len() == "111122223333_CloudTrail_us-east-1_20260101T0000Z_".len() + 16 + 8,
            "{name}"
        );
    }
    let denied = all.iter().find(|r| r["errorCode"] == "AccessDenied").expect("the denied Decrypt");
    assert_eq!(denied["eventName"], "Decrypt");
    assert_eq!(denied["userIdentity"]["arn"], OPS);
    assert_eq!(denied["requestParameters"]["encryptionContext"]["app"], "billing");
    assert!(denied["errorMessage"]
        .as_str()
        .unwrap()
        .contains("is not authorized to perform: kms:Decrypt"));
    // No secret reaches any file: not the plaintext, the ciphertext, nor the data key.
    let text: String = all.iter().map(ToString::to_string).collect();
    for secret in [plaintext.as_str(), &ciphertext, data_key["Plaintext"].as_str().unwrap()] {
        assert!(!text.contains(secret), "{secret} is in the trail");
    }
    // The denial, explained from its event with the state's policies.
    let out = env.run(&["explain", "--cloudtrail", &trail]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("== 1 of 1:"), "{}", out.stdout);
    assert!(out.stdout.contains("keyward DENIES it (ImplicitDeny), as AWS did"), "{}", out.stdout);
    assert!(
        out.stdout.contains("no IAM policy of arn:aws:iam::111122223333:user/ops allows it"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("1 identity policy of arn:aws:iam::111122223333:user/ops (state)"),
        "{}",
        out.stdout
    );
    let json = env.run(&["explain", "--cloudtrail", &trail, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v[0]["decision"], "ImplicitDeny");
    assert_eq!(v[0]["matches_recorded"], true);
    assert_eq!(
        v[0]["explanation"]["rule"], "kms_delegated_no_iam_allow",
        "{}",
        v[0]["explanation"]
    );
}

#[test]
fn a_gzip_bomb_and_a_broken_file_are_errors_naming_the_file() {
    let env = Env::new();
    env.run(&["iam", "list"]).ok();
    std::fs::create_dir_all(env.path("trail/a")).unwrap();
    // 129 MiB of spaces: well-formed JSON padding, and more than the reader takes.
    let bomb = env.path("trail/a/bomb.json.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&bomb).unwrap(),
        flate2::Compression::fast(),
    );
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..129 {
        gz.write_all(&chunk).unwrap();
    }
    gz.finish().unwrap();
    assert!(std::fs::metadata(&bomb).unwrap().len() < 2 << 20);
    let out = env.run(&["explain", "--cloudtrail", &env.p("trail")]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("bomb.json.gz decompresses to more than the 128 MiB limit"),
        "{}",
        out.stderr
    );
    std::fs::remove_file(&bomb).unwrap();
    // A record cut short: the error names the file and the line:col in its decompressed text.
    let broken = env.path("trail/a/broken.json.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&broken).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(
        b"{\"Records\": [\n  {\"eventSource\": \"kms.amazonaws.com\",\n   \"eventName\": ",
    )
    .unwrap();
    gz.finish().unwrap();
    let out = env.run(&["explain", "--cloudtrail", &env.p("trail")]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("broken.json.gz (decompressed):3:"), "{}", out.stderr);
}

/// `keyward serve --cloudtrail` killed with SIGKILL at several moments while it writes a file
/// per record: every `.json.gz` a reader can see is complete.
#[test]
fn sigkill_while_writing_never_leaves_a_partial_file_visible() {
    use std::process::{Command, Stdio};
    let env = Env::new();
    let trail = env.path("trail");
    let mut seen = 0;
    for round in 0..4u64 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
            .args(["serve", "--addr", "127.0.0.1:0", "--log-format", "off", "--dev-principal"])
            .arg("arn:aws:iam::111122223333:user/admin")
            .arg("--state")
            .arg(env.state())
            .arg("--cloudtrail")
            .arg(&trail)
            .args(["--cloudtrail-roll-events", "1"])
            .env_remove("KEYWARD_MASTER_KEY")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (addr, _stderr) = kms_common::serve_listening(&mut child);
        let req = format!(
            "POST / HTTP/1.1\r\nhost: {addr}\r\nx-amz-target: TrentService.ListKeys\r\n\
             x-amz-date: 20250101T000000Z\r\nauthorization: AWS4-HMAC-SHA256 \
             Credential=test/20250101/us-east-1/kms/aws4_request, SignedHeaders=host, \
             Signature=00\r\ncontent-length: 2\r\n\r\n{{}}"
        );
        let sender = std::thread::spawn(move || {
            // Requests until the server dies (bounded).
            for _ in 0..5_000 {
                let Ok(mut s) = std::net::TcpStream::connect(&addr) else { return };
                s.set_read_timeout(Some(std::time::Duration::from_secs(2))).ok();
                if s.write_all(req.as_bytes()).is_err() {
                    return;
                }
                let mut buf = [0u8; 512];
                if s.read(&mut buf).unwrap_or(0) == 0 {
                    return;
                }
            }
        });
        // Kill while files are being written: once this round has written one (bounded wait,
        // so a loaded machine cannot make the round vacuous), then a little later each round.
        for _ in 0..600 {
            if trail_files(&trail).len() > seen {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        std::thread::sleep(std::time::Duration::from_millis(20 * round));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        sender.join().unwrap();
        let files = trail_files(&trail);
        for f in &files {
            assert!(!records(f).is_empty(), "{}", f.display());
        }
        assert!(files.len() > seen, "round {round}: no new file");
        seen = files.len();
    }
}
