//! An index on `sessions.revoked_at`, for loading recently revoked sessions at start and
//! for the catch-up poll that keeps every instance's revocation set current.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// See m20261122_000007: async_trait needs the elided lifetime.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_revoked_at")
                    .table(Sessions::Table)
                    .col(Sessions::RevokedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_users_updated_at").table(Users::Table).col(Users::UpdatedAt).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_users_updated_at").table(Users::Table).to_owned()).await?;
        manager.drop_index(Index::drop().name("idx_sessions_revoked_at").table(Sessions::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    UpdatedAt,
}
