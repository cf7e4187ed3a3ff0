//! Checked input of `keyward explain`: the action against the action catalogue (with
//! did-you-mean), the key in each of its forms (key ARN, key id, alias name or alias ARN through
//! `--alias` mappings), principal ARNs with their expected forms, and `--service-call` against
//! the service-call catalogue. Every error names its flag.

use keyward_core::eval::call::service::{service_op, service_operations, services, ServiceOp};
use keyward_core::eval::Principal;

/// The principal forms `--principal` accepts, spelled out.
const PRINCIPAL_FORMS: &str = "expected arn:aws:iam::123456789012:user/NAME, \
     arn:aws:iam::123456789012:role/NAME, arn:aws:sts::123456789012:assumed-role/ROLE/SESSION, \
     arn:aws:iam::123456789012:root, a 12-digit account id, or service:NAME.amazonaws.com";

/// `--principal`, parsed; the error spells out the forms.
pub(crate) fn principal(s: &str) -> Result<Principal, String> {
    Principal::parse(s).map_err(|e| format!("--principal: {e}; {PRINCIPAL_FORMS}"))
}

/// Edit distance (Levenshtein, ASCII case-insensitive), for did-you-mean.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<u8> = b.bytes().map(|c| c.to_ascii_lowercase()).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().map(|c| c.to_ascii_lowercase()).enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `--action`, checked against the action catalogue: the service must exist and name the
/// action. `Decrypt` (no prefix) and `kms:Decrpyt` (a typo) are errors that say what was meant.
pub(crate) fn action(a: &str) -> Result<String, String> {
    let cat = keyward_lint::catalog();
    let Some((prefix, name)) = a.split_once(':') else {
        let hits: Vec<String> = cat
            .services()
            .iter()
            .filter(|s| s.prefix == "kms")
            .chain(cat.services().iter().filter(|s| s.prefix != "kms"))
            .filter_map(|s| cat.action(s, a).map(|x| format!("{}:{}", s.prefix, x.name())))
            .take(3)
            .collect();
        return Err(match hits.first() {
            Some(h) => format!("--action `{a}`: an action names its service; did you mean `{h}`?"),
            None => format!("--action `{a}`: expected SERVICE:Action, e.g. kms:Decrypt"),
        });
    };
    let Some(svc) = cat.service(prefix) else {
        return Err(format!("--action `{a}`: unknown service `{prefix}`"));
    };
    if let Some(x) = cat.action(svc, name) {
        return Ok(format!("{}:{}", svc.prefix, x.name()));
    }
    if name.contains('*') {
        return Err(format!("--action `{a}`: a request names one action, not a pattern"));
    }
    let best = cat
        .actions(svc)
        .map(|x| (distance(name, x.name()), x.name()))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, _)| *d <= 2.max(name.len() / 4));
    Err(match best {
        Some((_, n)) => {
            format!("--action `{a}`: {prefix} has no action `{name}`; did you mean `{prefix}:{n}`?")
        }
        None => format!("--action `{a}`: {prefix} has no action `{name}`"),
    })
}

/// A key reference resolved: the key ARN and the alias the request named it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyRef {
    pub(crate) arn: String,
    pub(crate) alias: Option<String>,
}

/// Alias mappings (`alias/NAME`, key) and the alias the request used.
pub(crate) type AliasFlags = (Vec<(String, String)>, Option<String>);

/// `--alias` values: `alias/NAME=KEY` maps an alias to a key ARN or id; a bare `alias/NAME` is
/// the alias the request used (kms:RequestAlias), as before.
pub(crate) fn alias_maps(values: &[String]) -> Result<AliasFlags, String> {
    let (mut maps, mut used) = (Vec::new(), None);
    for v in values {
        match v.split_once('=') {
            Some((a, k)) => {
                let a = alias_name(a).ok_or_else(|| {
                    format!("--alias `{v}`: expected alias/NAME=KEY_ARN (the alias must start with alias/)")
                })?;
                maps.push((a, k.to_string()));
            }
            None => {
                used = Some(alias_name(v).ok_or_else(|| {
                    format!("--alias `{v}`: expected alias/NAME or alias/NAME=KEY_ARN")
                })?)
            }
        }
    }
    Ok((maps, used))
}

/// `alias/NAME` from an alias name or alias ARN.
fn alias_name(s: &str) -> Option<String> {
    let name = match s.split_once(":alias/") {
        Some((head, n)) if head.starts_with("arn:") => format!("alias/{n}"),
        Some(_) => return None,
        None => s.to_string(),
    };
    (name.len() > "alias/".len() && name.starts_with("alias/")).then_some(name)
}

fn check_key_arn(arn: &str, flag: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = matches!(parts[..], [_, p, "kms", r, acct, res]
        if p.starts_with("aws")
            && !r.is_empty()
            && acct.len() == 12
            && acct.bytes().all(|b| b.is_ascii_digit())
            && res.strip_prefix("key/").is_some_and(valid_key_id));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{flag} `{arn}`: not a key ARN (expected \
             arn:aws:kms:REGION:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab)"
        ))
    }
}

fn valid_key_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `--key` in any of its forms. Alias names and alias ARNs resolve through `maps`; AWS managed
/// key aliases (`alias/aws/...`) are left to the caller (`managed`) and come back as `None`.
pub(crate) fn key(
    k: &str,
    maps: &[(String, String)],
    region: Option<&str>,
    account: &str,
    flag: &str,
) -> Result<Option<KeyRef>, String> {
    if k.contains(":alias/") || k.starts_with("alias/") {
        let name = alias_name(k).ok_or_else(|| format!("{flag} `{k}`: not an alias ARN"))?;
        if name.starts_with("alias/aws/") {
            return Ok(None);
        }
        let Some((_, target)) = maps.iter().find(|(a, _)| *a == name) else {
            return Err(format!(
                "{flag} `{k}`: an alias names a key only through a mapping; add \
                 --alias {name}=KEY_ARN"
            ));
        };
        let inner = key(
            target,
            &[],
            region.or(keyward_core::eval::call::arn_region(k)),
            account,
            "--alias",
        )?;
        return Ok(inner.map(|r| KeyRef { alias: Some(name), ..r }));
    }
    if k.starts_with("arn:") {
        check_key_arn(k, flag)?;
        return Ok(Some(KeyRef { arn: k.to_string(), alias: None }));
    }
    if !valid_key_id(k) {
        return Err(format!(
            "{flag} `{k}`: expected a key ARN, a key id (1234abcd-12ab-34cd-56ef-1234567890ab), \
             an alias name (alias/NAME) or an alias ARN"
        ));
    }
    let arn = format!("arn:aws:kms:{}:{account}:key/{k}", region.unwrap_or("us-east-1"));
    Ok(Some(KeyRef { arn, alias: None }))
}

/// `--service-call SERVICE:Operation`, checked against the catalogue.
pub(crate) fn service_call(s: &str) -> Result<&'static ServiceOp, String> {
    let Some((svc, op)) = s.split_once(':') else {
        return Err(format!("--service-call `{s}`: expected SERVICE:Operation, e.g. s3:PutObject"));
    };
    if !services().contains(&svc) {
        return Err(format!(
            "--service-call `{s}`: unknown service `{svc}` (known: {})",
            services().join(", ")
        ));
    }
    service_op(svc, op).ok_or_else(|| {
        let ops = service_operations(svc);
        let hint = ops
            .iter()
            .map(|o| (distance(op, o), o))
            .min_by_key(|(d, _)| *d)
            .filter(|(d, _)| *d <= 2)
            .map(|(_, o)| format!("did you mean `{svc}:{o}`? "))
            .unwrap_or_default();
        format!("--service-call `{s}`: {hint}{svc} operations: {}", ops.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_checked_with_did_you_mean() {
        assert_eq!(action("kms:Decrypt").unwrap(), "kms:Decrypt");
        assert_eq!(action("KMS:decrypt").unwrap(), "kms:Decrypt");
        assert!(action("kms:Decrpyt").unwrap_err().contains("did you mean `kms:Decrypt`"));
        assert!(action("Decrypt").unwrap_err().contains("did you mean `kms:Decrypt`"));
        assert!(action("kmz:Decrypt").unwrap_err().contains("unknown service `kmz`"));
        assert!(action("kms:Zzzzzzzzzzzz").unwrap_err().contains("no action"));
        assert_eq!(action("s3:PutObject").unwrap(), "s3:PutObject");
    }

    #[test]
    fn keys_in_every_form() {
        let maps =
            vec![("alias/app".to_string(), "1234abcd-12ab-34cd-56ef-1234567890ab".to_string())];
        let acct = "111122223333";
        let k = key("alias/app", &maps, Some("eu-west-1"), acct, "--key").unwrap().unwrap();
        assert_eq!(
            k.arn,
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        );
        assert_eq!(k.alias.as_deref(), Some("alias/app"));
        let k = key("arn:aws:kms:us-west-2:111122223333:alias/app", &maps, None, acct, "--key")
            .unwrap()
            .unwrap();
        assert!(k.arn.starts_with("arn:aws:kms:us-west-2:"), "{k:?}");
        assert!(key("alias/other", &maps, None, acct, "--key")
            .unwrap_err()
            .contains("--alias alias/other=KEY_ARN"));
        assert!(key("arn:aws:kms:us-east-1:1111:key/x", &[], None, acct, "--key")
            .unwrap_err()
            .contains("not a key ARN"));
        assert!(key("arn:aws:kms:us-east-1:111122223333:keys/x", &[], None, acct, "--key").is_err());
        assert!(key("a key", &[], None, acct, "--key").unwrap_err().contains("expected a key ARN"));
        assert_eq!(key("alias/aws/s3", &[], None, acct, "--key").unwrap(), None);
    }

    #[test]
    fn service_calls_are_checked() {
        assert_eq!(service_call("s3:PutObject").unwrap().action, "s3:PutObject");
        assert!(service_call("s3:PutObjekt").unwrap_err().contains("did you mean `s3:PutObject`"));
        assert!(service_call("s4:PutObject").unwrap_err().contains("unknown service"));
        assert!(service_call("PutObject").unwrap_err().contains("SERVICE:Operation"));
    }

    #[test]
    fn principal_errors_spell_out_the_forms() {
        let e = principal("alice").unwrap_err();
        assert!(e.starts_with("--principal") && e.contains("assumed-role/ROLE/SESSION"), "{e}");
    }
}
