//! Adds `users.email_skeleton`: the Unicode TR39 confusable skeleton of the email, under a
//! unique index, so that no two accounts have addresses that look alike
//! (`bob@example.com` and `bоb@example.com` with a Cyrillic `о`) and a registration finds
//! a look-alike in one indexed lookup; the index keeps two racing registrations apart.
//!
//! Existing accounts are filled in oldest first. An account whose address looks like an
//! older one's (registered before this check existed) keeps a NULL skeleton: both
//! accounts stay as they are, and no new look-alike of either can register. So does one
//! whose skeleton is longer than `MAX_SKELETON_BYTES` (too long for an index entry).
//!
//! New addresses are stored in Unicode normalization form C and logins are looked up in
//! it, so a stored address that is not (typed with combining accents before the rule
//! existed) is rewritten in form C here, unless another account already has that form;
//! otherwise its owner could no longer sign in with it. `down` keeps the rewritten
//! addresses: form C is the same address, and the code before this migration compares
//! lower-cased text only.

use std::collections::HashSet;

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const INDEX: &str = "uq_users_email_skeleton";

// The trait elides `SchemaManager`'s lifetime; async_trait rejects an impl that
// names it (`'_` would become an early-bound lifetime), so the lint must yield.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Users::Table).add_column(text_null(Users::EmailSkeleton)).to_owned())
            .await?;
        fill_in_skeletons(manager).await?;
        manager
            .create_index(Index::create().name(INDEX).table(Users::Table).col(Users::EmailSkeleton).unique().to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite drops a column only once no index names it.
        manager.drop_index(Index::drop().name(INDEX).table(Users::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::EmailSkeleton).to_owned()).await
    }
}

async fn fill_in_skeletons(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let oldest_first = Query::select()
        .column(Users::Email)
        .from(Users::Table)
        .order_by(Users::CreatedAt, Order::Asc)
        .order_by(Users::Email, Order::Asc)
        .to_owned();
    let rows = db.query_all(&oldest_first).await?;
    let mut emails = HashSet::new();
    for row in &rows {
        emails.insert(row.try_get::<String>("", "email")?);
    }
    let mut taken = HashSet::new();
    for row in rows {
        let stored: String = row.try_get("", "email")?;
        let normalized = authdb_domain::normalized_email(&stored);
        // Rewritten in form C unless another account already has that form.
        let email = if normalized != stored && emails.insert(normalized.clone()) {
            let rewrite = Query::update()
                .table(Users::Table)
                .value(Users::Email, normalized.clone())
                .and_where(Expr::col(Users::Email).eq(stored))
                .to_owned();
            db.execute(&rewrite).await?;
            normalized
        } else {
            stored
        };
        let skeleton = authdb_domain::email_skeleton(&email);
        // Too long for an index entry (new addresses with such skeletons are refused), or
        // a look-alike of an older account: left NULL.
        if skeleton.len() > authdb_domain::MAX_SKELETON_BYTES || !taken.insert(skeleton.clone()) {
            continue;
        }
        // `email` is unique: it names the row on every backend, whatever its id's type.
        let update = Query::update()
            .table(Users::Table)
            .value(Users::EmailSkeleton, skeleton)
            .and_where(Expr::col(Users::Email).eq(email))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(())
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Email,
    EmailSkeleton,
    CreatedAt,
}
