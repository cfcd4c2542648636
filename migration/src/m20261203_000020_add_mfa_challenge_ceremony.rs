//! Adds `mfa_challenges.webauthn_ceremony_id`: the passkey ceremony a login's second step
//! started with its `mfa_token` (`POST /auth/mfa/webauthn/start`), kept in
//! `webauthn_ceremonies` like every other ceremony. The finish names only the `mfa_token`,
//! so the challenge points at its ceremony; starting again replaces it. No foreign key:
//! ceremonies are pruned on their own schedule, and a pointer to a pruned one finds
//! nothing to spend.

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
            .alter_table(
                Table::alter()
                    .table(MfaChallenges::Table)
                    .add_column(uuid_null(MfaChallenges::WebauthnCeremonyId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite 3.35+ drops a column that no index or constraint names, as here.
        manager
            .alter_table(
                Table::alter().table(MfaChallenges::Table).drop_column(MfaChallenges::WebauthnCeremonyId).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum MfaChallenges {
    Table,
    WebauthnCeremonyId,
}
