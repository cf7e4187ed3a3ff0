//! KMS grants: the CreateGrant request shape and the ListGrants response shape.

use crate::span::Span;

/// The operations a grant can allow (botocore `GrantOperation`); kept with the KMS vocabulary.
pub use crate::eval::call::GRANT_OPERATIONS;

/// A grant's encryption-context constraint. As the KMS API reference (GrantConstraints)
/// documents, the key of each pair is compared case-insensitively and the value
/// case-sensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantConstraint {
    /// The request's context must equal these pairs exactly.
    Equals(Vec<(String, String)>),
    /// The request's context must contain these pairs (and may have more).
    Subset(Vec<(String, String)>),
}

impl GrantConstraint {
    /// The constraint type name (the value of `kms:GrantConstraintType`).
    pub fn type_name(&self) -> &'static str {
        match self {
            GrantConstraint::Equals(_) => "EncryptionContextEquals",
            GrantConstraint::Subset(_) => "EncryptionContextSubset",
        }
    }

    /// The pairs.
    pub fn pairs(&self) -> &[(String, String)] {
        match self {
            GrantConstraint::Equals(p) | GrantConstraint::Subset(p) => p,
        }
    }

    /// True when the request's encryption context (its pairs, as an iterator) satisfies the
    /// constraint.
    pub fn holds<'a, I>(&self, context: I) -> bool
    where
        I: Iterator<Item = (&'a str, &'a str)> + Clone,
    {
        let in_context = |k: &str, v: &str| {
            context.clone().any(|(ck, cv)| ck.eq_ignore_ascii_case(k) && cv == v)
        };
        match self {
            GrantConstraint::Subset(req) => req.iter().all(|(k, v)| in_context(k, v)),
            GrantConstraint::Equals(req) => {
                req.iter().all(|(k, v)| in_context(k, v))
                    && context.clone().all(|(ck, cv)| {
                        req.iter().any(|(k, v)| k.eq_ignore_ascii_case(ck) && v == cv)
                    })
            }
        }
    }
}

/// One grant.
#[derive(Debug, Clone)]
pub struct Grant {
    /// `GrantId` (ListGrants) — absent in a CreateGrant request.
    pub grant_id: Option<String>,
    /// `KeyId`.
    pub key_id: Option<String>,
    /// `GranteePrincipal` (or `GranteeServicePrincipal`).
    pub grantee: String,
    /// `RetiringPrincipal`.
    pub retiring_principal: Option<String>,
    /// `Operations`.
    pub operations: Vec<String>,
    /// `Constraints.EncryptionContextEquals|Subset`.
    pub constraint: Option<GrantConstraint>,
    /// `Constraints.SourceArn`.
    pub source_arn: Option<String>,
    /// `Name`.
    pub name: Option<String>,
    /// `IssuingAccount`.
    pub issuing_account: Option<String>,
    /// `CreationDate`, as written (epoch seconds or ISO 8601).
    pub creation_date: Option<String>,
    /// The grant object.
    pub span: Span,
}

impl Grant {
    /// A short name for people.
    pub fn label(&self) -> String {
        match (&self.grant_id, &self.name) {
            (Some(id), _) => format!("grant {id}"),
            (None, Some(n)) => format!("grant '{n}'"),
            _ => "grant".to_string(),
        }
    }

    /// True when the grant lists `action` (`kms:Decrypt` or `Decrypt`, case-insensitive).
    pub fn allows_operation(&self, action: &str) -> bool {
        let name = match action.get(..4) {
            Some(p) if p.eq_ignore_ascii_case("kms:") => action.get(4..).unwrap_or(""),
            _ => action,
        };
        self.operations.iter().any(|op| op.eq_ignore_ascii_case(name))
    }
}
