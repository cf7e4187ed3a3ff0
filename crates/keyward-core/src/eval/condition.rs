//! Condition evaluation: every operator, `IfExists`, `ForAllValues`/`ForAnyValue`, policy
//! variables, typed values (`aws-semantics.md` §2).
//!
//! Rules, in one place:
//! - a missing key makes positive operators false and negated operators true; `IfExists` makes
//!   it true; `Null` tests presence;
//! - several policy values are ORed; a negated operator must match none of them;
//! - `ForAnyValue` is false and `ForAllValues` true on a missing or empty key;
//! - a multivalued key under a plain operator is treated like `ForAnyValue` (any value
//!   matches; for a negated operator: no value matches) — keyward's documented choice;
//! - a policy value that cannot be read as the operator's type never matches; a request value
//!   that cannot be read makes positive and negated comparisons alike false;
//! - an unresolvable variable matches nothing (so negated operators are true).

use super::request::{Context, CtxValue};
use super::trace::CondTrace;
use crate::model::{
    parse_bool, parse_cidr, parse_date, parse_number, Condition, OpBase, SetOp, Typed,
};
use crate::pattern::{ArnGlob, Glob};

/// Evaluates one condition against the context, recording details into `trace` when given.
pub(crate) fn eval_condition(c: &Condition, ctx: &Context, trace: Option<&mut CondTrace>) -> bool {
    let value = ctx.get_hashed(c.key_hash, &c.key_lc);
    let result = decide(c, ctx, value);
    if let Some(t) = trace {
        t.request = value.map(|v| v.as_slice().to_vec());
        t.values = c.values.iter().map(|v| resolved_text(v, ctx)).collect();
        t.result = result;
        t.note = note(c, value);
    }
    result
}

fn decide(c: &Condition, ctx: &Context, value: Option<&CtxValue>) -> bool {
    let op = &c.op;
    if op.base == OpBase::Null {
        return match op.set {
            SetOp::ForAllValues => true,
            SetOp::ForAnyValue => false,
            SetOp::None => {
                let present = value.is_some();
                c.values
                    .iter()
                    .any(|v| matches!(v.typed, Typed::Null(want_absent) if want_absent != present))
            }
        };
    }
    let Some(value) = value else {
        return match op.set {
            SetOp::ForAllValues => true,
            SetOp::ForAnyValue => op.if_exists,
            SetOp::None => op.if_exists || op.negated,
        };
    };
    let reqs = value.as_slice();
    match op.set {
        SetOp::ForAllValues => reqs.iter().all(|r| one(c, ctx, r)),
        SetOp::ForAnyValue => reqs.iter().any(|r| one(c, ctx, r)),
        SetOp::None if op.negated => reqs.iter().all(|r| one(c, ctx, r)),
        SetOp::None => reqs.iter().any(|r| one(c, ctx, r)),
    }
}

/// One request value against the policy values: any matches (positive), none matches
/// (negated; the request value must itself be readable).
fn one(c: &Condition, ctx: &Context, r: &str) -> bool {
    let Some(req) = ReqValue::read(c.op.base, r) else { return false };
    let any = c.values.iter().any(|v| compare(c.op.base, &req, &v.typed, ctx));
    any != c.op.negated
}

/// A request value read as the operator's type.
enum ReqValue<'a> {
    Text(&'a str),
    Number(f64),
    Date(i64),
    Bool(bool),
    Ip(std::net::IpAddr),
}

impl<'a> ReqValue<'a> {
    fn read(base: OpBase, r: &'a str) -> Option<ReqValue<'a>> {
        use OpBase::*;
        Some(match base {
            StringEquals | StringEqualsIgnoreCase | StringLike | ArnLike | BinaryEquals | Null => {
                ReqValue::Text(r)
            }
            NumericEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => ReqValue::Number(parse_number(r)?),
            DateEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => ReqValue::Date(parse_date(r)?),
            Bool => ReqValue::Bool(parse_bool(r)?),
            IpAddress => ReqValue::Ip(match r.trim().parse::<std::net::IpAddr>() {
                Ok(ip) => ip,
                Err(_) => parse_cidr(r)?.addr(),
            }),
        })
    }
}

fn eq_ignore_case(a: &str, b_lower: &str) -> bool {
    if a.is_ascii() && b_lower.is_ascii() {
        a.eq_ignore_ascii_case(b_lower)
    } else {
        a.to_lowercase() == b_lower
    }
}

fn compare(base: OpBase, req: &ReqValue<'_>, v: &Typed, ctx: &Context) -> bool {
    use OpBase::*;
    match (req, v) {
        (_, Typed::Invalid(_)) => false,
        (ReqValue::Text(r), Typed::Template(t)) => {
            let lookup = |k: &str| ctx.single_lc(k);
            match base {
                StringEquals => t.resolve_text(&lookup).is_some_and(|s| s == *r),
                StringEqualsIgnoreCase => {
                    t.resolve_text(&lookup).is_some_and(|s| eq_ignore_case(r, &s.to_lowercase()))
                }
                StringLike => {
                    t.resolve_toks(&lookup).is_some_and(|toks| Glob::from_toks(toks).matches(r))
                }
                ArnLike => {
                    t.resolve_toks(&lookup).is_some_and(|toks| ArnGlob::from_toks(&toks).matches(r))
                }
                _ => false,
            }
        }
        (ReqValue::Text(r), Typed::Text(s)) => *r == s,
        (ReqValue::Text(r), Typed::TextLower(s)) => eq_ignore_case(r, s),
        (ReqValue::Text(r), Typed::Like(g)) => g.matches(r),
        (ReqValue::Text(r), Typed::Arn(g)) => r.starts_with("arn:") && g.matches(r),
        (ReqValue::Text(r), Typed::Binary(b)) => r.as_bytes() == b.as_slice(),
        (ReqValue::Number(r), Typed::Number(p)) => match base {
            NumericEquals => r == p,
            NumericLessThan => r < p,
            NumericLessThanEquals => r <= p,
            NumericGreaterThan => r > p,
            NumericGreaterThanEquals => r >= p,
            _ => false,
        },
        (ReqValue::Date(r), Typed::Date(p)) => match base {
            DateEquals => r == p,
            DateLessThan => r < p,
            DateLessThanEquals => r <= p,
            DateGreaterThan => r > p,
            DateGreaterThanEquals => r >= p,
            _ => false,
        },
        (ReqValue::Bool(r), Typed::Bool(p)) => r == p,
        (ReqValue::Ip(r), Typed::Ip(net)) => net.contains(r),
        _ => false,
    }
}

/// The policy value as a person should see it: variables resolved (or shown unresolved).
fn resolved_text(v: &crate::model::CondValue, ctx: &Context) -> String {
    match &v.typed {
        Typed::Template(t) => t
            .resolve_text(&|k| ctx.single_lc(k))
            .unwrap_or_else(|| format!("{} (unresolved)", v.raw)),
        _ => v.raw.clone(),
    }
}

/// A short explanation of an unusual outcome (type errors, missing keys, set rules).
fn note(c: &Condition, value: Option<&CtxValue>) -> Option<String> {
    let op = &c.op;
    if let Some(bad) = c.values.iter().find_map(|v| match v.typed {
        Typed::Invalid(why) => {
            Some(format!("policy value `{}` is {why}, so it never matches", v.raw))
        }
        _ => None,
    }) {
        return Some(bad);
    }
    if op.base == OpBase::Null {
        return match op.set {
            SetOp::None => None,
            _ => Some("Null with a set qualifier ignores the key (ForAllValues: always true; ForAnyValue: always false)".into()),
        };
    }
    match (value, op.set) {
        (None, SetOp::ForAllValues) => Some("key missing: ForAllValues is vacuously true".into()),
        (None, SetOp::ForAnyValue) if !op.if_exists => Some("key missing: ForAnyValue is false".into()),
        (None, _) if op.if_exists => Some("key missing: IfExists makes the condition true".into()),
        (None, _) if op.negated => Some("key missing: a negated operator is true".into()),
        (None, _) => Some("key missing from the request: the condition is false".into()),
        (Some(v), _) => v.as_slice().iter().find(|r| ReqValue::read(op.base, r).is_none()).map(|r| {
            format!("request value `{r}` cannot be read as the operator's type, so it matches nothing")
        }),
    }
}
