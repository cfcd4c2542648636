//! The `users` table: accounts and their credentials.

use authdb_domain::{
    AccountFlagChanges, Email, FullName, Page, Paged, Preferences, ProfileChanges, SessionId, Sort, User, UserId,
    UserSortKey, Username,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use time::OffsetDateTime;

use crate::{
    PersistenceError, Result, SuperuserContext,
    entities::{sessions, users},
    rows, search_pattern,
};

/// What registration (or `create-superuser`) stores.
pub struct NewUser {
    pub email: Email,
    pub username: Username,
    /// The bcrypt hash, never the password.
    pub password_hash: String,
    pub full_name: Option<FullName>,
    pub is_superuser: bool,
    pub is_verified: bool,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .field("is_superuser", &self.is_superuser)
            .finish_non_exhaustive()
    }
}

/// A user together with the stored hash, for password checks only.
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

/// Inserts a user; a taken email or username is a [`PersistenceError::Conflict`] naming
/// each of the two that is taken. An email is taken when an account has it, or an address
/// that looks like it (the same [`Email::skeleton`]).
pub async fn insert(conn: &impl ConnectionTrait, new: NewUser, now: OffsetDateTime) -> Result<User> {
    // Looked up first because a unique violation names one index only, and PostgreSQL
    // allows no further query in the transaction after it. A registration racing this
    // one can still win between the lookup and the insert: its index then names the field
    // (`uq_users_email_skeleton` names the email).
    let skeleton = new.email.skeleton();
    let taken = taken_fields(conn, &new.email, &skeleton, &new.username).await?;
    if !taken.is_empty() {
        return Err(PersistenceError::Conflict { fields: taken });
    }
    let model = users::ActiveModel {
        id: Set(UserId::new().as_uuid()),
        username_key: Set(new.username.key()),
        email: Set(new.email.into_inner()),
        email_skeleton: Set(Some(skeleton)),
        username: Set(new.username.as_str().to_owned()),
        password_hash: Set(new.password_hash),
        full_name: Set(new.full_name.map(|name| name.as_str().to_owned())),
        avatar_url: Set(None),
        preferences: Set(Preferences::empty().into_value()),
        is_active: Set(true),
        is_verified: Set(new.is_verified),
        is_superuser: Set(new.is_superuser),
        last_login_at: Set(None),
        login_count: Set(0),
        password_changed_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let model = model.insert(conn).await?;
    rows::user(model)
}

/// Which of `email` (or its look-alikes, by `skeleton`) and `username` (compared by
/// [`Username::key`]) an account already has. Each condition is an indexed lookup.
async fn taken_fields(
    conn: &impl ConnectionTrait,
    email: &Email,
    skeleton: &str,
    username: &Username,
) -> Result<&'static [&'static str]> {
    let (email, key) = (email.as_str(), username.key());
    let clashing: Vec<(String, Option<String>, String)> = users::Entity::find()
        .select_only()
        .column(users::Column::Email)
        .column(users::Column::EmailSkeleton)
        .column(users::Column::UsernameKey)
        .filter(
            Condition::any()
                .add(users::Column::Email.eq(email))
                .add(users::Column::EmailSkeleton.eq(skeleton))
                .add(users::Column::UsernameKey.eq(&key)),
        )
        .limit(3)
        .into_tuple()
        .all(conn)
        .await?;
    let email_taken =
        clashing.iter().any(|(taken, taken_skeleton, _)| taken == email || taken_skeleton.as_deref() == Some(skeleton));
    let username_taken = clashing.iter().any(|(_, _, taken)| *taken == key);
    Ok(match (email_taken, username_taken) {
        (true, true) => &["email", "username"],
        (true, false) => &["email"],
        (false, true) => &["username"],
        (false, false) => &[],
    })
}

pub async fn find_by_id(conn: &impl ConnectionTrait, id: UserId) -> Result<Option<User>> {
    users::Entity::find_by_id(id.as_uuid()).one(conn).await?.map(rows::user).transpose()
}

pub async fn find_credentials_by_id(conn: &impl ConnectionTrait, id: UserId) -> Result<Option<UserCredentials>> {
    users::Entity::find_by_id(id.as_uuid()).one(conn).await?.map(into_credentials).transpose()
}

pub async fn find_credentials_by_email(conn: &impl ConnectionTrait, email: &str) -> Result<Option<UserCredentials>> {
    let model = users::Entity::find().filter(users::Column::Email.eq(email)).one(conn).await?;
    model.map(into_credentials).transpose()
}

/// Looks a user up by the case-folded username ([`Username::key`]).
pub async fn find_credentials_by_username_key(
    conn: &impl ConnectionTrait,
    username_key: &str,
) -> Result<Option<UserCredentials>> {
    let model = users::Entity::find().filter(users::Column::UsernameKey.eq(username_key)).one(conn).await?;
    model.map(into_credentials).transpose()
}

/// The user behind an access token and when its session ends, provided the session is
/// still live. One indexed join.
pub async fn find_by_live_session(
    conn: &impl ConnectionTrait,
    user: UserId,
    session: SessionId,
    now: OffsetDateTime,
) -> Result<Option<(User, OffsetDateTime)>> {
    let found = users::Entity::find_by_id(user.as_uuid())
        .find_also_related(sessions::Entity)
        .filter(sessions::Column::Id.eq(session.as_uuid()))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now))
        .one(conn)
        .await?;
    found.and_then(|(user, session)| session.map(|session| Ok((rows::user(user)?, session.expires_at)))).transpose()
}

/// Counts a successful login.
pub async fn record_login(conn: &impl ConnectionTrait, id: UserId, now: OffsetDateTime) -> Result<()> {
    let result = users::Entity::update_many()
        .col_expr(users::Column::LastLoginAt, Expr::value(Some(now)))
        .col_expr(users::Column::LoginCount, Expr::col(users::Column::LoginCount).add(1))
        .filter(users::Column::Id.eq(id.as_uuid()))
        .exec(conn)
        .await?;
    if result.rows_affected == 0 {
        return Err(PersistenceError::NotFound { entity: "user" });
    }
    Ok(())
}

/// Replaces a user's password hash and records when.
pub async fn set_password_hash(
    conn: &impl ConnectionTrait,
    id: UserId,
    password_hash: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let result = users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(password_hash.to_owned()))
        .col_expr(users::Column::PasswordChangedAt, Expr::value(now))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id.as_uuid()))
        .exec(conn)
        .await?;
    if result.rows_affected == 0 {
        return Err(PersistenceError::NotFound { entity: "user" });
    }
    Ok(())
}

/// Whether an account other than `except` has `email` or an address that looks like it
/// (the same skeleton): the uniqueness rule of registration.
pub async fn email_taken(conn: &impl ConnectionTrait, email: &Email, except: Option<UserId>) -> Result<bool> {
    let mut query = users::Entity::find().filter(
        Condition::any()
            .add(users::Column::Email.eq(email.as_str()))
            .add(users::Column::EmailSkeleton.eq(email.skeleton())),
    );
    if let Some(except) = except {
        query = query.filter(users::Column::Id.ne(except.as_uuid()));
    }
    Ok(query.count(conn).await? > 0)
}

/// Replaces a user's email address with a proven one (verified by the same stroke). A
/// taken address (or a look-alike) is a [`PersistenceError::Conflict`] naming `email`.
pub async fn change_email(conn: &impl ConnectionTrait, id: UserId, email: &Email, now: OffsetDateTime) -> Result<User> {
    if email_taken(conn, email, Some(id)).await? {
        return Err(PersistenceError::Conflict { fields: &["email"] });
    }
    let model = users::ActiveModel {
        id: sea_orm::Unchanged(id.as_uuid()),
        email: Set(email.as_str().to_owned()),
        email_skeleton: Set(Some(email.skeleton())),
        is_verified: Set(true),
        updated_at: Set(now),
        ..Default::default()
    };
    match model.update(conn).await {
        Ok(model) => rows::user(model),
        Err(sea_orm::DbErr::RecordNotUpdated | sea_orm::DbErr::RecordNotFound(_)) => {
            Err(PersistenceError::NotFound { entity: "user" })
        }
        Err(error) => Err(error.into()),
    }
}

/// Marks a user's email address verified, if it is still `email` (a link mailed to an
/// address proves that address only). Returns whether the user was found with it.
pub async fn mark_verified(conn: &impl ConnectionTrait, id: UserId, email: &str, now: OffsetDateTime) -> Result<bool> {
    let result = users::Entity::update_many()
        .col_expr(users::Column::IsVerified, Expr::value(true))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id.as_uuid()))
        .filter(users::Column::Email.eq(email))
        .exec(conn)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Replaces the password hash of `id` with the same password hashed at another cost,
/// unless the hash changed meanwhile (a password change won). Not a password change: the
/// time of the last one stays. Returns whether the hash was replaced.
pub async fn rehash_password(conn: &impl ConnectionTrait, id: UserId, old_hash: &str, new_hash: &str) -> Result<bool> {
    let result = users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(new_hash.to_owned()))
        .filter(users::Column::Id.eq(id.as_uuid()))
        .filter(users::Column::PasswordHash.eq(old_hash))
        .exec(conn)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Users whose row changed at or after `since`, for instances catching up on changes.
pub async fn changed_since(conn: &impl ConnectionTrait, since: OffsetDateTime) -> Result<Vec<UserId>> {
    let ids: Vec<uuid::Uuid> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::UpdatedAt.gte(since))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().map(UserId::from_uuid).collect())
}

pub async fn update_profile(
    conn: &impl ConnectionTrait,
    id: UserId,
    changes: ProfileChanges,
    now: OffsetDateTime,
) -> Result<User> {
    let mut model = users::ActiveModel { id: sea_orm::Unchanged(id.as_uuid()), ..Default::default() };
    if let Some(full_name) = changes.full_name {
        model.full_name = Set(full_name.map(|name| name.as_str().to_owned()));
    }
    if let Some(avatar_url) = changes.avatar_url {
        model.avatar_url = Set(avatar_url.map(|url| url.as_str().to_owned()));
    }
    if let Some(preferences) = changes.preferences {
        model.preferences = Set(preferences.into_value());
    }
    model.updated_at = Set(now);
    match model.update(conn).await {
        Ok(model) => rows::user(model),
        Err(sea_orm::DbErr::RecordNotUpdated) => Err(PersistenceError::NotFound { entity: "user" }),
        Err(error) => Err(error.into()),
    }
}

fn into_credentials(model: users::Model) -> Result<UserCredentials> {
    let password_hash = model.password_hash.clone();
    Ok(UserCredentials { user: rows::user(model)?, password_hash })
}

/// A user looked up by (lower-cased) email, without credentials.
pub async fn find_by_email(conn: &impl ConnectionTrait, email: &Email) -> Result<Option<User>> {
    let model = users::Entity::find().filter(users::Column::Email.eq(email.as_str())).one(conn).await?;
    model.map(rows::user).transpose()
}

/// The proof that `user` is, right now in the database, an active superuser.
pub async fn superuser_context(conn: &impl ConnectionTrait, user: UserId) -> Result<Option<SuperuserContext>> {
    let found = users::Entity::find_by_id(user.as_uuid())
        .filter(users::Column::IsSuperuser.eq(true))
        .filter(users::Column::IsActive.eq(true))
        .count(conn)
        .await?;
    Ok((found > 0).then(|| SuperuserContext::verified(user)))
}

/// One page of every account, searched by email or username (`search` lower-case) and
/// ordered by `sort`, ties broken by id.
pub async fn search(
    conn: &impl ConnectionTrait,
    _superuser: &SuperuserContext,
    search: Option<&str>,
    sort: Sort<UserSortKey>,
    page: Page,
) -> Result<Paged<User>> {
    let mut query = users::Entity::find();
    if let Some(search) = search {
        query = query.filter(
            Condition::any()
                .add(Expr::col(users::Column::Email).like(search_pattern(search)))
                .add(Expr::col(users::Column::UsernameKey).like(search_pattern(search))),
        );
    }
    let total = query.clone().count(conn).await?;
    let order = if sort.descending { Order::Desc } else { Order::Asc };
    query = match sort.key {
        UserSortKey::CreatedAt => query.order_by(users::Column::CreatedAt, order.clone()),
        UserSortKey::Email => query.order_by(users::Column::Email, order.clone()),
        UserSortKey::Username => query.order_by(users::Column::UsernameKey, order.clone()),
        UserSortKey::LastLoginAt => query.order_by(users::Column::LastLoginAt, order.clone()),
    };
    let items = query
        .order_by(users::Column::Id, order)
        .limit(page.limit())
        .offset(page.offset())
        .all(conn)
        .await?
        .into_iter()
        .map(rows::user)
        .collect::<Result<_>>()?;
    Ok(Paged { items, total, page })
}

/// Sets a user's account flags (superusers only).
pub async fn update_flags(
    conn: &impl ConnectionTrait,
    _superuser: &SuperuserContext,
    id: UserId,
    changes: AccountFlagChanges,
    now: OffsetDateTime,
) -> Result<User> {
    let mut model = users::ActiveModel { id: sea_orm::Unchanged(id.as_uuid()), ..Default::default() };
    if let Some(is_active) = changes.is_active {
        model.is_active = Set(is_active);
    }
    if let Some(is_verified) = changes.is_verified {
        model.is_verified = Set(is_verified);
    }
    if let Some(is_superuser) = changes.is_superuser {
        model.is_superuser = Set(is_superuser);
    }
    model.updated_at = Set(now);
    match model.update(conn).await {
        Ok(model) => rows::user(model),
        Err(sea_orm::DbErr::RecordNotUpdated | sea_orm::DbErr::RecordNotFound(_)) => {
            Err(PersistenceError::NotFound { entity: "user" })
        }
        Err(error) => Err(error.into()),
    }
}
