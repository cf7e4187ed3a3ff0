//! `keyward kms` flags to a KMS JSON request, the way the aws CLI v2 reads them: each
//! `--kebab-name` is the PascalCase request field, values may be `file://` (text) or `fileb://`
//! (bytes), maps and structures take the aws shorthand (`K=V,K2=V2`,
//! `EncryptionContextSubset={K=V}`) or JSON, and blob fields are base64 unless read with
//! `fileb://` (or `--cli-binary-format raw-in-base64-out` is given, which takes them as text).

use base64::Engine as _;
use serde_json::{Map, Value};

/// The type of a request field, which decides how its flag's values are read (the KMS
/// operation table's wire types).
pub(crate) use keyward_kms::FieldType as Ty;
use keyward_kms::Operation;

/// The type of a request field of keyward's operations, from the KMS operation table.
pub(crate) fn field_type(field: &str) -> Ty {
    keyward_kms::operation::field_type(field).unwrap_or(Ty::Str)
}

/// `GenerateDataKeyPair` → `generate-data-key-pair`.
pub(crate) fn kebab(pascal: &str) -> String {
    let mut out = String::with_capacity(pascal.len() + 8);
    for (i, c) in pascal.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The operation named `name` (kebab-case, as the aws CLI spells it).
pub(crate) fn find_op(name: &str) -> Option<Operation> {
    Operation::ALL.iter().copied().find(|op| kebab(op.as_str()) == name)
}

/// How blob parameters given as text are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryFormat {
    /// aws CLI v2 default: base64 text.
    Base64,
    /// `--cli-binary-format raw-in-base64-out`: the text's own bytes.
    RawInBase64Out,
}

fn read_file(path: &str, flag: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{flag}: cannot read `{path}`: {e}"))
}

/// Resolves `file://` (text) and `fileb://` (bytes, for a blob) for one value.
fn resolve(value: &str, flag: &str, ty: Ty, fmt: BinaryFormat) -> Result<Value, String> {
    let b64 = |bytes: &[u8]| Value::String(base64::engine::general_purpose::STANDARD.encode(bytes));
    if ty == Ty::Blob {
        if let Some(path) = value.strip_prefix("fileb://") {
            return Ok(b64(&read_file(path, flag)?));
        }
        let text = match value.strip_prefix("file://") {
            Some(path) => String::from_utf8(read_file(path, flag)?).map_err(|_| {
                format!("{flag}: `{path}` is not UTF-8 text (use fileb:// for binary)")
            })?,
            None => value.to_string(),
        };
        return match fmt {
            BinaryFormat::RawInBase64Out => Ok(b64(text.as_bytes())),
            BinaryFormat::Base64 => {
                let t: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                match base64::engine::general_purpose::STANDARD.decode(t.as_bytes()) {
                    Ok(bytes) => Ok(b64(&bytes)),
                    Err(_) => Err(format!(
                        "{flag}: invalid base64: \"{}\" (blob values are base64, as in the aws CLI v2; \
                         pass raw bytes with fileb://PATH, or add --cli-binary-format raw-in-base64-out \
                         to send the text itself)",
                        shorten(&text)
                    )),
                }
            }
        };
    }
    let text = crate::kms::session::text_arg(value, flag)?;
    typed(&text, flag, ty)
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Reads an encryption context flag value: `K=V,K2=V2`, JSON, or `file://`.
pub(crate) fn parse_map(value: &str, flag: &str) -> Result<Map<String, Value>, String> {
    match resolve(value, flag, Ty::Map, BinaryFormat::Base64)? {
        Value::Object(m) => Ok(m),
        _ => Err(format!("{flag}: expected K=V,K2=V2 or a JSON object")),
    }
}

/// Reads a value of a non-blob type from text.
fn typed(text: &str, flag: &str, ty: Ty) -> Result<Value, String> {
    let json = |t: &str| -> Option<Value> {
        let t = t.trim_start();
        if t.starts_with('{') || t.starts_with('[') {
            serde_json::from_str(t).ok()
        } else {
            None
        }
    };
    match ty {
        Ty::Str | Ty::Blob => Ok(Value::String(text.to_string())),
        Ty::Int => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("{flag}: expected an integer, found `{text}`")),
        Ty::Bool => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("{flag}: expected true or false, found `{text}`")),
        },
        Ty::Time => keyward_core::model::parse_date(text)
            .map(|ms| {
                // Epoch seconds as AWS JSON 1.1 carries timestamps.
                #[allow(clippy::cast_precision_loss, reason = "epoch ms fit in f64")]
                let s = ms as f64 / 1000.0;
                Value::from(s)
            })
            .ok_or_else(|| {
                format!("{flag}: expected an RFC 3339 time or epoch seconds, found `{text}`")
            }),
        Ty::Map => {
            let v = match json(text) {
                Some(v) => v,
                None => shorthand(text).map_err(|e| format!("{flag}: {e}"))?,
            };
            match &v {
                Value::Object(m) if m.values().all(Value::is_string) => Ok(v),
                _ => Err(format!(
                    "{flag}: expected K=V,K2=V2 or a JSON object of strings, found `{text}`"
                )),
            }
        }
        Ty::Struct => match json(text) {
            Some(v @ Value::Object(_)) => Ok(v),
            _ => shorthand(text).map_err(|e| format!("{flag}: {e}")),
        },
        Ty::List => match json(text) {
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
                Ok(Value::Array(items))
            }
            Some(_) => Err(format!("{flag}: expected a JSON array of strings")),
            None => Ok(Value::Array(
                text.split(',').filter(|s| !s.is_empty()).map(|s| Value::from(s.trim())).collect(),
            )),
        },
        Ty::Tags => match json(text) {
            Some(Value::Array(items)) => Ok(Value::Array(items)),
            Some(v @ Value::Object(_)) => Ok(Value::Array(vec![v])),
            _ => {
                let v = shorthand(text).map_err(|e| format!("{flag}: {e}"))?;
                let ok = v.get("TagKey").is_some_and(Value::is_string);
                if !ok {
                    return Err(format!("{flag}: expected TagKey=k,TagValue=v, found `{text}`"));
                }
                Ok(Value::Array(vec![v]))
            }
        },
    }
}

/// Parses the aws CLI shorthand: `K=V,K2=V2`, nested `K={A=B}` and lists `K=[a,b]`, with
/// `"` or `'` quoting.
pub(crate) fn shorthand(text: &str) -> Result<Value, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut pos = 0;
    let v = sh_struct(&chars, &mut pos, None)?;
    if pos != chars.len() {
        return Err(format!("unexpected `{}` at character {} in `{text}`", chars[pos], pos + 1));
    }
    Ok(v)
}

fn sh_struct(c: &[char], pos: &mut usize, close: Option<char>) -> Result<Value, String> {
    let mut map = Map::new();
    loop {
        skip_ws(c, pos);
        if close.is_some() && c.get(*pos).copied() == close {
            return Ok(Value::Object(map));
        }
        let key = sh_scalar(c, pos, &['=', ',', '}', ']'])?;
        if c.get(*pos) != Some(&'=') {
            return Err(format!("expected `=` after `{key}` (shorthand is Key=Value,Key2=Value2)"));
        }
        *pos += 1;
        let value = sh_value(c, pos, close.is_some())?;
        map.insert(key.trim().to_string(), value);
        skip_ws(c, pos);
        match c.get(*pos) {
            Some(',') => *pos += 1,
            Some(x) if Some(*x) == close => return Ok(Value::Object(map)),
            None if close.is_none() => return Ok(Value::Object(map)),
            None => return Err("missing closing `}`".into()),
            Some(x) => return Err(format!("unexpected `{x}`")),
        }
    }
}

fn sh_value(c: &[char], pos: &mut usize, nested: bool) -> Result<Value, String> {
    skip_ws(c, pos);
    match c.get(*pos) {
        Some('{') => {
            *pos += 1;
            let v = sh_struct(c, pos, Some('}'))?;
            *pos += 1;
            Ok(v)
        }
        Some('[') => {
            *pos += 1;
            let mut items = Vec::new();
            loop {
                skip_ws(c, pos);
                match c.get(*pos) {
                    Some(']') => {
                        *pos += 1;
                        return Ok(Value::Array(items));
                    }
                    None => return Err("missing closing `]`".into()),
                    _ => {}
                }
                items.push(sh_value(c, pos, true)?);
                skip_ws(c, pos);
                if c.get(*pos) == Some(&',') {
                    *pos += 1;
                }
            }
        }
        _ => {
            let stops: &[char] = if nested { &[',', '}', ']'] } else { &[','] };
            Ok(Value::String(sh_scalar(c, pos, stops)?))
        }
    }
}

fn sh_scalar(c: &[char], pos: &mut usize, stops: &[char]) -> Result<String, String> {
    skip_ws(c, pos);
    if let Some(&q) = c.get(*pos).filter(|x| **x == '"' || **x == '\'') {
        *pos += 1;
        let mut s = String::new();
        while let Some(&x) = c.get(*pos) {
            *pos += 1;
            if x == q {
                return Ok(s);
            }
            if x == '\\' {
                if let Some(&n) = c.get(*pos) {
                    *pos += 1;
                    s.push(n);
                    continue;
                }
            }
            s.push(x);
        }
        return Err(format!("unterminated quote {q}"));
    }
    let start = *pos;
    while c.get(*pos).is_some_and(|x| !stops.contains(x)) {
        *pos += 1;
    }
    Ok(c[start..*pos].iter().collect::<String>().trim_end().to_string())
}

fn skip_ws(c: &[char], pos: &mut usize) {
    while c.get(*pos).is_some_and(|x| x.is_whitespace()) {
        *pos += 1;
    }
}

/// Adds one flag's values (already split from the command line) to the request.
pub(crate) fn add_field(
    req: &mut Map<String, Value>,
    field: &str,
    flag: &str,
    values: &[String],
    fmt: BinaryFormat,
) -> Result<(), String> {
    let ty = field_type(field);
    match ty {
        Ty::List | Ty::Tags => {
            if values.is_empty() {
                return Err(format!("{flag}: expected at least one value"));
            }
            let list = req.entry(field.to_string()).or_insert_with(|| Value::Array(Vec::new()));
            for v in values {
                if let (Value::Array(items), Value::Array(more)) =
                    (&mut *list, resolve(v, flag, ty, fmt)?)
                {
                    items.extend(more);
                }
            }
            Ok(())
        }
        Ty::Map => {
            if values.is_empty() {
                return Err(format!("{flag}: expected a value"));
            }
            let map = req.entry(field.to_string()).or_insert_with(|| Value::Object(Map::new()));
            for v in values {
                if let (Value::Object(m), Value::Object(more)) =
                    (&mut *map, resolve(v, flag, ty, fmt)?)
                {
                    m.extend(more);
                }
            }
            Ok(())
        }
        _ => {
            if req.contains_key(field) {
                return Err(format!("{flag}: given more than once"));
            }
            let [v] = values else {
                return Err(if values.is_empty() {
                    format!("{flag}: expected a value")
                } else {
                    format!(
                        "{flag}: expected one value, found {} ({})",
                        values.len(),
                        values.join(" ")
                    )
                });
            };
            req.insert(field.to_string(), resolve(v, flag, ty, fmt)?);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn names_and_shorthand() {
        assert_eq!(
            kebab("GenerateDataKeyPairWithoutPlaintext"),
            "generate-data-key-pair-without-plaintext"
        );
        assert_eq!(find_op("re-encrypt"), Some(Operation::ReEncrypt));
        assert_eq!(shorthand("A=1,B=x y").unwrap(), serde_json::json!({"A":"1","B":"x y"}));
        assert_eq!(
            shorthand("EncryptionContextSubset={K=V,K2='a,b'}").unwrap(),
            serde_json::json!({"EncryptionContextSubset":{"K":"V","K2":"a,b"}})
        );
        assert_eq!(shorthand("A=[x,y]").unwrap(), serde_json::json!({"A":["x","y"]}));
        assert!(shorthand("A").is_err());
        assert!(shorthand("A={B=1").is_err());
    }

    #[test]
    fn every_operation_has_a_flag_name_that_finds_it() {
        for op in Operation::ALL {
            assert_eq!(find_op(&kebab(op.as_str())), Some(*op));
        }
        assert_eq!(field_type("CiphertextBlob"), Ty::Blob);
        assert_eq!(field_type("EncryptionContext"), Ty::Map);
        assert_eq!(field_type("NotAField"), Ty::Str);
    }
}
