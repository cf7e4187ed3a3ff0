//! Condition operators and values, typed and compiled at parse time.

use crate::pattern::{ArnGlob, Glob, Template};
use crate::span::Span;
use ipnet::IpNet;
use serde::Serialize;

/// The comparison an operator performs, before negation, `IfExists` and set qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OpBase {
    /// StringEquals / StringNotEquals.
    StringEquals,
    /// StringEqualsIgnoreCase / StringNotEqualsIgnoreCase.
    StringEqualsIgnoreCase,
    /// StringLike / StringNotLike.
    StringLike,
    /// NumericEquals / NumericNotEquals.
    NumericEquals,
    /// NumericLessThan.
    NumericLessThan,
    /// NumericLessThanEquals.
    NumericLessThanEquals,
    /// NumericGreaterThan.
    NumericGreaterThan,
    /// NumericGreaterThanEquals.
    NumericGreaterThanEquals,
    /// DateEquals / DateNotEquals.
    DateEquals,
    /// DateLessThan.
    DateLessThan,
    /// DateLessThanEquals.
    DateLessThanEquals,
    /// DateGreaterThan.
    DateGreaterThan,
    /// DateGreaterThanEquals.
    DateGreaterThanEquals,
    /// Bool.
    Bool,
    /// BinaryEquals.
    BinaryEquals,
    /// IpAddress / NotIpAddress.
    IpAddress,
    /// ArnEquals / ArnLike (identical) and their negations.
    ArnLike,
    /// Null.
    Null,
}

/// The set qualifier of an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SetOp {
    /// No qualifier.
    None,
    /// `ForAllValues:`.
    ForAllValues,
    /// `ForAnyValue:`.
    ForAnyValue,
}

/// A condition operator as written, decomposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    /// The name as written, e.g. `ForAnyValue:StringNotLikeIfExists`.
    pub name: String,
    /// The comparison.
    pub base: OpBase,
    /// `...Not...` operators: the request value must match none of the values.
    pub negated: bool,
    /// `...IfExists`: a missing key makes the condition true.
    pub if_exists: bool,
    /// Set qualifier.
    pub set: SetOp,
}

impl Operator {
    /// Parses an operator name (case-sensitive, as AWS documents them).
    pub fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (SetOp::ForAllValues, r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (SetOp::ForAnyValue, r)
        } else {
            (SetOp::None, name)
        };
        let (core, if_exists) = match rest.strip_suffix("IfExists") {
            Some(c) => (c, true),
            None => (rest, false),
        };
        use OpBase::*;
        let (base, negated) = match core {
            "StringEquals" => (StringEquals, false),
            "StringNotEquals" => (StringEquals, true),
            "StringEqualsIgnoreCase" => (StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (StringEqualsIgnoreCase, true),
            "StringLike" => (StringLike, false),
            "StringNotLike" => (StringLike, true),
            "NumericEquals" => (NumericEquals, false),
            "NumericNotEquals" => (NumericEquals, true),
            "NumericLessThan" => (NumericLessThan, false),
            "NumericLessThanEquals" => (NumericLessThanEquals, false),
            "NumericGreaterThan" => (NumericGreaterThan, false),
            "NumericGreaterThanEquals" => (NumericGreaterThanEquals, false),
            "DateEquals" => (DateEquals, false),
            "DateNotEquals" => (DateEquals, true),
            "DateLessThan" => (DateLessThan, false),
            "DateLessThanEquals" => (DateLessThanEquals, false),
            "DateGreaterThan" => (DateGreaterThan, false),
            "DateGreaterThanEquals" => (DateGreaterThanEquals, false),
            "Bool" => (Bool, false),
            "BinaryEquals" => (BinaryEquals, false),
            "IpAddress" => (IpAddress, false),
            "NotIpAddress" => (IpAddress, true),
            "ArnEquals" | "ArnLike" => (ArnLike, false),
            "ArnNotEquals" | "ArnNotLike" => (ArnLike, true),
            "Null" if !if_exists => (Null, false),
            _ => return None,
        };
        Some(Operator { name: name.to_string(), base, negated, if_exists, set })
    }

    /// True for operators whose values may contain policy variables (String and ARN).
    pub fn takes_variables(&self) -> bool {
        matches!(
            self.base,
            OpBase::StringEquals
                | OpBase::StringEqualsIgnoreCase
                | OpBase::StringLike
                | OpBase::ArnLike
        )
    }
}

/// One condition: an operator applied to one key with one or more values (ORed).
#[derive(Debug, Clone)]
pub struct Condition {
    /// The operator.
    pub op: Operator,
    /// The key as written.
    pub key: String,
    /// The key lower-cased (keys match case-insensitively).
    pub key_lc: String,
    /// Hash of `key_lc` for context lookups.
    pub key_hash: u64,
    /// The values.
    pub values: Vec<CondValue>,
    /// Span of the operator key.
    pub op_span: Span,
    /// Span of the condition key.
    pub key_span: Span,
}

/// One condition value with its typed, compiled form.
#[derive(Debug, Clone)]
pub struct CondValue {
    /// As written (numbers and booleans normalised to their text).
    pub raw: String,
    /// Compiled.
    pub typed: Typed,
    /// Where.
    pub span: Span,
}

/// A condition value compiled for its operator.
#[derive(Debug, Clone)]
pub enum Typed {
    /// String comparison value (`StringEquals`, `Bool`...: compared as text).
    Text(String),
    /// Lower-cased text for `...IgnoreCase`.
    TextLower(String),
    /// `StringLike` pattern.
    Like(Glob),
    /// `ArnLike`/`ArnEquals` pattern.
    Arn(ArnGlob),
    /// A value with policy variables, resolved per request.
    Template(Template),
    /// Numeric value.
    Number(f64),
    /// Instant in milliseconds since the epoch.
    Date(i64),
    /// Boolean.
    Bool(bool),
    /// Decoded bytes.
    Binary(Vec<u8>),
    /// CIDR (host bits cleared).
    Ip(IpNet),
    /// Null's `true`/`false`.
    Null(bool),
    /// The value cannot be read as the operator's type: it never matches.
    Invalid(&'static str),
}

impl CondValue {
    /// Compiles `raw` for `op`. `variables` says whether `${...}` is substituted.
    pub fn compile(op: &Operator, raw: &str, span: Span, variables: bool) -> CondValue {
        let typed = compile_typed(op, raw, variables);
        CondValue { raw: raw.to_string(), typed, span }
    }
}

fn compile_typed(op: &Operator, raw: &str, variables: bool) -> Typed {
    if variables && op.takes_variables() {
        if let Some(t) = Template::parse(raw) {
            return Typed::Template(t);
        }
    }
    match op.base {
        OpBase::StringEquals => Typed::Text(raw.to_string()),
        OpBase::StringEqualsIgnoreCase => Typed::TextLower(raw.to_lowercase()),
        OpBase::StringLike => Typed::Like(Glob::new(raw)),
        OpBase::ArnLike => Typed::Arn(ArnGlob::new(raw)),
        OpBase::NumericEquals
        | OpBase::NumericLessThan
        | OpBase::NumericLessThanEquals
        | OpBase::NumericGreaterThan
        | OpBase::NumericGreaterThanEquals => {
            parse_number(raw).map_or(Typed::Invalid("not a number"), Typed::Number)
        }
        OpBase::DateEquals
        | OpBase::DateLessThan
        | OpBase::DateLessThanEquals
        | OpBase::DateGreaterThan
        | OpBase::DateGreaterThanEquals => parse_date(raw)
            .map_or(Typed::Invalid("not an ISO 8601 date or epoch seconds"), Typed::Date),
        OpBase::Bool => parse_bool(raw).map_or(Typed::Invalid("not true or false"), Typed::Bool),
        OpBase::BinaryEquals => {
            parse_base64(raw).map_or(Typed::Invalid("not base64"), Typed::Binary)
        }
        OpBase::IpAddress => {
            parse_cidr(raw).map_or(Typed::Invalid("not an IP address or CIDR range"), Typed::Ip)
        }
        OpBase::Null => parse_bool(raw).map_or(Typed::Invalid("not true or false"), Typed::Null),
    }
}

/// Parses a decimal number (integer or fraction, optional exponent).
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Parses a date: ISO 8601 date, date-time (with `Z` or an offset, optional fraction), or
/// epoch seconds. Returns milliseconds since the epoch.
pub fn parse_date(s: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    let t = s.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    let is_epoch = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1;
    if is_epoch {
        let secs: f64 = t.parse().ok()?;
        return Some((secs * 1000.0) as i64);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.fZ",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%dT%H:%MZ",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(n.and_utc().timestamp_millis());
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
            return Some(dt.timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc().timestamp_millis())
}

/// Parses `true`/`false`, case-insensitively.
pub fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Decodes standard base64 (padding optional).
pub fn parse_base64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let e = base64::engine::general_purpose::STANDARD;
    e.decode(s.trim())
        .ok()
        .or_else(|| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s.trim()).ok())
}

/// Parses an address or CIDR; a bare address is a /32 or /128; host bits are cleared.
pub fn parse_cidr(s: &str) -> Option<IpNet> {
    let t = s.trim();
    if let Ok(net) = t.parse::<IpNet>() {
        return Some(net.trunc());
    }
    t.parse::<std::net::IpAddr>().ok().map(IpNet::from)
}
