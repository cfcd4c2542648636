//! Creates `webauthn_ceremonies`: the server-side state of a passkey registration or
//! sign-in between its start and its finish (the challenge), so that any instance can
//! finish a ceremony another started. Single use (`used_at`), expiring; a registration is
//! bound to its user, a sign-in started with a login name keeps it for the throttle.

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
                    .table(WebauthnCeremonies::Table)
                    .col(pk_uuid(WebauthnCeremonies::Id))
                    // `register` or `login`.
                    .col(string_len(WebauthnCeremonies::Purpose, 16))
                    .col(uuid_null(WebauthnCeremonies::UserId))
                    .col(string_len_null(WebauthnCeremonies::Login, 320))
                    .col(text(WebauthnCeremonies::State))
                    .col(timestamp_with_time_zone(WebauthnCeremonies::CreatedAt))
                    .col(timestamp_with_time_zone(WebauthnCeremonies::ExpiresAt))
                    .col(timestamp_with_time_zone_null(WebauthnCeremonies::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webauthn_ceremonies_user_id")
                            .from(WebauthnCeremonies::Table, WebauthnCeremonies::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Expired ceremonies are pruned by range.
        manager
            .create_index(
                Index::create()
                    .name("idx_webauthn_ceremonies_expires_at")
                    .table(WebauthnCeremonies::Table)
                    .col(WebauthnCeremonies::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WebauthnCeremonies::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum WebauthnCeremonies {
    Table,
    Id,
    Purpose,
    UserId,
    Login,
    State,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
