//! The presence task: this instance's heartbeats, and its online users again whenever
//! another instance needs them (see `crate::realtime`'s hub for the rules).

use std::{sync::Arc, time::Duration};

use tokio::task::JoinHandle;

use super::Carrier;
use crate::realtime::{Signal, SignalKind, hub::Hub};

/// Aborts the presence task when the core that owns it is dropped.
#[derive(Debug)]
pub(crate) struct PresenceTask(JoinHandle<()>);

impl Drop for PresenceTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sends a heartbeat every `every` (the first at once, asking the others for their online
/// users), and this instance's online users whenever the hub asks.
pub(crate) fn start(hub: Arc<Hub>, carrier: Arc<dyn Carrier>, every: Duration) -> PresenceTask {
    PresenceTask(tokio::spawn(run(hub, carrier, every)))
}

async fn run(hub: Arc<Hub>, carrier: Arc<dyn Carrier>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut first = true;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = hub.sync.woken() => {}
        }
        let (announce_mine, ask_others) = hub.sync.take();
        let origin = hub.instance();
        if announce_mine {
            for user in hub.local_users() {
                send(&*carrier, Signal { origin, kind: SignalKind::Presence(user, true) }).await;
            }
        }
        send(&*carrier, Signal { origin, kind: SignalKind::Heartbeat(ask_others || first) }).await;
        first = false;
    }
}

async fn send(carrier: &dyn Carrier, signal: Signal) {
    if let Err(error) = carrier.send(signal).await {
        metrics::counter!("authdb_realtime_carrier_errors_total", "op" => "presence").increment(1);
        tracing::debug!(error = %crate::error_chain(&error), "a presence signal could not be sent");
    }
}
