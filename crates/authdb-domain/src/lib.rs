//! authdb's domain: identifiers, validated values and the rules that govern them.
//!
//! Every type here is pure data with no I/O. Values that come from outside (an email typed
//! into a form, a username) are parsed once at the edge into a type whose existence proves
//! the value is valid ("parse, don't validate").
//!
//! **Embedding** (docs/embedding.md): depend on this crate alone for authdb's values and
//! vocabulary without any I/O: ids, `Email`, `Username`, `Password`, `Permission` and the
//! built-in roles, the read models. Everything re-exported here is meant for embedders.

mod audit;
mod chat;
mod client;
mod email;
mod error;
mod ids;
mod inventory;
mod login;
mod organization;
mod outbox;
mod page;
mod passkey;
mod password;
mod permission;
mod profile;
mod session;
mod timestamp;
mod user;
mod username;

pub use audit::{ActionFilter, AuditAction, AuditActor, AuditFilter, AuditOutcome, AuditTarget};
pub use chat::{
    AutoDelete, Chat, ChatConfigChanges, ChatKind, ChatMember, ChatName, ChatView, ClientMessageId, ContentType,
    EncryptionType, LastMessage, Message, MessageCursor, MessagePage, NewChat, NewMessage, OpaqueBytes,
    direct_chat_key,
};
pub use client::{ClientName, ClientScope, ClientScopes, NewServiceClient, ServiceClient};
pub use email::{Email, MAX_SKELETON_BYTES, email_skeleton, normalized_email};
pub use error::{DomainError, Result, Violation};
pub use ids::{
    AccessRuleId, AssetId, AssetServiceId, AuditEventId, ChatId, ClientId, InvitationId, MailId, MembershipId,
    MessageId, NetworkId, OrganizationId, PasskeyId, RefreshTokenId, RoleId, ScanId, SessionId, UserId,
};
pub use inventory::{
    AccessRule, AgentEndpoint, AgentToken, AgentUrl, Asset, AssetChanges, AssetFilter, AssetService,
    AssetServiceChanges, AssetSortKey, AssetStatus, AssetType, BANNER_MAX_BYTES, Banner, Cidr, Confidence, Criticality,
    Hostname, IpAddress, MAX_CIDRS, MAX_TAGS, MAX_TECHNOLOGIES, METADATA_MAX_BYTES, MacAddress, Metadata, Network,
    NetworkChanges, NetworkName, NewAccessRule, NewAsset, NewAssetService, NewNetwork, Port, PortState, Protocol,
    RULE_COMMENT_MAX, RiskScore, RuleList, RuleStatus, RuleTarget, Scan, ScanCounts, ScanReport, ScanSource,
    ScannedHost, ScannedService, ServiceDetails, Tag, Tags, VulnerabilityCounts, parse_cidrs, parse_expiry,
    parse_label, parse_rule_comment, parse_technologies,
};
pub use login::Login;
pub use organization::{
    LicenseChanges, Member, MemberRole, NewOrganization, Organization, OrganizationChanges, OrganizationName,
    OrganizationWithRole, REQUIRE_MFA_SETTING, Role, Slug, parse_description, parse_settings, requires_mfa,
};
pub use outbox::{MailState, OutboxCounts, OutboxMessage};
pub use page::{MemberSortKey, Page, Paged, Sort, SortKey, UserSortKey, parse_search};
pub use passkey::{Passkey, PasskeyName};
pub use password::{BCRYPT_MAX_PASSWORD_BYTES, Password, PasswordPolicy};
pub use permission::{BuiltInRole, Permission, PermissionSet, RoleName};
pub use profile::{AvatarUrl, FullName, PREFERENCES_MAX_BYTES, Preferences, ProfileChanges};
pub use session::{AuthMethod, AuthMethods, RevokedSession, SessionAuthentication, SessionSummary};
pub use timestamp::stored_time;
pub use user::{AccountFlagChanges, User};
pub use username::Username;
