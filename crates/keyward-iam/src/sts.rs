//! STS: GetCallerIdentity, AssumeRole and GetSessionToken. The role's trust policy is decided by keyward's
//! evaluator with the request's keys (`sts:ExternalId`, `sts:RoleSessionName`,
//! `sts:SourceIdentity`, `aws:RequestTag/*`, `aws:TagKeys`, `sts:TransitiveTagKeys`,
//! `aws:MultiFactorAuthPresent`, and the caller's `aws:PrincipalTag/*`); session tags need
//! `sts:TagSession` and a source identity `sts:SetSourceIdentity`, as AWS asks. The temporary
//! credentials (`ASIA…`, secret, session token) are stored like access keys, with their
//! expiry, session policy and tags, so they survive a restart.

use crate::model::{check_policy, iso, Account, Kind};
use crate::query::Params;
use crate::users::{account_of, new_key};
use crate::xml::Xml;
use crate::{authz, Ctx, IamError};
use keyward_core::eval::{CtxValue, Decision, Principal, PrincipalKind};
use keyward_core::model::PolicyKind;
use keyward_kms::record::{Secret, SessionRecord, Tag};
use keyward_kms::store::Change;
use keyward_kms::Kms;
use rand_core::RngCore;

/// Longest session a role session may get when it assumes a role (role chaining), seconds.
pub(crate) const CHAINED_MAX_S: i64 = 3600;
/// How long expired session credentials are kept (so they answer ExpiredToken) before an
/// AssumeRole removes them, milliseconds.
const KEEP_EXPIRED_MS: i64 = 12 * 3600 * 1000;

/// Runs an STS action; `None` when keyward does not serve it.
pub(crate) fn call(
    kms: &mut Kms,
    ctx: &Ctx<'_>,
    rng: &mut dyn RngCore,
    action: &str,
    p: &Params,
) -> Result<Option<Xml>, IamError> {
    let mut x = Xml::new();
    match action {
        "GetCallerIdentity" => {
            let pr = caller_of(ctx)?;
            let id = match (&pr.kind, ctx.session) {
                (PrincipalKind::AssumedRole, Some(s)) => {
                    format!("{}:{}", s.role_id, pr.arn.rsplit('/').next().unwrap_or_default())
                }
                _ => authz::identity_of(kms, &pr)
                    .map(|i| i.unique_id.clone())
                    .unwrap_or_else(|| pr.account.clone()),
            };
            x.leaf("UserId", &id).leaf("Account", &pr.account).leaf("Arn", &pr.arn);
        }
        "AssumeRole" => assume_role(kms, ctx, rng, p, &mut x)?,
        "GetSessionToken" => session_token(kms, ctx, rng, p, &mut x)?,
        _ => return Ok(None),
    }
    Ok(Some(x))
}

fn session_name(p: &Params) -> Result<String, IamError> {
    let n = p.required("RoleSessionName")?;
    let ok = (2..=64).contains(&n.chars().count())
        && n.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !ok {
        return Err(IamError::validation(format!(
            "1 validation error detected: Value '{n}' at 'roleSessionName' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have \
             length between 2 and 64"
        )));
    }
    Ok(n.to_string())
}

/// One session policy from the inline `Policy` and the `PolicyArns` (their statements
/// together).
fn session_policy(acct: &Account, p: &Params) -> Result<Option<String>, IamError> {
    let mut docs: Vec<String> = Vec::new();
    if let Some(t) = p.get("Policy") {
        check_policy(t, PolicyKind::Session)?;
        docs.push(t.to_string());
    }
    for m in p.structs("PolicyArns", &["arn"]) {
        let arn = m.get("arn").cloned().unwrap_or_default();
        let doc = acct.attachable(&arn)?;
        docs.push(doc);
    }
    if docs.len() <= 1 {
        return Ok(docs.pop());
    }
    let mut statements = Vec::new();
    for d in &docs {
        let v: serde_json::Value = serde_json::from_str(d)
            .map_err(|e| IamError::malformed_policy(format!("Syntax errors in policy: {e}")))?;
        match v.get("Statement") {
            Some(serde_json::Value::Array(a)) => statements.extend(a.iter().cloned()),
            Some(s) => statements.push(s.clone()),
            None => {}
        }
    }
    Ok(Some(serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()))
}

fn assume_role(
    kms: &mut Kms,
    ctx: &Ctx<'_>,
    rng: &mut dyn RngCore,
    p: &Params,
    x: &mut Xml,
) -> Result<(), IamError> {
    let now = ctx.caller.now_ms;
    let role_arn = p.required("RoleArn")?.to_string();
    let session = session_name(p)?;
    let caller = caller_of(ctx)?;
    let denied = || {
        IamError::denied(format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            caller.arn
        ))
    };
    let role_account = role_arn.split(':').nth(4).unwrap_or_default().to_string();
    let acct = Account::load(kms, &role_account);
    let role = acct
        .entities
        .get(&role_arn)
        .filter(|e| e.kind == Kind::Role)
        .cloned()
        .ok_or_else(denied)?;
    let chained = caller.kind == PrincipalKind::AssumedRole;
    let max = if chained { CHAINED_MAX_S } else { role.max_session_s.unwrap_or(3600) };
    let duration = p.int("DurationSeconds", 900, 43200)?;
    if let Some(d) = duration {
        if d > max {
            return Err(IamError::validation(if chained {
                "The requested DurationSeconds exceeds the 1 hour session limit for roles \
                 assumed by role chaining."
                    .to_string()
            } else {
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                    .to_string()
            }));
        }
    }
    let duration = duration.unwrap_or(3600).min(max);
    let policy = session_policy(&Account::load(kms, &account_of(ctx)), p)?;

    // Session tags: the caller's transitive tags first (they cannot be replaced), then these.
    let mut tags: Vec<Tag> = Vec::new();
    let mut transitive: Vec<String> = Vec::new();
    if let Some(s) = ctx.session {
        for t in &s.tags {
            if s.transitive_tag_keys.iter().any(|k| k.eq_ignore_ascii_case(&t.tag_key)) {
                tags.push(t.clone());
                transitive.push(t.tag_key.clone());
            }
        }
    }
    let requested = crate::model::tags_param(p);
    for t in &requested {
        if !tags.iter().any(|o| o.tag_key.eq_ignore_ascii_case(&t.tag_key)) {
            tags.push(t.clone());
        }
    }
    let new_transitive = p.list("TransitiveTagKeys");
    for k in &new_transitive {
        if !requested.iter().any(|t| t.tag_key == *k) {
            return Err(IamError::validation(format!(
                "TransitiveTagKeys: {k} is not the key of a session tag of this request"
            )));
        }
        transitive.push(k.clone());
    }
    let inherited_source = ctx.session.and_then(|s| s.source_identity.clone());
    let source = p.get("SourceIdentity").map(str::to_string);
    if let (Some(old), Some(new)) = (&inherited_source, &source) {
        if old != new {
            return Err(denied());
        }
    }

    let mut extra: Vec<(String, CtxValue)> =
        vec![("sts:RoleSessionName".into(), CtxValue::One(session.clone()))];
    let one = |k: &str, v: &str| (k.to_string(), CtxValue::One(v.to_string()));
    if let Some(e) = p.get("ExternalId") {
        extra.push(one("sts:ExternalId", e));
    }
    if let Some(s) = &source {
        extra.push(one("sts:SourceIdentity", s));
    }
    if let Some(s) = &inherited_source {
        extra.push(one("aws:SourceIdentity", s));
    }
    if mfa(p) {
        extra.push(one("aws:MultiFactorAuthPresent", "true"));
        extra.push(one("aws:MultiFactorAuthAge", "0"));
    }
    for t in &requested {
        extra.push(one(&format!("aws:RequestTag/{}", t.tag_key), &t.tag_value));
    }
    if !requested.is_empty() {
        extra.push((
            "aws:TagKeys".into(),
            CtxValue::Many(requested.iter().map(|t| t.tag_key.clone()).collect()),
        ));
    }
    if !new_transitive.is_empty() {
        extra.push(("sts:TransitiveTagKeys".into(), CtxValue::Many(new_transitive)));
    }
    let trust = role.trust.clone().unwrap_or_default();
    let mut needed = vec!["sts:AssumeRole"];
    if !requested.is_empty() {
        needed.push("sts:TagSession");
    }
    if source.is_some() {
        needed.push("sts:SetSourceIdentity");
    }
    for action in needed {
        let d = authz::trust_for(kms, ctx, action, &role_arn, &trust, extra.clone())?;
        if d != Decision::Allow {
            return Err(if action == "sts:AssumeRole" {
                denied()
            } else {
                IamError::denied(format!(
                    "User: {} is not authorized to perform: {action} on resource: {role_arn}",
                    caller.arn
                ))
            });
        }
    }

    let session_arn = format!("arn:aws:sts::{role_account}:assumed-role/{}/{session}", role.name);
    let mut rec = new_key(&session_arn, "ASIA", now, rng);
    let mut token = [0u8; 96];
    rng.fill_bytes(&mut token);
    let token =
        format!("KW{}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, token));
    let expires = now + duration * 1000;
    rec.session_policy = policy.clone();
    rec.session = Some(SessionRecord {
        token: Secret::new(token.clone().into_bytes()),
        expires_ms: expires,
        tags,
        transitive_tag_keys: transitive,
        source_identity: source.clone().or(inherited_source),
        role_id: role.id.clone(),
        mfa_ms: mfa(p).then_some(now),
    });
    let credentials = store_session(kms, rec, &token, expires, now)?;

    let packed = policy.as_ref().map_or(0, |t| t.len()) * 100 / 2048;
    x.opt("SourceIdentity", source.as_deref());
    x.node("AssumedRoleUser", |u| {
        u.leaf("AssumedRoleId", &format!("{}:{session}", role.id)).leaf("Arn", &session_arn);
    });
    x.node("Credentials", |c| {
        c.append(&credentials);
    });
    if policy.is_some() {
        x.leaf("PackedPolicySize", &packed.to_string());
    }
    Ok(())
}

/// The caller's principal.
fn caller_of(ctx: &Ctx<'_>) -> Result<Principal, IamError> {
    Principal::parse(&ctx.caller.principal)
        .map_err(|e| IamError::new(403, "InvalidClientTokenId", e))
}

/// Whether the request authenticates with MFA (SerialNumber and TokenCode; keyward does not
/// check the code).
fn mfa(p: &Params) -> bool {
    p.get("SerialNumber").is_some() && p.get("TokenCode").is_some()
}

/// A session token: `KW` and 128 base64 characters.
fn new_token(rng: &mut dyn RngCore) -> String {
    let mut token = [0u8; 96];
    rng.fill_bytes(&mut token);
    format!("KW{}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, token))
}

/// Commits new temporary credentials (dropping sessions expired long ago in the same commit);
/// returns the `<Credentials>` fields.
fn store_session(
    kms: &mut Kms,
    rec: keyward_kms::record::AccessKeyRecord,
    token: &str,
    expires: i64,
    now: i64,
) -> Result<Xml, IamError> {
    let mut c = Xml::new();
    c.leaf("AccessKeyId", &rec.id)
        .leaf("SecretAccessKey", &String::from_utf8_lossy(rec.secret.expose()))
        .leaf("SessionToken", token)
        .leaf("Expiration", &iso(expires));
    let mut changes: Vec<Change> = kms
        .access_keys()
        .iter()
        .filter(|k| k.session.as_ref().is_some_and(|s| s.expires_ms + KEEP_EXPIRED_MS < now))
        .map(|k| Change::DeleteAccessKey(k.id.clone()))
        .collect();
    changes.push(Change::PutAccessKey(Box::new(rec)));
    kms.commit_iam(changes).map_err(|e| IamError::new(500, "ServiceFailure", e.message))?;
    Ok(c)
}

/// GetSessionToken: temporary credentials for the calling IAM user (12 hours by default, 15
/// minutes to 36 hours), with MFA when SerialNumber and TokenCode are given. Session
/// credentials cannot call it.
fn session_token(
    kms: &mut Kms,
    ctx: &Ctx<'_>,
    rng: &mut dyn RngCore,
    p: &Params,
    x: &mut Xml,
) -> Result<(), IamError> {
    let now = ctx.caller.now_ms;
    let caller = caller_of(ctx)?;
    if caller.kind != PrincipalKind::User || ctx.session.is_some() {
        return Err(IamError::denied(
            "Cannot call GetSessionToken with session credentials".to_string(),
        ));
    }
    let duration = p.int("DurationSeconds", 900, 129_600)?.unwrap_or(43_200);
    let user_id = authz::identity_of(kms, &caller).map(|i| i.unique_id.clone()).unwrap_or_default();
    let mut rec = new_key(&caller.arn, "ASIA", now, rng);
    let token = new_token(rng);
    let expires = now + duration * 1000;
    rec.session = Some(SessionRecord {
        token: Secret::new(token.clone().into_bytes()),
        expires_ms: expires,
        tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
        source_identity: None,
        role_id: user_id,
        mfa_ms: mfa(p).then_some(now),
    });
    let credentials = store_session(kms, rec, &token, expires, now)?;
    x.node("Credentials", |c| {
        c.append(&credentials);
    });
    Ok(())
}
