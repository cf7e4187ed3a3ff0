//! keyward-access: who may do what with a KMS key, decided offline with keyward's evaluator.
//!
//! - [`assess`]: the verdict for one (principal, key, action): `Allow`, `ConditionalAllow`
//!   (with the conditions on request-time keys that must hold) or `Deny`, and why.
//! - [`subject`]: whose access is asked about (an account export's users and roles, the
//!   principals a key policy names) and the policy set and request of one call.
//! - [`class`]: principal classes: every caller the policies could admit, one representative
//!   per combination of the policies' own principal values, merged into readable classes.
//! - [`who_can`], [`diff`], [`matrix`]: the `who-can`, `diff` and `access-matrix` analyses;
//!   [`grid`]: the access matrix by principal and key classes; `who_class`: `who-can` by principal
//!   classes.
//!
//! Pure like `keyward-core`: values in, values out; no files, no clock, no threads (the CLI
//! runs [`matrix::Worker`]s on its own threads). Builds for wasm32.

pub mod assess;
pub mod class;
pub mod diff;
pub mod grid;
pub mod matrix;
pub mod subject;
pub mod who_can;
mod who_class;

pub use assess::{assess, quick, Assessment, Optimizer, Requirement, Status};
pub use subject::{build, subjects, KeyFacts, Subject};

/// Splits `kms:Decrypt,kms:Encrypt` (adding `kms:` when missing).
pub fn action_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| if a.contains(':') { a.to_string() } else { format!("kms:{a}") })
        .collect()
}
