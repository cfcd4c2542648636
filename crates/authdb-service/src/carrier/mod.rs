//! The carrier: how realtime signals travel between instances.
//!
//! One trait, [`Carrier`], two implementations:
//!
//! - [`ChangeFeedCarrier`] (the default): signals ride on the change feed, PostgreSQL
//!   `NOTIFY`, inside the transaction of the write that raised them (so an event exists
//!   exactly when its write committed), and are heard by the feed task
//!   (`crate::replica`). On SQLite there is one instance and nothing travels.
//! - [`RedisCarrier`] (when `AUTHDB__REDIS__URL` is set): signals are published on a Redis
//!   pub/sub channel right after the write commits (through a bounded queue and one
//!   publishing task, so a request never waits for Redis and signals keep their order),
//!   and a subscribing task hands what it hears to the replica. Redis offloads the
//!   fan-out traffic (typing, presence, messages) from the database.
//!
//! The presence task ([`presence`]) sends this instance's heartbeats and answers the
//! other instances' requests to announce its online users, over the carrier.
//!
//! What never moves to Redis: revoked sessions, account and membership changes. They
//! stay on the change feed in every configuration, published in their transaction and
//! caught up by the feed's poll, so a session ended on one instance closes its sockets on
//! every other even while Redis is down.
//!
//! Redis down: the publishing task drops what it cannot send (counted in
//! `authdb_realtime_carrier_errors_total`), the subscriber retries with exponential backoff
//! (100 ms doubling to 5 s, `authdb_realtime_carrier_reconnects_total`), and
//! `authdb_realtime_carrier_up` is 0. Sockets keep receiving the events raised on their
//! own instance; events from other instances are missed (clients catch up with
//! `after=`). Heartbeats stop arriving too, so after the presence time to live each
//! instance takes the others' users for offline; when Redis is back the instances hear
//! each other again and exchange their online users (`crate::realtime`).

pub(crate) mod presence;

use std::{fmt, future::Future, pin::Pin, sync::Arc, time::Duration};

use authdb_persistence::DatabaseConnection;
use futures_util::StreamExt as _;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::{sync::mpsc, task::JoinHandle};

use crate::{
    Result, ServiceError,
    realtime::{Signal, hub::Hub},
    replica::{Change, Replica},
};

/// What [`Carrier::send`] answers.
pub(crate) type CarrierFuture<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// How realtime signals reach the other instances.
pub(crate) trait Carrier: Send + std::marker::Sync + fmt::Debug {
    /// Whether the signals a write raises travel inside its transaction (`Write::publish`
    /// sends them); otherwise `Write::commit` hands them to [`Carrier::send`] after the
    /// commit.
    fn in_transaction(&self) -> bool;

    /// Sends a signal to the other instances outside any transaction: after a commit, or
    /// an announcement that changes no row (typing, presence, heartbeats).
    fn send(&self, signal: Signal) -> CarrierFuture<'_>;
}

/// The change feed (PostgreSQL `NOTIFY`; nothing on SQLite).
#[derive(Debug)]
pub(crate) struct ChangeFeedCarrier {
    db: DatabaseConnection,
}

impl ChangeFeedCarrier {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Carrier for ChangeFeedCarrier {
    fn in_transaction(&self) -> bool {
        true
    }

    fn send(&self, signal: Signal) -> CarrierFuture<'_> {
        Box::pin(async move { Change::Realtime(signal).publish(&self.db).await })
    }
}

/// Where the Redis carrier connects.
#[derive(Clone)]
pub struct RealtimeRedis {
    /// `redis://[user:password@]host:port[/db]`.
    pub url: String,
    /// The pub/sub channel every instance of one deployment shares (`redis.channel`).
    pub channel: String,
    /// The longest a connection attempt or a publish may take.
    pub timeout: Duration,
}

impl fmt::Debug for RealtimeRedis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealtimeRedis")
            .field("url", &"<redacted>")
            .field("channel", &self.channel)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// How many signals may wait for the publishing task; more are dropped (and counted)
/// rather than held while Redis is slow or away.
const OUTGOING_QUEUE: usize = 16_384;
/// The first and the longest wait between reconnection attempts of the subscriber.
const BACKOFF_FIRST: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// How often a failing Redis is reported in the log (it is counted every time).
const WARN_EVERY: Duration = Duration::from_secs(10);

/// Redis pub/sub: see the module documentation.
#[derive(Debug)]
pub(crate) struct RedisCarrier {
    outgoing: mpsc::Sender<String>,
    _publisher: AbortOnDrop,
    _subscriber: AbortOnDrop,
}

#[derive(Debug)]
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl RedisCarrier {
    /// Starts the publishing and the subscribing task. Connections are made by the tasks:
    /// a Redis that is away at start is handled like one that goes away later.
    pub(crate) fn start(config: RealtimeRedis, replica: Arc<Replica>, hub: Arc<Hub>) -> Result<Self> {
        let client =
            redis::Client::open(config.url.as_str()).map_err(|error| ServiceError::Unavailable(Box::new(error)))?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.timeout))
            .set_response_timeout(Some(config.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_lazy_with_config(client.clone(), manager_config)
            .map_err(|error| ServiceError::Unavailable(Box::new(error)))?;
        let (outgoing, queued) = mpsc::channel(OUTGOING_QUEUE);
        let publisher = tokio::spawn(publish(connection, config.channel.clone(), config.timeout, queued));
        let subscriber = tokio::spawn(subscribe(client, config, replica, hub));
        Ok(Self { outgoing, _publisher: AbortOnDrop(publisher), _subscriber: AbortOnDrop(subscriber) })
    }
}

impl Carrier for RedisCarrier {
    fn in_transaction(&self) -> bool {
        false
    }

    fn send(&self, signal: Signal) -> CarrierFuture<'_> {
        if self.outgoing.try_send(Change::Realtime(signal).encode()).is_err() {
            metrics::counter!("authdb_realtime_carrier_dropped_total").increment(1);
        }
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Publishes queued signals in order, one at a time.
async fn publish(
    mut connection: ConnectionManager,
    channel: String,
    timeout: Duration,
    mut queued: mpsc::Receiver<String>,
) {
    let mut last_warning: Option<tokio::time::Instant> = None;
    while let Some(payload) = queued.recv().await {
        let mut command = redis::cmd("PUBLISH");
        command.arg(&channel).arg(payload);
        let sent = tokio::time::timeout(timeout, command.query_async::<i64>(&mut connection)).await;
        let error = match sent {
            Ok(Ok(_)) => continue,
            Ok(Err(error)) => error.to_string(),
            Err(_) => "no answer within the timeout".to_owned(),
        };
        metrics::counter!("authdb_realtime_carrier_errors_total", "op" => "publish").increment(1);
        if last_warning.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
            last_warning = Some(tokio::time::Instant::now());
            tracing::warn!(error, "a realtime signal could not be published on Redis; other instances miss it");
        }
    }
}

/// Follows the channel, reconnecting with backoff, and hands every signal to the replica.
async fn subscribe(client: redis::Client, config: RealtimeRedis, replica: Arc<Replica>, hub: Arc<Hub>) {
    let mut backoff = BACKOFF_FIRST;
    let mut connected_before = false;
    metrics::gauge!("authdb_realtime_carrier_up").set(0.0);
    loop {
        let subscribed = tokio::time::timeout(config.timeout * 4, async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&config.channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        })
        .await;
        let mut pubsub = match subscribed {
            Ok(Ok(pubsub)) => pubsub,
            failed => {
                let error = match failed {
                    Ok(Err(error)) => error.to_string(),
                    _ => "no answer within the timeout".to_owned(),
                };
                metrics::counter!("authdb_realtime_carrier_errors_total", "op" => "subscribe").increment(1);
                tracing::debug!(error, ?backoff, "realtime carrier (Redis) not reachable; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
                continue;
            }
        };
        backoff = BACKOFF_FIRST;
        metrics::gauge!("authdb_realtime_carrier_up").set(1.0);
        if connected_before {
            metrics::counter!("authdb_realtime_carrier_reconnects_total").increment(1);
            tracing::info!("realtime carrier (Redis) reconnected");
        }
        connected_before = true;
        // Whatever was said while this instance was not listening is lost: exchange online
        // users with every other instance again.
        hub.sync.request_full();
        let mut messages = pubsub.on_message();
        while let Some(message) = messages.next().await {
            let Ok(payload) = std::str::from_utf8(message.get_payload_bytes()) else { continue };
            match Change::decode(payload) {
                Some(change @ Change::Realtime(_)) => replica.apply_heard(&change, authdb_persistence::now()),
                // Only realtime signals travel here; anything else is not trusted.
                _ => tracing::debug!("ignoring an unknown payload on the realtime channel"),
            }
        }
        metrics::gauge!("authdb_realtime_carrier_up").set(0.0);
        tracing::warn!("realtime carrier (Redis) lost its connection; reconnecting");
        tokio::time::sleep(backoff).await;
    }
}
