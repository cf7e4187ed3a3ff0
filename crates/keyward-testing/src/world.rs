//! Random but realistic authorization worlds: one KMS key in account A, principals in accounts
//! A and B, key policy, identity policies, boundary, SCPs, RCPs, grants and one request.
//!
//! A world renders two ways: as a keyward scenario file (`tests/scenarios/README.md`), which is
//! also the format of a minimal reproduction, and as an `@cloud-copilot/iam-simulate`
//! `Simulation` (see `sim_json`), whose request context is the one keyward derived, so both
//! evaluators see exactly the same keys.

use crate::rng::Rng;
use serde_json::{json, Map, Value};

/// The key-owner account (the organization member of the world: SCPs and RCPs bind it).
pub const ACCT_A: &str = "111122223333";
/// The second (external) account.
pub const ACCT_B: &str = "444455556666";
/// The key.
pub const KEY_ARN: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
/// The key's alias.
pub const ALIAS: &str = "alias/app";

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const BOB: &str = "arn:aws:iam::111122223333:user/bob";
const APP_ROLE: &str = "arn:aws:iam::111122223333:role/App";
const APP_SESSION: &str = "arn:aws:sts::111122223333:assumed-role/App/s1";
const ROOT_A: &str = "arn:aws:iam::111122223333:root";
const CAROL: &str = "arn:aws:iam::444455556666:user/carol";
const EXT_ROLE: &str = "arn:aws:iam::444455556666:role/Ext";
const EXT_SESSION: &str = "arn:aws:sts::444455556666:assumed-role/Ext/job";
const ROOT_B: &str = "arn:aws:iam::444455556666:root";

/// Callers: (request principal, the user/role whose policies apply, if any).
const CALLERS: &[(&str, Option<&str>)] = &[
    (ALICE, Some(ALICE)),
    (BOB, Some(BOB)),
    (APP_SESSION, Some(APP_ROLE)),
    (ROOT_A, None),
    (CAROL, Some(CAROL)),
    (EXT_SESSION, Some(EXT_ROLE)),
    (ROOT_B, None),
];

const ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
];

const TIMES: &[&str] = &[
    "2026-03-10T14:00:00Z",
    "2025-12-31T23:59:59Z",
    "2026-07-01T08:30:00Z",
    "2024-02-29T12:00:00Z",
];

/// One generated world with its single request.
#[derive(Debug, Clone)]
pub struct World {
    /// Seed it was generated from.
    pub seed: u64,
    /// Request time (RFC 3339).
    pub time: String,
    /// The key policy.
    pub key_policy: Value,
    /// Key tags.
    pub key_tags: Vec<(String, String)>,
    /// Grants on the key (scenario format).
    pub grants: Vec<Value>,
    /// Identity policies of each user or role.
    pub identities: Vec<(String, Vec<Value>, Option<Value>)>,
    /// SCP levels (bind account A's principals).
    pub scps: Vec<Vec<Value>>,
    /// RCPs (bind account A's resources), without the full-access one.
    pub rcps: Vec<Value>,
    /// The caller.
    pub principal: String,
    /// The user or role whose identity policies apply.
    pub identity_of: Option<String>,
    /// The action.
    pub action: String,
    /// Key reference used in the request (ARN or alias name).
    pub key_ref: String,
    /// Encryption context.
    pub encryption_context: Vec<(String, String)>,
    /// kms:ViaService.
    pub via_service: Option<String>,
    /// Extra context (aws:SourceIp, aws:MultiFactorAuthPresent).
    pub context: Vec<(String, Value)>,
}

/// Generates one world from a seed.
pub fn generate(seed: u64) -> World {
    let mut g = Gen { r: Rng::new(seed) };
    g.world(seed)
}

struct Gen {
    r: Rng,
}

impl Gen {
    fn world(&mut self, seed: u64) -> World {
        let caller = *self.r.pick(CALLERS);
        let key_policy = self.key_policy();
        let mut identities = Vec::new();
        for role in [ALICE, BOB, APP_ROLE, CAROL, EXT_ROLE] {
            let n = self.r.below(3);
            let pols: Vec<Value> = (0..n).map(|_| self.identity_policy()).collect();
            let boundary = self.r.chance(1, 5).then(|| self.boundary());
            identities.push((role.to_string(), pols, boundary));
        }
        let scps = if self.r.chance(1, 3) {
            (0..1 + self.r.below(2)).map(|_| self.scp_level()).collect()
        } else {
            Vec::new()
        };
        let rcps = if self.r.chance(1, 4) { vec![self.rcp()] } else { Vec::new() };
        let grants = if self.r.chance(1, 5) { vec![self.grant()] } else { Vec::new() };
        let encryption_context = self.encryption_context();
        let via_service = self
            .r
            .chance(1, 4)
            .then(|| self.r.pick(&["s3.us-east-1.amazonaws.com", "ec2.us-east-1.amazonaws.com"]))
            .map(|s| s.to_string());
        let mut context = Vec::new();
        if self.r.chance(2, 3) {
            let ip = *self.r.pick(&["10.1.2.3", "192.0.2.10", "203.0.113.9"]);
            context.push(("aws:SourceIp".to_string(), json!(ip)));
        }
        if self.r.chance(1, 2) {
            let mfa = *self.r.pick(&["true", "false"]);
            context.push(("aws:MultiFactorAuthPresent".to_string(), json!(mfa)));
        }
        let same_account = caller.0.contains(ACCT_A);
        let key_ref = if same_account && self.r.chance(1, 6) { ALIAS } else { KEY_ARN };
        World {
            seed,
            time: self.r.pick(TIMES).to_string(),
            key_policy,
            key_tags: vec![("env".into(), self.r.pick(&["prod", "dev"]).to_string())],
            grants,
            identities,
            scps,
            rcps,
            principal: caller.0.to_string(),
            identity_of: caller.1.map(str::to_string),
            action: self.r.pick(ACTIONS).to_string(),
            key_ref: key_ref.to_string(),
            encryption_context,
            via_service,
            context,
        }
    }

    fn version(&mut self) -> &'static str {
        if self.r.chance(1, 8) {
            "2008-10-17"
        } else {
            "2012-10-17"
        }
    }

    fn key_policy(&mut self) -> Value {
        let mut stmts = Vec::new();
        if self.r.chance(3, 5) {
            let p = *self.r.pick(&[ROOT_A, ACCT_A]);
            let actions = if self.r.chance(2, 3) { json!("kms:*") } else { self.actions() };
            let mut s = json!({"Sid": "Enable IAM policies", "Effect": "Allow",
                "Principal": {"AWS": p}, "Action": actions, "Resource": "*"});
            if self.r.chance(1, 6) {
                s["Condition"] = self.conditions(1);
            }
            stmts.push(s);
        }
        for i in 0..self.r.below(4) {
            let effect = if self.r.chance(1, 4) { "Deny" } else { "Allow" };
            let principal = self.key_principal();
            let mut s = json!({"Sid": format!("S{i}"), "Effect": effect, "Principal": principal,
                "Resource": "*"});
            self.put_actions(&mut s);
            if self.r.chance(1, 2) {
                let n = 1 + self.r.below(2);
                s["Condition"] = self.conditions(n);
            }
            stmts.push(s);
        }
        json!({"Version": self.version(), "Id": "key-policy", "Statement": stmts})
    }

    fn key_principal(&mut self) -> Value {
        match self.r.below(10) {
            0 => json!("*"),
            1 => json!({"AWS": "*"}),
            2 => json!({"AWS": ROOT_B}),
            3 => json!({"AWS": ACCT_B}),
            4 => json!({"AWS": [ALICE, CAROL]}),
            5 => json!({"AWS": APP_ROLE}),
            6 => json!({"AWS": APP_SESSION}),
            7 => json!({"AWS": EXT_ROLE}),
            8 => json!({"AWS": ROOT_A}),
            _ => json!({"AWS": *self.r.pick(&[ALICE, BOB, CAROL])}),
        }
    }

    fn actions(&mut self) -> Value {
        let pool = [
            "kms:*",
            "kms:Decrypt",
            "kms:Encrypt",
            "kms:GenerateDataKey*",
            "kms:Describe*",
            "kms:ReEncrypt*",
            "kms:*Key*",
            "kms:Get*",
            "kms:PutKeyPolicy",
            "kms:ScheduleKeyDeletion",
        ];
        if self.r.chance(1, 3) {
            let mut v = vec![self.r.pick(&pool).to_string(), self.r.pick(&pool).to_string()];
            v.dedup();
            json!(v)
        } else {
            json!(self.r.pick(&pool))
        }
    }

    fn put_actions(&mut self, s: &mut Value) {
        let a = self.actions();
        if self.r.chance(1, 10) {
            s["NotAction"] = a;
        } else {
            s["Action"] = a;
        }
    }

    fn identity_policy(&mut self) -> Value {
        let stmts: Vec<Value> = (0..1 + self.r.below(3))
            .map(|_| {
                let effect = if self.r.chance(1, 5) { "Deny" } else { "Allow" };
                let mut s = json!({"Effect": effect});
                self.put_actions(&mut s);
                let res = *self.r.pick(&[
                    "*",
                    KEY_ARN,
                    "arn:aws:kms:*:111122223333:key/*",
                    "arn:aws:kms:us-east-1:444455556666:key/*",
                    "arn:aws:kms:us-east-1:111122223333:alias/*",
                    "arn:aws:kms:*:${aws:PrincipalAccount}:key/*",
                ]);
                if self.r.chance(1, 12) {
                    s["NotResource"] = json!(res);
                } else {
                    s["Resource"] = json!(res);
                }
                if self.r.chance(2, 5) {
                    let n = 1 + self.r.below(2);
                    s["Condition"] = self.conditions(n);
                }
                s
            })
            .collect();
        json!({"Version": self.version(), "Statement": stmts})
    }

    fn boundary(&mut self) -> Value {
        let mut s = json!({"Effect": "Allow", "Resource": "*"});
        s["Action"] =
            json!(self.r.pick(&["kms:*", "kms:Decrypt", "kms:Encrypt*", "kms:Describe*"]));
        if self.r.chance(1, 3) {
            s["Condition"] = self.conditions(1);
        }
        json!({"Version": "2012-10-17", "Statement": [s]})
    }

    fn scp_level(&mut self) -> Vec<Value> {
        let mut stmts = Vec::new();
        if self.r.chance(4, 5) {
            let a = *self.r.pick(&["*", "*", "kms:*", "kms:Decrypt", "kms:Describe*"]);
            stmts.push(json!({"Effect": "Allow", "Action": a, "Resource": "*"}));
        }
        if self.r.chance(1, 2) {
            let mut s = json!({"Effect": "Deny", "Resource": "*"});
            self.put_actions(&mut s);
            s["Condition"] = self.conditions(1);
            stmts.push(s);
        }
        if stmts.is_empty() {
            stmts.push(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}));
        }
        vec![json!({"Version": "2012-10-17", "Statement": stmts})]
    }

    fn rcp(&mut self) -> Value {
        let mut s = json!({"Effect": "Deny", "Principal": "*", "Resource": "*"});
        s["Action"] = json!(self.r.pick(&["kms:*", "kms:Decrypt", "kms:Encrypt"]));
        s["Condition"] = match self.r.below(3) {
            0 => json!({"StringNotEqualsIfExists": {"aws:PrincipalAccount": [ACCT_A]}}),
            1 => json!({"StringNotEquals": {"aws:PrincipalAccount": [ACCT_A]}}),
            _ => self.conditions(1),
        };
        json!({"Version": "2012-10-17", "Statement": [s]})
    }

    fn grant(&mut self) -> Value {
        let grantee = *self.r.pick(&[ALICE, BOB, APP_ROLE, APP_SESSION, CAROL, EXT_ROLE]);
        let mut ops = self.r.subset(&["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey"]);
        if ops.is_empty() {
            ops.push("Decrypt");
        }
        let mut g = json!({
            "grant_id": format!("{:064x}", self.r.next_u64()),
            "grantee": grantee, "operations": ops});
        if self.r.chance(1, 3) {
            let kind = *self.r.pick(&["EncryptionContextSubset", "EncryptionContextEquals"]);
            g["constraints"] = json!({kind: {"Department": "Finance"}});
        }
        g
    }

    fn encryption_context(&mut self) -> Vec<(String, String)> {
        let mut ec = Vec::new();
        if self.r.chance(2, 3) {
            let v = *self.r.pick(&["Finance", "HR", "finance"]);
            ec.push(("Department".to_string(), v.to_string()));
        }
        if self.r.chance(1, 3) {
            ec.push(("project".to_string(), self.r.pick(&["alpha1", "beta"]).to_string()));
        }
        if self.r.chance(1, 4) {
            ec.push(("owner".to_string(), self.r.pick(&["alice", "bob"]).to_string()));
        }
        ec
    }

    /// A `Condition` block with `n` (operator, key) entries.
    fn conditions(&mut self, n: usize) -> Value {
        let mut block: Map<String, Value> = Map::new();
        for _ in 0..n {
            let (op, key, val) = self.condition();
            let inner = block.entry(op).or_insert_with(|| json!({}));
            if let Value::Object(m) = inner {
                m.insert(key, val);
            }
        }
        Value::Object(block)
    }

    fn condition(&mut self) -> (String, String, Value) {
        let r = &mut self.r;
        let (op, key, val): (&str, &str, Value) = match r.below(31) {
            0 => (
                "StringEquals",
                "kms:EncryptionContext:Department",
                json!(r.pick(&["Finance", "HR"])),
            ),
            1 => ("StringEqualsIgnoreCase", "kms:EncryptionContext:department", json!("finance")),
            2 => {
                ("StringLike", "kms:EncryptionContext:project", json!(r.pick(&["alpha*", "b?ta"])))
            }
            3 => ("StringNotEquals", "kms:EncryptionContext:Department", json!("HR")),
            4 => ("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", json!(["Department"])),
            5 => (
                "ForAllValues:StringEquals",
                "kms:EncryptionContextKeys",
                json!(["Department", "project"]),
            ),
            6 => ("ForAllValues:StringLike", "kms:EncryptionContextKeys", json!(["Dep*"])),
            7 => ("Null", "kms:EncryptionContextKeys", json!(r.pick(&["true", "false"]))),
            8 => ("Bool", "aws:MultiFactorAuthPresent", json!(r.pick(&["true", "false"]))),
            9 => ("BoolIfExists", "aws:MultiFactorAuthPresent", json!("true")),
            10 => ("IpAddress", "aws:SourceIp", json!(r.pick(&["10.0.0.0/8", "192.0.2.0/24"]))),
            11 => ("NotIpAddress", "aws:SourceIp", json!(["10.0.0.0/8", "203.0.113.0/24"])),
            12 => (
                *r.pick(&["DateGreaterThan", "DateLessThan"]),
                "aws:CurrentTime",
                json!(r.pick(&["2026-01-01T00:00:00Z", "2025-06-30T00:00:00Z", "2026-05-01"])),
            ),
            13 => (
                *r.pick(&["DateGreaterThan", "DateLessThanEquals"]),
                "aws:CurrentTime",
                json!(r.pick(&["1767225600", "1751241600", "1782864000"])),
            ),
            14 => {
                ("NumericLessThan", "aws:EpochTime", json!(r.pick(&["1767225600", "1782864000"])))
            }
            15 => (
                "ArnLike",
                "aws:PrincipalArn",
                json!(r.pick(&["arn:aws:iam::111122223333:role/*", "arn:aws:iam::*:user/*"])),
            ),
            16 => ("ArnNotLike", "aws:PrincipalArn", json!("arn:aws:iam::444455556666:*")),
            17 => ("ArnEquals", "aws:PrincipalArn", json!(r.pick(&[ALICE, APP_ROLE, CAROL]))),
            18 => ("StringEquals", "kms:ViaService", json!("s3.us-east-1.amazonaws.com")),
            19 => ("StringLike", "kms:ViaService", json!("*.us-east-1.amazonaws.com")),
            20 => ("StringEquals", "kms:CallerAccount", json!(r.pick(&[ACCT_A, ACCT_B]))),
            21 => ("StringNotEquals", "kms:CallerAccount", json!(ACCT_A)),
            22 => ("StringEquals", "kms:EncryptionContext:owner", json!("${aws:username}")),
            23 => ("StringEquals", "aws:ResourceTag/env", json!(r.pick(&["prod", "dev"]))),
            24 => ("StringEquals", "kms:EncryptionAlgorithm", json!("SYMMETRIC_DEFAULT")),
            25 => (
                "ForAnyValue:StringLike",
                "kms:ResourceAliases",
                json!(r.pick(&["alias/app", "alias/other*"])),
            ),
            26 => ("StringEquals", "kms:RequestAlias", json!("alias/app")),
            27 => (
                "StringEquals",
                "aws:PrincipalTag/team",
                json!(r.pick(&["payments", "${aws:username}"])),
            ),
            28 => ("StringEqualsIfExists", "kms:ViaService", json!(["s3.us-east-1.amazonaws.com"])),
            29 => ("Null", "aws:MultiFactorAuthPresent", json!(r.pick(&["true", "false"]))),
            _ => ("StringEquals", "aws:PrincipalAccount", json!(r.pick(&[ACCT_A, ACCT_B]))),
        };
        (op.to_string(), key.to_string(), val)
    }
}

impl World {
    /// The world as a keyward scenario file with one case (expectation `expect`).
    pub fn scenario_json(&self, expect: &str) -> Value {
        let mut principals = Map::new();
        for (arn, pols, boundary) in &self.identities {
            let mut p = json!({"policies": pols});
            if arn.ends_with("/App") || arn.ends_with("/alice") {
                p["tags"] =
                    json!({"team": if arn.ends_with("/App") { "payments" } else { "alice" }});
            }
            if let Some(b) = boundary {
                p["permissions_boundary"] = b.clone();
            }
            principals.insert(arn.clone(), p);
        }
        let tags: Map<String, Value> =
            self.key_tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let mut s = json!({
            "description": format!("generated world, seed {}", self.seed),
            "defaults": {"account": ACCT_A, "region": "us-east-1", "time": self.time},
            "keys": {"k": {"arn": KEY_ARN, "policy": self.key_policy, "aliases": [ALIAS],
                "tags": tags, "grants": self.grants}},
            "principals": principals,
        });
        if !self.scps.is_empty() {
            s["scps"] = json!(self.scps);
        }
        if !self.rcps.is_empty() {
            let mut r = self.rcps.clone();
            r.push(full_rcp());
            s["rcps"] = json!(r);
        }
        let ec: Map<String, Value> =
            self.encryption_context.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let ctx: Map<String, Value> = self.context.iter().cloned().collect();
        let mut case = json!({"name": format!("seed {}", self.seed), "principal": self.principal,
            "action": self.action, "key": self.key_ref, "encryption_context": ec,
            "context": ctx, "expect": expect});
        if let Some(v) = &self.via_service {
            case["via_service"] = json!(v);
        }
        s["cases"] = json!([case]);
        s
    }

    /// The iam-simulate `Simulation` for this world, given the request context keyward derived.
    /// With `normalize`, the input is rewritten to avoid iam-simulate's documented departures
    /// (epoch-second dates become ISO 8601; `${` in 2008-10-17 policies is escaped; a root
    /// caller gets an allow-everything identity policy).
    pub fn sim_json(&self, context: Value, normalize: bool) -> Value {
        let fix = |p: &Value| if normalize { normalize_policy(p) } else { p.clone() };
        let named = |name: String, p: &Value| json!({"name": name, "policy": fix(p)});
        let mut identity = Vec::new();
        let mut boundary = Vec::new();
        if let Some(of) = &self.identity_of {
            if let Some((_, pols, b)) = self.identities.iter().find(|(a, _, _)| a == of) {
                for (i, p) in pols.iter().enumerate() {
                    identity.push(named(format!("identity{i}"), p));
                }
                if let Some(b) = b {
                    boundary.push(named("boundary".into(), b));
                }
            }
        }
        if normalize && self.principal.ends_with(":root") {
            // The root user has every identity permission of its account (DIFFERENTIAL.md D5).
            let all = json!({"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
            identity.push(named("root-user-implicit".into(), &all));
        }
        let caller_in_a = self.principal.contains(&format!("::{ACCT_A}:"));
        let scps: Vec<Value> = if caller_in_a {
            self.scps
                .iter()
                .enumerate()
                .map(|(i, level)| {
                    let pols: Vec<Value> = level
                        .iter()
                        .enumerate()
                        .map(|(j, p)| named(format!("scp{i}-{j}"), p))
                        .collect();
                    json!({"orgIdentifier": format!("ou-level{i}"), "policies": pols})
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut rcps = Vec::new();
        if !self.rcps.is_empty() {
            let pols: Vec<Value> =
                self.rcps.iter().enumerate().map(|(i, p)| named(format!("rcp{i}"), p)).collect();
            // runSimulation adds RCPFullAWSAccess to every level itself (and rejects it as
            // input); simulate.mjs adds it for runUnsafeSimulation.
            rcps.push(json!({"orgIdentifier": "o-example", "policies": pols}));
        }
        let mut sim = json!({
            "request": {"principal": self.principal, "action": self.action,
                "resource": {"resource": KEY_ARN, "accountId": ACCT_A},
                "contextVariables": context},
            "identityPolicies": identity,
            "serviceControlPolicies": scps,
            "resourceControlPolicies": rcps,
            "resourcePolicy": fix(&self.key_policy),
        });
        if !boundary.is_empty() {
            sim["permissionBoundaryPolicies"] = json!(boundary);
        }
        sim
    }

    /// True when the caller's policies use a variable before the fifth colon of a Resource ARN,
    /// where AWS does not substitute it (keyward does; DIFFERENTIAL.md K1).
    pub fn variable_before_resource_part(&self) -> bool {
        let Some(of) = &self.identity_of else { return false };
        self.identities.iter().filter(|(a, _, _)| a == of).any(|(_, pols, b)| {
            pols.iter().chain(b.iter()).any(|p| {
                p["Statement"].as_array().into_iter().flatten().any(|s| {
                    ["Resource", "NotResource"].iter().any(|k| {
                        s[*k].as_str().is_some_and(|r| {
                            r.splitn(6, ':').take(5).any(|part| part.contains("${"))
                        })
                    })
                })
            })
        })
    }

    /// Whether normalizing the policies changes anything, per departure: (epoch dates, 2008
    /// variables).
    pub fn normalization_features(&self) -> (bool, bool) {
        let mut all: Vec<&Value> = vec![&self.key_policy];
        for (_, pols, b) in &self.identities {
            all.extend(pols.iter());
            all.extend(b.iter());
        }
        all.extend(self.scps.iter().flatten());
        all.extend(self.rcps.iter());
        let epoch = all.iter().any(|p| has_epoch_date(p));
        let v2008 =
            all.iter().any(|p| p["Version"] != "2012-10-17" && p.to_string().contains("${"));
        (epoch, v2008)
    }
}

fn full_rcp() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})
}

fn has_epoch_date(p: &Value) -> bool {
    let mut found = false;
    visit_conditions(p, &mut |op, v| {
        if op.to_ascii_lowercase().contains("date") && is_epoch(v) {
            found = true;
        }
    });
    found
}

fn is_epoch(v: &Value) -> bool {
    v.as_str().is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}

fn visit_conditions(p: &Value, f: &mut dyn FnMut(&str, &Value)) {
    let stmts = match &p["Statement"] {
        Value::Array(a) => a.clone(),
        s @ Value::Object(_) => vec![s.clone()],
        _ => Vec::new(),
    };
    for s in &stmts {
        if let Some(c) = s["Condition"].as_object() {
            for (op, keys) in c {
                for v in keys.as_object().into_iter().flat_map(|m| m.values()) {
                    match v {
                        Value::Array(vs) => vs.iter().for_each(|x| f(op, x)),
                        x => f(op, x),
                    }
                }
            }
        }
    }
}

/// Rewrites a policy so iam-simulate's known departures do not apply (see DIFFERENTIAL.md).
pub fn normalize_policy(p: &Value) -> Value {
    let mut p = p.clone();
    let old_version = p["Version"] != "2012-10-17";
    if let Some(stmts) = p["Statement"].as_array_mut() {
        for s in stmts {
            if let Some(c) = s.get_mut("Condition").and_then(Value::as_object_mut) {
                for (op, keys) in c.iter_mut() {
                    let date = op.to_ascii_lowercase().contains("date");
                    for v in keys.as_object_mut().into_iter().flat_map(|m| m.values_mut()) {
                        fix_value(v, date, old_version);
                    }
                }
            }
        }
    }
    if old_version && p.to_string().contains("${") {
        p["Version"] = json!("2012-10-17");
    }
    p
}

fn fix_value(v: &mut Value, date: bool, old_version: bool) {
    match v {
        Value::Array(vs) => vs.iter_mut().for_each(|x| fix_value(x, date, old_version)),
        Value::String(s) => {
            if date && is_epoch(&Value::String(s.clone())) {
                if let Ok(secs) = s.parse::<i64>() {
                    *s = epoch_to_iso(secs);
                }
            }
            if old_version && s.contains("${") {
                *s = s.replace("${", "${$}{");
            }
        }
        _ => {}
    }
}

/// Epoch seconds to `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
pub fn epoch_to_iso(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_dates() {
        assert_eq!(epoch_to_iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(epoch_to_iso(1_773_151_200), "2026-03-10T14:00:00Z");
        assert_eq!(epoch_to_iso(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn normalization_escapes_variables_in_old_policies() {
        let p = json!({"Version": "2008-10-17", "Statement": [{"Effect": "Allow",
            "Condition": {"StringEquals": {"k": "${aws:username}"},
                          "DateLessThan": {"aws:CurrentTime": "1767225600"}}}]});
        let n = normalize_policy(&p);
        assert_eq!(n["Version"], "2012-10-17");
        assert_eq!(n["Statement"][0]["Condition"]["StringEquals"]["k"], "${$}{aws:username}");
        assert_eq!(
            n["Statement"][0]["Condition"]["DateLessThan"]["aws:CurrentTime"],
            "2026-01-01T00:00:00Z"
        );
    }

    #[test]
    fn worlds_are_deterministic() {
        assert_eq!(generate(5).scenario_json("Allow"), generate(5).scenario_json("Allow"));
    }
}
