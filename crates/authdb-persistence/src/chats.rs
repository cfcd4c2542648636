//! `chats`, `chat_members` and `chat_messages`: an organization's chats, their members
//! with read pointers, and their opaque messages, scoped by [`TenantId`].
//!
//! Messages are ordered by `seq`, the autoincrement key: the order the server accepted
//! them, the same on both backends. A message past its `delete_at` is never read, whether
//! or not the sweep ([`delete_expired`]) has deleted it yet.

use std::collections::HashMap;

use authdb_domain::{
    AutoDelete, Chat, ChatConfigChanges, ChatId, ChatKind, ChatMember, ChatName, ClientMessageId, ContentType,
    EncryptionType, LastMessage, Message, MessageCursor, MessageId, MessagePage, NewMessage, OpaqueBytes, Page, Paged,
    UserId,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Unchanged,
    sea_query::{Expr, ExprTrait, Query},
};
use time::OffsetDateTime;

use crate::{
    PersistenceError, Result, TenantId,
    entities::{chat_members, chat_messages, chats},
    rows::parsed,
};

const CHAT: &str = "chat";
const MESSAGE: &str = "message";

/// A chat to store, its members included (the creator among them).
#[derive(Debug, Clone)]
pub struct ChatRow {
    pub kind: ChatKind,
    pub name: Option<ChatName>,
    pub encryption_type: Option<EncryptionType>,
    pub auto_delete: Option<AutoDelete>,
    /// Set for a direct chat (`authdb_domain::direct_chat_key`).
    pub direct_key: Option<String>,
    pub created_by: UserId,
    pub members: Vec<UserId>,
}

/// Inserts a chat and its members. A direct chat whose pair already has one is a
/// conflict on `member_id`.
pub async fn insert(conn: &impl ConnectionTrait, tenant: TenantId, row: ChatRow, now: OffsetDateTime) -> Result<Chat> {
    let id = ChatId::new();
    let activity_seq = chat_messages::Entity::find()
        .select_only()
        .column_as(chat_messages::Column::Seq.max(), "max_seq")
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?
        .flatten()
        .unwrap_or(0);
    let model = chats::ActiveModel {
        id: Set(id.as_uuid()),
        organization_id: Set(tenant.uuid()),
        kind: Set(row.kind.as_str().to_owned()),
        name: Set(row.name.map(|name| name.as_str().to_owned())),
        encryption_type: Set(row.encryption_type.map(|label| label.as_str().to_owned())),
        auto_delete_secs: Set(row.auto_delete.map(|secs| i64::from(secs.secs()))),
        direct_key: Set(row.direct_key),
        created_by: Set(row.created_by.as_uuid()),
        created_at: Set(now),
        updated_at: Set(now),
        last_activity_at: Set(now),
        activity_seq: Set(activity_seq),
    }
    .insert(conn)
    .await
    .map_err(|error| match PersistenceError::from(error) {
        PersistenceError::Conflict { .. } => PersistenceError::Conflict { fields: &["member_id"] },
        other => other,
    })?;
    let members: Vec<_> = row
        .members
        .iter()
        .map(|user| chat_members::ActiveModel {
            chat_id: Set(id.as_uuid()),
            user_id: Set(user.as_uuid()),
            organization_id: Set(tenant.uuid()),
            joined_at: Set(now),
            read_seq: Set(None),
            read_message_id: Set(None),
            read_at: Set(None),
        })
        .collect();
    if !members.is_empty() {
        chat_members::Entity::insert_many(members).exec(conn).await?;
    }
    chat(model)
}

/// The tenant's direct chat with this key, if any.
pub async fn find_direct(conn: &impl ConnectionTrait, tenant: TenantId, key: &str) -> Result<Option<Chat>> {
    chats::Entity::find()
        .filter(chats::Column::OrganizationId.eq(tenant.uuid()))
        .filter(chats::Column::DirectKey.eq(key))
        .one(conn)
        .await?
        .map(chat)
        .transpose()
}

/// The tenant's chat, if `user` is one of its members (otherwise as if it did not exist).
pub async fn find_for_member(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: ChatId,
    user: UserId,
) -> Result<Option<Chat>> {
    let found = chats::Entity::find_by_id(id.as_uuid())
        .filter(chats::Column::OrganizationId.eq(tenant.uuid()))
        .filter(
            chats::Column::Id.in_subquery(
                Query::select()
                    .column(chat_members::Column::ChatId)
                    .from(chat_members::Entity)
                    .and_where(chat_members::Column::ChatId.eq(id.as_uuid()))
                    .and_where(chat_members::Column::UserId.eq(user.as_uuid()))
                    .to_owned(),
            ),
        )
        .one(conn)
        .await?;
    found.map(chat).transpose()
}

/// The members of a chat, in the order they joined.
pub async fn members(conn: &impl ConnectionTrait, tenant: TenantId, id: ChatId) -> Result<Vec<ChatMember>> {
    Ok(members_of(conn, tenant, &[id]).await?.remove(&id).unwrap_or_default())
}

async fn members_of(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[ChatId],
) -> Result<HashMap<ChatId, Vec<ChatMember>>> {
    let rows = chat_members::Entity::find()
        .filter(chat_members::Column::OrganizationId.eq(tenant.uuid()))
        .filter(chat_members::Column::ChatId.is_in(ids.iter().map(|id| id.as_uuid())))
        .order_by_asc(chat_members::Column::JoinedAt)
        .order_by_asc(chat_members::Column::UserId)
        .all(conn)
        .await?;
    let mut members: HashMap<ChatId, Vec<ChatMember>> = HashMap::new();
    for row in rows {
        members.entry(ChatId::from_uuid(row.chat_id)).or_default().push(ChatMember {
            user_id: UserId::from_uuid(row.user_id),
            joined_at: row.joined_at,
            read_up_to: row.read_message_id.map(MessageId::from_uuid),
            read_at: row.read_at,
        });
    }
    Ok(members)
}

/// A chat of `user` with what its list shows: members, last message and unread count.
#[derive(Debug, Clone)]
pub struct ChatListing {
    pub chat: Chat,
    pub members: Vec<ChatMember>,
    pub last_message: Option<LastMessage>,
    pub unread_count: u64,
}

/// `user`'s chats in the tenant, most recent activity first: by the `seq` of their last
/// message, or of the last message anywhere when they were created (newest chat first on
/// a tie).
pub async fn list_for_member(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    page: Page,
    now: OffsetDateTime,
) -> Result<Paged<ChatListing>> {
    let mine = Query::select()
        .column(chat_members::Column::ChatId)
        .from(chat_members::Entity)
        .and_where(chat_members::Column::OrganizationId.eq(tenant.uuid()))
        .and_where(chat_members::Column::UserId.eq(user.as_uuid()))
        .to_owned();
    let query = chats::Entity::find()
        .filter(chats::Column::OrganizationId.eq(tenant.uuid()))
        .filter(chats::Column::Id.in_subquery(mine));
    let total = query.clone().count(conn).await?;
    let models = query
        .order_by_desc(chats::Column::ActivitySeq)
        .order_by_desc(chats::Column::Id)
        .limit(page.limit())
        .offset(page.offset())
        .all(conn)
        .await?;
    let ids: Vec<ChatId> = models.iter().map(|model| ChatId::from_uuid(model.id)).collect();
    let mut members = members_of(conn, tenant, &ids).await?;
    let mut items = Vec::with_capacity(models.len());
    for model in models {
        let chat = chat(model)?;
        let members = members.remove(&chat.id).unwrap_or_default();
        let last_message = last_message(conn, tenant, chat.id, now).await?;
        let unread_count = unread_count(conn, tenant, chat.id, user, now).await?;
        items.push(ChatListing { chat, members, last_message, unread_count });
    }
    Ok(Paged { items, total, page })
}

/// Renames a group chat.
pub async fn rename(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: ChatId,
    name: ChatName,
    now: OffsetDateTime,
) -> Result<Chat> {
    let model = chats::ActiveModel {
        id: Unchanged(id.as_uuid()),
        organization_id: Unchanged(tenant.uuid()),
        name: Set(Some(name.as_str().to_owned())),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(conn)
    .await?;
    chat(model)
}

/// Changes a chat's encryption label or auto-deletion.
pub async fn update_config(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: ChatId,
    changes: ChatConfigChanges,
    now: OffsetDateTime,
) -> Result<Chat> {
    let mut model = chats::ActiveModel {
        id: Unchanged(id.as_uuid()),
        organization_id: Unchanged(tenant.uuid()),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(label) = changes.encryption_type {
        model.encryption_type = Set(label.map(|label| label.as_str().to_owned()));
    }
    if let Some(auto_delete) = changes.auto_delete {
        model.auto_delete_secs = Set(auto_delete.map(|secs| i64::from(secs.secs())));
    }
    chat(model.update(conn).await?)
}

/// Adds a member; answers false when they already are one.
pub async fn add_member(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: ChatId,
    user: UserId,
    now: OffsetDateTime,
) -> Result<bool> {
    let existing = chat_members::Entity::find_by_id((id.as_uuid(), user.as_uuid())).count(conn).await?;
    if existing > 0 {
        return Ok(false);
    }
    chat_members::ActiveModel {
        chat_id: Set(id.as_uuid()),
        user_id: Set(user.as_uuid()),
        organization_id: Set(tenant.uuid()),
        joined_at: Set(now),
        read_seq: Set(None),
        read_message_id: Set(None),
        read_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(true)
}

/// Removes a member; answers false when they were none.
pub async fn remove_member(conn: &impl ConnectionTrait, tenant: TenantId, id: ChatId, user: UserId) -> Result<bool> {
    let deleted = chat_members::Entity::delete_many()
        .filter(chat_members::Column::OrganizationId.eq(tenant.uuid()))
        .filter(chat_members::Column::ChatId.eq(id.as_uuid()))
        .filter(chat_members::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Takes `user` out of every chat of the tenant (they are leaving the organization). Their
/// messages stay in the chats. Their direct chats lose their pair key, so that the pair,
/// should the user come back, starts a new direct chat instead of finding the old one.
pub async fn remove_from_all(conn: &impl ConnectionTrait, tenant: TenantId, user: UserId) -> Result<u64> {
    let theirs = Query::select()
        .column(chat_members::Column::ChatId)
        .from(chat_members::Entity)
        .and_where(chat_members::Column::OrganizationId.eq(tenant.uuid()))
        .and_where(chat_members::Column::UserId.eq(user.as_uuid()))
        .to_owned();
    chats::Entity::update_many()
        .col_expr(chats::Column::DirectKey, Expr::value(Option::<String>::None))
        .filter(chats::Column::OrganizationId.eq(tenant.uuid()))
        .filter(chats::Column::Kind.eq(ChatKind::Direct.as_str()))
        .filter(chats::Column::Id.in_subquery(theirs))
        .exec(conn)
        .await?;
    let deleted = chat_members::Entity::delete_many()
        .filter(chat_members::Column::OrganizationId.eq(tenant.uuid()))
        .filter(chat_members::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected)
}

/// Deletes every chat of the tenant with its members and messages (the organization is
/// being deleted).
pub async fn delete_all(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<()> {
    chat_messages::Entity::delete_many()
        .filter(chat_messages::Column::OrganizationId.eq(tenant.uuid()))
        .exec(conn)
        .await?;
    chat_members::Entity::delete_many()
        .filter(chat_members::Column::OrganizationId.eq(tenant.uuid()))
        .exec(conn)
        .await?;
    chats::Entity::delete_many().filter(chats::Column::OrganizationId.eq(tenant.uuid())).exec(conn).await?;
    Ok(())
}

/// Whether a message is still readable at `now` (not past its `delete_at`).
fn alive(now: OffsetDateTime) -> Condition {
    Condition::any().add(chat_messages::Column::DeleteAt.is_null()).add(chat_messages::Column::DeleteAt.gt(now))
}

/// Stores a message as `id`; the chat's last activity moves with it, in the same
/// statement (a trigger, `chat_messages_touch_chat`, sets `chats.activity_seq` and
/// `last_activity_at`). A `client_id` the sender already used in the chat is a conflict on
/// `client_id` (see [`find_by_client_id`]).
#[allow(clippy::too_many_arguments)] // one value per column the caller decides
pub async fn insert_message(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    chat_id: ChatId,
    id: MessageId,
    sender: UserId,
    new: NewMessage,
    delete_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<Message> {
    let model = chat_messages::ActiveModel {
        id: Set(id.as_uuid()),
        chat_id: Set(chat_id.as_uuid()),
        organization_id: Set(tenant.uuid()),
        sender_id: Set(sender.as_uuid()),
        ciphertext: Set(new.ciphertext.into_bytes()),
        nonce: Set(new.nonce.map(OpaqueBytes::into_bytes)),
        content_type: Set(new.content_type.as_str().to_owned()),
        client_id: Set(new.client_id.map(|id| id.as_str().to_owned())),
        created_at: Set(now),
        delete_at: Set(delete_at),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(|error| match PersistenceError::from(error) {
        PersistenceError::Conflict { .. } => PersistenceError::Conflict { fields: &["client_id"] },
        other => other,
    })?;
    message(model)
}

/// The sender's message with this `client_id` in the chat, unless expired.
pub async fn find_by_client_id(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    chat_id: ChatId,
    sender: UserId,
    client_id: &ClientMessageId,
    now: OffsetDateTime,
) -> Result<Option<Message>> {
    chat_messages::Entity::find()
        .filter(chat_messages::Column::OrganizationId.eq(tenant.uuid()))
        .filter(chat_messages::Column::ChatId.eq(chat_id.as_uuid()))
        .filter(chat_messages::Column::SenderId.eq(sender.as_uuid()))
        .filter(chat_messages::Column::ClientId.eq(client_id.as_str()))
        .filter(alive(now))
        .one(conn)
        .await?
        .map(message)
        .transpose()
}

/// A message of the chat that is still readable, with its acceptance order.
pub async fn find_message(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    chat_id: ChatId,
    id: MessageId,
    now: OffsetDateTime,
) -> Result<Option<(i64, Message)>> {
    let found = chat_messages::Entity::find()
        .filter(chat_messages::Column::OrganizationId.eq(tenant.uuid()))
        .filter(chat_messages::Column::ChatId.eq(chat_id.as_uuid()))
        .filter(chat_messages::Column::Id.eq(id.as_uuid()))
        .filter(alive(now))
        .one(conn)
        .await?;
    found.map(|model| Ok((model.seq, message(model)?))).transpose()
}

/// One page of the chat's readable messages from `cursor` (newest first, or oldest first
/// after an `After` cursor), at most `limit`. A cursor message that is not readable in
/// this chat is [`PersistenceError::NotFound`].
pub async fn page_messages(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    chat_id: ChatId,
    cursor: MessageCursor,
    limit: u64,
    now: OffsetDateTime,
) -> Result<MessagePage> {
    let mut query = chat_messages::Entity::find()
        .filter(chat_messages::Column::OrganizationId.eq(tenant.uuid()))
        .filter(chat_messages::Column::ChatId.eq(chat_id.as_uuid()))
        .filter(alive(now));
    query = match cursor {
        MessageCursor::Latest => query.order_by_desc(chat_messages::Column::Seq),
        MessageCursor::Before(id) => {
            let (seq, _) = find_message(conn, tenant, chat_id, id, now)
                .await?
                .ok_or(PersistenceError::NotFound { entity: MESSAGE })?;
            query.filter(chat_messages::Column::Seq.lt(seq)).order_by_desc(chat_messages::Column::Seq)
        }
        MessageCursor::After(id) => {
            let (seq, _) = find_message(conn, tenant, chat_id, id, now)
                .await?
                .ok_or(PersistenceError::NotFound { entity: MESSAGE })?;
            query.filter(chat_messages::Column::Seq.gt(seq)).order_by_asc(chat_messages::Column::Seq)
        }
    };
    let mut models = query.limit(limit + 1).all(conn).await?;
    let has_more = models.len() as u64 > limit;
    models.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let items = models.into_iter().map(message).collect::<Result<_>>()?;
    Ok(MessagePage { items, has_more })
}

/// Deletes a message for real; answers whether it existed.
pub async fn delete_message(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    chat_id: ChatId,
    id: MessageId,
) -> Result<bool> {
    let deleted = chat_messages::Entity::delete_many()
        .filter(chat_messages::Column::OrganizationId.eq(tenant.uuid()))
        .filter(chat_messages::Column::ChatId.eq(chat_id.as_uuid()))
        .filter(chat_messages::Column::Id.eq(id.as_uuid()))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// The chat's newest readable message, without its contents.
pub async fn last_message(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    chat_id: ChatId,
    now: OffsetDateTime,
) -> Result<Option<LastMessage>> {
    let found = chat_messages::Entity::find()
        .select_only()
        .columns([chat_messages::Column::Id, chat_messages::Column::SenderId, chat_messages::Column::CreatedAt])
        .filter(chat_messages::Column::OrganizationId.eq(tenant.uuid()))
        .filter(chat_messages::Column::ChatId.eq(chat_id.as_uuid()))
        .filter(alive(now))
        .order_by_desc(chat_messages::Column::Seq)
        .into_tuple::<(uuid::Uuid, uuid::Uuid, OffsetDateTime)>()
        .one(conn)
        .await?;
    Ok(found.map(|(id, sender, created_at)| LastMessage {
        id: MessageId::from_uuid(id),
        sender_id: UserId::from_uuid(sender),
        created_at,
    }))
}

/// How many readable messages of the others `user` has not marked read in the chat.
pub async fn unread_count(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    chat_id: ChatId,
    user: UserId,
    now: OffsetDateTime,
) -> Result<u64> {
    let pointer = chat_members::Entity::find_by_id((chat_id.as_uuid(), user.as_uuid()))
        .filter(chat_members::Column::OrganizationId.eq(tenant.uuid()))
        .one(conn)
        .await?
        .and_then(|member| member.read_seq);
    let mut query = chat_messages::Entity::find()
        .filter(chat_messages::Column::OrganizationId.eq(tenant.uuid()))
        .filter(chat_messages::Column::ChatId.eq(chat_id.as_uuid()))
        .filter(chat_messages::Column::SenderId.ne(user.as_uuid()))
        .filter(alive(now));
    if let Some(seq) = pointer {
        query = query.filter(chat_messages::Column::Seq.gt(seq));
    }
    Ok(query.count(conn).await?)
}

/// Moves `user`'s read pointer to the message `seq`/`id`, never backwards; answers
/// whether it moved.
pub async fn mark_read(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    chat_id: ChatId,
    user: UserId,
    (seq, id): (i64, MessageId),
    now: OffsetDateTime,
) -> Result<bool> {
    let updated = chat_members::Entity::update_many()
        .col_expr(chat_members::Column::ReadSeq, Expr::value(seq))
        .col_expr(chat_members::Column::ReadMessageId, Expr::value(id.as_uuid()))
        .col_expr(chat_members::Column::ReadAt, Expr::value(now))
        .filter(chat_members::Column::OrganizationId.eq(tenant.uuid()))
        .filter(chat_members::Column::ChatId.eq(chat_id.as_uuid()))
        .filter(chat_members::Column::UserId.eq(user.as_uuid()))
        .filter(
            Condition::any().add(chat_members::Column::ReadSeq.is_null()).add(chat_members::Column::ReadSeq.lt(seq)),
        )
        .exec(conn)
        .await?;
    Ok(updated.rows_affected > 0)
}

/// Deletes up to `batch` messages of any organization past their `delete_at`; answers
/// how many. The auto-deletion sweep calls it until it deletes fewer than `batch`.
pub async fn delete_expired(conn: &impl ConnectionTrait, now: OffsetDateTime, batch: u64) -> Result<u64> {
    let expired = Query::select()
        .column(chat_messages::Column::Seq)
        .from(chat_messages::Entity)
        .and_where(chat_messages::Column::DeleteAt.lte(now))
        .limit(batch)
        .to_owned();
    let deleted =
        chat_messages::Entity::delete_many().filter(chat_messages::Column::Seq.in_subquery(expired)).exec(conn).await?;
    Ok(deleted.rows_affected)
}

fn chat(model: chats::Model) -> Result<Chat> {
    let kind = parsed(ChatKind::parse(&model.kind, "kind"), CHAT, "kind")?;
    let name = model.name.as_deref().map(|name| parsed(ChatName::parse(name, "name"), CHAT, "name")).transpose()?;
    let encryption_type = model
        .encryption_type
        .as_deref()
        .map(|label| parsed(EncryptionType::parse(label, "encryption_type"), CHAT, "encryption_type"))
        .transpose()?;
    let auto_delete = model
        .auto_delete_secs
        .map(|secs| {
            u32::try_from(secs).map(AutoDelete::from_stored).map_err(|error| PersistenceError::Corrupt {
                entity: CHAT,
                field: "auto_delete_secs",
                message: error.to_string(),
            })
        })
        .transpose()?;
    Ok(Chat {
        id: ChatId::from_uuid(model.id),
        kind,
        name,
        encryption_type,
        auto_delete,
        created_by: UserId::from_uuid(model.created_by),
        created_at: model.created_at,
        updated_at: model.updated_at,
        last_activity_at: model.last_activity_at,
    })
}

fn message(model: chat_messages::Model) -> Result<Message> {
    Ok(Message {
        id: MessageId::from_uuid(model.id),
        chat_id: ChatId::from_uuid(model.chat_id),
        sender_id: UserId::from_uuid(model.sender_id),
        ciphertext: OpaqueBytes::from_stored(model.ciphertext),
        nonce: model.nonce.map(OpaqueBytes::from_stored),
        content_type: parsed(ContentType::parse(&model.content_type, "content_type"), MESSAGE, "content_type")?,
        client_id: model
            .client_id
            .as_deref()
            .map(|id| parsed(ClientMessageId::parse(id, "client_id"), MESSAGE, "client_id"))
            .transpose()?,
        created_at: model.created_at,
        delete_at: model.delete_at,
    })
}

// Reads for the realtime hub (`authdb_service::realtime`), which delivers a committed
// event to the sockets of the users concerned and acts for no member: it names a chat by
// its id alone, as the event that carries it was raised inside a tenant write that had
// already checked the caller's access. They return ids and one message, never a chat's
// data to a caller.

/// The users a chat's events go to: its members, now.
pub async fn event_audience(conn: &impl ConnectionTrait, chat_id: ChatId) -> Result<Vec<UserId>> {
    let rows = chat_members::Entity::find()
        .select_only()
        .column(chat_members::Column::UserId)
        .filter(chat_members::Column::ChatId.eq(chat_id.as_uuid()))
        .into_tuple::<uuid::Uuid>()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(UserId::from_uuid).collect())
}

/// The organization a chat belongs to, so that a command naming only the chat can be
/// authorized through the caller's membership there.
pub async fn organization_of(conn: &impl ConnectionTrait, chat_id: ChatId) -> Result<Option<uuid::Uuid>> {
    Ok(chats::Entity::find()
        .select_only()
        .column(chats::Column::OrganizationId)
        .filter(chats::Column::Id.eq(chat_id.as_uuid()))
        .into_tuple::<uuid::Uuid>()
        .one(conn)
        .await?)
}

/// A readable message of a chat, for the event announcing it (`None` once deleted or
/// expired).
pub async fn event_message(
    conn: &impl ConnectionTrait,
    chat_id: ChatId,
    id: MessageId,
    now: OffsetDateTime,
) -> Result<Option<Message>> {
    let found = chat_messages::Entity::find()
        .filter(chat_messages::Column::ChatId.eq(chat_id.as_uuid()))
        .filter(chat_messages::Column::Id.eq(id.as_uuid()))
        .filter(alive(now))
        .one(conn)
        .await?;
    found.map(message).transpose()
}

/// The users who share at least one chat with `user` (whom its presence concerns).
pub async fn chat_partners(conn: &impl ConnectionTrait, user: UserId) -> Result<Vec<UserId>> {
    Ok(chat_partners_of(conn, &[user]).await?.into_iter().map(|(_, partner)| partner).collect())
}

/// The users who share at least one chat with each of `users`: `(user, partner)` pairs,
/// each pair once, in no particular order. One read: every member of every chat one of
/// `users` is in (through the index on `chat_members.user_id`).
pub async fn chat_partners_of(conn: &impl ConnectionTrait, users: &[UserId]) -> Result<Vec<(UserId, UserId)>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let theirs = Query::select()
        .column(chat_members::Column::ChatId)
        .from(chat_members::Entity)
        .and_where(chat_members::Column::UserId.is_in(users.iter().map(UserId::as_uuid)))
        .to_owned();
    let rows = chat_members::Entity::find()
        .select_only()
        .column(chat_members::Column::ChatId)
        .column(chat_members::Column::UserId)
        .filter(chat_members::Column::ChatId.in_subquery(theirs))
        .into_tuple::<(uuid::Uuid, uuid::Uuid)>()
        .all(conn)
        .await?;
    let mut members: HashMap<uuid::Uuid, Vec<uuid::Uuid>> = HashMap::new();
    for (chat, member) in rows {
        members.entry(chat).or_default().push(member);
    }
    let asked: std::collections::HashSet<uuid::Uuid> = users.iter().map(UserId::as_uuid).collect();
    let mut pairs = std::collections::HashSet::new();
    for chat in members.values() {
        for user in chat.iter().filter(|member| asked.contains(member)) {
            pairs.extend(chat.iter().filter(|partner| *partner != user).map(|partner| (*user, *partner)));
        }
    }
    Ok(pairs.into_iter().map(|(user, partner)| (UserId::from_uuid(user), UserId::from_uuid(partner))).collect())
}

/// How many readable messages of others `user` has not read, over all their chats in the
/// tenant (the sum of the chat list's `unread_count`, counted the same way), and in how
/// many chats. One query: each message is compared with its reader's read pointer.
pub async fn unread_total(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    now: OffsetDateTime,
) -> Result<(u64, u64)> {
    use chat_messages::Column as M;
    let (messages, chats): (i64, i64) = chat_messages::Entity::find()
        .select_only()
        .column_as(M::Seq.count(), "messages")
        .column_as(Expr::cust("COUNT(DISTINCT \"chat_messages\".\"chat_id\")"), "chats")
        .join(
            sea_orm::JoinType::InnerJoin,
            chat_messages::Entity::belongs_to(chat_members::Entity)
                .from(M::ChatId)
                .to(chat_members::Column::ChatId)
                .into(),
        )
        .filter(chat_members::Column::UserId.eq(user.as_uuid()))
        .filter(chat_members::Column::OrganizationId.eq(tenant.uuid()))
        .filter(M::OrganizationId.eq(tenant.uuid()))
        .filter(M::SenderId.ne(user.as_uuid()))
        .filter(alive(now))
        .filter(
            Condition::any().add(chat_members::Column::ReadSeq.is_null()).add(
                Expr::col((chat_messages::Entity, M::Seq))
                    .gt(Expr::col((chat_members::Entity, chat_members::Column::ReadSeq))),
            ),
        )
        .into_tuple()
        .one(conn)
        .await?
        .unwrap_or((0, 0));
    Ok((u64::try_from(messages).unwrap_or(0), u64::try_from(chats).unwrap_or(0)))
}
