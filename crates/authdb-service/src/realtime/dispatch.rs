//! The dispatcher: one task per process that turns notices from the replica into events
//! on this process's sockets.
//!
//! It reads notices in the order the replica applied them and handles one at a time: a
//! signal is resolved (its audience, from the per-chat cache of [`super::audience`] or
//! read once, and for a new message the message itself, carried in the notice when this
//! process posted it and read once otherwise) and queued, as one shared [`Delivery`], on
//! the audience's sockets here. When no socket here belongs to the audience, nothing is
//! loaded. Ended sessions do not come this way: the replica closes their sockets itself.
//!
//! Presence does not come through the queue either: the hub takes it in as the replica
//! applies it and keeps the changes not yet told, one per user; the dispatcher tells them
//! to the users' chat partners here in batches of [`PRESENCE_BATCH`], one read a batch.

use std::{collections::HashMap, sync::Arc, time::Duration};

use authdb_domain::UserId;
use authdb_persistence::{DatabaseConnection, chats, now};
use tokio::{sync::mpsc, task::JoinHandle};

use super::{
    audience::{Audience, Lookup},
    event::{Delivery, Event},
    hub::Hub,
    signal::{ChatRef, Notice, SignalKind},
};
use crate::Result;

/// Aborts the dispatcher when the core that owns it is dropped.
#[derive(Debug)]
pub(crate) struct DispatchTask(JoinHandle<()>);

impl Drop for DispatchTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How often instances not heard from are looked for.
const EXPIRE_EVERY: Duration = Duration::from_secs(1);

/// How many users' presence changes are told per read of their chat partners.
const PRESENCE_BATCH: usize = 500;

pub(crate) fn start(
    db: DatabaseConnection,
    hub: Arc<Hub>,
    presence_ttl: Duration,
    notices: mpsc::Receiver<Notice>,
) -> DispatchTask {
    DispatchTask(tokio::spawn(run(db, hub, presence_ttl, notices)))
}

async fn run(db: DatabaseConnection, hub: Arc<Hub>, presence_ttl: Duration, mut notices: mpsc::Receiver<Notice>) {
    let mut expiry = tokio::time::interval(EXPIRE_EVERY);
    expiry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let notice = tokio::select! {
            notice = notices.recv() => notice,
            () = hub.untold_waiting() => {
                if let Err(error) = tell_presence(&db, &hub).await {
                    metrics::counter!("authdb_realtime_dispatch_failures_total").increment(1);
                    tracing::warn!(error = %crate::error_chain(&error), "presence could not be delivered");
                }
                continue;
            }
            _ = expiry.tick() => {
                // The users of instances taken for dead go offline: told as any change.
                hub.expire(presence_ttl);
                continue;
            }
        };
        let Some(notice) = notice else { return };
        if let Err(error) = dispatch(&db, &hub, notice).await {
            metrics::counter!("authdb_realtime_dispatch_failures_total").increment(1);
            tracing::warn!(error = %crate::error_chain(&error), "a realtime event could not be delivered");
        }
    }
}

/// Tells the sockets here of a batch of presence changes: each to the user's chat
/// partners, from one read of all their partners.
async fn tell_presence(db: &DatabaseConnection, hub: &Hub) -> Result<()> {
    let changes = hub.take_untold(PRESENCE_BATCH);
    if changes.is_empty() || hub.is_empty() {
        return Ok(());
    }
    let users: Vec<UserId> = changes.iter().map(|(user, _)| *user).collect();
    let mut partners: HashMap<UserId, Vec<UserId>> = HashMap::new();
    for (user, partner) in chats::chat_partners_of(db, &users).await? {
        partners.entry(user).or_default().push(partner);
    }
    for (user, online) in changes {
        if let Some(partners) = partners.get(&user) {
            hub.deliver(partners, &Arc::new(Delivery::new(Event::Presence { user_id: user, online })));
        }
    }
    Ok(())
}

async fn dispatch(db: &DatabaseConnection, hub: &Hub, notice: Notice) -> Result<()> {
    let Notice { signal, message: carried } = notice;
    if hub.is_empty() {
        return Ok(());
    }
    let (at, extra) = match signal.kind {
        SignalKind::MessageCreated(at, _)
        | SignalKind::MessageDeleted(at, _)
        | SignalKind::ChatCreated(at)
        | SignalKind::ChatUpdated(at)
        | SignalKind::MessageRead(at, _, _)
        | SignalKind::MemberAdded(at, _) => (at, None),
        SignalKind::Typing(at, _) => (at, None),
        // The removed member hears of it too, although no longer in the chat.
        SignalKind::MemberRemoved(at, user) => (at, Some(user)),
        SignalKind::Presence(..) | SignalKind::Heartbeat(_) => return Ok(()),
    };
    let members = audience(db, hub, at).await?;
    let typist = match signal.kind {
        SignalKind::Typing(_, user) => Some(user),
        _ => None,
    };
    // Most events go to the members as cached; only these two change the list.
    let adjusted: Vec<UserId>;
    let audience: &[UserId] = if extra.is_some() || typist.is_some() {
        adjusted = members.members.iter().copied().chain(extra).filter(|user| Some(*user) != typist).collect();
        &adjusted
    } else {
        &members.members
    };
    if !hub.any_online(audience) {
        return Ok(());
    }
    let (organization_id, chat_id) = (at.organization, at.chat);
    let event = match signal.kind {
        SignalKind::MessageCreated(_, id) => match carried.filter(|message| message.id == id) {
            Some(message) => Event::MessageCreated { organization_id, chat_id, message },
            None => match chats::event_message(db, chat_id, id, now()).await? {
                Some(message) => Event::MessageCreated { organization_id, chat_id, message },
                // Deleted or expired before it could be announced: nothing to say.
                None => return Ok(()),
            },
        },
        SignalKind::MessageDeleted(_, message_id) => Event::MessageDeleted { organization_id, chat_id, message_id },
        SignalKind::MessageRead(_, user_id, up_to) => Event::MessageRead { organization_id, chat_id, user_id, up_to },
        SignalKind::Typing(_, user_id) => Event::Typing { organization_id, chat_id, user_id },
        SignalKind::ChatCreated(_) => Event::ChatCreated { organization_id, chat_id },
        SignalKind::ChatUpdated(_) => Event::ChatUpdated { organization_id, chat_id },
        SignalKind::MemberAdded(_, user_id) => Event::MemberAdded { organization_id, chat_id, user_id },
        SignalKind::MemberRemoved(_, user_id) => Event::MemberRemoved { organization_id, chat_id, user_id },
        SignalKind::Presence(..) | SignalKind::Heartbeat(_) => return Ok(()),
    };
    metrics::counter!("authdb_realtime_events_total", "type" => event.kind()).increment(1);
    hub.deliver(audience, &Arc::new(Delivery::new(event)));
    Ok(())
}

/// The chat's members: cached, or read once (and cached unless a write holds the chat).
async fn audience(db: &DatabaseConnection, hub: &Hub, at: ChatRef) -> Result<Arc<Audience>> {
    match hub.audiences.lookup(at.chat, at.organization) {
        Lookup::Cached(audience) => Ok(audience),
        Lookup::Read { store } => {
            let members = chats::event_audience(db, at.chat).await?;
            let audience = Arc::new(Audience { organization: at.organization, members });
            if let Some(read_in) = store {
                hub.audiences.store(read_in, at.chat, Arc::clone(&audience));
            }
            Ok(audience)
        }
    }
}
