//! Exit codes of the `keyward` commands (the `kms` command keeps the aws CLI's own codes).

use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// 0: clean, Allow, all passed, no new access.
    Success,
    /// 1: findings: lint errors, a denial, failed cases, access added under
    /// `--fail-on-new-access`.
    Findings,
    /// 2: bad input or usage.
    Usage,
    /// Any other code (the `kms` command's 252/254/255).
    Other(u8),
}

impl Exit {
    /// `Findings` when `found`, else `Success`.
    pub(crate) fn findings_if(found: bool) -> Exit {
        if found {
            Exit::Findings
        } else {
            Exit::Success
        }
    }

    /// The process exit code.
    pub(crate) fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Findings => 1,
            Exit::Usage => 2,
            Exit::Other(c) => c,
        }
    }

    /// Runs a command body: an error is printed as `error: ...` and is a usage error.
    pub(crate) fn run(body: impl FnOnce() -> Result<Exit, String>) -> Exit {
        body().unwrap_or_else(|e| {
            eprintln!("error: {e}");
            Exit::Usage
        })
    }
}

impl From<u8> for Exit {
    fn from(c: u8) -> Exit {
        match c {
            0 => Exit::Success,
            1 => Exit::Findings,
            2 => Exit::Usage,
            c => Exit::Other(c),
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}
