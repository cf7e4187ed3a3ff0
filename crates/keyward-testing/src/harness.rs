//! The differential harness: decide a world with keyward, describe it for iam-simulate, and
//! classify the two answers.
//!
//! The node side (`tests/differential/simulate.mjs`) answers three questions per case:
//! `public`, the decision of `runSimulation` (the public, validating API); `raw`, the decision of
//! `runUnsafeSimulation` on the same input with the whole context (nothing filtered); and `alt`,
//! `runUnsafeSimulation` on policies rewritten to avoid the documented departures. A
//! disagreement is a known departure only when one of those counterfactuals removes it.

use crate::world::World;
use keyward_core::eval::{decide, decide_traced, CtxValue, Decision, PolicySet, Request, Rule};
use keyward_scenario::{build_case, load};
use serde_json::{json, Map, Value};

/// keyward's side of one case.
#[derive(Debug, Clone)]
pub struct KeywardSide {
    /// The decision.
    pub decision: Decision,
    /// The decision with the key's grants removed (iam-simulate has no grants).
    pub without_grants: Decision,
    /// The rule that decided.
    pub rule: Rule,
    /// The request context keyward derived, as iam-simulate `contextVariables`.
    pub context: Value,
}

/// Decides a world with keyward (through the scenario loader, as `keyward test` would).
pub fn keyward_side(w: &World) -> Result<KeywardSide, String> {
    let text = w.scenario_json("Allow").to_string();
    let s = load(&text, false, &|p| Err(format!("no file `{p}`")))
        .map_err(|d| d.iter().map(|d| d.message.clone()).collect::<Vec<_>>().join("; "))?;
    let case = s.cases.first().ok_or("no case")?;
    let (mut set, req): (PolicySet, Request) = build_case(&s, case)?;
    let (outcome, _) = decide_traced(&set, &req);
    let (decision, rule) = (outcome.decision, outcome.rule);
    set.grants.clear();
    let without_grants = decide(&set, &req);
    let mut ctx = Map::new();
    for (k, v) in req.context.iter() {
        let v = match v {
            CtxValue::One(s) => json!(s),
            CtxValue::Many(vs) => json!(vs),
        };
        ctx.insert(k.to_string(), v);
    }
    Ok(KeywardSide { decision, without_grants, rule, context: Value::Object(ctx) })
}

/// One line for the node side.
pub fn sim_line(id: u64, w: &World, k: &KeywardSide) -> Value {
    json!({"id": id, "sim": w.sim_json(k.context.clone(), false),
        "alt": w.sim_json(k.context.clone(), true)})
}

/// iam-simulate's result name to a decision.
pub fn sim_decision(v: &Value) -> Option<Decision> {
    match v.as_str()? {
        "Allowed" => Some(Decision::Allow),
        "ExplicitlyDenied" => Some(Decision::ExplicitDeny),
        "ImplicitlyDenied" => Some(Decision::ImplicitDeny),
        _ => None,
    }
}

/// How one case came out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// Same decision.
    Agree,
    /// A documented departure of iam-simulate (its DIFFERENTIAL.md id).
    Known(&'static str),
    /// A keyward bug with a reproduction under tests/scenarios/differential/ (DIFFERENTIAL.md).
    KeywardBug(&'static str),
    /// Anything else: a bug in one of the two, to investigate.
    Unexplained(String),
}

/// Classifies a case from keyward's side and the node side's answer line.
pub fn classify(w: &World, k: &KeywardSide, answer: &Value) -> Verdict {
    if let Some(e) = answer.get("error") {
        return Verdict::Unexplained(format!("iam-simulate error: {e}"));
    }
    let public = sim_decision(&answer["public"]);
    let raw = sim_decision(&answer["raw"]);
    let alt = sim_decision(&answer["alt"]);
    if public == Some(k.decision) {
        return Verdict::Agree;
    }
    let ignored_ec = answer["ignored"].as_array().is_some_and(|a| {
        a.iter().any(|k| {
            k.as_str().is_some_and(|s| s.to_ascii_lowercase().starts_with("kms:encryptioncontext"))
        })
    });
    if raw == Some(k.decision) && ignored_ec {
        return Verdict::Known("D1-encryption-context-dropped");
    }
    let (epoch, v2008) = w.normalization_features();
    if alt == Some(k.decision) && raw != Some(k.decision) {
        if w.principal.ends_with(":root") {
            return Verdict::Known("D5-root-user-implicit-permissions");
        }
        if epoch {
            return Verdict::Known("D2-epoch-dates");
        }
        if v2008 {
            return Verdict::Known("D3-variables-in-2008-10-17");
        }
    }
    if k.decision != k.without_grants
        && [public, raw, alt].contains(&Some(k.without_grants))
        && !w.grants.is_empty()
    {
        return Verdict::Known("D4-no-grants");
    }
    // D6: iam-simulate applies the two-sided cross-account rule to key management, which KMS
    // does not let a caller do on a key in another account.
    if k.rule == Rule::CrossAccountNotCallable && public == Some(Decision::Allow) {
        return Verdict::Known("D6-cross-account-key-management");
    }
    // K1 (variables before the fifth colon of a Resource ARN) is fixed in keyward-core: such a
    // disagreement is no longer expected and counts as unexplained.
    Verdict::Unexplained(format!(
        "keyward {} (without grants {}), iam-simulate public {} raw {} alt {}",
        k.decision.name(),
        k.without_grants.name(),
        answer["public"],
        answer["raw"],
        answer["alt"]
    ))
}
