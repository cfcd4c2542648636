//! Creates `users`: accounts with their password hash and login bookkeeping.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// The trait elides `SchemaManager`'s lifetime; async_trait rejects an impl that
// names it (`'_` would become an early-bound lifetime), so the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    .col(string_len(Users::Email, 254))
                    .col(string_len(Users::Username, 50))
                    // Lower-cased username: uniqueness is case-insensitive on every backend.
                    .col(string_len(Users::UsernameKey, 50))
                    .col(string_len(Users::PasswordHash, 255))
                    .col(string_len_null(Users::FullName, 200))
                    .col(string_len_null(Users::AvatarUrl, 2048))
                    .col(json_binary(Users::Preferences))
                    .col(boolean(Users::IsActive).default(true))
                    .col(boolean(Users::IsVerified).default(false))
                    .col(boolean(Users::IsSuperuser).default(false))
                    .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                    .col(big_integer(Users::LoginCount).default(0))
                    .col(timestamp_with_time_zone(Users::PasswordChangedAt))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_index(
                Index::create().name("uq_users_email").table(Users::Table).col(Users::Email).unique().to_owned(),
            )
            .await?;

        manager
            .create_index(
                Index::create()
                    .name("uq_users_username_key")
                    .table(Users::Table)
                    .col(Users::UsernameKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping the table drops its indexes with it.
        manager.drop_table(Table::drop().table(Users::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Username,
    UsernameKey,
    PasswordHash,
    FullName,
    AvatarUrl,
    Preferences,
    IsActive,
    IsVerified,
    IsSuperuser,
    LastLoginAt,
    LoginCount,
    PasswordChangedAt,
    CreatedAt,
    UpdatedAt,
}
