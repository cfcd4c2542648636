//! Messages: posted as opaque bytes, paged in the order the server accepted them, read
//! pointers, deletion. Nothing here looks inside a message or records its contents.

use authdb_domain::{
    AuditAction, ChatId, ChatMember, Message, MessageCursor, MessageId, MessagePage, NewMessage, Permission,
};
use authdb_persistence::{PersistenceError, chats as store};
use serde_json::json;

use super::{MessagingService, chat_of_member, chats::at};
use crate::{
    ClientInfo, Result, ServiceError,
    audit::Target,
    membership::Membership,
    realtime::SignalKind,
    write::{Record, Stale, TenantWrite},
};

const MESSAGE: &str = "message";
/// The largest ciphertext handed to this process's dispatcher with its signal (bounding
/// what its queue of notices holds: `NOTICE_QUEUE` times this, 32 MiB).
const CARRIED_MESSAGE_BYTES: usize = 8 * 1024;

impl MessagingService {
    /// Posts a message; it expires after the chat's auto-deletion, if any. The same
    /// sender posting the same `client_id` in the chat again gets the original and
    /// `false`, also when the retries race (a unique index keeps one).
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), chat_id = %id))]
    pub async fn post_message(
        &self,
        membership: &Membership,
        id: ChatId,
        new: NewMessage,
        client: &ClientInfo,
    ) -> Result<(Message, bool)> {
        let me = membership.user_id();
        let mut write = TenantWrite::begin(&self.core, membership, Permission::ChatsUse, client).await?;
        let chat = chat_of_member(write.conn(), membership, id).await?;
        let client_id = new.client_id.clone();
        if let Some(client_id) = &client_id
            && let Some(original) =
                store::find_by_client_id(write.conn(), write.tenant(), id, me, client_id, write.now()).await?
        {
            return Ok((original, false));
        }
        let delete_at = chat.auto_delete.map(|secs| secs.delete_at(write.now()));
        // Announced before the insert: on PostgreSQL the insert locks the chat's row (its
        // last activity moves), and every statement after it holds that lock longer for
        // the next post into the chat. A rolled-back write announces nothing.
        let message_id = MessageId::new();
        write.publish(self.core.signal(SignalKind::MessageCreated(at(membership, id), message_id))).await?;
        match store::insert_message(write.conn(), write.tenant(), id, message_id, me, new, delete_at, write.now()).await
        {
            Ok(message) => {
                // This process's sockets get the message as inserted, not read back; a
                // large one is read back by the dispatcher instead, so that the notices
                // waiting for it stay small.
                if message.ciphertext.as_bytes().len() <= CARRIED_MESSAGE_BYTES {
                    write.posted(message.clone());
                }
                write.commit_unaudited().await?;
                Ok((message, true))
            }
            Err(PersistenceError::Conflict { .. }) => {
                // A concurrent retry with the same client_id committed first.
                drop(write);
                let client_id = client_id.ok_or(ServiceError::Conflict { fields: &["client_id"] })?;
                let now = authdb_persistence::now();
                let original = store::find_by_client_id(self.core.db(), membership.tenant(), id, me, &client_id, now)
                    .await?
                    .ok_or(ServiceError::Conflict { fields: &["client_id"] })?;
                Ok((original, false))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// A page of the chat's messages from `cursor`, at most `limit`. A cursor message
    /// that is gone (deleted, expired, or of another chat) is a violation naming
    /// `before` or `after`.
    pub async fn list_messages(
        &self,
        membership: &Membership,
        id: ChatId,
        cursor: MessageCursor,
        limit: u64,
    ) -> Result<MessagePage> {
        membership.require(Permission::ChatsUse)?;
        let db = self.core.db();
        chat_of_member(db, membership, id).await?;
        let now = authdb_persistence::now();
        store::page_messages(db, membership.tenant(), id, cursor, limit, now).await.map_err(|error| {
            match (error, cursor) {
                (PersistenceError::NotFound { .. }, MessageCursor::Before(_)) => cursor_gone("before"),
                (PersistenceError::NotFound { .. }, MessageCursor::After(_)) => cursor_gone("after"),
                (error, _) => error.into(),
            }
        })
    }

    /// Deletes a message for real: its sender, or a `chats:manage` holder (audited, with
    /// the sender named and nothing of the contents).
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), chat_id = %id))]
    pub async fn delete_message(
        &self,
        membership: &Membership,
        id: ChatId,
        message_id: MessageId,
        client: &ClientInfo,
    ) -> Result<()> {
        let mut write = TenantWrite::begin(&self.core, membership, Permission::ChatsUse, client).await?;
        chat_of_member(write.conn(), membership, id).await?;
        let (_, message) = store::find_message(write.conn(), write.tenant(), id, message_id, write.now())
            .await?
            .ok_or(ServiceError::NotFound { entity: MESSAGE })?;
        let own = message.sender_id == membership.user_id();
        if !own && !membership.permissions().contains(Permission::ChatsManage) {
            return Err(ServiceError::Forbidden(
                "only the message's sender or a holder of chats:manage may delete it".into(),
            ));
        }
        store::delete_message(write.conn(), write.tenant(), id, message_id).await?;
        write.publish(self.core.signal(SignalKind::MessageDeleted(at(membership, id), message_id))).await?;
        if own {
            write.commit_unaudited().await
        } else {
            let record = Record::new(AuditAction::ChatMessageDeleted, Target::Chat(id)).details(json!({
                "message_id": message_id.to_string(),
                "sender_id": message.sender_id.to_string(),
            }));
            write.commit(record, Stale::Nothing).await
        }
    }

    /// Moves the caller's read pointer to `up_to`, never backwards; answers the caller's
    /// receipt as it stands.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), chat_id = %id))]
    pub async fn mark_read(
        &self,
        membership: &Membership,
        id: ChatId,
        up_to: MessageId,
        client: &ClientInfo,
    ) -> Result<ChatMember> {
        let mut write = TenantWrite::begin(&self.core, membership, Permission::ChatsUse, client).await?;
        chat_of_member(write.conn(), membership, id).await?;
        let (seq, _) = store::find_message(write.conn(), write.tenant(), id, up_to, write.now())
            .await?
            .ok_or(ServiceError::NotFound { entity: MESSAGE })?;
        store::mark_read(write.conn(), write.tenant(), id, membership.user_id(), (seq, up_to), write.now()).await?;
        let read = SignalKind::MessageRead(at(membership, id), membership.user_id(), up_to);
        write.publish(self.core.signal(read)).await?;
        write.commit_unaudited().await?;
        store::members(self.core.db(), membership.tenant(), id)
            .await?
            .into_iter()
            .find(|member| member.user_id == membership.user_id())
            .ok_or(ServiceError::NotFound { entity: "chat" })
    }
}

/// A cursor that names no readable message of the chat.
fn cursor_gone(field: &'static str) -> ServiceError {
    ServiceError::Invalid(vec![authdb_domain::Violation::new(
        field,
        "is no message of this chat (it may have been deleted or expired); page from the newest instead",
    )])
}

impl MessagingService {
    /// Tells the chat's other members that the caller is typing (no row changes; other
    /// instances hear it through the change feed).
    pub async fn typing(&self, membership: &Membership, id: ChatId) -> Result<()> {
        membership.require(Permission::ChatsUse)?;
        chat_of_member(self.core.db(), membership, id).await?;
        self.core.announce(SignalKind::Typing(at(membership, id), membership.user_id())).await
    }

    /// The organization a chat belongs to, for a realtime command that names only the
    /// chat; whether the caller may see it is decided by resolving their membership there
    /// and then by the use case (a chat the caller is not in is not found).
    pub async fn organization_of_chat(&self, id: ChatId) -> Result<authdb_domain::OrganizationId> {
        store::organization_of(self.core.db(), id)
            .await?
            .map(authdb_domain::OrganizationId::from_uuid)
            .ok_or(ServiceError::NotFound { entity: "chat" })
    }
}
