//! The evaluator: decide a request as AWS does, with a trace and the smallest fixes.

pub mod call;
mod condition;
mod decide;
mod explain;
mod fix;
mod fixsafe;
mod fixtext;
mod keys;
mod matching;
mod nearmiss;
mod request;
mod rules;
mod trace;
mod xaccount;

pub use call::action_takes_encryption_context;
pub use decide::{decide, decide_traced, Decision, NamedPolicy, Outcome, PolicySet, Rule};
pub use explain::{explain, explain_why, render_human, Explanation};
pub use fix::{apply, find_fixes, Access, Edit, Fix};
pub use fixtext::{apply_to_text, grant_json, new_policy_text};
pub use keys::KeyFilter;
pub use matching::{resource_targets, statement_targets};
pub use request::{key_hash, Context, CtxValue, Principal, PrincipalKind, Request};
pub use trace::{
    CondTrace, Decider, ElementTrace, GrantTrace, PolicyTrace, PrincipalHow, Source,
    StatementTrace, Trace,
};
pub use xaccount::callable_across_accounts;

/// The request's encryption context pairs without allocating.
pub fn encryption_context_pairs(ctx: &Context) -> impl Iterator<Item = (&str, &str)> + Clone {
    const PREFIX: &str = "kms:encryptioncontext:";
    ctx.iter().filter_map(|(k, v)| {
        let head = k.get(..PREFIX.len())?;
        match v {
            CtxValue::One(s) if head.eq_ignore_ascii_case(PREFIX) => {
                Some((k.get(PREFIX.len()..)?, s.as_str()))
            }
            _ => None,
        }
    })
}
