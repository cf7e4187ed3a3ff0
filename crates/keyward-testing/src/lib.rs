//! Test tooling for keyward: a generator of random but realistic authorization worlds
//! (`world`), the differential harness that compares keyward with `@cloud-copilot/iam-simulate`
//! (`harness`, driven by the `keyward-diff` binary and `tests/differential/run.sh`), and a small
//! seeded RNG (`rng`). See DIFFERENTIAL.md for the documented departures. `inputs`: the
//! proptest inputs of the robustness tests of the core and the scenario loader.

pub mod harness;
pub mod inputs;
pub mod rng;
pub mod world;
