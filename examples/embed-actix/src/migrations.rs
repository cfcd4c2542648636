//! This service's migrations, applied after authdb's and recorded apart from them.
//!
//! sea-orm-migration refuses to run when its history table names a migration it does not
//! know, so the two migrators must not share one table: authdb's records in
//! `seaql_migrations`, this one in `notes_migrations` ([`NotesMigrator`] overrides
//! `migration_table_name`). Its tables may reference authdb's (`organizations`, `users`)
//! because authdb's migrations always run first, and are reverted first.

use sea_orm_migration::{prelude::*, schema::*};

/// Applies authdb's pending migrations, then this service's.
pub async fn up(db: &sea_orm::DatabaseConnection) -> Result<(), DbErr> {
    migration::Migrator::up(db, None).await?;
    NotesMigrator::up(db, None).await
}

/// Reverts this service's migrations, then authdb's (their reverse order).
pub async fn down(db: &sea_orm::DatabaseConnection) -> Result<(), DbErr> {
    NotesMigrator::down(db, None).await?;
    migration::Migrator::down(db, None).await
}

/// The notes service's own migrations.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotesMigrator;

#[async_trait::async_trait]
impl MigratorTrait for NotesMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateNotes)]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("notes_migrations").into_iden()
    }
}

/// `notes`: a note belongs to an organization and has an author; both go with them.
#[derive(DeriveMigrationName)]
struct CreateNotes;

// The lint cannot see through `async_trait`'s expansion (as in authdb's migrations).
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for CreateNotes {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notes::Table)
                    .col(pk_uuid(Notes::Id))
                    .col(uuid(Notes::OrganizationId))
                    .col(uuid(Notes::AuthorId))
                    .col(text(Notes::Body))
                    .col(timestamp_with_time_zone(Notes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notes_organization_id")
                            .from(Notes::Table, Notes::OrganizationId)
                            .to(Alias::new("organizations"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notes_author_id")
                            .from(Notes::Table, Notes::AuthorId)
                            .to(Alias::new("users"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notes_organization_id_created_at")
                    .table(Notes::Table)
                    .col(Notes::OrganizationId)
                    .col(Notes::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_notes_author_id").table(Notes::Table).col(Notes::AuthorId).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Notes::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Notes {
    Table,
    Id,
    OrganizationId,
    AuthorId,
    Body,
    CreatedAt,
}
