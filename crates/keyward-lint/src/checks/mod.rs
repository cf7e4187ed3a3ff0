//! The checks, grouped by the policy element they look at. Each module's `check` appends
//! findings to the context; none of them depends on another's output.

pub(crate) mod actions;
pub(crate) mod conditions;
pub(crate) mod document;
pub(crate) mod iam;
pub(crate) mod kms;
pub(crate) mod principals;
pub(crate) mod resources;
pub(crate) mod values;

use crate::doc::Ctx;

/// Runs every policy check.
pub(crate) fn run(ctx: &mut Ctx<'_>) {
    actions::check(ctx);
    resources::check(ctx);
    conditions::check(ctx);
    principals::check(ctx);
    document::check(ctx);
    iam::check(ctx);
    kms::check(ctx);
}
