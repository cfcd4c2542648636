//! SeaORM entities: one module per table, mirroring the `migration` crate.
//!
//! These are declarative descriptions of the schema and nothing more; queries
//! live in the hand-written repositories. Ids are UUIDs (a native `uuid` on
//! PostgreSQL, a 16-byte BLOB on SQLite), JSON columns are `jsonb` on PostgreSQL
//! and text on SQLite, and timestamps are UTC `OffsetDateTime`s.

pub mod access_rules;
pub mod assets;
pub mod audit_events;
pub mod chat_members;
pub mod chat_messages;
pub mod chats;
pub mod email_tokens;
pub mod invitations;
pub mod login_attempts;
pub mod login_throttles;
pub mod memberships;
pub mod mfa_challenges;
pub mod mfa_recovery_codes;
pub mod mfa_totp;
pub mod networks;
pub mod organizations;
pub mod outbox;
pub mod passkeys;
pub mod refresh_tokens;
pub mod revocation_events;
pub mod roles;
pub mod scans;
pub mod service_clients;
pub mod services;
pub mod sessions;
pub mod users;
pub mod webauthn_ceremonies;

/// The entities under short names: `use entities::prelude::*;`.
pub mod prelude {
    pub use super::access_rules::Entity as AccessRules;
    pub use super::assets::Entity as Assets;
    pub use super::audit_events::Entity as AuditEvents;
    pub use super::chat_members::Entity as ChatMembers;
    pub use super::chat_messages::Entity as ChatMessages;
    pub use super::chats::Entity as Chats;
    pub use super::email_tokens::Entity as EmailTokens;
    pub use super::invitations::Entity as Invitations;
    pub use super::login_attempts::Entity as LoginAttempts;
    pub use super::login_throttles::Entity as LoginThrottles;
    pub use super::memberships::Entity as Memberships;
    pub use super::networks::Entity as Networks;
    pub use super::organizations::Entity as Organizations;
    pub use super::outbox::Entity as Outbox;
    pub use super::passkeys::Entity as Passkeys;
    pub use super::refresh_tokens::Entity as RefreshTokens;
    pub use super::revocation_events::Entity as RevocationEvents;
    pub use super::roles::Entity as Roles;
    pub use super::scans::Entity as Scans;
    pub use super::service_clients::Entity as ServiceClients;
    pub use super::services::Entity as Services;
    pub use super::sessions::Entity as Sessions;
    pub use super::users::Entity as Users;
    pub use super::webauthn_ceremonies::Entity as WebauthnCeremonies;
}
