//! authdb's use cases: accounts, sessions, organizations and platform administration.
//!
//! Every process builds one [`Core`] (the database, the write gate and the replica state:
//! revocation set, caches and the change feed that keeps them current) and hands it to
//! each service; [`Services::start`] does both. Each use case owns its transaction
//! boundary and writes through one write path (`write.rs`), so that its audit event and
//! the invalidation of cached state cannot be forgotten. The crate knows nothing of HTTP:
//! an embedding service can call it directly.
//!
//! Module map:
//! - `services`, `core`, `replica/`, `write`: building everything around one core, the
//!   shared core, the replica state and its invariant, and the write path every use case
//!   takes;
//! - `auth/`: [`AuthService`], one module per resource (register, login, refresh,
//!   sessions, password, profile, events);
//! - `tenancy/`: [`OrganizationService`] (organizations, members, roles,
//!   invitations, the audit log), with [`Membership`] as the proof of access;
//! - `messaging/`: [`MessagingService`] (chats, opaque messages, read pointers, the
//!   auto-deletion sweep);
//! - `insights/`: [`InsightsService`], the dashboard's data (sign-ins over time, the
//!   inventory by criticality, type and port, unread messages), counted by the database;
//! - `inventory/`: [`InventoryService`] (networks, assets, services, scans, access rules),
//!   the organization's network inventory, with the expiry sweep of access rules, and
//!   `inventory::scan_format`, a scan file (JSON or nmap XML) read and checked for import;
//! - `json_body`: [`read_json_object`], the one reading of a JSON document (the API's
//!   bodies, a console-uploaded scan): the field a bad document breaks, named by its path;
//! - `agent`: the [`RouterAgent`] port to networks' agents, implemented outside this
//!   crate (`authdb-agent`);
//! - `mail`: the [`Mailer`] port, implemented outside this crate (`authdb-mail`);
//!   `mail_templates`: the messages and their templates; `outbox`: the worker that sends
//!   what writes enqueue (the transactional outbox);
//! - `admin`, `login_throttle`, `discovery`, `health`: the rest;
//! - `membership`, `audit`, `client`, `principal`, `error`: shared vocabulary.
//!
//! **Embedding** (docs/embedding.md): start one [`Services`] per process with
//! [`Services::start`] and clone it (or one service) into your handlers;
//! [`AuthService::authenticate`] gives a [`Principal`], [`OrganizationService::resolve`] a
//! [`Membership`], and every use case checks its own permission on the membership.

mod admin;
mod agent;
mod audit;
mod auth;
mod cache;
mod carrier;
mod client;
mod core;
mod discovery;
mod error;
mod health;
mod insights;
mod inventory;
mod json_body;
mod login_throttle;
mod mail;
mod mail_templates;
mod membership;
mod messaging;
mod outbox;
mod principal;
mod realtime;
mod replica;
mod services;
mod sockets;
mod tenancy;
mod write;

pub use admin::{AdminService, ClientWithSecret};
pub use agent::{AgentCall, AgentError, AgentFuture, NoRouterAgent, RouterAgent};
pub use auth::{
    AuthPolicy, AuthService, ClientCredentialsAttempt, ClientPrincipal, IssuedClientToken, IssuedTokens, LoginAttempt,
    MFA_KEY_CHECK_PAGE, MfaEncryption, MfaKeyCheck, MfaPasskeyVerification, MfaVerification, PasskeyCeremony,
    PasskeyLogin, PasskeyPolicy, PasskeyRegistration, PasskeyStepUp, PasswordChange, RefreshAttempt, Registered,
    Registration, RevocationCursor, RevocationEvent, RevocationPage, RevocationReason, RevocationWatch,
    SecondFactorProof, SecurityEvent, SecurityEvents, StepUp, StepUpAttempt, TotpEnrolment, VerifiedAccess,
};
pub use authdb_auth::PublicJwk;
pub use carrier::RealtimeRedis;
pub use client::{ClientInfo, TrustedProxies};
pub use core::{Core, CoreConfig};
pub use discovery::Discovery;
pub use error::{Result, ServiceError, error_chain};
pub use health::{DatabaseHealth, HealthService, MigrationHealth};
pub use insights::{
    Dashboard, InsightsService, InventoryInsights, OpenPorts, OrganizationDashboard, SignInActivity, SignInBucket,
    UnreadMessages,
};
pub use inventory::{
    InventoryPolicy, InventoryService, SweepTask,
    scan_format::{
        DocumentHost, DocumentService, MAX_VIOLATIONS as MAX_SCAN_VIOLATIONS, NmapScan, ScanDocument, ScanFileError,
        ScanFormat, XmlError, nmap, scan_report,
    },
};
pub use json_body::{JsonBodyError, read_json_object};
pub use login_throttle::{LoginThrottlePolicy, address_key};
pub use mail::{MailError, MailFuture, Mailer, OutgoingMail};
pub use mail_templates::{MailTemplates, MailTemplatesConfig, TemplateError};
pub use membership::Membership;
pub use messaging::{MessagingPolicy, MessagingService};
pub use outbox::{MailSetup, MailStatus, MailTransport, OutboxPolicy};
pub use principal::Principal;
pub use realtime::{CloseReason, Delivery, EncodingSlot, Event};
pub use services::{Services, ServicesConfig};
pub use sockets::{CloseSignal, Connection, RealtimeService};
pub use tenancy::{
    AuditLogActor, AuditLogEntry, IssuedInvitation, NewRole, OrganizationPolicy, OrganizationService,
    PendingInvitation, RoleUpdate,
};
