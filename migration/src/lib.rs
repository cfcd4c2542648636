//! Database migrations for authdb.
//!
//! The library exposes [`Migrator`], which the server runs at start-up through
//! `authdb-persistence`; the `migration` binary wraps the same migrator in
//! sea-orm-migration's CLI (`cargo run -p migration -- up|down|status|fresh`).
//!
//! Every migration is written with the sea-query schema builder so the same code
//! creates native types on PostgreSQL (`uuid`, `jsonb`, `timestamptz`) and their
//! text/blob fallbacks on SQLite. Foreign keys are declared inline in
//! `CREATE TABLE`, because SQLite cannot add them with `ALTER TABLE`.
//!
//! **Embedding** (docs/embedding.md): an embedding service applies [`Migrator`] first and
//! then a migrator of its own whose history lives in a table of its own (override
//! `MigratorTrait::migration_table_name`), since sea-orm-migration refuses a history that
//! names migrations it does not know.

pub use sea_orm_migration::{MigrationStatus, prelude::*};

mod m20261122_000001_create_users;
mod m20261122_000002_create_organizations;
mod m20261122_000003_create_roles;
mod m20261122_000004_create_memberships;
mod m20261122_000005_create_sessions;
mod m20261122_000006_create_refresh_tokens;
mod m20261122_000007_create_audit_events;
mod m20261123_000001_index_revoked_sessions;
mod m20261123_000010_create_invitations;
mod m20261123_000020_add_session_client_id;
mod m20261123_000030_create_login_throttles;
mod m20261130_000010_create_login_attempts;
mod m20261130_000090_add_users_email_skeleton;
mod m20261130_000100_create_networks;
mod m20261130_000110_create_assets;
mod m20261130_000120_create_services;
mod m20261130_000130_create_scans;
mod m20261201_000020_create_access_rules;
mod m20261201_000021_grant_networks_control;
mod m20261201_000022_index_asset_listing;
mod m20261201_000030_create_outbox;
mod m20261201_000031_create_email_tokens;
mod m20261201_000040_create_service_clients;
mod m20261201_000041_create_revocation_events;
mod m20261201_000050_grant_chats_manage;
mod m20261201_000051_create_chats;
mod m20261201_000052_create_chat_members;
mod m20261201_000053_create_chat_messages;
mod m20261202_000010_add_session_amr;
mod m20261202_000011_create_mfa;
mod m20261202_000020_create_passkeys;
mod m20261202_000021_create_webauthn_ceremonies;
mod m20261203_000020_add_mfa_challenge_ceremony;
mod m20261203_000030_index_asset_risk;
mod m20261203_000060_create_chat_activity_trigger;
mod m20261204_000020_services_asset_organization_key;
mod m20261204_000040_index_dashboard_counts;
mod m20261205_000001_index_audit_events_organization;
mod m20261205_000002_grant_audit_read;
mod m20261205_000003_index_outbox_created_at;
mod m20261206_000001_index_chat_members_user;
mod m20261206_000002_inventory_fillfactor;
mod m20261206_000003_services_asset_check;
mod m20261206_000004_index_asset_risk_sqlite;
mod m20261206_000005_create_asset_tags;
mod m20261206_000006_assets_reference_checks;
mod m20261206_000007_inventory_checks_planned_per_statement;

/// All authdb migrations, in the order they are applied.
#[derive(Debug, Clone, Copy, Default)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_users::Migration),
            Box::new(m20261122_000002_create_organizations::Migration),
            Box::new(m20261122_000003_create_roles::Migration),
            Box::new(m20261122_000004_create_memberships::Migration),
            Box::new(m20261122_000005_create_sessions::Migration),
            Box::new(m20261122_000006_create_refresh_tokens::Migration),
            Box::new(m20261122_000007_create_audit_events::Migration),
            Box::new(m20261123_000001_index_revoked_sessions::Migration),
            Box::new(m20261123_000010_create_invitations::Migration),
            Box::new(m20261123_000020_add_session_client_id::Migration),
            Box::new(m20261123_000030_create_login_throttles::Migration),
            Box::new(m20261130_000010_create_login_attempts::Migration),
            Box::new(m20261130_000090_add_users_email_skeleton::Migration),
            Box::new(m20261130_000100_create_networks::Migration),
            Box::new(m20261130_000110_create_assets::Migration),
            Box::new(m20261130_000120_create_services::Migration),
            Box::new(m20261130_000130_create_scans::Migration),
            Box::new(m20261201_000020_create_access_rules::Migration),
            Box::new(m20261201_000021_grant_networks_control::Migration),
            Box::new(m20261201_000022_index_asset_listing::Migration),
            Box::new(m20261201_000030_create_outbox::Migration),
            Box::new(m20261201_000031_create_email_tokens::Migration),
            Box::new(m20261201_000040_create_service_clients::Migration),
            Box::new(m20261201_000041_create_revocation_events::Migration),
            Box::new(m20261201_000050_grant_chats_manage::Migration),
            Box::new(m20261201_000051_create_chats::Migration),
            Box::new(m20261201_000052_create_chat_members::Migration),
            Box::new(m20261201_000053_create_chat_messages::Migration),
            Box::new(m20261202_000010_add_session_amr::Migration),
            Box::new(m20261202_000011_create_mfa::Migration),
            Box::new(m20261202_000020_create_passkeys::Migration),
            Box::new(m20261202_000021_create_webauthn_ceremonies::Migration),
            Box::new(m20261203_000020_add_mfa_challenge_ceremony::Migration),
            Box::new(m20261203_000030_index_asset_risk::Migration),
            Box::new(m20261203_000060_create_chat_activity_trigger::Migration),
            Box::new(m20261204_000020_services_asset_organization_key::Migration),
            Box::new(m20261204_000040_index_dashboard_counts::Migration),
            Box::new(m20261205_000001_index_audit_events_organization::Migration),
            Box::new(m20261205_000002_grant_audit_read::Migration),
            Box::new(m20261205_000003_index_outbox_created_at::Migration),
            Box::new(m20261206_000001_index_chat_members_user::Migration),
            Box::new(m20261206_000002_inventory_fillfactor::Migration),
            Box::new(m20261206_000003_services_asset_check::Migration),
            Box::new(m20261206_000004_index_asset_risk_sqlite::Migration),
            Box::new(m20261206_000005_create_asset_tags::Migration),
            Box::new(m20261206_000006_assets_reference_checks::Migration),
            Box::new(m20261206_000007_inventory_checks_planned_per_statement::Migration),
        ]
    }
}
