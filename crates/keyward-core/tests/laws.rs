//! Property laws of evaluation and matching, checked over generated policies and requests against small independent oracles.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use keyward_core::eval::call::{derive_context, Call};
use keyward_core::eval::{
    decide, decide_traced, CtxValue, Decision, NamedPolicy, PolicySet, Principal, Request, Source,
};
use keyward_core::json::{self, Limits};
use keyward_core::model::{Effect, PolicyKind};
use keyward_core::parse::{parse_grants, parse_policy};
use keyward_core::pattern::{ArnGlob, Glob};
use proptest::prelude::*;
use serde_json::{json, Value as J};
use std::sync::Arc;

// ---------------------------------------------------------------------------------------------
// Reference wildcard matching (regex), used by the Glob laws and by the statement oracle.
// ---------------------------------------------------------------------------------------------

fn glob_regex(pattern: &str) -> regex::Regex {
    let mut re = String::from("(?s)^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).unwrap()
}

fn wild(pattern: &str, text: &str) -> bool {
    glob_regex(pattern).is_match(text)
}

/// ARN matching as AWS documents it: six components, each matched on its own (the sixth may
/// contain colons); `*` alone matches everything.
fn arn_wild(pattern: &str, text: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let t: Vec<&str> = text.splitn(6, ':').collect();
    assert_eq!(p.len(), 6, "oracle patterns are ARNs: {pattern}");
    t.len() == 6 && p.iter().zip(&t).all(|(p, t)| wild(p, t))
}

// ---------------------------------------------------------------------------------------------
// The little world: callers, principals, statements, conditions, grants.
// ---------------------------------------------------------------------------------------------

const ACCT: &str = "111122223333";
const K1: &str = "arn:aws:kms:us-east-1:111122223333:key/k1";
const K2: &str = "arn:aws:kms:us-east-1:111122223333:key/k2";
const XK: &str = "arn:aws:kms:us-east-1:444455556666:key/x1";
const OBJ: &str = "arn:aws:s3:::bucket/obj";

/// A caller, described independently of `Principal::parse`.
#[derive(Debug)]
struct Caller {
    text: &'static str,
    /// IAM principal (not a service).
    iam: bool,
    account: &'static str,
    /// The caller's own ARN.
    arn: &'static str,
    /// The value of `aws:PrincipalArn` (the role ARN for sessions).
    policy_arn: &'static str,
    /// Role name, for roles and their sessions.
    role: Option<&'static str>,
    user: Option<&'static str>,
}

const CALLERS: &[Caller] = &[
    Caller {
        text: "arn:aws:sts::111122223333:assumed-role/App/s1",
        iam: true,
        account: ACCT,
        arn: "arn:aws:sts::111122223333:assumed-role/App/s1",
        policy_arn: "arn:aws:iam::111122223333:role/App",
        role: Some("App"),
        user: None,
    },
    Caller {
        text: "arn:aws:iam::111122223333:role/App",
        iam: true,
        account: ACCT,
        arn: "arn:aws:iam::111122223333:role/App",
        policy_arn: "arn:aws:iam::111122223333:role/App",
        role: Some("App"),
        user: None,
    },
    Caller {
        text: "arn:aws:iam::111122223333:user/alice",
        iam: true,
        account: ACCT,
        arn: "arn:aws:iam::111122223333:user/alice",
        policy_arn: "arn:aws:iam::111122223333:user/alice",
        role: None,
        user: Some("alice"),
    },
    Caller {
        text: "111122223333",
        iam: true,
        account: ACCT,
        arn: "arn:aws:iam::111122223333:root",
        policy_arn: "arn:aws:iam::111122223333:root",
        role: None,
        user: None,
    },
    Caller {
        text: "arn:aws:sts::444455556666:assumed-role/Other/s2",
        iam: true,
        account: "444455556666",
        arn: "arn:aws:sts::444455556666:assumed-role/Other/s2",
        policy_arn: "arn:aws:iam::444455556666:role/Other",
        role: Some("Other"),
        user: None,
    },
    Caller {
        text: "service:s3.amazonaws.com",
        iam: false,
        account: "",
        arn: "s3.amazonaws.com",
        policy_arn: "s3.amazonaws.com",
        role: None,
        user: None,
    },
];

/// One entry of a Principal element.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pe {
    AwsStar,
    Account,
    AccountRoot,
    OtherRoot,
    RoleApp,
    RoleOther,
    UserAlice,
    SessionS1,
    Service,
}

const PES: &[Pe] = &[
    Pe::AwsStar,
    Pe::Account,
    Pe::AccountRoot,
    Pe::OtherRoot,
    Pe::RoleApp,
    Pe::RoleOther,
    Pe::UserAlice,
    Pe::SessionS1,
    Pe::Service,
];

impl Pe {
    fn json(self) -> (&'static str, &'static str) {
        match self {
            Pe::AwsStar => ("AWS", "*"),
            Pe::Account => ("AWS", ACCT),
            Pe::AccountRoot => ("AWS", "arn:aws:iam::111122223333:root"),
            Pe::OtherRoot => ("AWS", "arn:aws:iam::444455556666:root"),
            Pe::RoleApp => ("AWS", "arn:aws:iam::111122223333:role/App"),
            Pe::RoleOther => ("AWS", "arn:aws:iam::444455556666:role/Other"),
            Pe::UserAlice => ("AWS", "arn:aws:iam::111122223333:user/alice"),
            Pe::SessionS1 => ("AWS", "arn:aws:sts::111122223333:assumed-role/App/s1"),
            Pe::Service => ("Service", "s3.amazonaws.com"),
        }
    }

    /// True when this entry names the caller in some way (directly, by role, by account).
    fn names(self, c: &Caller) -> bool {
        match self {
            Pe::AwsStar => true,
            Pe::Account | Pe::AccountRoot => c.iam && c.account == ACCT,
            Pe::OtherRoot => c.iam && c.account == "444455556666",
            Pe::RoleApp => c.account == ACCT && c.role == Some("App"),
            Pe::RoleOther => c.account == "444455556666" && c.role == Some("Other"),
            Pe::UserAlice => c.user == Some("alice") && c.account == ACCT,
            Pe::SessionS1 => c.arn == "arn:aws:sts::111122223333:assumed-role/App/s1",
            Pe::Service => !c.iam && c.arn == "s3.amazonaws.com",
        }
    }
}

#[derive(Debug, Clone)]
enum Pr {
    /// `"Principal": "*"`.
    Star,
    /// `"Principal": {"AWS": [...], "Service": [...]}`.
    List(Vec<Pe>),
}

const DEPT: &str = "kms:EncryptionContext:Dept";
const KEYS: &str = "kms:EncryptionContextKeys";
const MFA: &str = "aws:MultiFactorAuthPresent";
const AGE: &str = "aws:MultiFactorAuthAge";
const IP: &str = "aws:SourceIp";
const PACCT: &str = "aws:PrincipalAccount";
const PARN: &str = "aws:PrincipalArn";
const IPS: &[&str] = &["10.1.2.3", "192.0.2.7", "2001:db8::1"];
/// `CIDRS[i]` contains exactly `IPS[i]`.
const CIDRS: &[&str] = &["10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32"];

#[derive(Debug, Clone, PartialEq)]
struct Cond {
    op: &'static str,
    key: &'static str,
    values: Vec<&'static str>,
}

#[derive(Debug, Clone)]
struct St {
    allow: bool,
    not_action: bool,
    actions: Vec<&'static str>,
    not_resource: bool,
    resources: Vec<&'static str>,
    /// `(NotPrincipal?, element)`; only in resource-side policies.
    principal: Option<(bool, Pr)>,
    conds: Vec<Cond>,
}

#[derive(Debug, Clone)]
struct Gr {
    grantee: &'static str,
    ops: Vec<&'static str>,
    /// `(Equals?, pairs)`.
    constraint: Option<(bool, Vec<(&'static str, &'static str)>)>,
}

/// The request, described independently of the library's context.
#[derive(Debug, Clone)]
struct Rq {
    caller: usize,
    action: &'static str,
    resource: &'static str,
    ec: Vec<(&'static str, &'static str)>,
    mfa: Option<bool>,
    age: Option<u32>,
    ip: Option<usize>,
}

impl Rq {
    fn caller(&self) -> &'static Caller {
        &CALLERS[self.caller]
    }

    fn dept(&self) -> Option<&'static str> {
        // Context keys are case-insensitive: `dept` and `Dept` are the same key.
        self.ec.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case("Dept")).map(|(_, v)| *v)
    }

    fn request(&self) -> Request {
        let principal = Principal::parse(self.caller().text).unwrap();
        let call = Call {
            action: self.action.to_string(),
            resource: self.resource.to_string(),
            encryption_context: self
                .ec
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Call::default()
        };
        let mut ctx = derive_context(&principal, &call);
        if let Some(m) = self.mfa {
            ctx.set_str(MFA, m.to_string());
        }
        if let Some(a) = self.age {
            ctx.set_str(AGE, a.to_string());
        }
        if let Some(i) = self.ip {
            ctx.set_str(IP, IPS[i]);
        }
        Request::new(principal, self.action, self.resource, ctx)
    }
}

// ---------------------------------------------------------------------------------------------
// Oracles.
// ---------------------------------------------------------------------------------------------

fn cond_holds(c: &Cond, rq: &Rq) -> bool {
    let caller = rq.caller();
    let dept = rq.dept();
    let vals = &c.values;
    let bool_of = |v: &str| v == "true";
    match (c.op, c.key) {
        ("StringEquals", DEPT) => dept.is_some_and(|d| vals.contains(&d)),
        ("StringNotEquals", DEPT) => dept.is_none_or(|d| !vals.contains(&d)),
        ("StringLike", DEPT) => dept.is_some_and(|d| vals.iter().any(|p| wild(p, d))),
        ("StringEqualsIgnoreCase", DEPT) => {
            dept.is_some_and(|d| vals.iter().any(|v| v.eq_ignore_ascii_case(d)))
        }
        ("Null", DEPT) => vals.iter().any(|v| bool_of(v) == dept.is_none()),
        ("ForAllValues:StringEquals", KEYS) => rq.ec.iter().all(|(k, _)| vals.contains(k)),
        ("ForAnyValue:StringEquals", KEYS) => rq.ec.iter().any(|(k, _)| vals.contains(k)),
        ("Bool", MFA) => rq.mfa.is_some_and(|m| vals.iter().any(|v| bool_of(v) == m)),
        ("BoolIfExists", MFA) => rq.mfa.is_none_or(|m| vals.iter().any(|v| bool_of(v) == m)),
        ("IpAddress", IP) => rq.ip.is_some_and(|i| vals.contains(&CIDRS[i])),
        ("NotIpAddress", IP) => rq.ip.is_none_or(|i| !vals.contains(&CIDRS[i])),
        ("NumericLessThan", AGE) => {
            rq.age.is_some_and(|a| vals.iter().any(|v| a < v.parse::<u32>().unwrap()))
        }
        ("StringEquals", PACCT) => caller.iam && vals.contains(&caller.account),
        ("ArnLike", PARN) => caller.iam && vals.iter().any(|p| arn_wild(p, caller.policy_arn)),
        other => panic!("no oracle for {other:?}"),
    }
}

fn principal_names(st: &St, c: &Caller) -> bool {
    match &st.principal {
        None => true,
        Some((false, Pr::Star)) => true,
        Some((false, Pr::List(l))) => l.iter().any(|e| e.names(c)),
        Some((true, _)) => panic!("the oracle does not model NotPrincipal"),
    }
}

/// Does the statement apply to the request (every element matches)?
fn applies(st: &St, rq: &Rq) -> bool {
    let action = rq.action.to_ascii_lowercase();
    let a = st.actions.iter().any(|p| wild(&p.to_ascii_lowercase(), &action)) != st.not_action;
    let r = st.resources.iter().any(|p| arn_wild(p, rq.resource)) != st.not_resource;
    a && r && principal_names(st, rq.caller()) && st.conds.iter().all(|c| cond_holds(c, rq))
}

/// Is a policy at `loc` evaluated at all for this caller?
fn scanned(loc: Loc, c: &Caller) -> bool {
    match loc {
        Loc::Resource => true,
        // Service principals are outside SCPs, RCPs and identity-side policies.
        _ => c.iam,
    }
}

fn takes_ec(action: &str) -> bool {
    ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:GenerateDataKey"].contains(&action)
}

fn grant_constraint_holds(g: &Gr, rq: &Rq) -> Option<bool> {
    let (equals, pairs) = g.constraint.as_ref()?;
    if !takes_ec(rq.action) {
        return None;
    }
    let has = |set: &[(&str, &str)], (k, v): &(&str, &str)| {
        set.iter().any(|(sk, sv)| sk.eq_ignore_ascii_case(k) && sv == v)
    };
    let sub = pairs.iter().all(|p| has(&rq.ec, p));
    Some(if *equals { sub && rq.ec.iter().all(|p| has(pairs, p)) } else { sub })
}

// ---------------------------------------------------------------------------------------------
// Worlds: policies at locations, serialised to JSON and parsed by the library.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loc {
    Resource,
    Identity(usize),
    Boundary,
    Session,
    Scp(usize, usize),
    Rcp(usize, usize),
}

impl Loc {
    fn of(s: Source) -> Option<Loc> {
        Some(match s {
            Source::ResourcePolicy => Loc::Resource,
            Source::Identity { index } => Loc::Identity(index),
            Source::Boundary => Loc::Boundary,
            Source::Session => Loc::Session,
            Source::Scp { level, index } => Loc::Scp(level, index),
            Source::Rcp { level, index } => Loc::Rcp(level, index),
            Source::Grant { .. } => return None,
        })
    }

    fn resource_side(self) -> bool {
        matches!(self, Loc::Resource | Loc::Rcp(..))
    }
}

#[derive(Debug, Clone)]
struct World {
    rp: Option<Vec<St>>,
    identity: Vec<Vec<St>>,
    boundary: Option<Vec<St>>,
    session: Option<Vec<St>>,
    scps: Vec<Vec<Vec<St>>>,
    rcps: Vec<Vec<Vec<St>>>,
    grants: Vec<Gr>,
    rq: Rq,
}

impl World {
    fn policies(&self) -> Vec<(Loc, &Vec<St>)> {
        let mut out = Vec::new();
        if let Some(p) = &self.rp {
            out.push((Loc::Resource, p));
        }
        out.extend(self.identity.iter().enumerate().map(|(i, p)| (Loc::Identity(i), p)));
        if let Some(p) = &self.boundary {
            out.push((Loc::Boundary, p));
        }
        if let Some(p) = &self.session {
            out.push((Loc::Session, p));
        }
        for (l, level) in self.scps.iter().enumerate() {
            out.extend(level.iter().enumerate().map(|(i, p)| (Loc::Scp(l, i), p)));
        }
        for (l, level) in self.rcps.iter().enumerate() {
            out.extend(level.iter().enumerate().map(|(i, p)| (Loc::Rcp(l, i), p)));
        }
        out
    }

    fn policy(&self, loc: Loc) -> Option<&Vec<St>> {
        self.policies().into_iter().find(|(l, _)| *l == loc).map(|(_, p)| p)
    }

    /// Every place a statement can be added without changing which policies exist (a new
    /// identity policy is harmless; a new SCP level or boundary would not be).
    fn slots(&self) -> Vec<Loc> {
        let mut v: Vec<Loc> = self.policies().into_iter().map(|(l, _)| l).collect();
        v.push(Loc::Identity(self.identity.len()));
        v
    }

    /// A copy with `st` appended at `loc` (principal dropped where policies have none).
    fn with(&self, loc: Loc, mut st: St) -> World {
        if !loc.resource_side() {
            st.principal = None;
        } else if st.principal.is_none() {
            st.principal = Some((false, Pr::Star));
        }
        let mut w = self.clone();
        let target = match loc {
            Loc::Resource => w.rp.as_mut().unwrap(),
            Loc::Identity(i) => {
                if i == w.identity.len() {
                    w.identity.push(Vec::new());
                }
                &mut w.identity[i]
            }
            Loc::Boundary => w.boundary.as_mut().unwrap(),
            Loc::Session => w.session.as_mut().unwrap(),
            Loc::Scp(l, i) => &mut w.scps[l][i],
            Loc::Rcp(l, i) => &mut w.rcps[l][i],
        };
        target.push(st);
        w
    }

    fn uses_not_principal(&self) -> bool {
        self.policies()
            .iter()
            .any(|(_, p)| p.iter().any(|s| matches!(s.principal, Some((true, _)))))
    }

    fn rp_kind(&self) -> PolicyKind {
        if self.rq.resource.contains(":kms:") {
            PolicyKind::Key
        } else {
            PolicyKind::Resource
        }
    }

    fn build(&self) -> (PolicySet, Request) {
        let named = |name: &str, kind, st: &[St]| NamedPolicy::new(name, policy(kind, st));
        let mut set = PolicySet {
            resource_policy: self.rp.as_ref().map(|p| named("rp", self.rp_kind(), p)),
            identity: self
                .identity
                .iter()
                .enumerate()
                .map(|(i, p)| named(&format!("id{i}"), PolicyKind::Identity, p))
                .collect(),
            boundary: self.boundary.as_ref().map(|p| named("boundary", PolicyKind::Boundary, p)),
            session: self.session.as_ref().map(|p| named("session", PolicyKind::Session, p)),
            scps: self
                .scps
                .iter()
                .map(|l| l.iter().map(|p| named("scp", PolicyKind::Scp, p)).collect())
                .collect(),
            rcps: self
                .rcps
                .iter()
                .map(|l| l.iter().map(|p| named("rcp", PolicyKind::Rcp, p)).collect())
                .collect(),
            grants: Vec::new(),
            grant_to_retire: None,
            resource_account: Some(ACCT.to_string()),
        };
        if !self.grants.is_empty() {
            let text = J::Array(self.grants.iter().map(grant_json).collect()).to_string();
            let (grants, diags) = parse_grants(&text, Limits::default());
            assert!(diags.is_empty(), "generated grants must parse: {diags:?}\n{text}");
            set.grants = grants.into_iter().map(Arc::new).collect();
        }
        (set, self.rq.request())
    }

    fn decide(&self) -> Decision {
        let (set, req) = self.build();
        decide(&set, &req)
    }

    /// Some applicable Deny in a policy that is evaluated for this caller.
    fn applicable_deny(&self) -> bool {
        let c = self.rq.caller();
        self.policies()
            .iter()
            .any(|(l, p)| scanned(*l, c) && p.iter().any(|s| !s.allow && applies(s, &self.rq)))
    }
}

fn list_json(v: &[&str]) -> J {
    if v.len() == 1 {
        json!(v[0])
    } else {
        json!(v)
    }
}

fn statement_json(st: &St, i: usize) -> J {
    let mut m = serde_json::Map::new();
    m.insert("Sid".into(), json!(format!("S{i}")));
    m.insert("Effect".into(), json!(if st.allow { "Allow" } else { "Deny" }));
    if let Some((negated, p)) = &st.principal {
        let v = match p {
            Pr::Star => json!("*"),
            Pr::List(l) => {
                let mut o = serde_json::Map::new();
                for e in l {
                    let (k, v) = e.json();
                    let slot = o.entry(k).or_insert_with(|| json!([]));
                    slot.as_array_mut().unwrap().push(json!(v));
                }
                J::Object(o)
            }
        };
        m.insert(if *negated { "NotPrincipal" } else { "Principal" }.into(), v);
    }
    m.insert(if st.not_action { "NotAction" } else { "Action" }.into(), list_json(&st.actions));
    m.insert(
        if st.not_resource { "NotResource" } else { "Resource" }.into(),
        list_json(&st.resources),
    );
    if !st.conds.is_empty() {
        let mut ops = serde_json::Map::new();
        for c in &st.conds {
            let o = ops.entry(c.op).or_insert_with(|| json!({}));
            o.as_object_mut().unwrap().insert(c.key.to_string(), list_json(&c.values));
        }
        m.insert("Condition".into(), J::Object(ops));
    }
    J::Object(m)
}

fn policy_text(st: &[St]) -> String {
    let stmts: Vec<J> = st.iter().enumerate().map(|(i, s)| statement_json(s, i)).collect();
    json!({"Version": "2012-10-17", "Statement": stmts}).to_string()
}

fn policy(kind: PolicyKind, st: &[St]) -> keyward_core::model::Policy {
    let text = policy_text(st);
    let (p, diags) = parse_policy(&text, kind, Limits::default());
    assert!(diags.is_empty(), "generated {kind:?} policy must parse: {diags:?}\n{text}");
    let p = p.unwrap();
    assert_eq!(p.statements.len(), st.len());
    p
}

fn grant_json(g: &Gr) -> J {
    let mut v = json!({"GranteePrincipal": g.grantee, "Operations": g.ops});
    if let Some((equals, pairs)) = &g.constraint {
        let ctx: serde_json::Map<String, J> =
            pairs.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
        let name = if *equals { "EncryptionContextEquals" } else { "EncryptionContextSubset" };
        v["Constraints"] = json!({ name: ctx });
    }
    v
}

// ---------------------------------------------------------------------------------------------
// Generators.
// ---------------------------------------------------------------------------------------------

const ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:*",
    "kms:Re*",
    "*",
    "s3:GetObject",
    "kms:*crypt",
    "kms:GenerateDataKey*",
    "KMS:decrypt",
];
const REQ_ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:ReEncryptFrom",
    "kms:GenerateDataKey",
    "kms:DescribeKey",
    "s3:GetObject",
];
const RESOURCES: &[&str] = &[
    "*",
    K1,
    K2,
    "arn:aws:kms:*:111122223333:key/*",
    "arn:aws:kms:us-east-1:444455556666:key/*",
    "arn:aws:kms:us-east-1:111122223333:key/k?",
    "arn:aws:s3:::bucket/*",
];
const REQ_RESOURCES: &[&str] = &[K1, K2, XK, OBJ];

fn nonempty_subset(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<&'static str>> {
    prop::sample::subsequence(pool, 1..=pool.len().min(3))
}

fn cond() -> impl Strategy<Value = Cond> {
    let c = |op: &'static str, key: &'static str, pool: &'static [&'static str]| {
        nonempty_subset(pool).prop_map(move |values| Cond { op, key, values })
    };
    prop_oneof![
        c("StringEquals", DEPT, &["Finance", "HR"]),
        c("StringNotEquals", DEPT, &["Finance", "HR"]),
        c("StringLike", DEPT, &["Fin*", "H?", "*"]),
        c("StringEqualsIgnoreCase", DEPT, &["finance", "hr"]),
        c("Null", DEPT, &["true", "false"]),
        c("ForAllValues:StringEquals", KEYS, &["Dept", "Project"]),
        c("ForAnyValue:StringEquals", KEYS, &["Dept", "Project"]),
        c("Bool", MFA, &["true", "false"]),
        c("BoolIfExists", MFA, &["true", "false"]),
        c("IpAddress", IP, CIDRS),
        c("NotIpAddress", IP, CIDRS),
        c("NumericLessThan", AGE, &["300", "3600"]),
        c("StringEquals", PACCT, &["111122223333", "444455556666"]),
        c(
            "ArnLike",
            PARN,
            &[
                "arn:aws:iam::111122223333:role/*",
                "arn:aws:iam::*:user/alice",
                "arn:aws:iam::*:root"
            ]
        ),
    ]
}

fn principal(not_principal: bool) -> impl Strategy<Value = (bool, Pr)> {
    let pr = prop_oneof![
        1 => Just(Pr::Star),
        5 => prop::sample::subsequence(PES, 1..=3).prop_map(Pr::List),
    ];
    let negated =
        if not_principal { prop::bool::weighted(0.15).boxed() } else { Just(false).boxed() };
    (negated, pr)
}

/// A statement; `principal` says whether it gets a Principal element.
fn statement(principal_elem: bool, not_principal: bool) -> impl Strategy<Value = St> {
    (
        prop::bool::weighted(0.75),
        prop::bool::weighted(0.1),
        nonempty_subset(ACTIONS),
        prop::bool::weighted(0.1),
        nonempty_subset(RESOURCES),
        principal(not_principal),
        prop::collection::vec(cond(), 0..3),
        prop::bool::weighted(0.5),
    )
        .prop_map(
            move |(allow, not_action, actions, not_resource, resources, p, mut conds, no_conds)| {
                if no_conds {
                    conds.clear();
                }
                // One condition per operator and key.
                let mut seen: Vec<(&str, &str)> = Vec::new();
                conds.retain(|c| {
                    let fresh = !seen.contains(&(c.op, c.key));
                    seen.push((c.op, c.key));
                    fresh
                });
                St {
                    allow,
                    not_action,
                    actions,
                    not_resource,
                    resources,
                    principal: principal_elem.then_some(p),
                    conds,
                }
            },
        )
}

fn stmts(
    principal_elem: bool,
    np: bool,
    n: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<St>> {
    prop::collection::vec(statement(principal_elem, np), n)
}

/// SCP/RCP levels: often with a full-access Allow so that they do not block everything.
fn org_levels(resource_side: bool, np: bool) -> impl Strategy<Value = Vec<Vec<Vec<St>>>> {
    let full = St {
        allow: true,
        not_action: false,
        actions: vec!["*"],
        not_resource: false,
        resources: vec!["*"],
        principal: resource_side.then_some((false, Pr::Star)),
        conds: Vec::new(),
    };
    let pol =
        (prop::bool::weighted(0.7), stmts(resource_side, np, 0..3)).prop_map(move |(f, mut s)| {
            if f {
                s.insert(0, full.clone());
            }
            s
        });
    prop_oneof![
        2 => Just(Vec::new()),
        1 => prop::collection::vec(prop::collection::vec(pol, 1..3), 1..3),
    ]
}

fn grant() -> impl Strategy<Value = Gr> {
    let grantee = prop::sample::select(
        &[
            "arn:aws:iam::111122223333:role/App",
            "arn:aws:sts::111122223333:assumed-role/App/s1",
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:iam::111122223333:root",
            "arn:aws:sts::444455556666:assumed-role/Other/s2",
            "s3.amazonaws.com",
        ][..],
    );
    let ops = prop::sample::subsequence(
        &["Decrypt", "Encrypt", "GenerateDataKey", "ReEncryptFrom", "DescribeKey"][..],
        1..4,
    );
    let pairs = prop::sample::subsequence(
        &[("Dept", "Finance"), ("Project", "Alpha"), ("dept", "HR")][..],
        0..3,
    );
    let constraint = prop::option::weighted(0.6, (any::<bool>(), pairs));
    (grantee, ops, constraint).prop_map(|(grantee, ops, constraint)| {
        // EncryptionContext keys of one constraint are distinct JSON keys.
        let constraint = constraint.map(|(e, mut p): (bool, Vec<(&str, &str)>)| {
            p.dedup_by(|a, b| a.0 == b.0);
            (e, p)
        });
        Gr { grantee, ops, constraint }
    })
}

fn request() -> impl Strategy<Value = Rq> {
    let ec = prop::sample::subsequence(
        &[("Dept", "Finance"), ("Dept", "HR"), ("dept", "finance"), ("Project", "Alpha")][..],
        0..3,
    )
    .prop_map(|mut v| {
        // At most one Dept (in any case).
        let mut seen = false;
        v.retain(|(k, _)| {
            if k.eq_ignore_ascii_case("dept") {
                let keep = !seen;
                seen = true;
                keep
            } else {
                true
            }
        });
        v
    });
    (
        0..CALLERS.len(),
        prop::sample::select(REQ_ACTIONS),
        prop::sample::select(REQ_RESOURCES),
        ec,
        prop::option::of(any::<bool>()),
        prop::option::of(prop::sample::select(&[60u32, 1000, 5000][..])),
        prop::option::of(0..IPS.len()),
    )
        .prop_map(|(caller, action, resource, ec, mfa, age, ip)| Rq {
            caller,
            action,
            resource,
            ec,
            mfa,
            age,
            ip,
        })
}

/// A world; `np` allows NotPrincipal (which the statement oracle does not model).
fn world(np: bool) -> impl Strategy<Value = World> {
    (
        prop::option::weighted(0.85, stmts(true, np, 0..4)),
        prop::collection::vec(stmts(false, np, 0..4), 0..3),
        prop::option::weighted(0.25, stmts(false, np, 0..3)),
        prop::option::weighted(0.25, stmts(false, np, 0..3)),
        org_levels(false, np),
        org_levels(true, np),
        prop::collection::vec(grant(), 0..3),
        request(),
    )
        .prop_map(|(rp, identity, boundary, session, scps, rcps, grants, rq)| World {
            rp,
            identity,
            boundary,
            session,
            scps,
            rcps,
            grants,
            rq,
        })
}

/// A world, a statement to add to it, and where.
fn world_plus(np: bool, allow: bool) -> impl Strategy<Value = (World, St, Loc)> {
    (world(np), statement(true, false), any::<prop::sample::Index>()).prop_map(
        move |(w, mut st, at)| {
            st.allow = allow;
            let slots = w.slots();
            let loc = slots[at.index(slots.len())];
            (w, st, loc)
        },
    )
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------------------------
// Laws of the decision.
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(2048))]

    /// Adding a Deny never turns a deny into Allow; if it applies the decision is ExplicitDeny,
    /// and if it does not apply nothing changes.
    #[test]
    fn adding_a_deny_never_allows((w, st, loc) in world_plus(false, false)) {
        let before = w.decide();
        let applicable = scanned(loc, w.rq.caller()) && {
            let w2 = w.with(loc, st.clone());
            applies(w2.policy(loc).unwrap().last().unwrap(), &w.rq)
        };
        let after = w.with(loc, st).decide();
        if before != Decision::Allow {
            prop_assert_ne!(after, Decision::Allow);
        }
        if applicable {
            prop_assert_eq!(after, Decision::ExplicitDeny);
        } else {
            prop_assert_eq!(after, before);
        }
    }

    /// Adding an Allow never turns Allow into a deny, never lifts an explicit deny, and changes
    /// nothing when it does not apply.
    #[test]
    fn adding_an_allow_never_denies((w, st, loc) in world_plus(true, true)) {
        let before = w.decide();
        let w2 = w.with(loc, st);
        let added = w2.policy(loc).unwrap().last().unwrap().clone();
        let after = w2.decide();
        match before {
            Decision::Allow => prop_assert_eq!(after, Decision::Allow),
            Decision::ExplicitDeny => prop_assert_eq!(after, Decision::ExplicitDeny),
            Decision::ImplicitDeny => {}
        }
        let applicable = scanned(loc, w.rq.caller())
            && !matches!(added.principal, Some((true, _)))
            && applies(&added, &w.rq);
        if !applicable && !matches!(added.principal, Some((true, _))) {
            prop_assert_eq!(after, before);
        }
    }

    /// An applicable Deny anywhere that is evaluated gives ExplicitDeny, whatever allows or
    /// grants exist; and ExplicitDeny only ever comes from an applicable Deny.
    #[test]
    fn explicit_deny_dominates(w in world(false)) {
        let d = w.decide();
        prop_assert_eq!(d == Decision::ExplicitDeny, w.applicable_deny(), "decision {:?}", d);
    }

    /// The trace agrees with the oracle statement by statement and condition by condition, and
    /// grant constraints and operations are judged as documented.
    #[test]
    fn trace_matches_the_oracle(w in world(false)) {
        let (set, req) = w.build();
        let (outcome, trace) = decide_traced(&set, &req);
        let c = w.rq.caller();
        for (loc, stmts) in w.policies() {
            let pt = trace.policies.iter().find(|p| Loc::of(p.source) == Some(loc));
            prop_assert_eq!(pt.is_some(), scanned(loc, c), "{:?} traced iff evaluated", loc);
            let Some(pt) = pt else { continue };
            prop_assert_eq!(pt.statements.len(), stmts.len());
            for (st, tr) in stmts.iter().zip(&pt.statements) {
                prop_assert_eq!(tr.applies, applies(st, &w.rq), "{:?} statement {}", loc, tr.index);
                prop_assert_eq!(tr.effect == Effect::Allow, st.allow);
                prop_assert_eq!(tr.conditions.len(), st.conds.len());
                // (The JSON object of operators does not keep the generator's order.)
                for cd in &st.conds {
                    let ct = tr.conditions.iter().find(|t| t.operator == cd.op && t.key == cd.key).unwrap();
                    prop_assert_eq!(ct.result, cond_holds(cd, &w.rq), "{} {} {:?}", cd.op, cd.key, cd.values);
                }
            }
        }
        let kms = req.is_kms_key() || set.resource_policy.as_ref().is_some_and(|p| p.policy.kind == PolicyKind::Key);
        if kms {
            prop_assert_eq!(trace.grants.len(), w.grants.len());
            for (g, gt) in w.grants.iter().zip(&trace.grants) {
                let op = w.rq.action.strip_prefix("kms:").unwrap_or("");
                prop_assert_eq!(gt.operation_matched, g.ops.contains(&op));
                prop_assert_eq!(gt.constraint.as_ref().map(|c| c.1), grant_constraint_holds(g, &w.rq));
            }
        }
        if outcome.decision == Decision::ExplicitDeny {
            prop_assert!(!outcome.deciders.is_empty());
            prop_assert!(outcome.deciders.iter().all(|d| d.effect == Effect::Deny));
        }
    }

    /// The fast path and the traced path decide alike (NotPrincipal included).
    #[test]
    fn fast_path_equals_traced_path(w in world(true)) {
        let (set, req) = w.build();
        let fast = decide(&set, &req);
        let (outcome, _) = decide_traced(&set, &req);
        prop_assert_eq!(fast, outcome.decision);
        if !w.uses_not_principal() {
            prop_assert_eq!(fast == Decision::ExplicitDeny, w.applicable_deny());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Laws of multivalued conditions, through a whole statement.
// ---------------------------------------------------------------------------------------------

const SET_WORDS: &[&str] = &["Dept", "Project", "Team", "dept"];

fn set_condition_decision(op: &str, p: &[&str], value: Option<&[&str]>, via_key: bool) -> Decision {
    let id = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{{"{op}":{{"kms:EncryptionContextKeys":{}}}}}}}}}"#,
        json!(p)
    );
    let (id, diags) = parse_policy(&id, PolicyKind::Identity, Limits::default());
    assert!(diags.is_empty(), "{diags:?}");
    let mut set =
        PolicySet { identity: vec![NamedPolicy::new("id", id.unwrap())], ..PolicySet::default() };
    let resource = if via_key {
        let kp = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
        let (kp, diags) = parse_policy(kp, PolicyKind::Key, Limits::default());
        assert!(diags.is_empty(), "{diags:?}");
        set.resource_policy = Some(NamedPolicy::new("kp", kp.unwrap()));
        K1
    } else {
        "*"
    };
    let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let mut ctx = keyward_core::eval::Context::new();
    if let Some(v) = value {
        ctx.set(KEYS, CtxValue::Many(v.iter().map(|s| s.to_string()).collect()));
    }
    decide(&set, &Request::new(principal, "kms:Decrypt", resource, ctx))
}

fn allow_iff(cond: bool) -> Decision {
    if cond {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn set_operators_follow_set_algebra(
        p in prop::sample::subsequence(SET_WORDS, 0..=SET_WORDS.len()),
        set in prop::collection::vec(prop::sample::select(SET_WORDS), 1..5),
        via_key in any::<bool>(),
    ) {
        let v = Some(set.as_slice());
        let in_p = |x: &&str| p.contains(x);
        prop_assert_eq!(set_condition_decision("ForAnyValue:StringEquals", &p, v, via_key), allow_iff(set.iter().any(in_p)));
        prop_assert_eq!(set_condition_decision("ForAllValues:StringEquals", &p, v, via_key), allow_iff(set.iter().all(in_p)));
        prop_assert_eq!(set_condition_decision("ForAnyValue:StringNotEquals", &p, v, via_key), allow_iff(!set.iter().all(in_p)));
        prop_assert_eq!(set_condition_decision("ForAllValues:StringNotEquals", &p, v, via_key), allow_iff(!set.iter().any(in_p)));
    }

    #[test]
    fn set_operators_on_missing_or_empty_keys(
        p in prop::sample::subsequence(SET_WORDS, 0..=SET_WORDS.len()),
        via_key in any::<bool>(),
    ) {
        for v in [None, Some(&[][..])] {
            prop_assert_eq!(set_condition_decision("ForAllValues:StringEquals", &p, v, via_key), Decision::Allow);
            prop_assert_eq!(set_condition_decision("ForAllValues:StringNotEquals", &p, v, via_key), Decision::Allow);
            prop_assert_eq!(set_condition_decision("ForAnyValue:StringEquals", &p, v, via_key), Decision::ImplicitDeny);
            prop_assert_eq!(set_condition_decision("ForAnyValue:StringNotEquals", &p, v, via_key), Decision::ImplicitDeny);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Laws of the matchers.
// ---------------------------------------------------------------------------------------------

fn glob_text(chars: &'static [char], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(chars), 0..max).prop_map(|v| v.into_iter().collect())
}

const PAT_CHARS: &[char] = &['*', '?', 'a', 'b', ':', '/', 'é'];
const TEXT_CHARS: &[char] = &['a', 'b', ':', '/', 'é', '*', '?'];
const PART_PAT: &[char] = &['*', '?', 'a', 'b', '/', 'é'];
const PART_TEXT: &[char] = &['a', 'b', '/', 'é', '*'];

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn glob_agrees_with_regex(p in glob_text(PAT_CHARS, 9), t in glob_text(TEXT_CHARS, 12)) {
        prop_assert_eq!(Glob::new(&p).matches(&t), wild(&p, &t), "pattern {:?} text {:?}", p, t);
    }

    #[test]
    fn glob_matches_its_own_literal_expansions(p in glob_text(PAT_CHARS, 9), fill in glob_text(TEXT_CHARS, 4)) {
        // Replacing `*` by any text and `?` by one character yields a matching text.
        let t: String = p.chars().map(|c| match c {
            '*' => fill.clone(),
            '?' => "é".to_string(),
            c => c.to_string(),
        }).collect();
        prop_assert!(Glob::new(&p).matches(&t), "pattern {:?} text {:?}", p, t);
    }

    #[test]
    fn arn_glob_matches_part_by_part(
        pp in prop::collection::vec(glob_text(PART_PAT, 4), 6),
        tp in prop::collection::vec(glob_text(PART_TEXT, 5), 6),
        tail in prop::option::of(glob_text(TEXT_CHARS, 4)),
    ) {
        let pattern = pp.join(":");
        // The sixth part of the text may hold more colons.
        let mut text = tp.join(":");
        if let Some(t) = &tail {
            text.push(':');
            text.push_str(t);
        }
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let expected = parts.len() == 6 && pp.iter().zip(&parts).all(|(p, t)| Glob::new(p).matches(t));
        prop_assert_eq!(ArnGlob::new(&pattern).matches(&text), expected, "pattern {:?} text {:?}", pattern, text);
        // And the reference, independently.
        prop_assert_eq!(expected, pp.iter().zip(&parts).all(|(p, t)| wild(p, t)) && parts.len() == 6);
    }

    #[test]
    fn arn_glob_without_six_parts_is_a_whole_glob(p in glob_text(PAT_CHARS, 12), t in glob_text(TEXT_CHARS, 14)) {
        prop_assume!(p.matches(':').count() < 5 && p != "*");
        prop_assert_eq!(ArnGlob::new(&p).matches(&t), wild(&p, &t));
    }

    /// The JSON reader reads what serde_json writes, to the same value.
    #[test]
    fn json_reader_agrees_with_serde_json(v in json_value(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { v.to_string() };
        let (node, diags) = json::read(&text, Limits::default());
        prop_assert!(diags.is_empty(), "{:?}", diags);
        let expected: J = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(node.unwrap().to_serde(), expected);
    }
}

fn json_value() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(J::from),
        any::<String>().prop_map(J::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(J::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..4)
                .prop_map(|m| J::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn generated_worlds_reach_every_decision() {
    // Sanity check of the generators: the laws above are only meaningful if generated worlds
    // produce all three decisions.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strat = world(false);
    let mut seen = [0usize; 3];
    for _ in 0..300 {
        let w = strat.new_tree(&mut runner).unwrap().current();
        seen[match w.decide() {
            Decision::Allow => 0,
            Decision::ExplicitDeny => 1,
            Decision::ImplicitDeny => 2,
        }] += 1;
    }
    assert!(seen.iter().all(|n| *n >= 15), "decisions too lopsided: {seen:?}");
}
