//! Request and response bodies of the `/api/v1` resources, one module per resource. Domain
//! and persistence types never cross the wire directly: handlers turn requests into domain
//! values and build these responses from domain values, explicitly. (The protocol
//! documents of the OAuth2 token endpoint, the JWKS and discovery endpoints and the
//! health probes live beside their one handler.)

mod access_rule;
mod account;
mod admin;
mod asset;
mod audit;
mod chat;
mod client;
mod email;
mod event;
mod invitation;
mod member;
mod network;
mod organization;
mod passkey;
mod role;
mod scan;
mod service;
mod session;

use serde::{Deserialize, Deserializer};
use time::OffsetDateTime;

pub(crate) use self::{
    access_rule::{AccessRuleList, AccessRuleResponse, CreateAccessRuleRequest},
    account::{LoginRequest, RefreshRequest, RegisterRequest, TokenResponse, UpdateProfileRequest, UserResponse},
    admin::{AdminUpdateUserRequest, MailStatusResponse, OutboxMessageResponse, UserList},
    asset::{AssetList, AssetResponse, CreateAssetRequest, UpdateAssetRequest, Vulnerabilities},
    audit::{AuditActorResponse, AuditEventList, AuditEventResponse},
    chat::{
        AddChatMemberRequest, ChatConfigRequest, ChatList, ChatResponse, CreateChatRequest, LastMessageResponse,
        MarkReadRequest, MessageMsgpack, MessagePageMsgpack, MessagePageResponse, MessageResponse, PostMessageMsgpack,
        PostMessageRequest, ReceiptList, ReceiptResponse, RenameChatRequest, decode_base64, new_message,
    },
    client::{ClientList, ClientResponse, ClientSecretResponse, CreateClientRequest},
    email::{AcceptedResponse, EmailTokenRequest, PasswordResetConfirmRequest, PasswordResetRequest},
    event::{SecurityEventPage, SecurityEventResponse},
    invitation::{AcceptInvitationRequest, CreateInvitationRequest, InvitationList, InvitationResponse},
    member::{AddMemberRequest, MemberList, MemberResponse, UpdateMemberRequest},
    network::{CreateNetworkRequest, NetworkDeleted, NetworkList, NetworkResponse, UpdateNetworkRequest},
    organization::{
        AdminOrganizationList, CreateOrganizationRequest, OrganizationList, OrganizationResponse, OrganizationSummary,
        UpdateOrganizationRequest,
    },
    passkey::{
        MfaPasskeyFinishRequest, MfaPasskeyOptionsResponse, MfaPasskeyStartRequest, PasskeyCeremonyResponse,
        PasskeyList, PasskeyLoginRequest, PasskeyLoginStartRequest, PasskeyResponse, PasskeyStepUpRequest,
        RegisterPasskeyRequest, public_key_options,
    },
    role::{CreateRoleRequest, RoleList, RoleResponse, UpdateRoleRequest},
    scan::{ScanHostRequest, ScanList, ScanRequest, ScanResponse, ScanServiceRequest},
    service::{CreateServiceRequest, ServiceList, ServiceResponse, UpdateServiceRequest},
    session::{ChangePasswordRequest, SessionList, SessionResponse},
};

/// Tells a field sent as `null` (`Some(None)`) from one not sent at all (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A field of a change that may be left out but not sent as `null`: its value cannot be
/// cleared, and a `null` is a violation naming the field rather than a silent "no
/// change". (A nullable field uses [`present`].)
fn given<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom("must not be null: leave the field out to keep its value")),
    }
}

/// [`present`] for an RFC 3339 time.
fn present_time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<OffsetDateTime>>, D::Error> {
    time::serde::rfc3339::option::deserialize(deserializer).map(Some)
}
