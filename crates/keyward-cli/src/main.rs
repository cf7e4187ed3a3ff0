//! The `keyward` command: lint, explain and test AWS KMS / IAM authorization offline.

mod aws;
mod envelope;
mod exit;
mod explain;
mod explain_input;
mod explain_service;
mod files;
mod fixgate;
mod iam;
mod input;
mod kms;
mod lint;
mod output;
mod serve;
mod test;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: linting allocates a few hundred small objects per
/// policy (the JSON tree, findings), and glibc's malloc and free were a fifth of its time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

/// Decide AWS KMS and IAM authorization offline, exactly as AWS does, and show why.
#[derive(Debug, Parser)]
#[command(name = "keyward", version, about, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "Examples:
  keyward lint policies/examples
  keyward lint --kind key --format json kp.json
  keyward explain --key-policy kp.json --identity-policy role.json \\
      --principal arn:aws:sts::111122223333:assumed-role/App/s1 --action kms:Decrypt \\
      --key arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab \\
      --encryption-context Department=Finance
  keyward test tests/scenarios

Exit codes: 0 success (clean / Allow / all passed), 1 findings (errors / denied / failures),
2 bad input or usage.";

#[derive(Debug, Subcommand)]
enum Command {
    /// Check policies and grants for errors (file:line:col, rustc-style).
    Lint(lint::Args),
    /// Decide one request and explain the decision.
    Explain(Box<explain::Args>),
    /// Run scenario files (policy unit tests).
    Test(test::Args),
    /// Call the local KMS with the aws CLI's operations and flags (`keyward kms help`).
    Kms(kms::Args),
    /// Manage the local account model: users, roles, access keys, SCPs and RCPs.
    Iam(iam::Args),
    /// Envelope-encrypt a file under a KMS key (GenerateDataKey + streaming AES-256-GCM).
    EncryptFile(Box<envelope::EncryptArgs>),
    /// Decrypt a file made by encrypt-file (KMS Decrypt of its data key, then streaming).
    DecryptFile(Box<envelope::DecryptArgs>),
    /// Who may use a key: every principal of an account export, with the conditions.
    WhoCan(Box<aws::who_can::Args>),
    /// Principals x keys x actions, decided in parallel (CSV or JSON Lines).
    AccessMatrix(Box<aws::access_matrix::Args>),
    /// Which principal/action pairs a key-policy or IAM-policy change adds or removes.
    Diff(Box<aws::diff::Args>),
    /// Serve the local KMS over HTTP with the AWS wire protocol (SigV4), for SDKs and the aws CLI.
    Serve(Box<serve::Args>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Lint(a) => lint::run(&a),
        Command::Explain(a) => explain::run(&a),
        Command::Test(a) => test::run(&a),
        Command::Kms(a) => kms::run(&a),
        Command::Iam(a) => iam::run(&a),
        Command::EncryptFile(a) => envelope::encrypt(&a),
        Command::DecryptFile(a) => envelope::decrypt(&a),
        Command::Serve(a) => serve::run(&a),
        Command::WhoCan(a) => aws::who_can::run(&a),
        Command::AccessMatrix(a) => aws::access_matrix::run(&a),
        Command::Diff(a) => aws::diff::run(&a),
    };
    exit::Exit::from(code).into()
}
