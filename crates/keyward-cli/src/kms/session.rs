//! Opening the local KMS for one command: the state directory, the SQLite store, the default
//! account, and the caller (principal, request time and request environment).

use keyward_kms::account::DEFAULT_CALLER;
use keyward_kms::{Caller, Config, Kms, KmsError};
use std::path::PathBuf;

/// Flags shared by every command that calls the KMS (`kms`, `encrypt-file`, `decrypt-file`).
#[derive(Debug, Default, Clone, clap::Args)]
pub(crate) struct CallerArgs {
    /// State directory (default: $KEYWARD_STATE, else ~/.local/share/keyward).
    #[arg(long, value_name = "DIR")]
    pub(crate) state: Option<PathBuf>,
    /// Call as this principal (user ARN, assumed-role session ARN, ...); default: the local
    /// administrator arn:aws:iam::111122223333:user/admin.
    #[arg(long = "as", value_name = "PRINCIPAL_ARN")]
    pub(crate) principal: Option<String>,
    /// Request time (RFC 3339); default: the system clock. A simulated time decides the call
    /// as at that time but never completes a deletion or rotation: only the real clock does.
    #[arg(long, value_name = "RFC3339")]
    pub(crate) time: Option<String>,
    /// Sets aws:SourceIp.
    #[arg(long, value_name = "IP")]
    pub(crate) source_ip: Option<String>,
    /// Sets kms:ViaService (the call came through this AWS service).
    #[arg(long, value_name = "SERVICE")]
    pub(crate) via_service: Option<String>,
    /// Sets aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge.
    #[arg(long, value_name = "SECONDS")]
    pub(crate) mfa_age: Option<u64>,
    /// A session policy in force for the caller (file://PATH or inline JSON).
    #[arg(long, value_name = "POLICY")]
    pub(crate) session_policy: Option<String>,
    /// Region new keys are created in (default us-east-1).
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,
    /// On AccessDeniedException, also print why (the evaluator's trace) to stderr.
    #[arg(long)]
    pub(crate) explain: bool,
    /// Create a new, empty store even though the state directory still holds a `master.key`
    /// (its database was deleted or moved).
    #[arg(long)]
    pub(crate) init: bool,
}

/// Why a command could not even reach the KMS.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// A bad flag value (the message names the flag).
    Usage(String),
    /// The store could not be opened or the account could not be seeded.
    Store(String),
}

impl OpenError {
    pub(crate) fn message(&self) -> &str {
        match self {
            OpenError::Usage(m) | OpenError::Store(m) => m,
        }
    }
}

/// Reads `file://PATH`, `fileb://PATH` (as UTF-8), or returns the text itself.
pub(crate) fn text_arg(value: &str, flag: &str) -> Result<String, String> {
    if let Some(path) = value.strip_prefix("file://").or_else(|| value.strip_prefix("fileb://")) {
        let bytes =
            std::fs::read(path).map_err(|e| format!("{flag}: cannot read `{path}`: {e}"))?;
        return String::from_utf8(bytes).map_err(|_| format!("{flag}: `{path}` is not UTF-8 text"));
    }
    Ok(value.to_string())
}

/// The request time in epoch milliseconds: `--time`, else the system clock.
pub(crate) fn now_ms(time: Option<&str>) -> Result<i64, String> {
    match time {
        Some(t) => keyward_core::model::parse_date(t)
            .ok_or_else(|| format!("--time `{t}`: expected RFC 3339, e.g. 2026-03-10T14:00:00Z")),
        None => {
            let d = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|_| "the system clock is before 1970".to_string())?;
            i64::try_from(d.as_millis()).map_err(|_| "the system clock is out of range".into())
        }
    }
}

/// Opens the KMS over the durable store only (no caller): `keyward iam`, `keyward serve`.
/// The default administrator is created only when this open created the store; `init` allows
/// creating a new database beside an existing `master.key`.
pub(crate) fn open_kms(
    state: Option<&std::path::Path>,
    region: Option<&str>,
    init: bool,
) -> Result<Kms, OpenError> {
    let dir = keyward_store::resolve_state_dir(state).map_err(|e| OpenError::Store(e.0))?;
    let key = keyward_store::MasterKey::from_env().map_err(|e| OpenError::Store(e.0))?;
    let init = if init { keyward_store::Init::Allow } else { keyward_store::Init::IfNew };
    let store = keyward_store::SqliteStore::open_with(&dir, key, LOCK_WAIT, init)
        .map_err(|e| OpenError::Store(e.0))?;
    let created = store.created();
    let config = Config { region: region.unwrap_or("us-east-1").to_string(), ..Config::default() };
    let mut kms = Kms::open(Box::new(store), Box::new(rand_core::OsRng), config)
        .map_err(|e| OpenError::Store(e.0))?;
    if created {
        kms.seed_defaults().map_err(|e: KmsError| OpenError::Store(e.to_string()))?;
    }
    Ok(kms)
}

/// How long a command waits for another keyward process holding the state directory.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Opens the KMS and builds the caller from the flags.
pub(crate) fn open(a: &CallerArgs) -> Result<(Kms, Caller), OpenError> {
    let now_ms = now_ms(a.time.as_deref()).map_err(OpenError::Usage)?;
    let session_policy = match &a.session_policy {
        Some(p) => Some(text_arg(p, "--session-policy").map_err(OpenError::Usage)?),
        None => None,
    };
    let principal = a.principal.clone().unwrap_or_else(|| DEFAULT_CALLER.to_string());
    if let Err(e) = keyward_core::eval::Principal::parse(&principal) {
        return Err(OpenError::Usage(format!("--as `{principal}`: {e}")));
    }
    let caller = Caller {
        principal,
        now_ms,
        source_ip: a.source_ip.clone(),
        via_service: a.via_service.clone(),
        mfa_age_s: a.mfa_age,
        source_vpce: None,
        session_policy,
        extra_context: Vec::new(),
        region: a.region.clone(),
    };
    let mut kms = open_kms(a.state.as_deref(), a.region.as_deref(), a.init)?;
    // A simulated request time may show what is due by then, but only the real clock
    // completes deletions and rotations (see `Kms::simulate_clock`).
    kms.simulate_clock(a.time.is_some());
    Ok((kms, caller))
}

/// Prints a KMS error the way the aws CLI does, plus the trace with `--explain`.
pub(crate) fn print_error(op: &str, e: &KmsError, explain: bool) {
    eprintln!();
    eprintln!(
        "An error occurred ({}) when calling the {op} operation: {}",
        e.code.as_str(),
        e.message
    );
    if let Some(x) = &e.explanation {
        if explain {
            eprintln!();
            eprint!("{}", keyward_core::eval::render_human(x));
        } else {
            eprintln!("(run again with --explain to see which policies decided)");
        }
    }
}
