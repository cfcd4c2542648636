//! Creates `service_clients`: other services that obtain access tokens as themselves
//! (OAuth2 client credentials). The client id is the row's id.
//!
//! `secret_hash` is the SHA-256 (hex) of the client secret, which is 256 random bits and
//! shown once; `scopes` a JSON array of scope names from the domain's fixed catalogue.

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
                    .table(ServiceClients::Table)
                    .col(pk_uuid(ServiceClients::Id))
                    .col(string_len(ServiceClients::Name, 100))
                    .col(json_binary(ServiceClients::Scopes))
                    .col(string_len(ServiceClients::SecretHash, 64))
                    .col(timestamp_with_time_zone(ServiceClients::SecretCreatedAt))
                    .col(uuid_null(ServiceClients::CreatedBy))
                    .col(timestamp_with_time_zone(ServiceClients::CreatedAt))
                    .col(timestamp_with_time_zone(ServiceClients::UpdatedAt))
                    .col(timestamp_with_time_zone_null(ServiceClients::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_service_clients_created_by")
                            .from(ServiceClients::Table, ServiceClients::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ServiceClients::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ServiceClients {
    Table,
    Id,
    Name,
    Scopes,
    SecretHash,
    SecretCreatedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
