//! keyward-server: `keyward serve`, the AWS KMS wire protocol (AWS JSON 1.1 over HTTP/1.1,
//! SigV4-signed) in front of keyward's local KMS, so real AWS SDKs and the aws CLI run against
//! a KMS that says no exactly when AWS would.
//!
//! - [`sigv4`]: Signature Version 4 verification with AWS's error codes and messages.
//! - [`handler`]: one request: authenticate, route `X-Amz-Target`, call the KMS, shape errors.
//! - [`server`]: the tokio/hyper accept loop, limits, timeouts and graceful shutdown.
//! - [`log`]: the one-line-per-call access log, through a bounded queue.
//! - [`material`]: RSA keys a request needs, generated before the KMS lock is taken.
//! - [`trail`]: the CloudTrail recorder (files as CloudTrail delivers them, JSON Lines).
//! - `route`: IAM and STS (the AWS Query protocol, keyward-iam) on the same listener, chosen
//!   by the SigV4 credential scope's service; the `--test-clock` control.
//!
//! Native only (sockets, clock); the KMS itself stays pure.

mod conns;
pub mod handler;
pub mod log;
pub mod material;
mod route;
pub mod server;
pub mod sigv4;
pub mod trail;

pub use log::LogFormat;
pub use server::Server;

use std::net::SocketAddr;
use std::time::Duration;

/// The default listening address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:4599";

/// Server settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// The default Region. Every Region is served: a request is served in the Region of its
    /// credential scope (also with the dev switch).
    pub region: String,
    /// Dev switch: requests signed with an unknown access key act as this principal, without a
    /// signature check (so `AWS_ACCESS_KEY_ID=test` works). Known keys are still verified.
    pub dev_principal: Option<String>,
    /// Log the evaluator's trace of every denial to stderr (else only on `x-keyward-explain: 1`).
    pub explain_denials: bool,
    /// Access-log format.
    pub log_format: LogFormat,
    /// Largest request body accepted (bytes); larger gets HTTP 413.
    pub body_limit: usize,
    /// Largest request head (request line + headers, bytes); larger gets HTTP 431.
    pub max_header_bytes: usize,
    /// Time allowed to receive a request's headers; also how long an idle keep-alive
    /// connection is kept open waiting for the next request.
    pub header_timeout: Duration,
    /// Time allowed to receive a request's body.
    pub body_timeout: Duration,
    /// Connections held at once. At the limit a new connection replaces the one that has
    /// waited longest for its request (see `conns.rs`); only when all are busy does it wait.
    pub max_connections: usize,
    /// Connections held at once from one client address, replaced the same way.
    pub max_connections_per_ip: usize,
    /// On shutdown, how long in-flight requests may take to finish.
    pub shutdown_grace: Duration,
    /// Record every call as CloudTrail does (files and/or stdout); `None`: off.
    pub cloudtrail: Option<trail::TrailConfig>,
    /// Tests only: `POST /_keyward/clock` with a body of seconds moves the server's clock
    /// (session expiry, policy time) that far ahead of the wall clock.
    pub test_clock: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            region: "us-east-1".to_string(),
            dev_principal: None,
            explain_denials: false,
            log_format: LogFormat::Json,
            body_limit: 1 << 20,
            max_header_bytes: 64 * 1024,
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            max_connections: 512,
            max_connections_per_ip: 256,
            shutdown_grace: Duration::from_secs(10),
            cloudtrail: None,
            test_clock: false,
        }
    }
}

/// Refuses a non-loopback address unless `allow_remote`.
pub fn check_addr(addr: SocketAddr, allow_remote: bool) -> Result<(), String> {
    if addr.ip().is_loopback() || allow_remote {
        Ok(())
    } else {
        Err(format!(
            "`{addr}` is not a loopback address; keyward serve has no TLS and is meant for local \
             testing. Pass --allow-remote to listen there anyway"
        ))
    }
}
