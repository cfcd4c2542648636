//! Changes that every authdb process must apply to what it caches, and their wire form
//! on the change feed (`authdb_persistence::change_feed`).
//!
//! The form is a short line of space-separated fields, first a one-letter kind:
//! - `s <session> <user> <revoked_at> <expires_at>`: a session was revoked (Unix seconds);
//! - `u <user>`: a user's account changed (profile, password, flags, a login's bookkeeping):
//!   drop cached copies of the user and their memberships;
//! - `m <user|-> <organization|->`: memberships or roles changed (see
//!   [`Invalidation`]): drop cached memberships of that user and/or organization (`-`
//!   for any);
//! - `e <origin> <kind> <ids...>`: a realtime event for the sockets
//!   (`crate::realtime::Signal`), ids only so that it always fits in a notification.

use authdb_domain::{OrganizationId, RevokedSession, SessionId, UserId};
use authdb_persistence::{ConnectionTrait, change_feed};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    Result,
    realtime::{Signal, audience::Scope},
};

/// Which cached memberships a change to memberships or roles makes stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Invalidation {
    /// One user's membership in one organization (added, re-roled, removed).
    Member(UserId, OrganizationId),
    /// Every membership of a user (a superuser flag changed, the account was deleted).
    User(UserId),
    /// Every membership in an organization (a role's permissions changed, the
    /// organization was deleted).
    Organization(OrganizationId),
    /// Everything (a change channel lost messages and cannot tell what changed).
    All,
}

impl Invalidation {
    /// The chat audiences (`crate::realtime::audience`) the change may alter: leaving or
    /// being removed from an organization takes a member out of its chats, and a deleted
    /// organization takes its chats with it.
    pub(crate) fn audience_scope(self) -> Scope {
        match self {
            Self::Member(user, organization) => Scope::Member(user, organization),
            Self::User(user) => Scope::User(user),
            Self::Organization(organization) => Scope::Organization(organization),
            Self::All => Scope::All,
        }
    }
}

/// A committed change to state that processes cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    SessionRevoked(RevokedSession),
    UserChanged(UserId),
    MembershipChanged(Invalidation),
    /// Something the sockets of the users concerned must hear of (a message posted, a
    /// member added, typing, presence).
    Realtime(Signal),
}

impl Change {
    pub(crate) fn encode(&self) -> String {
        match self {
            Self::SessionRevoked(session) => format!(
                "s {} {} {} {}",
                session.id,
                session.user_id,
                session.revoked_at.unix_timestamp(),
                session.expires_at.unix_timestamp()
            ),
            Self::UserChanged(user) => format!("u {user}"),
            Self::MembershipChanged(what) => match what {
                Invalidation::Member(user, organization) => format!("m {user} {organization}"),
                Invalidation::User(user) => format!("m {user} -"),
                Invalidation::Organization(organization) => format!("m - {organization}"),
                Invalidation::All => "m - -".to_owned(),
            },
            Self::Realtime(signal) => signal.encode(),
        }
    }

    /// Reads a payload; `None` for anything malformed or of a kind this version does
    /// not know (a newer instance may publish more kinds).
    pub(crate) fn decode(payload: &str) -> Option<Self> {
        let mut fields = payload.split(' ');
        let change = match fields.next()? {
            "s" => Self::SessionRevoked(RevokedSession {
                id: SessionId::from_uuid(uuid(fields.next()?)?),
                user_id: UserId::from_uuid(uuid(fields.next()?)?),
                revoked_at: timestamp(fields.next()?)?,
                expires_at: timestamp(fields.next()?)?,
            }),
            "u" => Self::UserChanged(UserId::from_uuid(uuid(fields.next()?)?)),
            "m" => {
                let user = optional_uuid(fields.next()?)?.map(UserId::from_uuid);
                let organization = optional_uuid(fields.next()?)?.map(OrganizationId::from_uuid);
                Self::MembershipChanged(match (user, organization) {
                    (Some(user), Some(organization)) => Invalidation::Member(user, organization),
                    (Some(user), None) => Invalidation::User(user),
                    (None, Some(organization)) => Invalidation::Organization(organization),
                    (None, None) => Invalidation::All,
                })
            }
            "e" => return Signal::decode(fields).map(Self::Realtime),
            _ => return None,
        };
        fields.next().is_none().then_some(change)
    }

    /// The chat audiences the change may alter, if any.
    pub(crate) fn audience_scope(&self) -> Option<Scope> {
        match self {
            Self::MembershipChanged(what) => Some(what.audience_scope()),
            Self::Realtime(signal) => signal.kind.changed_audience().map(Scope::Chat),
            Self::SessionRevoked(_) | Self::UserChanged(_) => None,
        }
    }

    /// Publishes the change to every process (this one included) when `conn`'s
    /// transaction commits.
    pub(crate) async fn publish(&self, conn: &impl ConnectionTrait) -> Result<()> {
        Ok(change_feed::publish(conn, &self.encode()).await?)
    }
}

fn uuid(field: &str) -> Option<Uuid> {
    Uuid::parse_str(field).ok()
}

/// `-` is none; anything else must be a UUID (the outer `None` means malformed).
fn optional_uuid(field: &str) -> Option<Option<Uuid>> {
    if field == "-" { Some(None) } else { uuid(field).map(Some) }
}

fn timestamp(field: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(field.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_survive_the_round_trip() {
        let now = authdb_persistence::now();
        let revoked = Change::SessionRevoked(RevokedSession {
            id: SessionId::new(),
            user_id: UserId::new(),
            revoked_at: now,
            expires_at: now + time::Duration::days(30),
        });
        let user = Change::UserChanged(UserId::new());
        let (member, organization) = (UserId::new(), OrganizationId::new());
        let memberships = [
            Invalidation::Member(member, organization),
            Invalidation::User(member),
            Invalidation::Organization(organization),
            Invalidation::All,
        ]
        .map(Change::MembershipChanged);
        for change in [revoked, user].into_iter().chain(memberships) {
            assert_eq!(Change::decode(&change.encode()), Some(change));
        }
    }

    #[test]
    fn malformed_or_unknown_payloads_are_ignored() {
        let user = UserId::new();
        for payload in
            ["", "u", "u not-a-uuid", &format!("u {user} extra"), &format!("x {user}"), "s 1 2 3 4", "m -", "m x -"]
        {
            assert_eq!(Change::decode(payload), None, "{payload:?}");
        }
    }
}
