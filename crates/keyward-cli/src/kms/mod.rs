//! `keyward kms OPERATION [flags]`: the local KMS with the aws CLI's names, flags, output and
//! exit codes. A generic JSON pass-through: the flags become the operation's AWS JSON request
//! and the call goes through the KMS's wire adapter (`Kms::call_op`, which authorizes it
//! first), so every operation of the table is reachable without a Rust caller per operation.

pub(crate) mod output;
pub(crate) mod params;
pub(crate) mod session;

use keyward_kms::Operation;
use params::{add_field, field_type, find_op, kebab, BinaryFormat, Ty};
use serde_json::{Map, Value};
use session::CallerArgs;

/// Exit code when the request was never sent: bad flags or values (aws CLI v2: 252).
pub(crate) const EXIT_USAGE: u8 = 252;
/// Exit code when the KMS returned an error (aws CLI v2: 254).
pub(crate) const EXIT_SERVICE: u8 = 254;
/// Exit code for any other failure, such as a state store that does not open (aws CLI: 255).
pub(crate) const EXIT_OTHER: u8 = 255;

/// Arguments of `keyward kms`: read by hand, since every operation has its own flags.
#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub(crate) struct Args {
    /// OPERATION followed by its flags (see `keyward kms help`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "OPERATION [FLAGS]")]
    args: Vec<String>,
}

const HELP: &str = "Usage: keyward kms OPERATION [--flag value ...] [global flags]

Calls the local KMS with the aws CLI's operation names and flags, e.g.
  keyward kms create-key --description demo
  keyward kms create-alias --alias-name alias/demo --target-key-id KEY_ID
  keyward kms encrypt --key-id alias/demo --plaintext fileb://secret.txt \\
      --encryption-context Department=Finance --query CiphertextBlob --output text
  keyward kms decrypt --ciphertext-blob fileb://secret.bin --encryption-context Department=Finance

Values: file://PATH reads text, fileb://PATH reads bytes. Blob flags (--plaintext,
--ciphertext-blob, --message, --signature, --mac, --import-token, --encrypted-key-material) take
base64 unless given with fileb://, as in the aws CLI v2; --cli-binary-format raw-in-base64-out
sends their text as is. Maps take K=V,K2=V2 or JSON; structures take the aws shorthand
(EncryptionContextSubset={K=V}) or JSON; lists take several values. Blobs in responses are base64.

Global flags:
  --state DIR             state directory (default $KEYWARD_STATE, else ~/.local/share/keyward)
  --as PRINCIPAL_ARN      call as this principal (default arn:aws:iam::111122223333:user/admin)
  --time RFC3339          request time (default: the system clock); a simulated time never
                          completes a deletion or rotation, only the real clock does
  --source-ip IP, --via-service SERVICE, --mfa-age SECONDS, --session-policy POLICY
  --region REGION         the Region of the call: its keys, aliases and grants (default us-east-1)
  --output json|text      output format (default json)
  --query EXPR            pick part of the response: A.B, A[0], A[*].B, {X:A.B}
  --cli-input-json JSON   the request as JSON (file:// allowed); flags override its fields
  --explain               on AccessDeniedException, print the evaluator's trace to stderr
  --init                  start a new, empty store although DIR still holds master.key
  --cloudtrail DIR        record the call as AWS CloudTrail does, in DIR/AWSLogs/... (`-`:
                          one JSON line on stdout); default $KEYWARD_CLOUDTRAIL

Exit codes (as the aws CLI v2): 0 success, 252 bad flags or values, 254 the KMS returned an
error (printed as `An error occurred (CODE) when calling the OP operation: MESSAGE`), 255 any
other failure (the state store cannot be opened).

Operations (`keyward kms OPERATION --help` lists an operation's flags):
";

fn usage(msg: &str) -> u8 {
    eprintln!("keyward kms: error: {msg}");
    EXIT_USAGE
}

fn op_help(op: Operation) -> String {
    let mut s = format!(
        "Usage: keyward kms {} [flags] [global flags]\n\nFlags of {op}:\n",
        kebab(op.as_str())
    );
    for f in op.fields() {
        let (name, required) = (f.name, f.required);
        let what = match field_type(name) {
            Ty::Blob => "BLOB (base64 or fileb://PATH)",
            Ty::Int => "INTEGER",
            Ty::Bool => "(flag; --no-... to negate)",
            Ty::Time => "TIME (RFC 3339)",
            Ty::Map => "K=V,K2=V2 | JSON",
            Ty::List => "VALUE... | JSON array",
            Ty::Tags => "TagKey=k,TagValue=v ... | JSON",
            Ty::Struct => "SHORTHAND | JSON",
            Ty::Str => "STRING",
        };
        let req = if required { "  (required)" } else { "" };
        s.push_str(&format!("  --{} {what}{req}\n", kebab(name)));
    }
    s
}

/// The command line of one `keyward kms` call, read.
struct Parsed {
    op: Operation,
    request: Map<String, Value>,
    caller: CallerArgs,
    output: String,
    query: Option<String>,
    /// `--cloudtrail DIR` (or `-` for stdout).
    cloudtrail: Option<std::path::PathBuf>,
}

const GLOBALS: &[&str] = &[
    "state",
    "as",
    "time",
    "source-ip",
    "via-service",
    "mfa-age",
    "session-policy",
    "region",
    "output",
    "query",
    "cli-binary-format",
    "cli-input-json",
    "cloudtrail",
];

fn parse(args: &[String]) -> Result<Parsed, String> {
    // First pass: split into (flag, values); the operation is the first bare word.
    let mut op: Option<Operation> = None;
    let mut flags: Vec<(String, Vec<String>)> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        let Some(name) = a.strip_prefix("--") else {
            if op.is_some() {
                return Err(format!("unexpected value `{a}` (values follow a --flag)"));
            }
            op = Some(find_op(a).ok_or_else(|| {
                format!("unknown operation `{a}` (see `keyward kms help` for the list)")
            })?);
            continue;
        };
        let (name, inline) = match name.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (name.to_string(), None),
        };
        let mut values: Vec<String> = inline.into_iter().collect();
        let is_bool = matches!(name.as_str(), "explain" | "help" | "no-cli-pager" | "no-paginate")
            || field_type(&pascal(name.strip_prefix("no-").unwrap_or(&name))) == Ty::Bool;
        let single = GLOBALS.contains(&name.as_str());
        if values.is_empty() && !is_bool {
            while i < args.len() && !args[i].starts_with("--") {
                values.push(args[i].clone());
                i += 1;
                if single {
                    break;
                }
            }
        }
        flags.push((name, values));
    }
    let Some(op) = op else {
        return Err("missing OPERATION (see `keyward kms help`)".into());
    };
    let mut p = Parsed {
        op,
        request: Map::new(),
        caller: CallerArgs::default(),
        output: "json".into(),
        query: None,
        cloudtrail: None,
    };
    let mut fmt = BinaryFormat::Base64;
    let mut input_json: Option<Map<String, Value>> = None;
    let mut field_flags: Vec<(String, String, Vec<String>)> = Vec::new();
    for (name, values) in flags {
        let flag = format!("--{name}");
        let one = || -> Result<String, String> {
            match values.as_slice() {
                [v] => Ok(v.clone()),
                [] => Err(format!("{flag}: expected a value")),
                _ => Err(format!("{flag}: expected one value, found {}", values.join(" "))),
            }
        };
        match name.as_str() {
            "help" => return Err(String::new()),
            // aws CLI habits with nothing to do here: no pager, and lists are never paginated
            // by the CLI (use --limit and --marker).
            "no-cli-pager" | "no-paginate" if values.is_empty() => {}
            "explain" => p.caller.explain = true,
            "init" if values.is_empty() => p.caller.init = true,
            "state" => p.caller.state = Some(one()?.into()),
            "cloudtrail" => p.cloudtrail = Some(one()?.into()),
            "as" => p.caller.principal = Some(one()?),
            "time" => p.caller.time = Some(one()?),
            "source-ip" => p.caller.source_ip = Some(one()?),
            "via-service" => p.caller.via_service = Some(one()?),
            "mfa-age" => {
                let v = one()?;
                p.caller.mfa_age = Some(
                    v.parse().map_err(|_| format!("--mfa-age: expected seconds, found `{v}`"))?,
                );
            }
            "session-policy" => p.caller.session_policy = Some(one()?),
            "region" => p.caller.region = Some(one()?),
            "output" => {
                p.output = one()?;
                if p.output != "json" && p.output != "text" {
                    return Err(format!(
                        "--output: `{}` is not supported (json or text)",
                        p.output
                    ));
                }
            }
            "query" => p.query = Some(one()?),
            "cli-binary-format" => {
                fmt = match one()?.as_str() {
                    "base64" => BinaryFormat::Base64,
                    "raw-in-base64-out" => BinaryFormat::RawInBase64Out,
                    v => {
                        return Err(format!(
                            "--cli-binary-format: `{v}` (expected base64 or raw-in-base64-out)"
                        ))
                    }
                };
            }
            "cli-input-json" => {
                let text = session::text_arg(&one()?, &flag)?;
                match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Object(m)) => input_json = Some(m),
                    _ => return Err(format!("{flag}: expected a JSON object")),
                }
            }
            _ => {
                let (bare, negated) = match name.strip_prefix("no-") {
                    Some(n) if field_type(&pascal(n)) == Ty::Bool => (n.to_string(), true),
                    _ => (name.clone(), false),
                };
                let field = pascal(&bare);
                if op.field(&field).is_none() {
                    return Err(format!(
                        "unknown option {flag} for {} (its flags: {})",
                        kebab(op.as_str()),
                        op.fields()
                            .iter()
                            .map(|f| format!("--{}", kebab(f.name)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                if field_type(&field) == Ty::Bool {
                    if !values.is_empty() {
                        return Err(format!("{flag} takes no value"));
                    }
                    p.request.insert(field, Value::Bool(!negated));
                } else {
                    field_flags.push((field, flag, values));
                }
            }
        }
    }
    for (field, flag, values) in &field_flags {
        add_field(&mut p.request, field, flag, values, fmt)?;
    }
    if let Some(mut base) = input_json {
        base.extend(std::mem::take(&mut p.request));
        p.request = base;
    }
    let missing: Vec<String> = op
        .fields()
        .iter()
        .filter(|f| f.required && !p.request.contains_key(f.name))
        .map(|f| format!("--{}", kebab(f.name)))
        .collect();
    if !missing.is_empty() {
        return Err(format!("the following arguments are required: {}", missing.join(", ")));
    }
    Ok(p)
}

/// `key-id` → `KeyId`.
fn pascal(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn print_help() {
    print!("{HELP}");
    for op in Operation::ALL {
        println!("  {}", kebab(op.as_str()));
    }
}

/// Runs `keyward kms`.
pub(crate) fn run(a: &Args) -> u8 {
    match a.args.first().map(String::as_str) {
        None | Some("help" | "--help" | "-h") => {
            print_help();
            return if a.args.is_empty() { EXIT_USAGE } else { 0 };
        }
        _ => {}
    }
    let p = match parse(&a.args) {
        Ok(p) => p,
        Err(e) if e.is_empty() => {
            // --help after an operation.
            if let Some(op) = a.args.iter().find_map(|w| find_op(w)) {
                print!("{}", op_help(op));
            } else {
                print_help();
            }
            return 0;
        }
        Err(e) => return usage(&e),
    };
    let (mut kms, caller) = match session::open(&p.caller) {
        Ok(x) => x,
        Err(session::OpenError::Usage(m)) => return usage(&m),
        Err(e) => {
            eprintln!("keyward kms: error: {}", e.message());
            return EXIT_OTHER;
        }
    };
    let request = Value::Object(p.request);
    let trail = match crate::serve::trail_config(p.cloudtrail.as_deref(), false) {
        Some(c) => match keyward_server::trail::Trail::start(c) {
            Ok(t) => {
                kms.record_service_events(true);
                Some(t)
            }
            Err(e) => {
                eprintln!("keyward kms: error: --cloudtrail: {e}");
                return EXIT_OTHER;
            }
        },
        None => None,
    };
    let request_id = keyward_server::trail::uuid();
    let agent = concat!("keyward-cli/", env!("CARGO_PKG_VERSION"));
    let meta = keyward_server::trail::RequestMeta {
        access_key: None,
        user_agent: Some(agent),
        request_id: &request_id,
    };
    let result =
        keyward_server::trail::call_kms(trail.as_ref(), &mut kms, &caller, p.op, &request, &meta);
    if let Some(t) = &trail {
        t.close(std::time::Duration::from_secs(10));
    }
    match result {
        Ok(mut v) => {
            output::iso_times(&mut v);
            if let Some(q) = &p.query {
                v = match output::query(&v, q) {
                    Ok(v) => v,
                    Err(e) => return usage(&e),
                };
            }
            if p.output == "text" {
                print!("{}", output::text(&v));
            } else if !(v.is_object() && v.as_object().is_some_and(Map::is_empty)) {
                // The aws CLI prints nothing for an empty response.
                println!("{}", output::json(&v));
            }
            0
        }
        Err(e) => {
            session::print_error(p.op.as_str(), &e, p.caller.explain);
            EXIT_SERVICE
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn flags_become_fields() {
        let p = parse(&args(
            "create-grant --key-id k --grantee-principal arn:aws:iam::1:role/R --operations Decrypt Encrypt \
             --constraints EncryptionContextSubset={Dept=Fin} --dry-run --as arn:aws:iam::1:user/u",
        ))
        .unwrap();
        assert_eq!(p.op, Operation::CreateGrant);
        assert_eq!(
            Value::Object(p.request),
            serde_json::json!({"KeyId": "k", "GranteePrincipal": "arn:aws:iam::1:role/R",
                "Operations": ["Decrypt", "Encrypt"],
                "Constraints": {"EncryptionContextSubset": {"Dept": "Fin"}}, "DryRun": true})
        );
        assert_eq!(p.caller.principal.as_deref(), Some("arn:aws:iam::1:user/u"));
    }

    #[test]
    fn bad_input_names_the_flag() {
        let e = |s: &str| parse(&args(s)).err().unwrap();
        assert!(e("encrypt --key-id k --plaintext hello!").contains("--plaintext"));
        assert!(e("describe-key --key-idd k").contains("--key-idd"));
        assert!(e("describe-key").contains("--key-id"));
        assert!(e("schedule-key-deletion --key-id k --pending-window-in-days x")
            .contains("--pending-window-in-days"));
        assert!(e("nope").contains("nope"));
    }
}
