//! Commands over what the AWS CLI and CloudTrail print: `explain --cloudtrail`, `who-can`,
//! `access-matrix` and `diff`. This module loads those files (through `files.rs` and
//! `keyward-aws`) and prints their diagnostics as `file:line:col`; the analyses themselves
//! live in `keyward-access`.

pub(crate) mod access_matrix;
pub(crate) mod cloudtrail;
pub(crate) mod diff;
pub(crate) mod who_can;

use crate::files;
use keyward_aws::export::AccountExport;
use keyward_core::diag::{has_errors, Diagnostic};
use keyward_core::eval::NamedPolicy;
use keyward_core::model::{Grant, Policy, PolicyKind};
use keyward_core::span::LineIndex;
use std::path::Path;
use std::sync::Arc;

/// Prints every diagnostic of `path` rustc-style and fails when one is an error.
pub(crate) fn report(path: &Path, text: &str, diags: &[Diagnostic]) -> Result<(), String> {
    if has_errors(diags) {
        let idx = LineIndex::new(text);
        for d in diags.iter().filter(|d| d.severity == keyward_core::diag::Severity::Error) {
            eprint!("{}", d.render(&path.display().to_string(), &idx));
        }
        let first = diags.iter().find(|d| d.severity == keyward_core::diag::Severity::Error);
        let at = first.map_or(String::new(), |d| {
            let lc = idx.line_col(d.span.start);
            format!(" ({}:{}:{}: {})", path.display(), lc.line, lc.col, d.message)
        });
        return Err(format!("{} cannot be read{at}", path.display()));
    }
    Ok(())
}

fn need<T>(path: &Path, v: Option<T>) -> Result<T, String> {
    v.ok_or_else(|| format!("{} cannot be read", path.display()))
}

/// A key policy file: `aws kms get-key-policy` output or a policy document.
pub(crate) fn load_key_policy(path: &Path) -> Result<NamedPolicy, String> {
    let text = files::read(path)?;
    let (p, d) = keyward_aws::kms::key_policy(&text);
    report(path, &text, &d)?;
    Ok(NamedPolicy::new(path.display().to_string(), need(path, p)?))
}

/// An identity-side policy document (identity, boundary, session).
pub(crate) fn load_policy(path: &Path, kind: PolicyKind) -> Result<NamedPolicy, String> {
    let text = files::read(path)?;
    let (p, d) =
        keyward_core::parse::parse_policy(&text, kind, keyward_core::json::Limits::default());
    report(path, &text, &d)?;
    Ok(NamedPolicy::new(path.display().to_string(), need(path, p)?))
}

/// An SCP or RCP: `aws organizations describe-policy` output or a policy document.
pub(crate) fn load_org_policy(path: &Path, kind: PolicyKind) -> Result<NamedPolicy, String> {
    let text = files::read(path)?;
    let (p, d) = keyward_aws::kms::org_policy(&text, kind);
    report(path, &text, &d)?;
    let (p, name): (Policy, Option<String>) = need(path, p)?;
    let name =
        name.map_or_else(|| path.display().to_string(), |n| format!("{n} ({})", path.display()));
    Ok(NamedPolicy::new(name, p))
}

/// Grants: `aws kms list-grants` output, a list, or a CreateGrant request.
pub(crate) fn load_grants(path: &Path) -> Result<Vec<Arc<Grant>>, String> {
    let text = files::read(path)?;
    let (g, d) = keyward_aws::kms::grants(&text);
    report(path, &text, &d)?;
    Ok(g.into_iter().map(Arc::new).collect())
}

/// `aws iam get-account-authorization-details` output.
pub(crate) fn load_export(path: &Path) -> Result<AccountExport, String> {
    let text = files::read(path)?;
    let (ex, d) = keyward_aws::export::account_export(&text);
    report(path, &text, &d)?;
    need(path, ex)
}

/// Quotes a CSV field when needed.
pub(crate) fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
