//! Commands over what the AWS CLI and CloudTrail print: `explain --cloudtrail`, `who-can`,
//! `access-matrix` and `diff`: flags and printing. Files are loaded through `input.rs`; the
//! analyses themselves live in `keyward-access`.

pub(crate) mod access_matrix;
pub(crate) mod cloudtrail;
pub(crate) mod diff;
pub(crate) mod trail_dir;
pub(crate) mod who_can;

pub(crate) use crate::input::{
    load_export, load_export_shared, load_grants, load_key_policy, load_org_policy, load_policy,
    report,
};
pub(crate) use crate::output::csv;
