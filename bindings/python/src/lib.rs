//! The `keyward._keyward` native module: thin adapters from Python to the library crates.
//!
//! Every function takes and returns JSON text, `{"ok": true, ...}` or `{"ok": false, "error":
//! {...}}`, so that the Python layer (`python/keyward/__init__.py`) builds its objects and
//! raises its exceptions in one place. The decisions, checks and the KMS live in keyward-core,
//! keyward-lint, keyward-aws and keyward-kms; the JSON shapes of explain, service calls,
//! scenario runs and the KMS session are keyward-bundle's, shared with the WASM module, so the
//! Python package and the playground answer alike. Nothing here decides anything.

mod cloudtrail;
mod kms;
mod scenario;
mod util;

use pyo3::prelude::*;

/// Lints one document: `lint(text, kind, name)`; `kind` is `auto` or a policy kind.
#[pyfunction]
fn lint(text: &str, kind: &str, name: &str) -> String {
    util::out(&util::lint(text, kind, name))
}

/// Decides and explains one request given as an explain bundle (the WASM module's `explain`).
#[pyfunction]
fn explain_bundle(bundle: &str) -> String {
    util::out(&keyward_bundle::explain::run(bundle))
}

/// Decides the requests an AWS service makes for one of its operations (the WASM module's
/// `explain_service_call`).
#[pyfunction]
fn explain_service_call(bundle: &str) -> String {
    util::out(&keyward_bundle::service_call::run(bundle))
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
    m.add_function(wrap_pyfunction!(explain_bundle, m)?)?;
    m.add_function(wrap_pyfunction!(explain_service_call, m)?)?;
    m.add_function(wrap_pyfunction!(explain_cloudtrail, m)?)?;
    m.add_function(wrap_pyfunction!(run_scenario, m)?)?;
    m.add_function(wrap_pyfunction!(checks, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_class::<kms::KmsCore>()?;
    Ok(())
}
