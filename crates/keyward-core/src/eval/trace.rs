//! The trace: what was considered, what matched, and what decided — for people and for JSON.

use crate::model::{Condition, Effect};
use crate::span::Span;
use serde::Serialize;

/// Where a statement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Source {
    /// The key policy or other resource-based policy.
    ResourcePolicy,
    /// The caller's n-th identity policy.
    Identity {
        /// Position.
        index: usize,
    },
    /// The permissions boundary.
    Boundary,
    /// The session policy.
    Session,
    /// An SCP.
    Scp {
        /// Organization level (0 = first listed).
        level: usize,
        /// Position within the level.
        index: usize,
    },
    /// An RCP.
    Rcp {
        /// Organization level.
        level: usize,
        /// Position within the level.
        index: usize,
    },
    /// A grant.
    Grant {
        /// Position.
        index: usize,
    },
}

/// How a Principal element matched the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalHow {
    /// Did not match.
    NotMatched,
    /// No Principal element (identity-side policies).
    NotApplicable,
    /// Matched the caller's account principal: delegation to the account's IAM policies.
    Account,
    /// Matched the role of the caller's session.
    Role,
    /// Matched the caller itself (user, session, `*`, or the root user).
    Direct,
}

impl PrincipalHow {
    pub(crate) fn rank(self) -> u8 {
        match self {
            PrincipalHow::NotMatched => 0,
            PrincipalHow::NotApplicable => 1,
            PrincipalHow::Account => 2,
            PrincipalHow::Role => 3,
            PrincipalHow::Direct => 4,
        }
    }
}

/// How one element (Action, Resource, Principal) fared.
#[derive(Debug, Clone, Serialize)]
pub struct ElementTrace {
    /// True when the element matched the request.
    pub matched: bool,
    /// `Action`, `NotAction`, ...
    pub element: &'static str,
    /// The values listed in the element.
    pub listed: Vec<String>,
}

/// How one condition fared.
#[derive(Debug, Clone, Serialize)]
pub struct CondTrace {
    /// Operator as written.
    pub operator: String,
    /// Key as written.
    pub key: String,
    /// The request's values, or `None` when the key is missing.
    pub request: Option<Vec<String>>,
    /// The policy's values (variables resolved).
    pub values: Vec<String>,
    /// The result.
    pub result: bool,
    /// Why, when it is not obvious.
    pub note: Option<String>,
    /// Where the condition key is.
    pub span: Span,
}

impl CondTrace {
    pub(crate) fn new(c: &Condition) -> CondTrace {
        CondTrace {
            operator: c.op.name.clone(),
            key: c.key.clone(),
            request: None,
            values: Vec::new(),
            result: false,
            note: None,
            span: c.key_span,
        }
    }
}

/// How one statement fared.
#[derive(Debug, Clone, Serialize)]
pub struct StatementTrace {
    /// Position in its policy.
    pub index: usize,
    /// Sid.
    pub sid: Option<String>,
    /// Effect.
    pub effect: Effect,
    /// Action / NotAction.
    pub action: ElementTrace,
    /// Resource / NotResource.
    pub resource: ElementTrace,
    /// Principal / NotPrincipal (resource-side policies).
    pub principal: Option<ElementTrace>,
    /// How the principal matched.
    pub principal_how: PrincipalHow,
    /// Conditions.
    pub conditions: Vec<CondTrace>,
    /// True when every element matched.
    pub applies: bool,
    /// The statement's span.
    pub span: Span,
    /// Statements in the policy (so a lone statement can be labelled without an index).
    #[serde(skip)]
    pub statement_count: usize,
}

impl StatementTrace {
    /// A name for people: `'Sid'` or `#n`.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(s) if !s.is_empty() => format!("'{s}'"),
            _ => format!("#{}", self.index + 1),
        }
    }

    /// The elements that did not match, as names (`Action`, `Condition aws:SourceIp`...).
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.action.matched {
            out.push(self.action.element.to_string());
        }
        if !self.resource.matched {
            out.push(self.resource.element.to_string());
        }
        if let Some(p) = &self.principal {
            if !p.matched {
                out.push(p.element.to_string());
            }
        }
        out.extend(
            self.conditions
                .iter()
                .filter(|c| !c.result)
                .map(|c| format!("Condition {} {}", c.operator, c.key)),
        );
        out
    }
}

/// How one policy fared.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyTrace {
    /// Where it came from.
    pub source: Source,
    /// Its name (file, or a description).
    pub name: String,
    /// Every statement.
    pub statements: Vec<StatementTrace>,
}

/// How one grant fared.
#[derive(Debug, Clone, Serialize)]
pub struct GrantTrace {
    /// Position.
    pub index: usize,
    /// Name for people.
    pub label: String,
    /// The grantee matched the caller.
    pub grantee_matched: bool,
    /// The operation is listed.
    pub operation_matched: bool,
    /// Constraint type and whether it held (`None`: no constraint, or one that does not
    /// apply to this operation).
    pub constraint: Option<(&'static str, bool)>,
    /// Whether the request's `aws:SourceArn` equals the grant's SourceArn constraint (`None`:
    /// no such constraint, or RetireGrant, to which it does not apply).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<bool>,
    /// CreateGrant: whether the grant requested stays within this grant (`None` when the
    /// grant could not give CreateGrant anyway, or for other operations).
    pub within_parent: Option<bool>,
    /// The grant allows the request.
    pub applies: bool,
}

/// A statement that decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decider {
    /// Where.
    pub source: Source,
    /// Policy (or grant) name.
    pub policy: String,
    /// Statement index (0 for grants).
    pub statement: usize,
    /// Statement label.
    pub label: String,
    /// Allow or Deny.
    pub effect: Effect,
}

/// Everything considered.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Trace {
    /// Policies, in evaluation order.
    pub policies: Vec<PolicyTrace>,
    /// Grants.
    pub grants: Vec<GrantTrace>,
}

impl Trace {
    /// The trace of a statement.
    pub fn statement(&self, source: Source, index: usize) -> Option<&StatementTrace> {
        self.policies
            .iter()
            .find(|p| p.source == source)?
            .statements
            .iter()
            .find(|s| s.index == index)
    }
}
