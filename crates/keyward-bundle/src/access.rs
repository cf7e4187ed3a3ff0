//! `who_can(bundle)` and `diff(bundle)`: keyward-access's analyses (principal classes
//! included) over key policies given as text, with JSON in and out.

use crate::util::{fail, too_large, MAX_BUNDLE, MAX_DOC};
use keyward_access::diff::{diff_key_policies, placeholder_key, COMMON_ACTIONS};
use keyward_access::who_can::{who_can, Query};
use keyward_access::{action_list, KeyFacts};
use keyward_aws::export::AccountExport;
use keyward_core::diag::{has_errors, Diagnostic, Severity};
use keyward_core::eval::{NamedPolicy, PolicySet};
use keyward_core::span::LineIndex;
use serde_json::{json, Map, Value};

/// The bundle as an object, or the error object.
fn object(bundle: &str) -> Result<Map<String, Value>, Value> {
    if bundle.len() > MAX_BUNDLE {
        return Err(too_large(bundle.len(), MAX_BUNDLE, "bundle"));
    }
    match serde_json::from_str::<Value>(bundle) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(fail("the bundle must be a JSON object", Some("bundle"))),
        Err(e) => Err(fail(format!("the bundle is not JSON: {e}"), Some("bundle"))),
    }
}

/// A string member, `Ok(None)` when absent or null.
fn text<'m>(m: &'m Map<String, Value>, field: &str) -> Result<Option<&'m str>, Value> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() > MAX_DOC => Err(too_large(s.len(), MAX_DOC, field)),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(fail(format!("{field} must be a string"), Some(field))),
    }
}

/// The first error of `diags` as an error object naming `field` and line:column.
fn first_error(text: &str, diags: &[Diagnostic], field: &str) -> Result<(), Value> {
    if !has_errors(diags) {
        return Ok(());
    }
    let idx = LineIndex::new(text);
    let d = diags.iter().find(|d| d.severity == Severity::Error);
    let msg = d.map_or_else(String::new, |d| {
        let lc = idx.line_col(d.span.start);
        format!("{field}:{}:{}: {} [{}]", lc.line, lc.col, d.message, d.code)
    });
    Err(fail(msg, Some(field)))
}

/// A key policy (`get-key-policy` output or a document).
fn key_policy(m: &Map<String, Value>, field: &str) -> Result<NamedPolicy, Value> {
    let t = text(m, field)?.ok_or_else(|| fail(format!("{field} is required"), Some(field)))?;
    let (p, d) = keyward_aws::kms::key_policy(t);
    first_error(t, &d, field)?;
    p.map(|p| NamedPolicy::new(field, p))
        .ok_or_else(|| fail(format!("{field} is not a key policy"), Some(field)))
}

fn export(m: &Map<String, Value>) -> Result<Option<AccountExport>, Value> {
    let Some(t) = text(m, "account_export")? else { return Ok(None) };
    let (ex, d) = keyward_aws::export::account_export(t);
    first_error(t, &d, "account_export")?;
    Ok(ex)
}

fn actions(m: &Map<String, Value>, default: &str) -> Result<Vec<String>, Value> {
    let list = match m.get("actions") {
        None | Some(Value::Null) => action_list(default),
        Some(Value::String(s)) => action_list(s),
        Some(Value::Array(a)) => {
            let mut out = Vec::new();
            for v in a {
                let s =
                    v.as_str().ok_or_else(|| fail("actions must hold strings", Some("actions")))?;
                out.extend(action_list(s));
            }
            out
        }
        Some(_) => return Err(fail("actions must be a string or a list", Some("actions"))),
    };
    if list.is_empty() {
        return Err(fail("actions is empty", Some("actions")));
    }
    Ok(list)
}

fn key(m: &Map<String, Value>, account: &str) -> Result<KeyFacts, Value> {
    let arn = text(m, "key_arn")?.map_or_else(|| placeholder_key(account), str::to_string);
    KeyFacts::from_arn(&arn).map_err(|e| fail(format!("key_arn {e}"), Some("key_arn")))
}

/// `who_can({key_policy, key_arn, actions?, account_export?, grants?})`.
pub fn who_can_json(bundle: &str) -> Value {
    run(|| {
        let m = object(bundle)?;
        let kp = key_policy(&m, "key_policy")?;
        let key = key(&m, "111122223333")?;
        let actions = actions(&m, "kms:Decrypt")?;
        let ex = export(&m)?;
        let mut extra = PolicySet::default();
        if let Some(t) = text(&m, "grants")? {
            let (g, d) = keyward_aws::kms::grants(t);
            first_error(t, &d, "grants")?;
            extra.grants = g.into_iter().map(std::sync::Arc::new).collect();
        }
        let q = Query {
            key: &key,
            key_policy: &kp,
            export: ex.as_ref(),
            extra: &extra,
            actions: &actions,
        };
        Ok(json!({"ok": true, "key": key.arn, "rows": who_can(&q)}))
    })
}

/// `diff({old, new, key_arn?, actions?, account_export?})` for key policies.
pub fn diff_json(bundle: &str) -> Value {
    run(|| {
        let m = object(bundle)?;
        let old = key_policy(&m, "old")?;
        let new = key_policy(&m, "new")?;
        let ex = export(&m)?;
        let account = keyward_access::diff::account_of(ex.as_ref(), &[&old, &new]);
        let key = key(&m, &account)?;
        let actions = actions(&m, COMMON_ACTIONS)?;
        let changes = diff_key_policies(&old, &new, ex.as_ref(), &key, &actions);
        let added = changes.iter().any(keyward_access::diff::Change::adds_access);
        Ok(json!({"ok": true, "key": key.arn, "added_access": added, "changes": changes}))
    })
}

fn run(f: impl FnOnce() -> Result<Value, Value>) -> Value {
    f().unwrap_or_else(|e| e)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    const ROOT: &str = r#"{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#;
    const PARTNER: &str = r#"{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"444455556666"}}}"#;

    fn policy(st: &[&str]) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, st.join(","))
    }

    #[test]
    fn who_can_and_diff_report_the_partner_class() {
        let b = json!({"key_policy": policy(&[ROOT, PARTNER]), "actions": "kms:Decrypt",
            "key_arn": "arn:aws:kms:us-east-1:111122223333:key/k"});
        let r = who_can_json(&b.to_string());
        let rows = r["rows"].as_array().unwrap();
        assert!(rows.iter().any(|x| x["kind"] == "class"
            && x["status"] == "Allow"
            && x["principal"]
                == "any principal of account 444455556666 (needs its own IAM allow)"));
        let d = json!({"old": policy(&[ROOT]), "new": policy(&[ROOT, PARTNER]), "actions": ["kms:Decrypt"]});
        let r = diff_json(&d.to_string());
        assert_eq!(r["added_access"], true, "{r}");
        assert_eq!(r["changes"][0]["class"]["description"], r["changes"][0]["principal"]);
    }

    #[test]
    fn bad_input_names_the_field_and_position() {
        let r = who_can_json(r#"{"key_policy": "{\n  \"Statement\": [{\"Effect\": \"Maybe\"}]}"}"#);
        assert_eq!(r["ok"], false);
        assert_eq!(r["error"]["field"], "key_policy");
        assert!(r["error"]["message"].as_str().unwrap().starts_with("key_policy:2:"), "{r}");
        assert_eq!(diff_json("[]")["error"]["field"], "bundle");
        assert_eq!(diff_json(r#"{"old": 5}"#)["error"]["field"], "old");
        let r =
            who_can_json(&json!({"key_policy": policy(&[ROOT]), "key_arn": "nope"}).to_string());
        assert_eq!(r["error"]["field"], "key_arn");
    }
}
