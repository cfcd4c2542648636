//! Chats: direct (unique per pair) and groups, their members and configuration.

use authdb_domain::{
    AuditAction, ChatConfigChanges, ChatId, ChatKind, ChatMember, ChatName, ChatView, NewChat, Page, Paged, Permission,
    UserId, Violation, direct_chat_key,
};
use authdb_persistence::{ConnectionTrait, TenantId, chats as store, chats::ChatRow, memberships};
use serde_json::json;

use super::{CHAT, MessagingService, chat_of_member, may_manage};
use crate::{
    ClientInfo, Result, ServiceError,
    audit::Target,
    membership::Membership,
    realtime::{ChatRef, SignalKind},
    write::{Record, Stale, TenantWrite},
};

const MEMBER: &str = "chat member";

impl MessagingService {
    /// Creates a chat. A direct chat whose pair already has one answers that chat and
    /// `false` (also when two creates race: the loser reads the winner's); a new chat
    /// answers `true`. Every member must belong to the organization (a violation naming
    /// `member_id`, or `member_ids[i]`).
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id()))]
    pub async fn create_chat(
        &self,
        membership: &Membership,
        new: NewChat,
        client: &ClientInfo,
    ) -> Result<(ChatView, bool)> {
        let me = membership.user_id();
        let mut write = TenantWrite::begin(&self.core, membership, Permission::ChatsUse, client).await?;
        let row = match new {
            NewChat::Direct { member, encryption_type, auto_delete } => {
                if member == me {
                    return Err(invalid("member_id", "must be another member of the organization"));
                }
                require_members(write.conn(), write.tenant(), &[(member, "member_id".to_owned())]).await?;
                let key = direct_chat_key(me, member);
                if let Some(chat) = store::find_direct(write.conn(), write.tenant(), &key).await? {
                    drop(write);
                    return Ok((self.view(membership, chat.id).await?, false));
                }
                ChatRow {
                    kind: ChatKind::Direct,
                    name: None,
                    encryption_type,
                    auto_delete,
                    direct_key: Some(key),
                    created_by: me,
                    members: vec![me, member],
                }
            }
            NewChat::Group { name, members, encryption_type, auto_delete } => {
                let named: Vec<_> =
                    members.iter().enumerate().map(|(i, user)| (*user, format!("member_ids[{i}]"))).collect();
                require_members(write.conn(), write.tenant(), &named).await?;
                let mut all = vec![me];
                for user in members {
                    if !all.contains(&user) {
                        all.push(user);
                    }
                }
                ChatRow {
                    kind: ChatKind::Group,
                    name: Some(name),
                    encryption_type,
                    auto_delete,
                    direct_key: None,
                    created_by: me,
                    members: all,
                }
            }
        };
        let direct_key = row.direct_key.clone();
        let member_count = row.members.len();
        let chat = match store::insert(write.conn(), write.tenant(), row, write.now()).await {
            Ok(chat) => chat,
            Err(authdb_persistence::PersistenceError::Conflict { .. }) if direct_key.is_some() => {
                // Another create of the same pair committed first: answer its chat.
                drop(write);
                let key = direct_key.unwrap_or_default();
                let chat = store::find_direct(self.core.db(), membership.tenant(), &key)
                    .await?
                    .ok_or(ServiceError::NotFound { entity: CHAT })?;
                return Ok((self.view(membership, chat.id).await?, false));
            }
            Err(error) => return Err(error.into()),
        };
        let created = Record::new(AuditAction::ChatCreated, Target::Chat(chat.id)).details(json!({
            "kind": chat.kind.as_str(),
            "members": member_count,
            "encryption_type": chat.encryption_type.as_ref().map(|label| label.as_str()),
            "auto_delete_secs": chat.auto_delete.map(|secs| secs.secs()),
        }));
        write.publish(self.core.signal(SignalKind::ChatCreated(at(membership, chat.id)))).await?;
        write.commit(created, Stale::Nothing).await?;
        Ok((self.view(membership, chat.id).await?, true))
    }

    /// The caller's chats, most recent activity first.
    pub async fn list_chats(&self, membership: &Membership, page: Page) -> Result<Paged<ChatView>> {
        membership.require(Permission::ChatsUse)?;
        let now = authdb_persistence::now();
        let listed =
            store::list_for_member(self.core.db(), membership.tenant(), membership.user_id(), page, now).await?;
        Ok(Paged {
            items: listed
                .items
                .into_iter()
                .map(|listing| ChatView {
                    chat: listing.chat,
                    members: listing.members,
                    last_message: listing.last_message,
                    unread_count: listing.unread_count,
                })
                .collect(),
            total: listed.total,
            page: listed.page,
        })
    }

    /// One of the caller's chats.
    pub async fn get_chat(&self, membership: &Membership, id: ChatId) -> Result<ChatView> {
        membership.require(Permission::ChatsUse)?;
        self.view(membership, id).await
    }

    /// Renames a group (its creator or a `chats:manage` holder).
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), chat_id = %id))]
    pub async fn rename_chat(
        &self,
        membership: &Membership,
        id: ChatId,
        name: ChatName,
        client: &ClientInfo,
    ) -> Result<ChatView> {
        let mut write = TenantWrite::begin(&self.core, membership, Permission::ChatsUse, client).await?;
        let chat = chat_of_member(write.conn(), membership, id).await?;
        require_group(chat.kind)?;
        require_manager(membership, &chat)?;
        write.publish(self.core.signal(SignalKind::ChatUpdated(at(membership, id)))).await?;
        let renamed = store::rename(write.conn(), write.tenant(), id, name, write.now()).await?;
        let record = Record::new(AuditAction::ChatUpdated, Target::Chat(id))
            .details(json!({ "name": renamed.name.as_ref().map(|name| name.as_str()) }));
        write.commit(record, Stale::Nothing).await?;
        self.view(membership, id).await
    }

    /// Changes a chat's encryption label or auto-deletion: either member of a direct
    /// chat; a group's creator or a `chats:manage` holder. New messages follow the new
    /// auto-deletion; posted ones keep theirs.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), chat_id = %id))]
    pub async fn configure_chat(
        &self,
        membership: &Membership,
        id: ChatId,
        changes: ChatConfigChanges,
        client: &ClientInfo,
    ) -> Result<ChatView> {
        let mut write = TenantWrite::begin(&self.core, membership, Permission::ChatsUse, client).await?;
        let chat = chat_of_member(write.conn(), membership, id).await?;
        if chat.kind == ChatKind::Group {
            require_manager(membership, &chat)?;
        }
        write.publish(self.core.signal(SignalKind::ChatUpdated(at(membership, id)))).await?;
        let changed: Vec<&str> = [
            ("encryption_type", changes.encryption_type.is_some()),
            ("auto_delete_secs", changes.auto_delete.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect();
        let chat = store::update_config(write.conn(), write.tenant(), id, changes, write.now()).await?;
        let record = Record::new(AuditAction::ChatConfigChanged, Target::Chat(id)).details(json!({
            "changed": changed,
            "encryption_type": chat.encryption_type.as_ref().map(|label| label.as_str()),
            "auto_delete_secs": chat.auto_delete.map(|secs| secs.secs()),
        }));
        write.commit(record, Stale::Nothing).await?;
        self.view(membership, id).await
    }

    /// Adds a member of the organization to a group (its creator or a `chats:manage`
    /// holder); one already in it is a conflict on `user_id`.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), chat_id = %id))]
    pub async fn add_chat_member(
        &self,
        membership: &Membership,
        id: ChatId,
        user: UserId,
        client: &ClientInfo,
    ) -> Result<ChatView> {
        let mut write = TenantWrite::begin(&self.core, membership, Permission::ChatsUse, client).await?;
        let chat = chat_of_member(write.conn(), membership, id).await?;
        require_group(chat.kind)?;
        require_manager(membership, &chat)?;
        require_members(write.conn(), write.tenant(), &[(user, "user_id".to_owned())]).await?;
        if !store::add_member(write.conn(), write.tenant(), id, user, write.now()).await? {
            return Err(ServiceError::Conflict { fields: &["user_id"] });
        }
        write.publish(self.core.signal(SignalKind::MemberAdded(at(membership, id), user))).await?;
        let record =
            Record::new(AuditAction::ChatMemberAdded, Target::Chat(id)).details(json!({ "user_id": user.to_string() }));
        write.commit(record, Stale::Nothing).await?;
        self.view(membership, id).await
    }

    /// Removes a member from a group: anyone may remove themselves; the creator or a
    /// `chats:manage` holder may remove anyone.
    #[tracing::instrument(skip_all, fields(organization_id = %membership.organization_id(), chat_id = %id))]
    pub async fn remove_chat_member(
        &self,
        membership: &Membership,
        id: ChatId,
        user: UserId,
        client: &ClientInfo,
    ) -> Result<()> {
        let mut write = TenantWrite::begin(&self.core, membership, Permission::ChatsUse, client).await?;
        let chat = chat_of_member(write.conn(), membership, id).await?;
        require_group(chat.kind)?;
        if user != membership.user_id() {
            require_manager(membership, &chat)?;
        }
        if !store::remove_member(write.conn(), write.tenant(), id, user).await? {
            return Err(ServiceError::NotFound { entity: MEMBER });
        }
        write.publish(self.core.signal(SignalKind::MemberRemoved(at(membership, id), user))).await?;
        let record = Record::new(AuditAction::ChatMemberRemoved, Target::Chat(id))
            .details(json!({ "user_id": user.to_string(), "left": user == membership.user_id() }));
        write.commit(record, Stale::Nothing).await
    }

    /// Every member's read pointer.
    pub async fn receipts(&self, membership: &Membership, id: ChatId) -> Result<Vec<ChatMember>> {
        membership.require(Permission::ChatsUse)?;
        chat_of_member(self.core.db(), membership, id).await?;
        Ok(store::members(self.core.db(), membership.tenant(), id).await?)
    }

    /// The chat as the caller sees it, read after a write has committed.
    pub(super) async fn view(&self, membership: &Membership, id: ChatId) -> Result<ChatView> {
        let db = self.core.db();
        let chat = chat_of_member(db, membership, id).await?;
        let now = authdb_persistence::now();
        let members = store::members(db, membership.tenant(), id).await?;
        let last_message = store::last_message(db, membership.tenant(), id, now).await?;
        let unread_count = store::unread_count(db, membership.tenant(), id, membership.user_id(), now).await?;
        Ok(ChatView { chat, members, last_message, unread_count })
    }
}

fn invalid(field: impl Into<std::borrow::Cow<'static, str>>, message: &str) -> ServiceError {
    ServiceError::Invalid(vec![Violation::new(field, message.to_owned())])
}

/// Refuses users who are not members of the organization, naming each by its field.
async fn require_members(conn: &impl ConnectionTrait, tenant: TenantId, users: &[(UserId, String)]) -> Result<()> {
    let mut violations = Vec::new();
    for (user, field) in users {
        if memberships::find(conn, tenant, *user).await?.is_none() {
            violations.push(Violation::new(field.clone(), "is not a member of this organization"));
        }
    }
    if violations.is_empty() { Ok(()) } else { Err(ServiceError::Invalid(violations)) }
}

fn require_group(kind: ChatKind) -> Result<()> {
    match kind {
        ChatKind::Group => Ok(()),
        ChatKind::Direct => Err(ServiceError::StateConflict("a direct chat has no name and fixed members".into())),
    }
}

fn require_manager(membership: &Membership, chat: &authdb_domain::Chat) -> Result<()> {
    if may_manage(membership, chat) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden("only the chat's creator or a holder of chats:manage may do this".into()))
    }
}

/// A chat of the caller's organization, as realtime signals name it.
pub(super) fn at(membership: &Membership, chat: ChatId) -> ChatRef {
    ChatRef { organization: membership.organization_id(), chat }
}
