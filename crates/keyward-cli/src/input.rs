//! The one loader and diagnostics reporter of the CLI: every command that reads a policy,
//! grant, key policy, SCP/RCP or account export reads it here (through `files.rs`), and every
//! error in it is printed rustc-style with its `file:line:col` before the command fails.

use crate::files;
use keyward_aws::export::AccountExport;
use keyward_core::diag::{has_errors, Diagnostic, Severity};
use keyward_core::eval::NamedPolicy;
use keyward_core::model::{Grant, Policy, PolicyKind};
use keyward_core::span::LineIndex;
use std::path::Path;
use std::sync::Arc;

/// When `diags` hold an error: prints every error of `path` rustc-style (to stderr) and fails
/// with the first one's `file:line:col`. Warnings are left to `keyward lint`.
pub(crate) fn report(path: &Path, text: &str, diags: &[Diagnostic]) -> Result<(), String> {
    if has_errors(diags) {
        let idx = LineIndex::new(text);
        for d in diags.iter().filter(|d| d.severity == Severity::Error) {
            eprint!("{}", d.render(&path.display().to_string(), &idx));
        }
        let first = diags.iter().find(|d| d.severity == Severity::Error);
        let at = first.map_or(String::new(), |d| {
            let lc = idx.line_col(d.span.start);
            format!(" ({}:{}:{}: {})", path.display(), lc.line, lc.col, d.message)
        });
        return Err(format!("{} cannot be read{at}; see keyward lint", path.display()));
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
    load_export_with(path, keyward_aws::export::account_export)
}

/// [`load_export`] with identical inline policy documents shared (`who-can`,
/// `access-matrix`: they read policies by content, never by place).
pub(crate) fn load_export_shared(path: &Path) -> Result<AccountExport, String> {
    load_export_with(path, keyward_aws::export::account_export_shared)
}

type ExportReader = fn(&str) -> (Option<AccountExport>, Vec<keyward_core::diag::Diagnostic>);

fn load_export_with(path: &Path, read: ExportReader) -> Result<AccountExport, String> {
    let text = files::read(path)?;
    let (ex, d) = read(&text);
    report(path, &text, &d)?;
    need(path, ex)
}
