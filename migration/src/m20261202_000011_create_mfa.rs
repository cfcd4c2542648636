//! Creates the second-factor tables: `mfa_totp` (a user's TOTP secret, sealed, and the last
//! step accepted, which refuses a replayed code), `mfa_recovery_codes` (SHA-256 of each
//! single-use code) and `mfa_challenges` (the `mfa_token` of a login whose password was
//! right, by its SHA-256: single use, five minutes).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

fn user_fk(name: &str, table: impl IntoIden + 'static, column: impl IntoIden + 'static) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

// The trait elides `SchemaManager`'s lifetime; async_trait rejects an impl that
// names it (`'_` would become an early-bound lifetime), so the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MfaTotp::Table)
                    .col(pk_uuid(MfaTotp::UserId))
                    // base64 of nonce and XChaCha20-Poly1305 ciphertext.
                    .col(string_len(MfaTotp::SecretSealed, 128))
                    .col(timestamp_with_time_zone(MfaTotp::CreatedAt))
                    // NULL until the first code confirms the enrolment.
                    .col(timestamp_with_time_zone_null(MfaTotp::ConfirmedAt))
                    .col(big_integer_null(MfaTotp::LastStep))
                    .foreign_key(&mut user_fk("fk_mfa_totp_user_id", MfaTotp::Table, MfaTotp::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaRecoveryCodes::Table)
                    .col(pk_uuid(MfaRecoveryCodes::Id))
                    .col(uuid(MfaRecoveryCodes::UserId))
                    .col(string_len(MfaRecoveryCodes::CodeHash, 64))
                    .col(timestamp_with_time_zone(MfaRecoveryCodes::CreatedAt))
                    .col(timestamp_with_time_zone_null(MfaRecoveryCodes::UsedAt))
                    .foreign_key(&mut user_fk(
                        "fk_mfa_recovery_codes_user_id",
                        MfaRecoveryCodes::Table,
                        MfaRecoveryCodes::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_mfa_recovery_codes_user_id_code_hash")
                    .table(MfaRecoveryCodes::Table)
                    .col(MfaRecoveryCodes::UserId)
                    .col(MfaRecoveryCodes::CodeHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaChallenges::Table)
                    .col(pk_uuid(MfaChallenges::Id))
                    .col(string_len(MfaChallenges::TokenHash, 64))
                    .col(uuid(MfaChallenges::UserId))
                    // The organization the login asked to be scoped to, if any.
                    .col(uuid_null(MfaChallenges::OrganizationId))
                    // The address the password came from: the token only works from it.
                    .col(string_len_null(MfaChallenges::Ip, 45))
                    .col(timestamp_with_time_zone(MfaChallenges::CreatedAt))
                    .col(timestamp_with_time_zone(MfaChallenges::ExpiresAt))
                    .col(timestamp_with_time_zone_null(MfaChallenges::UsedAt))
                    .foreign_key(&mut user_fk("fk_mfa_challenges_user_id", MfaChallenges::Table, MfaChallenges::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_mfa_challenges_token_hash")
                    .table(MfaChallenges::Table)
                    .col(MfaChallenges::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(MfaChallenges::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(MfaRecoveryCodes::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(MfaTotp::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum MfaTotp {
    Table,
    UserId,
    SecretSealed,
    CreatedAt,
    ConfirmedAt,
    LastStep,
}

#[derive(DeriveIden)]
enum MfaRecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum MfaChallenges {
    Table,
    Id,
    TokenHash,
    UserId,
    OrganizationId,
    Ip,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
