//! keyward-wasm: keyward for browsers and Node through wasm-bindgen. Lint, explain, scenario
//! tests, who-can and diff, and an in-memory KMS, with JSON strings in and out (the shapes are in keyward.d.ts).
//! Only adapters live here: the work is `keyward-bundle`'s, which the Python package shares.
//!
//! No export throws for bad input: every path returns `{"ok": false, "error": ...}`. On native
//! targets a panic is also caught (`catch_unwind`); in WASM (panic = abort) a panic is a bug,
//! and the panic hook logs it to `console.error` before the trap.

mod bench;
mod kms;

pub use bench::{bench_bundle, bench_fixture, decide_n, decisions_per_second};
pub use kms::KmsSession;

use keyward_bundle::util::{fail, out};
use keyward_bundle::{access, explain, lint, scenario, service_call};
use wasm_bindgen::prelude::*;

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(s: &str);
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Logs to `console.error` (stderr natively).
pub(crate) fn log(msg: &str) {
    #[cfg(target_arch = "wasm32")]
    console_error(msg);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{msg}");
}

/// Installs the panic hook when the module loads.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| log(&format!("keyward-wasm panicked (a bug): {info}"))));
}

/// Runs `f`, turning a panic into an error object where unwinding exists.
pub(crate) fn guard(f: impl FnOnce() -> String) -> String {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| out(&fail("internal error (a bug in keyward); see the console", None)))
}

/// Lints one document; `kind` is auto|key|resource|identity|scp|rcp|boundary|session|grant.
#[wasm_bindgen]
pub fn lint(text: &str, kind: &str) -> String {
    guard(|| out(&lint::lint(text, kind)))
}

/// Every check lint can report.
#[wasm_bindgen]
pub fn lint_checks() -> String {
    guard(|| out(&lint::checks()))
}

/// Decides and explains one request described by a JSON bundle.
#[wasm_bindgen]
pub fn explain(bundle: &str) -> String {
    guard(|| out(&explain::run(bundle)))
}

/// Who may use a key: `{key_policy, key_arn?, actions?, account_export?, grants?}` to
/// `{ok, key, rows}`, principal classes included.
#[wasm_bindgen]
pub fn who_can(bundle: &str) -> String {
    guard(|| out(&access::who_can_json(bundle)))
}

/// What a key-policy change adds or removes: `{old, new, key_arn?, actions?,
/// account_export?}` to `{ok, key, added_access, changes}`.
#[wasm_bindgen]
pub fn diff(bundle: &str) -> String {
    guard(|| out(&access::diff_json(bundle)))
}

/// Decides the requests an AWS service makes for one of its operations (`request.service_call`:
/// service, operation, resource, key, region, params) and explains the first that is denied.
#[wasm_bindgen]
pub fn explain_service_call(bundle: &str) -> String {
    guard(|| out(&service_call::run(bundle)))
}

/// The service operations `explain_service_call` knows: `[{service, operation, action, kms,
/// source}]` (the catalogue of keyward-core, with the AWS page each row follows).
#[wasm_bindgen]
pub fn service_catalogue() -> String {
    guard(|| out(&service_call::catalogue()))
}

/// Runs a scenario file (YAML when `yaml`); `files_json` maps referenced paths to texts.
#[wasm_bindgen(js_name = test)]
pub fn run_test(scenario: &str, yaml: bool, files_json: Option<String>) -> String {
    guard(|| out(&scenario::run_with_files(scenario, yaml, files_json.as_deref())))
}

/// The package version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Decisions per second of a fixed realistic request, `n` decisions.
#[wasm_bindgen]
pub fn bench_decide(n: u32) -> f64 {
    #[cfg(target_arch = "wasm32")]
    let clock = performance_now;
    #[cfg(not(target_arch = "wasm32"))]
    let clock = {
        let start = std::time::Instant::now();
        move || start.elapsed().as_secs_f64() * 1000.0
    };
    std::panic::catch_unwind(|| decisions_per_second(n, clock)).unwrap_or(0.0)
}
