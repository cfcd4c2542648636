//! The shared core: what every service of one process shares, built once.

use std::{fmt, sync::Arc, time::Duration};

use authdb_persistence::{DatabaseConnection, WriteGate};

use crate::{
    Result,
    carrier::{Carrier, ChangeFeedCarrier, RealtimeRedis, RedisCarrier, presence::PresenceTask},
    outbox::{self, MailSetup, Outbox, OutboxTask},
    realtime::{self, Instance, SignalKind, dispatch::DispatchTask, hub::Hub},
    replica::{self, Change, FeedTask, RealtimeTap, Replica, ReplicaPolicy},
};

/// The database, the write gate, the replica state (revocation set, session and
/// membership caches, and the feed task that keeps them current) and the mail outbox
/// (its templates and the worker that sends what writes enqueue). Every service holds a
/// clone; none reaches another service through it. Cheap to clone.
#[derive(Clone)]
pub struct Core {
    inner: Arc<Inner>,
}

struct Inner {
    db: DatabaseConnection,
    writes: WriteGate,
    replica: Arc<Replica>,
    outbox: Outbox,
    /// This process's realtime sockets (`crate::realtime`).
    hub: Arc<Hub>,
    /// How realtime signals reach the other processes (`crate::carrier`).
    carrier: Arc<dyn Carrier>,
    /// Stops the presence heartbeats when the last clone of the core is dropped.
    _presence: PresenceTask,
    /// Stops the realtime dispatcher when the last clone of the core is dropped.
    _dispatch: DispatchTask,
    /// Stops the feed task when the last clone of the core is dropped.
    _feed: FeedTask,
    /// Stops the outbox worker likewise.
    _outbox: OutboxTask,
}

/// How long replica state is trusted, and how mail is sent.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// How long a cached session or membership is trusted without asking the database
    /// again (`auth.session_cache_ttl_ms`). Changes made by this process apply at once,
    /// changes made by another within milliseconds through the change feed; this bounds
    /// the delay should the feed fail. Zero turns the caches off.
    pub cache_ttl: Duration,
    /// How long after its revocation a session's access tokens may still verify (the
    /// access-token lifetime plus leeway, `JwtKeys::verifiable_for`): how long the
    /// revocation set must remember it.
    pub access_tokens_verifiable_for: time::Duration,
    /// The mail transport, templates and retry policy of the outbox worker.
    pub mail: MailSetup,
    /// How many events a realtime socket may have waiting before it is closed as too slow
    /// (`messaging.socket_queue`).
    pub socket_queue: usize,
    /// How often this process tells the others it is alive (`messaging.presence_heartbeat_secs`);
    /// a process not heard from for three of them has its users taken for offline.
    pub presence_heartbeat: Duration,
    /// Carry realtime signals on Redis pub/sub instead of the change feed.
    pub realtime_redis: Option<RealtimeRedis>,
}

/// A process not heard from for this many heartbeats is taken for dead.
const HEARTBEATS_TO_LIVE: u32 = 3;

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core").field("revoked_sessions", &self.inner.replica.revoked_len()).finish_non_exhaustive()
    }
}

impl Core {
    /// Loads the replica state and starts the feed task and the outbox worker. Must run
    /// inside a Tokio runtime.
    pub async fn start(db: DatabaseConnection, config: CoreConfig) -> Result<Self> {
        let policy =
            ReplicaPolicy { cache_ttl: config.cache_ttl, tokens_verifiable_for: config.access_tokens_verifiable_for };
        let instance = Instance(uuid::Uuid::now_v7());
        let (notices, heard) = realtime::notices();
        let hub = Arc::new(Hub::new(instance, config.socket_queue, config.cache_ttl));
        let tap = RealtimeTap { instance, notices, hub: Arc::clone(&hub), overflowing: Default::default() };
        let (replica, feed) = replica::start(&db, policy, tap).await?;
        let heartbeat = config.presence_heartbeat.max(Duration::from_millis(100));
        let dispatch = realtime::start(db.clone(), Arc::clone(&hub), heartbeat * HEARTBEATS_TO_LIVE, heard);
        let carrier: Arc<dyn Carrier> = match config.realtime_redis {
            Some(redis) => Arc::new(RedisCarrier::start(redis, Arc::clone(&replica), Arc::clone(&hub))?),
            None => Arc::new(ChangeFeedCarrier::new(db.clone())),
        };
        let presence = crate::carrier::presence::start(Arc::clone(&hub), Arc::clone(&carrier), heartbeat);
        let writes = WriteGate::new(db.clone());
        let (outbox, outbox_task) = outbox::start(db.clone(), writes.clone(), config.mail);
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                writes,
                replica,
                outbox,
                hub,
                carrier,
                _presence: presence,
                _dispatch: dispatch,
                _feed: feed,
                _outbox: outbox_task,
            }),
        })
    }

    /// The connection pool, for reads outside any transaction.
    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    /// How many revoked sessions this process holds in memory.
    pub fn revocation_set_len(&self) -> usize {
        self.inner.replica.revoked_len()
    }

    pub(crate) fn writes(&self) -> &WriteGate {
        &self.inner.writes
    }

    pub(crate) fn replica(&self) -> &Replica {
        &self.inner.replica
    }

    pub(crate) fn outbox(&self) -> &Outbox {
        &self.inner.outbox
    }

    pub(crate) fn hub(&self) -> &Hub {
        &self.inner.hub
    }

    pub(crate) fn carrier(&self) -> &dyn Carrier {
        &*self.inner.carrier
    }

    /// A realtime change raised by this process, to publish in a write.
    pub(crate) fn signal(&self, kind: SignalKind) -> Change {
        Change::Realtime(realtime::Signal { origin: self.inner.hub.instance(), kind })
    }

    /// Announces a realtime signal that changes no row (typing, presence): to the other
    /// processes at once through the carrier (outside any transaction), and to this one.
    pub(crate) async fn announce(&self, kind: SignalKind) -> Result<()> {
        let signal = realtime::Signal { origin: self.inner.hub.instance(), kind };
        self.inner.carrier.send(signal).await?;
        self.inner.replica.apply(&Change::Realtime(signal), authdb_persistence::now());
        Ok(())
    }
}
