//! Printing KMS responses like the aws CLI v2: timestamps as ISO 8601, `--output json`
//! (four-space indent) or `--output text` (the aws CLI's tab-separated rows), and a small
//! `--query` subset (`A.B`, `A[0]`, `A[*].B` / `A[].B`, `{X:A.B,Y:C}`).

use serde_json::{Map, Value};

/// Fields the aws CLI prints as ISO 8601 times (KMS sends epoch seconds).
fn is_time_field(key: &str) -> bool {
    key.ends_with("Date") || key == "ValidTo" || key == "ParametersValidTo"
}

/// Turns epoch-second timestamps into ISO 8601 strings, as the aws CLI v2 prints them.
pub(crate) fn iso_times(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if is_time_field(k) {
                    if let Some(s) = x.as_f64() {
                        #[allow(clippy::cast_possible_truncation, reason = "rounded epoch ms")]
                        let ms = (s * 1000.0).round() as i64;
                        if let Some(t) = chrono::DateTime::from_timestamp_millis(ms) {
                            *x = Value::String(t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string());
                        }
                        continue;
                    }
                }
                iso_times(x);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(iso_times),
        _ => {}
    }
}

/// JSON with the aws CLI's four-space indent.
pub(crate) fn json(v: &Value) -> String {
    use serde::Serialize as _;
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    match v.serialize(&mut ser) {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(_) => v.to_string(),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

/// The aws CLI's `--output text`.
pub(crate) fn text(v: &Value) -> String {
    let mut out = String::new();
    text_item(v, None, None, &mut out);
    out
}

fn text_item(v: &Value, id: Option<&str>, keys: Option<&[String]>, out: &mut String) {
    match v {
        Value::Object(m) => text_dict(m, id, keys, out),
        Value::Array(items) => text_list(items, id, out),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn text_list(items: &[Value], id: Option<&str>, out: &mut String) {
    if items.is_empty() {
        return;
    }
    if items.iter().any(Value::is_object) {
        let mut keys: Vec<String> = items
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|m| m.iter().filter(|(_, x)| is_scalar(x)).map(|(k, _)| k.clone()))
            .collect();
        keys.sort();
        keys.dedup();
        for item in items {
            text_item(item, id, Some(&keys), out);
        }
    } else if items.iter().any(Value::is_array) {
        let scalars: Vec<&Value> = items.iter().filter(|x| is_scalar(x)).collect();
        if !scalars.is_empty() {
            scalar_list(&scalars, id, out);
        }
        for item in items.iter().filter(|x| !is_scalar(x)) {
            text_item(item, id, None, out);
        }
    } else {
        let all: Vec<&Value> = items.iter().collect();
        scalar_list(&all, id, out);
    }
}

fn scalar_list(items: &[&Value], id: Option<&str>, out: &mut String) {
    match id {
        Some(id) => {
            for x in items {
                out.push_str(&format!("{}\t{}\n", id.to_uppercase(), scalar(x)));
            }
        }
        None => {
            out.push_str(&items.iter().map(|x| scalar(x)).collect::<Vec<_>>().join("\t"));
            out.push('\n');
        }
    }
}

fn text_dict(m: &Map<String, Value>, id: Option<&str>, keys: Option<&[String]>, out: &mut String) {
    let mut scalars: Vec<String> = Vec::new();
    let mut rest: Vec<(&String, &Value)> = Vec::new();
    match keys {
        None => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            for (k, x) in entries {
                if is_scalar(x) {
                    scalars.push(scalar(x));
                } else {
                    rest.push((k, x));
                }
            }
        }
        Some(keys) => {
            for k in keys {
                scalars.push(m.get(k).map(scalar).unwrap_or_default());
            }
            let mut entries: Vec<(&String, &Value)> =
                m.iter().filter(|(k, _)| !keys.contains(k)).collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            rest = entries;
        }
    }
    if !scalars.is_empty() {
        if let Some(id) = id {
            scalars.insert(0, id.to_uppercase());
        }
        out.push_str(&scalars.join("\t"));
        out.push('\n');
    }
    for (k, x) in rest {
        text_item(x, Some(k), None, out);
    }
}

/// Applies a `--query` expression (a small JMESPath subset).
pub(crate) fn query(v: &Value, expr: &str) -> Result<Value, String> {
    let e = expr.trim();
    if let Some(inner) = e.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        let mut m = Map::new();
        for part in inner.split(',') {
            let (k, path) = part
                .split_once(':')
                .ok_or_else(|| format!("--query: expected {{Name:path,...}}, found `{part}`"))?;
            m.insert(k.trim().to_string(), query(v, path)?);
        }
        return Ok(Value::Object(m));
    }
    path(v, e)
}

fn path(v: &Value, expr: &str) -> Result<Value, String> {
    if expr.is_empty() || expr == "@" {
        return Ok(v.clone());
    }
    let (head, tail) = split_head(expr)?;
    match head {
        Step::Field(name) => {
            let next = v.get(name).cloned().unwrap_or(Value::Null);
            if next.is_null() {
                return Ok(Value::Null);
            }
            path(&next, tail)
        }
        Step::Index(i) => {
            let items = v.as_array().map(Vec::as_slice).unwrap_or_default();
            let idx = if i < 0 {
                usize::try_from(i.unsigned_abs()).ok().and_then(|n| items.len().checked_sub(n))
            } else {
                usize::try_from(i).ok()
            };
            match idx.and_then(|i| items.get(i)) {
                Some(x) => path(x, tail),
                None => Ok(Value::Null),
            }
        }
        Step::Project => {
            let Some(items) = v.as_array() else { return Ok(Value::Null) };
            let mut out = Vec::new();
            for x in items {
                let r = path(x, tail)?;
                if !r.is_null() {
                    out.push(r);
                }
            }
            Ok(Value::Array(out))
        }
    }
}

enum Step<'a> {
    Field(&'a str),
    Index(i64),
    Project,
}

fn split_head(expr: &str) -> Result<(Step<'_>, &str), String> {
    let unsupported = || {
        format!(
            "--query: `{expr}` is not supported (keyward supports A.B, A[0], A[*].B, A[].B and \
             {{X:A.B,Y:C}})"
        )
    };
    let expr = expr.strip_prefix('.').unwrap_or(expr);
    if let Some(rest) = expr.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or_else(unsupported)?;
        let step = match inside.trim() {
            "" | "*" => Step::Project,
            n => Step::Index(n.parse().map_err(|_| unsupported())?),
        };
        return Ok((step, after));
    }
    let end = expr.find(['.', '[']).unwrap_or(expr.len());
    let name = &expr[..end];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(unsupported());
    }
    Ok((Step::Field(name), &expr[end..]))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use serde_json::json;

    #[test]
    fn text_like_the_aws_cli() {
        let v = json!({"KeyMetadata": {"KeyId": "k", "Enabled": true, "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"]}});
        assert_eq!(text(&v), "KEYMETADATA\tTrue\tk\nENCRYPTIONALGORITHMS\tSYMMETRIC_DEFAULT\n");
        let v = json!({"Keys": [{"KeyId": "a", "KeyArn": "x"}, {"KeyId": "b", "KeyArn": "y"}]});
        assert_eq!(text(&v), "KEYS\tx\ta\nKEYS\ty\tb\n");
        assert_eq!(text(&json!({"CiphertextBlob": "AQ==", "KeyId": "k"})), "AQ==\tk\n");
    }

    #[test]
    fn query_subset() {
        let v = json!({"KeyMetadata": {"KeyId": "k"}, "Keys": [{"KeyId": "a"}, {"KeyId": "b"}]});
        assert_eq!(query(&v, "KeyMetadata.KeyId").unwrap(), json!("k"));
        assert_eq!(query(&v, "Keys[1].KeyId").unwrap(), json!("b"));
        assert_eq!(query(&v, "Keys[*].KeyId").unwrap(), json!(["a", "b"]));
        assert_eq!(query(&v, "{A:KeyMetadata.KeyId}").unwrap(), json!({"A": "k"}));
        assert!(query(&v, "Keys[?KeyId=='a']").is_err());
    }

    #[test]
    fn times_become_iso() {
        let mut v = json!({"KeyMetadata": {"CreationDate": 1_700_000_000.5}});
        iso_times(&mut v);
        assert_eq!(v["KeyMetadata"]["CreationDate"], json!("2023-11-14T22:13:20.500000+00:00"));
    }
}
