//! Principal / NotPrincipal elements of resource-side policies.

use crate::span::Span;
use serde::Serialize;

/// The principal type key of a `Principal` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PrincipalType {
    /// `"AWS"`: accounts, users, roles, sessions.
    Aws,
    /// `"Service"`: AWS service principals.
    Service,
    /// `"Federated"`: identity providers.
    Federated,
    /// `"CanonicalUser"`: S3 canonical user ids.
    CanonicalUser,
}

impl PrincipalType {
    /// The JSON key.
    pub fn key(self) -> &'static str {
        match self {
            PrincipalType::Aws => "AWS",
            PrincipalType::Service => "Service",
            PrincipalType::Federated => "Federated",
            PrincipalType::CanonicalUser => "CanonicalUser",
        }
    }
}

/// A Principal or NotPrincipal element.
#[derive(Debug, Clone)]
pub struct PrincipalSpec {
    /// True for NotPrincipal.
    pub negated: bool,
    /// `"*"` or `{"AWS": "*"}`: everyone.
    pub any: bool,
    /// Listed principals (ORed).
    pub entries: Vec<PrincipalEntry>,
    /// The element's key.
    pub span: Span,
}

/// One listed principal.
#[derive(Debug, Clone)]
pub struct PrincipalEntry {
    /// Which type key it was listed under.
    pub kind: PrincipalType,
    /// As written.
    pub text: String,
    /// Parsed form of `AWS` principals.
    pub aws: AwsPrincipal,
    /// Where.
    pub span: Span,
}

/// What an `AWS` principal value names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsPrincipal {
    /// `*`.
    Any,
    /// `123456789012` or `arn:aws:iam::123456789012:root`: the account.
    Account(String),
    /// `arn:aws:iam::A:user/...`.
    User(String),
    /// `arn:aws:iam::A:role/path/Name`: the role and every session of it.
    Role {
        /// Account.
        account: String,
        /// Role name (without path).
        name: String,
        /// Full ARN.
        arn: String,
    },
    /// `arn:aws:sts::A:assumed-role/Name/Session` or `federated-user/Name`: exactly that session.
    Session(String),
    /// Any other ARN (matched exactly).
    Other(String),
    /// Not an AWS principal (Service, Federated, CanonicalUser).
    NotAws,
}

impl AwsPrincipal {
    /// Classifies an `AWS` principal value (assumes it was validated).
    pub fn parse(v: &str) -> AwsPrincipal {
        if v == "*" {
            return AwsPrincipal::Any;
        }
        if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
            return AwsPrincipal::Account(v.to_string());
        }
        let parts: Vec<&str> = v.splitn(6, ':').collect();
        let [_arn, _partition, service, _region, account, resource] = parts[..] else {
            return AwsPrincipal::Other(v.to_string());
        };
        match (service, resource) {
            ("iam", "root") => AwsPrincipal::Account(account.to_string()),
            ("iam", r) if r.starts_with("user/") => AwsPrincipal::User(v.to_string()),
            ("iam", r) if r.starts_with("role/") => AwsPrincipal::Role {
                account: account.to_string(),
                name: r.rsplit('/').next().unwrap_or(r).to_string(),
                arn: v.to_string(),
            },
            ("sts", r) if r.starts_with("assumed-role/") || r.starts_with("federated-user/") => {
                AwsPrincipal::Session(v.to_string())
            }
            _ => AwsPrincipal::Other(v.to_string()),
        }
    }
}
