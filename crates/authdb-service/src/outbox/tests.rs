//! The worker against a real SQLite database and a scripted transport.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration as StdDuration,
};

use authdb_domain::Email;
use authdb_persistence::{DatabaseConfig, DatabaseConnection, entities::outbox as rows};
use sea_orm::EntityTrait as _;
use tempfile::TempDir;

use super::*;
use crate::{
    Core, CoreConfig, MailError, MailFuture, MailTemplates, MailTemplatesConfig, mail_templates::Message, write::Write,
};

/// Answers each delivery with the next scripted answer (success once they run out) and
/// keeps what it was given.
#[derive(Debug, Default)]
struct ScriptedMailer {
    answers: Mutex<VecDeque<Result<(), MailError>>>,
    delivered: Mutex<Vec<OutgoingMail>>,
    calls: Mutex<usize>,
}

impl ScriptedMailer {
    fn answering(answers: impl IntoIterator<Item = Result<(), MailError>>) -> Arc<Self> {
        Arc::new(Self { answers: Mutex::new(answers.into_iter().collect()), ..Self::default() })
    }

    fn calls(&self) -> usize {
        *self.calls.lock().expect("lock")
    }
}

impl Mailer for ScriptedMailer {
    fn name(&self) -> &'static str {
        "scripted"
    }

    fn send<'a>(&'a self, mail: &'a OutgoingMail) -> MailFuture<'a> {
        Box::pin(async move {
            *self.calls.lock().expect("lock") += 1;
            let answer = self.answers.lock().expect("lock").pop_front().unwrap_or(Ok(()));
            if answer.is_ok() {
                self.delivered.lock().expect("lock").push(mail.clone());
            }
            answer
        })
    }
}

struct Fixture {
    core: Core,
    db: DatabaseConnection,
    _dir: TempDir,
}

async fn fixture(mailer: Arc<ScriptedMailer>, max_attempts: u32) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = DatabaseConfig {
        url: format!("sqlite://{}", dir.path().join("test.db").display()),
        max_connections: 5,
        min_connections: 1,
        connect_timeout: StdDuration::from_secs(5),
        acquire_timeout: StdDuration::from_secs(5),
        idle_timeout: None,
        max_lifetime: None,
    };
    let db = authdb_persistence::connect(&config).await.expect("connects");
    authdb_persistence::migrate_up(&db).await.expect("migrates");
    let templates = MailTemplates::load(MailTemplatesConfig {
        dir: None,
        product_name: "authdb".into(),
        link_base: "https://id.example.com".into(),
    })
    .expect("templates");
    let mail = MailSetup {
        mailer: Some(mailer),
        templates: Arc::new(templates),
        policy: OutboxPolicy {
            max_attempts,
            retry_base: time::Duration::seconds(1),
            poll_every: StdDuration::from_millis(50),
        },
    };
    let config = CoreConfig {
        cache_ttl: StdDuration::from_secs(1),
        access_tokens_verifiable_for: time::Duration::minutes(15),
        mail,
        socket_queue: 1024,
        presence_heartbeat: StdDuration::from_secs(5),
        realtime_redis: None,
    };
    let core = Core::start(db.clone(), config).await.expect("starts");
    Fixture { core, db, _dir: dir }
}

async fn enqueue(core: &Core, commit: bool) {
    let to = Email::parse("ada@example.com").expect("valid");
    let mut write = Write::begin(core).await.expect("begins");
    write.mail(Message::AccountExists { to: &to, username: "ada" }).await.expect("enqueued");
    if commit {
        write.commit().await.expect("commits");
    }
}

/// The outbox once every message is finished (or after ten seconds).
async fn finished(db: &DatabaseConnection) -> Vec<rows::Model> {
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(10);
    loop {
        let all = rows::Entity::find().all(db).await.expect("reads");
        if all.iter().all(|row| row.status != "pending") || tokio::time::Instant::now() > deadline {
            return all;
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_committed_message_is_sent_and_loses_its_bodies() {
    let mailer = ScriptedMailer::answering([]);
    let fx = fixture(Arc::clone(&mailer), 8).await;

    enqueue(&fx.core, true).await;

    let rows = finished(&fx.db).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "sent");
    assert_eq!(rows[0].attempts, 1);
    assert_eq!((rows[0].body_text.as_deref(), rows[0].body_html.as_deref()), (None, None));
    assert!(rows[0].finished_at.is_some() && rows[0].lease_id.is_none());
    let delivered = mailer.delivered.lock().expect("lock");
    assert_eq!(delivered[0].to.as_ref(), "ada@example.com");
    assert!(delivered[0].text.contains("https://id.example.com/reset-password"));
}

#[tokio::test]
async fn a_rolled_back_write_sends_nothing() {
    let mailer = ScriptedMailer::answering([]);
    let fx = fixture(Arc::clone(&mailer), 8).await;

    enqueue(&fx.core, false).await;
    tokio::time::sleep(StdDuration::from_millis(300)).await;

    assert!(rows::Entity::find().all(&fx.db).await.expect("reads").is_empty());
    assert_eq!(mailer.calls(), 0);
}

#[tokio::test]
async fn a_permanent_failure_gives_up_at_once() {
    let mailer = ScriptedMailer::answering([Err(MailError::Permanent("550 no such user".into()))]);
    let fx = fixture(Arc::clone(&mailer), 8).await;

    enqueue(&fx.core, true).await;

    let rows = finished(&fx.db).await;
    assert_eq!(rows[0].status, "failed");
    assert_eq!(rows[0].attempts, 1);
    assert!(rows[0].last_error.as_deref().is_some_and(|error| error.contains("550")), "{:?}", rows[0].last_error);
    assert_eq!(rows[0].body_text, None, "a failed message loses its bodies too");
    assert_eq!(mailer.calls(), 1);
}

#[tokio::test]
async fn transient_failures_are_retried_until_the_last_attempt() {
    let transient = || Err(MailError::Transient("421 try later".into()));
    let mailer = ScriptedMailer::answering([transient(), transient(), transient()]);
    let fx = fixture(Arc::clone(&mailer), 2).await;

    enqueue(&fx.core, true).await;

    let rows = finished(&fx.db).await;
    assert_eq!(rows[0].status, "failed", "given up after max_attempts");
    assert_eq!(rows[0].attempts, 2);
    assert_eq!(mailer.calls(), 2);
}

#[tokio::test]
async fn a_transient_failure_is_followed_by_a_delivery() {
    let mailer = ScriptedMailer::answering([Err(MailError::Transient("connection refused".into()))]);
    let fx = fixture(Arc::clone(&mailer), 8).await;

    enqueue(&fx.core, true).await;

    let rows = finished(&fx.db).await;
    assert_eq!(rows[0].status, "sent");
    assert_eq!(rows[0].attempts, 2);
    assert_eq!(mailer.delivered.lock().expect("lock").len(), 1, "delivered once");
}

#[test]
fn backoff_doubles_from_the_base_and_stops_at_six_hours() {
    let base = time::Duration::seconds(30);
    assert_eq!(backoff(base, 1), time::Duration::seconds(30));
    assert_eq!(backoff(base, 2), time::Duration::seconds(60));
    assert_eq!(backoff(base, 4), time::Duration::seconds(240));
    assert_eq!(backoff(base, 20), MAX_BACKOFF);
    assert_eq!(backoff(base, u32::MAX), MAX_BACKOFF);
}
