//! Resource checks: ARN fields (service case, partition, Region, account, resource shape,
//! against the catalogue's ARN formats), redundant resources, empty lists, and the key-policy
//! rule that `Resource` is `"*"` (the key the policy is attached to).

use crate::catalog::{catalog, Catalog};
use crate::doc::{Ctx, Item};
use keyward_core::json::Value;
use keyward_core::model::PolicyKind;
use keyward_core::pattern::Glob;
use std::collections::HashMap;

const PARTITIONS: &[&str] =
    &["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"];

fn has_wild(s: &str) -> bool {
    s.contains(['*', '?']) || s.contains("${")
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `us-iso-east-1`...
fn valid_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else { return false };
    parts.len() >= 3
        && first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Runs the resource checks.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let cat = catalog();
    let mut found = Vec::new();
    for s in &ctx.stmts {
        if let Some(m) = s.resource {
            if matches!(&m.value.value, Value::Array(a) if a.is_empty()) {
                found.push((
                    "empty-array-resource",
                    m.value.span,
                    format!("{}.{}", s.path, m.key),
                    "this statement includes no resources and does not affect the policy"
                        .to_string(),
                    Some("add the resources, or delete the statement".to_string()),
                ));
            }
        }
        for item in &s.resources {
            arn_checks(cat, item, &mut found);
            let arn_shaped = item.text.starts_with("arn:") && item.text.split(':').count() >= 6;
            if ctx.kind == PolicyKind::Key && item.text != "*" && arn_shaped {
                key_policy_resource(item, s.not_resource, &mut found);
            }
        }
        redundant(&s.resources, &mut found);
    }
    for (code, span, path, msg, fix) in found {
        ctx.emit(code, span, path, msg, fix);
    }
}

type Found = Vec<(&'static str, keyward_core::span::Span, String, String, Option<String>)>;

fn key_policy_resource(item: &Item<'_>, negated: bool, out: &mut Found) {
    let is_kms = item.text.split(':').nth(2) == Some("kms");
    if is_kms || has_wild(item.text) {
        let elem = if negated { "NotResource" } else { "Resource" };
        out.push((
            "kms-resource-not-star",
            item.span,
            item.path(),
            format!("`{}` in a key policy: the only resource a key policy governs is its own key, written \"*\"", item.text),
            Some(format!("use \"{elem}\": \"*\" (an ARN of another key never matches, and a mistyped ARN of this key silently grants nothing)")),
        ));
    } else {
        out.push((
            "unsupported-resource-arn-in-policy",
            item.span,
            item.path(),
            format!("`{}` is not a KMS key: a key policy only governs its own key", item.text),
            Some("use \"Resource\": \"*\"".to_string()),
        ));
    }
}

fn arn_checks(cat: &Catalog, item: &Item<'_>, out: &mut Found) {
    let text = item.text;
    if text == "*" || !text.starts_with("arn:") {
        return;
    }
    let mut parts = text.splitn(6, ':');
    let mut next = || parts.next();
    let (Some(_), Some(partition), Some(service), Some(region), Some(account), Some(resource)) =
        (next(), next(), next(), next(), next(), next())
    else {
        return;
    };
    let mut push = |code: &'static str, msg: String, fix: Option<String>| {
        out.push((code, item.span, item.path(), msg, fix));
    };
    if !has_wild(partition) && !PARTITIONS.contains(&partition) {
        push(
            "invalid-partition",
            format!("`{partition}` is not an AWS partition"),
            Some("use aws (or aws-cn, aws-us-gov...)".to_string()),
        );
    }
    if has_wild(service) {
        return;
    }
    if service.bytes().any(|b| b.is_ascii_uppercase()) {
        push(
            "invalid-arn-service-case",
            format!("the service `{service}` in the ARN must be lower case"),
            Some(format!("write `{}`", service.to_ascii_lowercase())),
        );
        return;
    }
    if !has_wild(region) && !region.is_empty() && !valid_region(region) {
        push(
            "invalid-region",
            format!("`{region}` is not an AWS Region"),
            Some(
                "use a Region code such as us-east-1, or leave it empty when the service has none"
                    .to_string(),
            ),
        );
    }
    if !has_wild(account)
        && !account.is_empty()
        && account != "aws"
        && (account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()))
    {
        push(
            "invalid-arn-account",
            format!("the ARN account `{account}` is not a 12-digit account id"),
            Some("use the 12-digit account id, or * for any account".to_string()),
        );
    }
    // ARN formats of the service (several prefixes share an ARN service, e.g. s3-object-lambda).
    let all: Vec<&crate::catalog::ResourceType> = cat.arn_types(service).collect();
    // The resource types this ARN can be (all of them when its resource part has wildcards).
    let resource_lc = resource.to_ascii_lowercase();
    let fitting: Vec<&crate::catalog::ResourceType> = if has_wild(resource) {
        all.clone()
    } else {
        all.iter().copied().filter(|t| t.glob.matches(&resource_lc)).collect()
    };
    let types = if fitting.is_empty() { &all } else { &fitting };
    if types.is_empty() {
        if cat.service(service).is_none() {
            push(
                "invalid-service",
                format!("the service `{service}` in the ARN does not exist"),
                None,
            );
        }
        return;
    }
    if !has_wild(region) {
        if !region.is_empty() && types.iter().all(|t| t.region.is_empty()) {
            push(
                "arn-region-not-allowed",
                format!("`{service}` ARNs have no Region, found `{region}`"),
                Some(format!("remove the Region: arn:{partition}:{service}::{account}:{resource}")),
            );
        } else if region.is_empty() && types.iter().all(|t| !t.region.is_empty()) {
            push(
                "missing-arn-region",
                format!("`{service}` ARNs need a Region"),
                Some("add the Region, or * for any Region".to_string()),
            );
        }
    }
    if !has_wild(account) && !account.is_empty() && types.iter().all(|t| t.account.is_empty()) {
        push(
            "arn-account-not-allowed",
            format!("`{service}` ARNs have no account id, found `{account}`"),
            Some(format!("remove the account: arn:{partition}:{service}:{region}::{resource}")),
        );
    }
    // Access Analyzer checks the resource part's format only in ARNs whose Region and account
    // are written out: with a wildcard there it stays silent.
    let exact_scope = !has_wild(region) && !has_wild(account);
    if exact_scope && !has_wild(resource) && fitting.is_empty() && !all.is_empty() {
        let shapes: Vec<&str> = all.iter().map(|t| t.resource.as_str()).take(6).collect();
        push(
            "invalid-arn-resource",
            format!(
                "`{resource}` does not match any `{service}` resource type ({})",
                shapes.join(", ")
            ),
            None,
        );
    }
}

fn redundant(resources: &[Item<'_>], out: &mut Found) {
    if resources.len() < 2 {
        return;
    }
    // Only the same text or a pattern with a wildcard can cover a resource: index the first
    // occurrence of each text and keep the (usually few) patterns apart, so a long list is
    // checked in near-linear time.
    if resources.len() <= 16 {
        return redundant_scan(resources, out);
    }
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut patterns: Vec<(usize, Glob)> = Vec::new();
    for (j, b) in resources.iter().enumerate() {
        first.entry(b.text).or_insert(j);
        if b.text.contains(['*', '?']) && !b.text.contains("${") {
            patterns.push((j, Glob::new(b.text)));
        }
    }
    for (i, a) in resources.iter().enumerate() {
        let same = first.get(a.text).copied().filter(|&j| j < i);
        let wider = patterns.iter().find(|(j, g)| {
            *j != i && resources.get(*j).is_some_and(|b| b.text != a.text) && g.matches(a.text)
        });
        let cover = match (same, wider) {
            (Some(x), Some((y, _))) => Some(x.min(*y)),
            (Some(x), None) => Some(x),
            (None, w) => w.map(|(y, _)| *y),
        };
        if let Some(b) = cover.and_then(|j| resources.get(j)) {
            out.push((
                "redundant-resource",
                a.span,
                a.path(),
                format!(
                    "`{}` is redundant: `{}` in the same list already covers it",
                    a.text, b.text
                ),
                Some(format!("remove `{}`", a.text)),
            ));
        }
    }
}

/// [`redundant`] for a short list: each item against every other.
fn redundant_scan(resources: &[Item<'_>], out: &mut Found) {
    for (i, a) in resources.iter().enumerate() {
        let cover = resources.iter().enumerate().find(|(j, b)| {
            *j != i
                && (if b.text == a.text {
                    *j < i
                } else {
                    b.text.contains(['*', '?'])
                        && !b.text.contains("${")
                        && Glob::new(b.text).matches(a.text)
                })
        });
        if let Some((_, b)) = cover {
            out.push((
                "redundant-resource",
                a.span,
                a.path(),
                format!(
                    "`{}` is redundant: `{}` in the same list already covers it",
                    a.text, b.text
                ),
                Some(format!("remove `{}`", a.text)),
            ));
        }
    }
}
