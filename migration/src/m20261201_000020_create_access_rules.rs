//! Creates `access_rules`: the entries of a network's allow list and deny list.
//!
//! `target` is the canonical text of an address, a block or a MAC address. A target is
//! in at most one list of its network while the rule is live: a unique index over
//! (network, target) for the rows not `expired`, so an expired rule does not stop the
//! target from being listed again. A rule goes with its network and its organization
//! (`ON DELETE CASCADE`); its author may leave (`SET NULL`). `sweep_claimed_until` is the
//! expiry sweep's lease on a row (see the service's `sweep`), so that two instances do
//! not both ask the agent to remove the same rule.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// See m20261123_000010_create_invitations for why the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccessRules::Table)
                    .col(pk_uuid(AccessRules::Id))
                    .col(uuid(AccessRules::OrganizationId))
                    .col(uuid(AccessRules::NetworkId))
                    .col(string_len(AccessRules::List, 8))
                    .col(string_len(AccessRules::Target, 64))
                    .col(string_len_null(AccessRules::Comment, 2000))
                    .col(timestamp_with_time_zone_null(AccessRules::ExpiresAt))
                    .col(string_len(AccessRules::Status, 16))
                    .col(uuid_null(AccessRules::CreatedBy))
                    .col(timestamp_with_time_zone_null(AccessRules::SweepClaimedUntil))
                    .col(timestamp_with_time_zone(AccessRules::CreatedAt))
                    .col(timestamp_with_time_zone(AccessRules::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_access_rules_organization_id")
                            .from(AccessRules::Table, AccessRules::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_access_rules_network_id")
                            .from(AccessRules::Table, AccessRules::NetworkId)
                            .to(Networks::Table, Networks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_access_rules_created_by")
                            .from(AccessRules::Table, AccessRules::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // One live rule per target in a network, whichever list (a partial index: the
        // same statement on both backends). Also finds a network's rules in order.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_access_rules_network_id_target ON access_rules (network_id, target) \
                 WHERE status <> 'expired'",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_access_rules_network_id_id")
                    .table(AccessRules::Table)
                    .col(AccessRules::NetworkId)
                    .col(AccessRules::Id)
                    .to_owned(),
            )
            .await?;
        // The sweep's search for rules past their expiry.
        manager
            .create_index(
                Index::create()
                    .name("idx_access_rules_status_expires_at")
                    .table(AccessRules::Table)
                    .col(AccessRules::Status)
                    .col(AccessRules::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AccessRules::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum AccessRules {
    Table,
    Id,
    OrganizationId,
    NetworkId,
    List,
    Target,
    Comment,
    ExpiresAt,
    Status,
    CreatedBy,
    SweepClaimedUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Networks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
