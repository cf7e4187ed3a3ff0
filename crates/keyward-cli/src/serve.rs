//! `keyward serve`: runs the local KMS as an HTTP service speaking the AWS KMS wire protocol
//! (AWS JSON 1.1, SigV4), so AWS SDKs and the aws CLI can use it with `--endpoint-url`.
//!
//! Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM), 2 bad usage, a state store that
//! does not open, or an address that cannot be bound.

use crate::kms::session::{open_kms, OpenError};
use keyward_server::{check_addr, LogFormat, Options, Server};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// `keyward serve` arguments.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  keyward serve                                   # http://127.0.0.1:4599
  keyward iam create-access-key --principal arn:aws:iam::111122223333:user/admin
  aws kms create-key --endpoint-url http://127.0.0.1:4599 --region us-east-1
  keyward serve --dev-principal arn:aws:iam::111122223333:user/admin   # AWS_ACCESS_KEY_ID=test works

The bound address is printed on stderr at startup (`--addr 127.0.0.1:0` picks a free port).
The server owns its state directory while it runs; it also speaks IAM and STS (AWS Query
protocol, routed by the SigV4 scope's service) on the same address, so users, roles, policies
and access keys can be made with any SDK while it runs (`aws iam create-user --endpoint-url ...`). Access log: one line per call on stdout. SIGINT/SIGTERM stop accepting, finish in-flight calls
and exit; every completed call is already durable.
With --cloudtrail DIR every call (denied ones included) is recorded as AWS CloudTrail records
it; `keyward explain --cloudtrail DIR --state STATE` explains the denials.")]
pub(crate) struct Args {
    /// Address to listen on. A non-loopback address also needs --allow-remote.
    #[arg(long, default_value = keyward_server::DEFAULT_ADDR)]
    addr: SocketAddr,
    /// State directory (default: $KEYWARD_STATE, else ~/.local/share/keyward).
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// The default Region. Every Region is served: a request is served in the Region of its
    /// SigV4 credential scope.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Dev switch: requests signed with an unknown access key (e.g. `test`) act as this
    /// principal, without a signature check. Keys created with `keyward iam create-access-key`
    /// are still verified.
    #[arg(long, value_name = "ARN")]
    dev_principal: Option<String>,
    /// Print the evaluator's trace of every denial on stderr (a request can ask for it with
    /// the header `x-keyward-explain: 1`).
    #[arg(long)]
    explain_denials: bool,
    /// Access log on stdout: json, text or off.
    #[arg(long, default_value = "json", value_name = "FORMAT")]
    log_format: LogFormat,
    /// Create a new, empty store even though the state directory still holds a `master.key`
    /// (its database was deleted or moved).
    #[arg(long)]
    init: bool,
    /// Allow listening on a non-loopback address (there is no TLS).
    #[arg(long)]
    allow_remote: bool,
    /// Tests only: `POST /_keyward/clock` with a number of seconds in the body moves the
    /// server's clock (session expiry, policy time; not the SigV4 window) that far ahead.
    #[arg(long)]
    test_clock: bool,
    /// Largest request body, bytes (HTTP 413 beyond it).
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    max_body: usize,
    /// Connections held at once. At the limit, a new connection replaces the one that has
    /// waited longest for its request (slow or idle); connections with a request in progress
    /// are never closed.
    #[arg(long, default_value_t = 512, value_name = "N")]
    max_connections: usize,
    /// Connections held at once from one client address (replaced the same way).
    #[arg(long, default_value_t = 256, value_name = "N")]
    max_connections_per_ip: usize,
    /// Seconds allowed to send a request's headers; also the keep-alive idle timeout.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    header_timeout: u64,
    /// Record every call as CloudTrail does, in DIR/AWSLogs/ACCOUNT/CloudTrail/REGION/... as
    /// gzipped {"Records": [...]} files (`-`: JSON Lines on stdout instead). Default:
    /// $KEYWARD_CLOUDTRAIL, else off.
    #[arg(long, value_name = "DIR")]
    cloudtrail: Option<PathBuf>,
    /// Also write each CloudTrail record as one JSON line on stdout.
    #[arg(long)]
    cloudtrail_stdout: bool,
    /// Close a CloudTrail file this many seconds after its first record.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    cloudtrail_roll_seconds: u64,
    /// ... or once it holds this many records.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    cloudtrail_roll_events: usize,
}

/// The CloudTrail recorder's settings from `--cloudtrail` (else `$KEYWARD_CLOUDTRAIL`) and
/// `--cloudtrail-stdout`: `-` means stdout only. `None`: off.
pub(crate) fn trail_config(
    dir: Option<&std::path::Path>,
    stdout: bool,
) -> Option<keyward_server::trail::TrailConfig> {
    let env = std::env::var_os("KEYWARD_CLOUDTRAIL").filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = dir.map(std::path::Path::to_path_buf).or(env);
    let dash = dir.as_deref().is_some_and(|d| d.as_os_str() == "-");
    if dir.is_none() && !stdout {
        return None;
    }
    Some(keyward_server::trail::TrailConfig {
        dir: dir.filter(|_| !dash),
        stdout: stdout || dash,
        ..keyward_server::trail::TrailConfig::default()
    })
}

/// The file in the state directory holding the running server's URL.
pub(crate) const URL_FILE: &str = "serve.url";

/// Runs the server until SIGINT or SIGTERM.
pub(crate) fn run(a: &Args) -> u8 {
    if let Err(e) = check_addr(a.addr, a.allow_remote) {
        eprintln!("error: {e}");
        return 2;
    }
    if let Some(p) = &a.dev_principal {
        if let Err(e) = keyward_core::eval::Principal::parse(p) {
            eprintln!("error: --dev-principal `{p}`: {e}");
            return 2;
        }
    }
    let kms = match open_kms(a.state.as_deref(), Some(&a.region), a.init) {
        Ok(k) => k,
        Err(OpenError::Usage(e) | OpenError::Store(e)) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let opts = Options {
        region: a.region.clone(),
        dev_principal: a.dev_principal.clone(),
        explain_denials: a.explain_denials,
        log_format: a.log_format,
        body_limit: a.max_body,
        max_connections: a.max_connections,
        max_connections_per_ip: a.max_connections_per_ip,
        header_timeout: Duration::from_secs(a.header_timeout.max(1)),
        cloudtrail: trail_config(a.cloudtrail.as_deref(), a.cloudtrail_stdout).map(|c| {
            keyward_server::trail::TrailConfig {
                roll_every: Duration::from_secs(a.cloudtrail_roll_seconds.max(1)),
                roll_events: a.cloudtrail_roll_events.max(1),
                ..c
            }
        }),
        test_clock: a.test_clock,
        ..Options::default()
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return 2;
        }
    };
    rt.block_on(async {
        let server = match Server::bind(a.addr, kms, opts).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: cannot listen on {}: {e}", a.addr);
                return 2;
            }
        };
        // The address is noted in the state directory, so `keyward iam` can point at the
        // server's IAM API while the server holds the directory.
        let note =
            keyward_store::resolve_state_dir(a.state.as_deref()).ok().map(|d| d.join(URL_FILE));
        match server.local_addr() {
            Ok(addr) => {
                eprintln!("keyward serve: listening on http://{addr}");
                if let Some(n) = &note {
                    let _ = std::fs::write(n, format!("http://{addr}\n"));
                }
            }
            Err(e) => eprintln!("keyward serve: listening (address unknown: {e})"),
        }
        let result = server.run(shutdown_signal()).await;
        if let Some(n) = &note {
            let _ = std::fs::remove_file(n);
        }
        match result {
            Ok(()) => {
                eprintln!("keyward serve: stopped");
                0
            }
            Err(e) => {
                eprintln!("error: {e}");
                2
            }
        }
    })
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}
