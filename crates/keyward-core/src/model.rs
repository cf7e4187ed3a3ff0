//! The typed policy and grant model, compiled for evaluation at parse time.
//!
//! Every element keeps its span so diagnostics and traces can point at it; every pattern is
//! pre-compiled so evaluation never re-parses text.

mod condition;
mod grant;
mod principal;

pub use condition::{
    parse_base64, parse_bool, parse_cidr, parse_date, parse_number, CondValue, Condition, OpBase,
    Operator, SetOp, Typed,
};
pub use grant::{Grant, GrantConstraint, GRANT_OPERATIONS};
pub use principal::{AwsPrincipal, PrincipalEntry, PrincipalSpec, PrincipalType};

use crate::pattern::{ArnGlob, Glob, Template};
use crate::span::Span;
use serde::Serialize;

/// What a policy document is, which decides its grammar rules and its role in evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyKind {
    /// A KMS key policy (a resource policy that is the root of trust for its key).
    Key,
    /// Another resource-based policy (S3 bucket policy, ...).
    Resource,
    /// An IAM identity policy (inline or managed, user or role).
    Identity,
    /// A service control policy (AWS Organizations).
    Scp,
    /// A resource control policy (AWS Organizations).
    Rcp,
    /// A permissions boundary.
    Boundary,
    /// A session policy passed to AssumeRole / GetFederationToken.
    Session,
}

impl PolicyKind {
    /// Parses a kind name as used on the command line.
    pub fn from_name(s: &str) -> Option<PolicyKind> {
        Some(match s {
            "key" => PolicyKind::Key,
            "resource" => PolicyKind::Resource,
            "identity" => PolicyKind::Identity,
            "scp" => PolicyKind::Scp,
            "rcp" => PolicyKind::Rcp,
            "boundary" => PolicyKind::Boundary,
            "session" => PolicyKind::Session,
            _ => return None,
        })
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Key => "key",
            PolicyKind::Resource => "resource",
            PolicyKind::Identity => "identity",
            PolicyKind::Scp => "scp",
            PolicyKind::Rcp => "rcp",
            PolicyKind::Boundary => "boundary",
            PolicyKind::Session => "session",
        }
    }

    /// Resource-side policies must name principals.
    pub fn requires_principal(self) -> bool {
        matches!(self, PolicyKind::Key | PolicyKind::Resource | PolicyKind::Rcp)
    }

    /// The IAM family restricts Sids to alphanumerics and requires them unique.
    pub fn strict_sids(self) -> bool {
        !matches!(self, PolicyKind::Key | PolicyKind::Resource)
    }
}

/// The policy language version, which decides whether `${...}` variables are substituted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Version {
    /// `2012-10-17`: variables are substituted.
    V2012_10_17,
    /// `2008-10-17`: variables are literal text.
    V2008_10_17,
    /// No `Version`: like 2008-10-17.
    Absent,
}

impl Version {
    /// True when policy variables are substituted.
    pub fn variables(self) -> bool {
        self == Version::V2012_10_17
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Effect {
    /// Allow.
    Allow,
    /// Deny.
    Deny,
}

/// A parsed policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    /// What kind of policy this is.
    pub kind: PolicyKind,
    /// Version element.
    pub version: Version,
    /// Id element.
    pub id: Option<String>,
    /// Valid statements only (statements with errors are dropped, and reported).
    pub statements: Vec<Statement>,
    /// How many statements the document had, valid or not.
    pub statement_count: usize,
    /// Whole document.
    pub span: Span,
}

/// One statement, compiled.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Position in the document's Statement list (0-based).
    pub index: usize,
    /// Sid, if any.
    pub sid: Option<String>,
    /// Effect.
    pub effect: Effect,
    /// Principal or NotPrincipal (resource-side policies).
    pub principal: Option<PrincipalSpec>,
    /// Action or NotAction.
    pub actions: ActionSpec,
    /// Resource or NotResource.
    pub resources: ResourceSpec,
    /// Conditions (ANDed).
    pub conditions: Vec<Condition>,
    /// The statement object.
    pub span: Span,
}

impl Statement {
    /// A name for people: `'Sid'` or `#index`.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(s) if !s.is_empty() => format!("'{s}'"),
            _ => format!("#{}", self.index + 1),
        }
    }
}

/// Action or NotAction.
#[derive(Debug, Clone)]
pub struct ActionSpec {
    /// True for NotAction.
    pub negated: bool,
    /// Patterns (ORed).
    pub patterns: Vec<ActionPattern>,
}

/// One action pattern, e.g. `kms:Re*`.
#[derive(Debug, Clone)]
pub struct ActionPattern {
    /// As written.
    pub text: String,
    /// Lower-cased glob (actions match case-insensitively).
    pub glob: Glob,
    /// Where.
    pub span: Span,
}

impl ActionPattern {
    /// Compiles an action pattern.
    pub fn new(text: &str, span: Span) -> ActionPattern {
        ActionPattern { text: text.to_string(), glob: Glob::new(&text.to_lowercase()), span }
    }
}

/// Resource or NotResource.
#[derive(Debug, Clone)]
pub struct ResourceSpec {
    /// True for NotResource.
    pub negated: bool,
    /// Patterns (ORed).
    pub patterns: Vec<ResourcePattern>,
}

/// One resource pattern.
#[derive(Debug, Clone)]
pub struct ResourcePattern {
    /// As written.
    pub text: String,
    /// Compiled pattern, or a template resolved per request.
    pub pattern: ResourceMatcher,
    /// Where.
    pub span: Span,
}

/// A compiled resource pattern.
#[derive(Debug, Clone)]
pub enum ResourceMatcher {
    /// No variables.
    Arn(ArnGlob),
    /// Contains policy variables.
    Template(Template),
}

impl ResourcePattern {
    /// Compiles a resource pattern (variables only when the version substitutes them).
    pub fn new(text: &str, span: Span, variables: bool) -> ResourcePattern {
        // AWS substitutes variables only in the resource part, after the fifth colon ("You
        // can't use a variable to replace parts of the ARN before the fifth colon, such as the
        // service or account"); a variable before it stays literal text and matches nothing.
        let head_has_variable = text
            .match_indices(':')
            .nth(4)
            .is_some_and(|(i, _)| text.get(..i).is_some_and(|h| h.contains("${")));
        let variables = variables && !head_has_variable;
        let pattern = match variables.then(|| Template::parse(text)).flatten() {
            Some(t) => ResourceMatcher::Template(t),
            None => ResourceMatcher::Arn(ArnGlob::new(text)),
        };
        ResourcePattern { text: text.to_string(), pattern, span }
    }
}
