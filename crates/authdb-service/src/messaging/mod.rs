//! Encrypted messaging: an organization's chats and their opaque messages, one module
//! per resource, all methods of [`MessagingService`].
//!
//! Every use case takes the caller's [`crate::Membership`] and needs `chats:use`; a chat
//! the caller is not a member of is [`ServiceError::NotFound`], exactly like one that
//! does not exist. `chats:manage` lets a member manage any group and delete anyone's
//! message. Changes of a chat (created, renamed, configured, members) and a message
//! deleted by someone other than its sender are audited; posting, reading and a sender
//! deleting their own message are the chat's traffic and are not
//! ([`crate::write::TenantWrite::commit_unaudited`]). Message contents are never logged,
//! audited or looked into: they are bytes with a length.
//!
//! A background sweep ([`MessagingService::new`] starts it, dropping the last clone of
//! the service stops it) deletes expired messages in batches; until it does, reads skip
//! them by their `delete_at`.

mod chats;
mod messages;

use std::{sync::Arc, time::Duration};

use authdb_domain::{Chat, ChatId, Permission};
use authdb_persistence::chats as store;
use tokio::task::JoinHandle;

use crate::{Core, Result, ServiceError, membership::Membership, write::Write};

const CHAT: &str = "chat";

/// Chats and messages of organizations.
#[derive(Debug, Clone)]
pub struct MessagingService {
    core: Core,
    policy: MessagingPolicy,
    _sweep: Arc<SweepTask>,
}

/// Limits of messaging (`messaging.*` in the server's settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessagingPolicy {
    /// The largest ciphertext, in bytes once decoded.
    pub max_message_bytes: usize,
    /// The shortest auto-deletion a chat may ask for, in seconds.
    pub min_auto_delete_secs: u32,
    /// How often expired messages are deleted.
    pub sweep_interval: Duration,
    /// How many events a realtime socket may have waiting before it is closed as too slow.
    pub socket_queue: usize,
    /// How often a realtime socket is pinged; two unanswered pings close it.
    pub ping_interval: Duration,
    /// How often this instance tells the others it is alive; one not heard from for three
    /// heartbeats has its users taken for offline.
    pub presence_heartbeat: Duration,
}

impl Default for MessagingPolicy {
    fn default() -> Self {
        Self {
            max_message_bytes: 64 * 1024,
            min_auto_delete_secs: 60,
            sweep_interval: Duration::from_secs(10),
            socket_queue: 1024,
            ping_interval: Duration::from_secs(20),
            presence_heartbeat: Duration::from_secs(5),
        }
    }
}

/// How many expired messages one sweep transaction deletes at most.
const SWEEP_BATCH: u64 = 500;

impl MessagingService {
    /// Builds the service and starts its auto-deletion sweep. Must run inside a Tokio
    /// runtime.
    pub fn new(core: Core, policy: MessagingPolicy) -> Self {
        let sweep = SweepTask(tokio::spawn(sweep(core.clone(), policy.sweep_interval)));
        Self { core, policy, _sweep: Arc::new(sweep) }
    }

    pub fn policy(&self) -> MessagingPolicy {
        self.policy
    }

    /// Deletes every message past its `delete_at` now, in batches; answers how many.
    pub async fn delete_expired(&self) -> Result<u64> {
        delete_expired(&self.core).await
    }
}

/// The caller's chat, or not found when it does not exist or the caller is not in it.
async fn chat_of_member(
    conn: &impl authdb_persistence::ConnectionTrait,
    membership: &Membership,
    id: ChatId,
) -> Result<Chat> {
    store::find_for_member(conn, membership.tenant(), id, membership.user_id())
        .await?
        .ok_or(ServiceError::NotFound { entity: CHAT })
}

/// Whether the caller may manage this group: its creator, or a `chats:manage` holder.
fn may_manage(membership: &Membership, chat: &Chat) -> bool {
    chat.created_by == membership.user_id() || membership.permissions().contains(Permission::ChatsManage)
}

/// The sweep task; aborted when the last service holding it is dropped.
#[derive(Debug)]
struct SweepTask(JoinHandle<()>);

impl Drop for SweepTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn sweep(core: Core, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match delete_expired(&core).await {
            Ok(0) => {}
            Ok(deleted) => tracing::debug!(deleted, "expired chat messages deleted"),
            Err(error) => tracing::warn!(error = %crate::error_chain(&error), "the chat message sweep failed"),
        }
    }
}

async fn delete_expired(core: &Core) -> Result<u64> {
    let mut total = 0;
    loop {
        let write = Write::begin(core).await?;
        let deleted = store::delete_expired(write.conn(), write.now(), SWEEP_BATCH).await?;
        write.commit().await?;
        total += deleted;
        if deleted < SWEEP_BATCH {
            return Ok(total);
        }
    }
}
