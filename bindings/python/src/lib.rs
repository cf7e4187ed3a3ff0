//! The `keyward._keyward` native module: thin adapters from Python to the library crates.
//!
//! Every function takes and returns JSON text, `{"ok": true, ...}` or `{"ok": false, "error":
//! {...}}`, so that the Python layer (`python/keyward/__init__.py`) builds its objects and
//! raises its exceptions in one place. The decisions, checks and the KMS live in keyward-core,
//! keyward-lint, keyward-aws and keyward-kms; nothing here decides anything.

mod cloudtrail;
mod explain;
mod kms;
mod scenario;
mod util;

use pyo3::prelude::*;

/// Lints one document: `lint(text, kind, name)`; `kind` is `auto` or a policy kind.
#[pyfunction]
fn lint(text: &str, kind: &str, name: &str) -> String {
    util::out(&util::lint(text, kind, name))
}

/// Decides and explains one request (the JSON shape of `keyward explain`'s flags).
#[pyfunction]
#[pyo3(name = "explain")]
fn explain_request(args_json: &str) -> String {
    util::out(&explain::run(args_json))
}

/// Replays a CloudTrail event against the given policies.
#[pyfunction]
fn explain_cloudtrail(args_json: &str) -> String {
    util::out(&cloudtrail::run(args_json))
}

/// Runs one scenario file's cases: `run_scenario(text, file, yaml)`; files it names are read
/// relative to `file`'s folder.
#[pyfunction]
fn run_scenario(text: &str, file: &str, yaml: bool) -> String {
    util::out(&scenario::run(text, file, yaml))
}

/// Every check `lint` can report (code, severity, title, Access Analyzer code).
#[pyfunction]
fn checks() -> String {
    serde_json::to_string(keyward_lint::checks()).unwrap_or_else(|_| "[]".into())
}

/// The version of the crates this module was built from.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _keyward(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(lint, m)?)?;
    m.add_function(wrap_pyfunction!(explain_request, m)?)?;
    m.add_function(wrap_pyfunction!(explain_cloudtrail, m)?)?;
    m.add_function(wrap_pyfunction!(run_scenario, m)?)?;
    m.add_function(wrap_pyfunction!(checks, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_class::<kms::KmsCore>()?;
    Ok(())
}
