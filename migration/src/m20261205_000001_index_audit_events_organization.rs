//! An index for an organization's audit log (`GET /organizations/{id}/audit-events`, the
//! console's audit page): `(organization_id, occurred_at, id)`.
//!
//! `audit_events` had indexes on (actor, time) and on time alone, so listing one
//! organization's events newest first read the whole log, every organization's and every
//! account's rows, then sorted them. This index makes it a range read in the list's own
//! order (newest first, ties by id), which stops after the page; the filters (action,
//! actor, outcome, target, a time range) narrow that range.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const INDEX: &str = "idx_audit_events_organization_occurred_at";

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(AuditEvents::Table)
                    .col(AuditEvents::OrganizationId)
                    .col(AuditEvents::OccurredAt)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(INDEX).table(AuditEvents::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OrganizationId,
    OccurredAt,
}
