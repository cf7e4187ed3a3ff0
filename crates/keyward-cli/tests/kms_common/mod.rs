//! Shared helpers of the `kms_*` end-to-end tests: a temporary state directory and a runner for
//! the built `keyward` binary that passes `--state` to every command.
#![allow(dead_code, reason = "each test file uses a different subset")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use base64::Engine as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The output of one run.
#[derive(Debug)]
pub(crate) struct Out {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Out {
    /// Asserts success and returns stdout.
    pub(crate) fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        &self.stdout
    }

    /// Stdout as JSON (after asserting success).
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    /// Asserts the aws-CLI-style KMS error (exit 254) with this code and operation.
    pub(crate) fn kms_error(&self, code: &str, op: &str) -> &str {
        assert_eq!(self.code, 254, "stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        let want = format!("An error occurred ({code}) when calling the {op} operation:");
        assert!(self.stderr.contains(&want), "want `{want}` in:\n{}", self.stderr);
        &self.stderr
    }
}

/// A temporary directory holding the state and the test's files.
pub(crate) struct Env {
    pub(crate) dir: tempfile::TempDir,
}

impl Env {
    pub(crate) fn new() -> Env {
        Env { dir: tempfile::tempdir().unwrap() }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn p(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }

    pub(crate) fn write(&self, name: &str, bytes: &[u8]) -> String {
        std::fs::write(self.path(name), bytes).unwrap();
        self.p(name)
    }

    pub(crate) fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Runs `keyward ARGS --state DIR`.
    pub(crate) fn run(&self, args: &[&str]) -> Out {
        run_in(self.dir.path(), args, Some(&self.state()))
    }

    /// `keyward kms ...` with `--output text --query QUERY`, trimmed.
    pub(crate) fn text(&self, args: &[&str], query: &str) -> String {
        let mut a = vec!["kms"];
        a.extend_from_slice(args);
        a.extend(["--output", "text", "--query", query]);
        self.run(&a).ok().trim().to_string()
    }

    /// GetParametersForImport of `key` (RSAES_OAEP_SHA_256, an RSA_2048 wrapping key).
    pub(crate) fn import_parameters(&self, key: &str) -> serde_json::Value {
        let alg = ["--wrapping-algorithm", "RSAES_OAEP_SHA_256"];
        let spec = ["--wrapping-key-spec", "RSA_2048"];
        let mut args = vec!["kms", "get-parameters-for-import", "--key-id", key];
        args.extend(alg.iter().chain(spec.iter()));
        self.run(&args).json()
    }

    /// Creates a key (with optional extra flags); returns its id.
    pub(crate) fn create_key(&self, extra: &[&str]) -> String {
        let mut a = vec!["create-key"];
        a.extend_from_slice(extra);
        self.text(&a, "KeyMetadata.KeyId")
    }

    /// Files in the directory, sorted.
    pub(crate) fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

/// Runs the binary in `dir` with `--state` appended (when given).
pub(crate) fn run_in(dir: &Path, args: &[&str], state: Option<&Path>) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyward"));
    cmd.args(args).current_dir(dir).env_remove("KEYWARD_STATE").env_remove("KEYWARD_MASTER_KEY");
    if let Some(s) = state {
        cmd.arg("--state").arg(s);
    }
    let out = cmd.output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn unb64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s.trim()).unwrap()
}

/// An identity policy allowing these KMS actions on every resource.
pub(crate) fn allow(actions: &[&str]) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": "*"}
    ]})
    .to_string()
}

/// Reads the first line a spawned `keyward serve` (stderr piped) prints and returns the address
/// it listens on, with the rest of its stderr for later reading.
pub(crate) fn serve_listening(
    child: &mut std::process::Child,
) -> (String, std::io::BufReader<std::process::ChildStderr>) {
    use std::io::BufRead as _;
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("keyward serve: listening on http://");
    let addr = addr.unwrap_or_else(|| panic!("not an address line: {line:?}")).to_string();
    (addr, err)
}
