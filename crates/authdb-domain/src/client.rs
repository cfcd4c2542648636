//! Service clients: other services that call authdb as themselves (OAuth2 client
//! credentials, RFC 6749 section 4.4), not on behalf of a user.
//!
//! A client holds scopes from a fixed catalogue ([`ClientScope`]); nothing else can be
//! granted or asked for.

use std::{collections::BTreeSet, fmt};

use time::OffsetDateTime;

use crate::{ClientId, DomainError, Result, UserId, Violation};

/// What a service client may be allowed to do. The catalogue is fixed: a scope name that
/// is not here is refused wherever it appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClientScope {
    /// Read the revoked sessions (`GET /api/v1/revocations` and its stream).
    RevocationsRead,
}

impl ClientScope {
    /// Every scope, in catalogue order.
    pub const ALL: &'static [Self] = &[Self::RevocationsRead];

    /// The stable name (`revocations:read`), as stored and as sent in tokens.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RevocationsRead => "revocations:read",
        }
    }

    /// The scope with this exact name, if it is in the catalogue.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|scope| scope.as_str() == name)
    }
}

impl fmt::Display for ClientScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-empty set of scopes, kept in catalogue order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientScopes(BTreeSet<ClientScope>);

impl ClientScopes {
    /// Parses a list of scope names (a request body's `scopes`): every unknown name is a
    /// violation of `field[i]`; an empty list is a violation of `field`. Repeats count once.
    pub fn parse_list<S: AsRef<str>>(names: &[S], field: &'static str) -> Result<Self> {
        let mut scopes = BTreeSet::new();
        let mut violations = Vec::new();
        for (index, name) in names.iter().enumerate() {
            match ClientScope::from_name(name.as_ref()) {
                Some(scope) => {
                    scopes.insert(scope);
                }
                None => violations.push(Violation::new(format!("{field}[{index}]"), unknown_scope())),
            }
        }
        if !violations.is_empty() {
            return Err(DomainError::Invalid(violations));
        }
        if scopes.is_empty() {
            return Err(Violation::new(field, "must name at least one scope").into());
        }
        Ok(Self(scopes))
    }

    /// Parses an OAuth2 `scope` parameter (RFC 6749 section 3.3: names separated by
    /// spaces). `None` when any name is unknown or none is given.
    pub fn parse_oauth(text: &str) -> Option<Self> {
        let mut scopes = BTreeSet::new();
        for name in text.split(' ').filter(|name| !name.is_empty()) {
            scopes.insert(ClientScope::from_name(name)?);
        }
        (!scopes.is_empty()).then_some(Self(scopes))
    }

    /// Whether every scope of `self` is in `other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn contains(&self, scope: ClientScope) -> bool {
        self.0.contains(&scope)
    }

    pub fn iter(&self) -> impl Iterator<Item = ClientScope> + '_ {
        self.0.iter().copied()
    }

    /// The names, in catalogue order.
    pub fn names(&self) -> Vec<&'static str> {
        self.iter().map(ClientScope::as_str).collect()
    }

    /// The OAuth2 form: names separated by single spaces.
    pub fn to_oauth(&self) -> String {
        self.names().join(" ")
    }
}

fn unknown_scope() -> String {
    let known: Vec<&str> = ClientScope::ALL.iter().map(|scope| scope.as_str()).collect();
    format!("is not a known scope; the scopes are: {}", known.join(", "))
}

/// A service client's display name: 1 to 100 characters after trimming, no control
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientName(String);

impl ClientName {
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Violation::new("name", "must be 1 to 100 characters long"));
        }
        if name.chars().any(char::is_control) {
            return Err(Violation::new("name", "must not contain control characters"));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ClientName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A registered service client (never its secret, which is only stored hashed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceClient {
    pub id: ClientId,
    pub name: ClientName,
    pub scopes: ClientScopes,
    /// The superuser who registered it (`None` once that account is gone).
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// When its current secret was made (at creation or the last rotation).
    pub secret_created_at: OffsetDateTime,
    /// When it last obtained a token.
    pub last_used_at: Option<OffsetDateTime>,
}

/// A client to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewServiceClient {
    pub name: ClientName,
    pub scopes: ClientScopes,
}

#[cfg(test)]
mod tests;
