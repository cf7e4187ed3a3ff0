//! Condition value checks: values that do not parse for their operator, time-of-day "dates",
//! wildcards under exact operators, policy variables, IP ranges, VPC ids, ViaService names,
//! empty value lists, repeated Boolean and numeric bounds.

use crate::checks::conditions::{empty_values, Found};
use crate::doc::Cond;
use ipnet::IpNet;
use keyward_core::model::{parse_base64, parse_bool, parse_cidr, parse_date, parse_number};
use keyward_core::model::{OpBase, Operator, SetOp};

/// Runs the value checks of one condition.
pub(crate) fn check(c: &Cond<'_>, op: &Operator, variables: bool, out: &mut Found) {
    let mut push = |code: &'static str, span, msg: String, fix: Option<String>| {
        out.push((code, span, c.path.clone(), msg, fix));
    };
    if empty_values(c) {
        let (code, why) = match (op.set, op.if_exists) {
            (SetOp::ForAllValues, _) => (
                "empty-array-condition-forallvalues",
                format!(
                    "ForAllValues with no values matches only when `{}` is missing or empty",
                    c.key
                ),
            ),
            (SetOp::ForAnyValue, _) => (
                "empty-array-condition-foranyvalue",
                format!("ForAnyValue with no values never matches `{}`", c.key),
            ),
            (_, true) => (
                "empty-array-condition-ifexists",
                format!("IfExists with no values matches only when `{}` is missing", c.key),
            ),
            _ => (
                "empty-array-condition",
                format!(
                    "there are no values for `{}`, so the condition does not do what it seems to",
                    c.key
                ),
            ),
        };
        push(
            code,
            c.value_node.span,
            why,
            Some("add the values, or remove the condition".to_string()),
        );
        return;
    }
    let fam_date = matches!(
        op.base,
        OpBase::DateEquals
            | OpBase::DateLessThan
            | OpBase::DateLessThanEquals
            | OpBase::DateGreaterThan
            | OpBase::DateGreaterThanEquals
    );
    let fam_num = matches!(
        op.base,
        OpBase::NumericEquals
            | OpBase::NumericLessThan
            | OpBase::NumericLessThanEquals
            | OpBase::NumericGreaterThan
            | OpBase::NumericGreaterThanEquals
    );
    for v in &c.values {
        let raw = v.raw.as_str();
        let has_var = raw.contains("${");
        if has_var {
            variable_checks(raw, v.span, op, variables, &mut push);
            continue;
        }
        match op.base {
            _ if fam_date => date_value(c, raw, v.span, &mut push),
            _ if fam_num && parse_number(raw).is_none() => push(
                "type-mismatch-number",
                v.span,
                format!("`{raw}` is not a number, so `{}` never matches it", c.op_name),
                Some("write a decimal number".to_string()),
            ),
            OpBase::Bool | OpBase::Null if parse_bool(raw).is_none() => push(
                "type-mismatch-boolean",
                v.span,
                format!("`{raw}` is not true or false"),
                Some("write \"true\" or \"false\"".to_string()),
            ),
            OpBase::BinaryEquals if parse_base64(raw).is_none() => push(
                "type-mismatch-string",
                v.span,
                format!("`{raw}` is not base64, which BinaryEquals compares against"),
                Some("base64-encode the value".to_string()),
            ),
            OpBase::IpAddress => ip_value(raw, v.span, &mut push),
            OpBase::StringEquals | OpBase::StringEqualsIgnoreCase if raw.contains(['*', '?']) => {
                push(
                    "wildcard-without-like-operator",
                    v.span,
                    format!("`{raw}` contains * or ?, which `{}` compares literally", c.op_name),
                    Some(format!(
                        "if you meant a wildcard, use {}",
                        op.name.replace("Equals", "Like").replace("IgnoreCase", "")
                    )),
                )
            }
            _ => {}
        }
        key_value(c, raw, v.span, &mut push);
    }
    if op.base == OpBase::Bool && op.set == SetOp::None {
        let vals: Vec<Option<bool>> = c.values.iter().map(|v| parse_bool(&v.raw)).collect();
        if vals.contains(&Some(true)) && vals.contains(&Some(false)) {
            push(
                "invalid-condition-multiple-boolean",
                c.value_node.span,
                format!(
                    "`{}` lists both true and false, so the condition tests nothing but presence",
                    c.key
                ),
                Some("keep one value (or use Null to test presence)".to_string()),
            );
        }
    }
    let bound = matches!(
        op.base,
        OpBase::NumericLessThan
            | OpBase::NumericLessThanEquals
            | OpBase::NumericGreaterThan
            | OpBase::NumericGreaterThanEquals
            | OpBase::DateLessThan
            | OpBase::DateLessThanEquals
            | OpBase::DateGreaterThan
            | OpBase::DateGreaterThanEquals
    );
    if bound && c.values.len() > 1 {
        push(
            "redundant-condition-value-num",
            c.value_node.span,
            format!(
                "several values in `{}` are redundant: only the least restrictive one matters",
                c.op_name
            ),
            Some("keep one value".to_string()),
        );
    }
    if c.key_lc == "aws:sourceip" && op.base == OpBase::IpAddress {
        private_ips(c, op, &mut push);
    }
}

type Push<'p> = dyn FnMut(&'static str, keyward_core::span::Span, String, Option<String>) + 'p;

fn variable_checks(
    raw: &str,
    span: keyward_core::span::Span,
    op: &Operator,
    variables: bool,
    push: &mut Push<'_>,
) {
    if !variables {
        push(
            "variable-unsupported-in-version",
            span,
            format!("`{raw}` is read literally: policy variables need \"Version\": \"2012-10-17\""),
            Some("add \"Version\": \"2012-10-17\"".to_string()),
        );
        return;
    }
    if !op.takes_variables() {
        push(
            "invalid-variable-for-operator",
            span,
            format!("policy variables work only with String and ARN operators, not `{}`", op.name),
            None,
        );
    }
    variable_syntax(raw, span, push);
}

/// `${` without `}`, `${}`, spaces in the variable name, a default value without quotes.
pub(crate) fn variable_syntax(raw: &str, span: keyward_core::span::Span, push: &mut Push<'_>) {
    let mut rest = raw;
    while let Some(i) = rest.find("${") {
        let after = rest.get(i + 2..).unwrap_or("");
        let Some(end) = after.find('}') else {
            push(
                "missing-brace-in-variable",
                span,
                format!("the policy variable in `{raw}` has no closing }}"),
                None,
            );
            return;
        };
        let inner = after.get(..end).unwrap_or("");
        let (name, default) = match inner.split_once(',') {
            Some((n, d)) => (n, Some(d.trim())),
            None => (inner, None),
        };
        if name.trim().is_empty() {
            push("empty-variable", span, format!("`{raw}` has an empty policy variable"), None);
        } else if name.contains(char::is_whitespace) {
            push(
                "unsupported-space-in-variable",
                span,
                format!("the policy variable `${{{inner}}}` contains a space"),
                None,
            );
        } else if let Some(d) = default {
            if d.len() < 2 || !d.starts_with('\'') || !d.ends_with('\'') {
                push(
                    "missing-quote-in-variable",
                    span,
                    format!("the default value in `${{{inner}}}` must be in single quotes"),
                    Some(format!("write ${{{name}, '{}'}}", d.trim_matches('\''))),
                );
            }
        }
        rest = after.get(end + 1..).unwrap_or("");
    }
}

/// `HH:MM`, `HH:MMZ`, `HH:MM:SS`, optionally with a `T` in front.
fn time_of_day(raw: &str) -> bool {
    let t = raw.trim().trim_start_matches('T').trim_end_matches('Z');
    let parts: Vec<&str> = t.split(':').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
}

fn date_value(c: &Cond<'_>, raw: &str, span: keyward_core::span::Span, push: &mut Push<'_>) {
    if time_of_day(raw) {
        push(
            "time-of-day-condition",
            span,
            format!("`{raw}` is a time of day, not a date: IAM has no time-of-day condition, `{}` never matches it", c.op_name),
            Some("for a one-off window use absolute instants (DateGreaterThan \"2025-06-01T08:00:00Z\" with DateLessThan \"2025-06-01T18:00:00Z\"); for recurring business hours, attach and detach the statement on a schedule (e.g. an EventBridge Scheduler job that calls PutKeyPolicy or updates the IAM policy)".to_string()),
        );
        return;
    }
    match parse_date(raw) {
        None => push(
            "type-mismatch-date",
            span,
            format!("`{raw}` is not a date, so `{}` never matches it", c.op_name),
            Some(
                "write an ISO 8601 date (2025-06-01 or 2025-06-01T08:00:00Z) or epoch seconds"
                    .to_string(),
            ),
        ),
        Some(ms) => {
            let epoch = raw.bytes().all(|b| b.is_ascii_digit() || b == b'.');
            let year_ok = raw
                .get(..4)
                .and_then(|y| y.parse::<i32>().ok())
                .is_some_and(|y| (1970..=2200).contains(&y));
            if (epoch && ms > 10_000_000_000_000) || (!epoch && !year_ok) {
                push(
                    "invalid-date-value",
                    span,
                    format!("the date `{raw}` might not resolve as expected (epoch values are seconds, not milliseconds)"),
                    Some("use the YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ format".to_string()),
                );
            }
        }
    }
}

fn ip_value(raw: &str, span: keyward_core::span::Span, push: &mut Push<'_>) {
    let Some(net) = parse_cidr(raw) else {
        push(
            "type-mismatch-ip-range",
            span,
            format!("`{raw}` is not an IP address or CIDR range"),
            Some("write an address (203.0.113.5) or a CIDR range (203.0.113.0/24)".to_string()),
        );
        return;
    };
    if let Some((addr, _)) = raw.trim().split_once('/') {
        if addr.parse::<std::net::IpAddr>().is_ok_and(|a| a != net.network()) {
            push(
                "improve-ip-range",
                span,
                format!("the bits of `{raw}` after the mask are ignored: it means {net}"),
                Some(format!("write {net}")),
            );
        }
    }
}

fn private(net: &IpNet) -> bool {
    const RANGES: &[&str] = &[
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    ];
    RANGES.iter().filter_map(|r| r.parse::<IpNet>().ok()).any(|r| r.contains(net))
}

fn private_ips(c: &Cond<'_>, op: &Operator, push: &mut Push<'_>) {
    let nets: Vec<IpNet> = c.values.iter().filter_map(|v| parse_cidr(&v.raw)).collect();
    let n_private = nets.iter().filter(|n| private(n)).count();
    if n_private == 0 {
        return;
    }
    let all = n_private == nets.len();
    let code = match (op.negated, all) {
        (false, true) => "private-ip-address",
        (false, false) => "private-ip-address-subset",
        (true, true) => "private-notipaddress",
        (true, false) => "private-notipaddress-subset",
    };
    push(
        code,
        c.value_node.span,
        "aws:SourceIp holds only public addresses: private ranges in it never match (requests through a VPC endpoint carry aws:VpcSourceIp instead)".to_string(),
        Some("use aws:VpcSourceIp with aws:SourceVpc / aws:SourceVpce for private networks".to_string()),
    );
}

/// Key-specific value rules: VPC and VPC endpoint ids, kms:ViaService names.
fn key_value(c: &Cond<'_>, raw: &str, span: keyward_core::span::Span, push: &mut Push<'_>) {
    let id_ok = |prefix: &str| {
        raw.contains(['*', '?'])
            || raw
                .strip_prefix(prefix)
                .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    match c.key_lc.as_str() {
        "aws:sourcevpc" if !id_ok("vpc-") => push(
            "invalid-vpc-format",
            span,
            format!("`{raw}` is not a VPC id (vpc-0123456789abcdef0)"),
            None,
        ),
        "aws:sourcevpce" if !id_ok("vpce-") => push(
            "invalid-vpce-format",
            span,
            format!("`{raw}` is not a VPC endpoint id (vpce-0123456789abcdef0)"),
            None,
        ),
        "kms:viaservice" if !via_service_ok(raw) => push(
            "kms-via-service-format",
            span,
            format!("`{raw}` is not a kms:ViaService value: KMS sets it to SERVICE.REGION.amazonaws.com"),
            Some(format!("write e.g. {}.us-east-1.amazonaws.com", raw.split(['.', ':']).next().filter(|s| !s.is_empty()).unwrap_or("s3"))),
        ),
        _ => {}
    }
}

fn via_service_ok(raw: &str) -> bool {
    let body = raw.strip_suffix(".amazonaws.com").or_else(|| raw.strip_suffix(".amazonaws.com.cn"));
    let Some(body) = body else { return false };
    let Some((svc, region)) = body.split_once('.') else { return false };
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-*?".contains(&b))
    };
    ok(svc) && ok(region) && !region.contains('.')
}
