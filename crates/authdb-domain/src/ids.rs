use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered (UUID v7) identifier.
            #[allow(clippy::new_without_default, reason = "a default id would be a random one; say `new` explicitly")]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

define_id!(
    /// Identifies a user account.
    UserId
);
define_id!(
    /// Identifies an organization (a tenant).
    OrganizationId
);
define_id!(
    /// Identifies a role, built-in or custom.
    RoleId
);
define_id!(
    /// Identifies one device login: the unit that is listed and revoked.
    SessionId
);
define_id!(
    /// Identifies one refresh token in a session's rotation chain.
    RefreshTokenId
);
define_id!(
    /// Identifies one membership (a user in an organization).
    MembershipId
);
define_id!(
    /// Identifies one invitation to join an organization.
    InvitationId
);
define_id!(
    /// Identifies one audit event.
    AuditEventId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_time_ordered_v7() {
        let first = UserId::new();
        let second = UserId::new();
        assert_eq!(first.as_uuid().get_version_num(), 7);
        assert!(first < second);
    }

    #[test]
    fn ids_round_trip_through_strings_and_json() {
        let id = SessionId::new();
        let parsed: SessionId = id.to_string().parse().expect("a printed id parses");
        assert_eq!(parsed, id);
        let json = serde_json::to_string(&id).expect("ids serialize");
        assert_eq!(json, format!("\"{id}\""));
        assert!("not-a-uuid".parse::<UserId>().is_err());
    }
}

define_id!(
    /// Identifies a network (a router or a site) of an organization.
    NetworkId
);

define_id!(
    /// Identifies an asset of an organization's inventory.
    AssetId
);

define_id!(
    /// Identifies a service (a port and protocol) of an asset.
    AssetServiceId
);

define_id!(
    /// Identifies one import of a scan into a network.
    ScanId
);

define_id!(
    /// Identifies an access rule (an allow or deny list entry) of a network.
    AccessRuleId
);

define_id!(
    /// Identifies a chat (direct or group) of an organization.
    ChatId
);

define_id!(
    /// Identifies one message of a chat.
    MessageId
);

define_id!(
    /// Identifies a service client (OAuth2 client credentials); its text is the `client_id`.
    ClientId
);

define_id!(
    /// Identifies a passkey (a WebAuthn credential) registered by a user.
    PasskeyId
);

define_id!(
    /// Identifies a message of the mail outbox.
    MailId
);
