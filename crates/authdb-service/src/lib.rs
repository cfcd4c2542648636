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
//!   invitations), with [`Membership`] as the proof of access;
//! - `inventory/`: [`InventoryService`] (networks, assets, services), the organization's network
//!   inventory;
//! - `mail`: the [`Mailer`] port, implemented outside this crate (`authdb-mail`);
//! - `admin`, `login_throttle`, `discovery`, `health`: the rest;
//! - `membership`, `audit`, `client`, `principal`, `error`: shared vocabulary.
//!
//! **Embedding** (docs/embedding.md): start one [`Services`] per process with
//! [`Services::start`] and clone it (or one service) into your handlers;
//! [`AuthService::authenticate`] gives a [`Principal`], [`OrganizationService::resolve`] a
//! [`Membership`], and every use case checks its own permission on the membership.

mod admin;
mod audit;
mod auth;
mod client;
mod core;
mod discovery;
mod error;
mod health;
mod inventory;
mod login_throttle;
mod mail;
mod membership;
mod principal;
mod replica;
mod services;
mod tenancy;
mod write;

pub use admin::{AdminService, ClientWithSecret};
pub use auth::{
    AuthPolicy, AuthService, ClientCredentialsAttempt, ClientPrincipal, IssuedClientToken, IssuedTokens, LoginAttempt,
    PasswordChange, RefreshAttempt, Registration, RevocationCursor, RevocationEvent, RevocationPage, RevocationReason,
    RevocationWatch, SecurityEvent, SecurityEvents, VerifiedAccess,
};
pub use authdb_auth::PublicJwk;
pub use client::ClientInfo;
pub use core::{Core, CoreConfig};
pub use discovery::Discovery;
pub use error::{Result, ServiceError, error_chain};
pub use health::{DatabaseHealth, HealthService, MigrationHealth};
pub use inventory::{InventoryPolicy, InventoryService};
pub use login_throttle::{LoginThrottlePolicy, address_key};
pub use mail::{MailError, MailFuture, Mailer, OutgoingMail};
pub use membership::Membership;
pub use principal::Principal;
pub use services::{Services, ServicesConfig};
pub use tenancy::{IssuedInvitation, NewRole, OrganizationPolicy, OrganizationService, PendingInvitation, RoleUpdate};
