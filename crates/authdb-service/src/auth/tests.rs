//! Use cases against a real SQLite database in a temporary directory.

use std::time::Duration as StdDuration;

use authdb_auth::{JwtConfig, JwtKeys, PasswordHasher, RotationKey, SigningKeys};
use authdb_domain::{Email, Login, Password, PasswordPolicy, ProfileChanges, Username};
use authdb_persistence::{DatabaseConfig, DatabaseConnection};
use futures_util::future::join_all;
use secrecy::SecretString;
use tempfile::TempDir;
use time::Duration;

use super::*;
use crate::{ClientInfo, Core, CoreConfig, write::Write};

struct Fixture {
    core: Core,
    auth: AuthService,
    db: DatabaseConnection,
    keys: fn() -> JwtKeys,
    _dir: TempDir,
}

impl Fixture {
    /// Another core on the same database, as another process (or a restart) would start.
    async fn another_instance(&self) -> Core {
        Core::start(self.db.clone(), core_config((self.keys)())).await.expect("starts")
    }
}

fn test_keys() -> JwtKeys {
    JwtKeys::new(JwtConfig {
        keys: SigningKeys::Hs256(SecretString::from("0123456789abcdef0123456789abcdef".to_owned())),
        issuer: "test".into(),
        audience: "test".into(),
        access_ttl: Duration::minutes(15),
        leeway_secs: 0,
    })
    .expect("keys")
}

async fn fixture() -> Fixture {
    fixture_with_grace(Duration::seconds(10)).await
}

async fn fixture_with_grace(refresh_reuse_grace: Duration) -> Fixture {
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
    let policy = AuthPolicy {
        refresh_ttl: Duration::days(30),
        password: PasswordPolicy::default(),
        login_throttle: crate::LoginThrottlePolicy::default(),
        refresh_reuse_grace,
        max_sessions_per_user: 100,
        ..AuthPolicy::default()
    };
    let rotation = RotationKey::derive(&SecretString::from("rotation-test-secret".to_owned()));
    let core = Core::start(db.clone(), core_config(test_keys())).await.expect("starts");
    let auth = AuthService::new(core.clone(), PasswordHasher::new(4).expect("hasher"), test_keys(), rotation, policy);
    Fixture { core, auth, db, keys: test_keys, _dir: dir }
}

fn core_config(keys: JwtKeys) -> CoreConfig {
    CoreConfig {
        cache_ttl: StdDuration::from_secs(1),
        access_tokens_verifiable_for: keys.verifiable_for(),
        mail: mail_setup(),
        socket_queue: 1024,
        presence_heartbeat: StdDuration::from_secs(5),
        realtime_redis: None,
    }
}

/// No transport: what the use cases mail stays in the outbox, where a test can read it.
fn mail_setup() -> crate::MailSetup {
    let templates = crate::MailTemplates::load(crate::MailTemplatesConfig {
        dir: None,
        product_name: "authdb".into(),
        link_base: "http://localhost".into(),
    })
    .expect("templates");
    crate::MailSetup { mailer: None, templates: std::sync::Arc::new(templates), policy: crate::OutboxPolicy::default() }
}

fn password() -> Password {
    PasswordPolicy::default().parse("Secret123".into()).expect("valid")
}

fn registration(name: &str) -> Registration {
    Registration {
        email: Email::parse(&format!("{name}@example.com")).expect("valid"),
        username: Username::parse(name).expect("valid"),
        password: password(),
        full_name: None,
    }
}

fn attempt(login: &str, password: &str) -> LoginAttempt {
    LoginAttempt {
        login: Login::parse(login),
        password: SecretString::from(password.to_owned()),
        organization_id: None,
    }
}

#[tokio::test]
async fn a_registered_user_authenticates_with_the_issued_token() {
    let fx = fixture().await;
    let issued = fx
        .auth
        .register(registration("alice"), &ClientInfo::default())
        .await
        .expect("registers")
        .tokens()
        .expect("signed in");

    let principal = fx.auth.authenticate(&issued.access.token).await.expect("authenticates");

    assert_eq!(principal.user.id, issued.user.id);
    assert_eq!(principal.session_id, issued.access.claims.session_id());
}

#[tokio::test]
async fn unknown_login_and_wrong_password_are_the_same_error() {
    let fx = fixture().await;
    fx.auth
        .register(registration("alice"), &ClientInfo::default())
        .await
        .expect("registers")
        .tokens()
        .expect("signed in");

    let wrong = fx.auth.login(attempt("alice", "Wrong1234"), &ClientInfo::default()).await;
    let unknown = fx.auth.login(attempt("nobody", "Secret123"), &ClientInfo::default()).await;

    assert!(matches!(wrong, Err(ServiceError::InvalidCredentials)));
    assert!(matches!(unknown, Err(ServiceError::InvalidCredentials)));
}

fn refreshing(token: &str) -> RefreshAttempt<'_> {
    RefreshAttempt { refresh_token: token, organization_id: None }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_grace_window_exactly_one_of_concurrent_refreshes_wins() {
    let fx = fixture_with_grace(Duration::ZERO).await;
    let issued = fx
        .auth
        .register(registration("alice"), &ClientInfo::default())
        .await
        .expect("registers")
        .tokens()
        .expect("signed in");
    let token = issued.refresh.expose().to_owned();

    let client = ClientInfo::default();
    let results = join_all((0..8).map(|_| fx.auth.refresh(refreshing(&token), &client))).await;

    let winners = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(winners, 1);
    assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|e| matches!(e, ServiceError::InvalidRefreshToken)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn within_the_grace_window_concurrent_refreshes_share_one_successor() {
    let fx = fixture().await;
    let issued = fx
        .auth
        .register(registration("alice"), &ClientInfo::default())
        .await
        .expect("registers")
        .tokens()
        .expect("signed in");
    let token = issued.refresh.expose().to_owned();

    let client = ClientInfo::default();
    let results = join_all((0..8).map(|_| fx.auth.refresh(refreshing(&token), &client))).await;

    let successors: Vec<String> =
        results.into_iter().map(|r| r.expect("every refresh succeeds").refresh.into_string()).collect();
    assert!(successors.iter().all(|successor| *successor == successors[0]), "one successor for all");
    assert_ne!(successors[0], token);
    // The shared successor is live and rotates normally.
    fx.auth.refresh(refreshing(&successors[0]), &client).await.expect("the successor works");
}

#[tokio::test]
async fn revoking_all_sessions_of_a_user_refuses_their_tokens_at_once() {
    let fx = fixture().await;
    let client = ClientInfo::default();
    let first = fx.auth.register(registration("alice"), &client).await.expect("registers").tokens().expect("signed in");
    let second = fx.auth.login(attempt("alice", "Secret123"), &client).await.expect("logs in");
    for issued in [&first, &second] {
        fx.auth.authenticate(&issued.access.token).await.expect("authenticates (and is cached)");
    }

    let mut write = Write::begin(&fx.core).await.expect("begins");
    let revoked = revoke_user_sessions(&mut write, first.user.id, None, RevocationReason::AccountDeactivated).await;
    write.commit().await.expect("commits");

    assert_eq!(revoked.expect("revokes"), 2);
    assert_eq!(fx.core.revocation_set_len(), 2);
    let restarted = fx.another_instance().await;
    assert_eq!(restarted.revocation_set_len(), 2, "recent revocations are loaded at start");
    for issued in [&first, &second] {
        assert!(matches!(fx.auth.authenticate(&issued.access.token).await, Err(ServiceError::InvalidAccessToken)));
        assert!(matches!(
            fx.auth.refresh(refreshing(issued.refresh.expose()), &client).await,
            Err(ServiceError::InvalidRefreshToken)
        ));
    }
}

#[tokio::test]
async fn logout_revokes_the_session_for_authentication_and_refresh() {
    let fx = fixture().await;
    let issued = fx
        .auth
        .register(registration("alice"), &ClientInfo::default())
        .await
        .expect("registers")
        .tokens()
        .expect("signed in");
    let principal = fx.auth.authenticate(&issued.access.token).await.expect("authenticates");

    fx.auth.logout(&principal, &ClientInfo::default()).await.expect("logs out");

    assert!(matches!(fx.auth.authenticate(&issued.access.token).await, Err(ServiceError::InvalidAccessToken)));
    assert!(matches!(
        fx.auth.refresh(refreshing(issued.refresh.expose()), &ClientInfo::default()).await,
        Err(ServiceError::InvalidRefreshToken)
    ));
}

#[tokio::test]
async fn a_duplicate_superuser_is_a_conflict_and_changes_nothing() {
    let fx = fixture().await;
    let root = |username: &str| Registration {
        email: Email::parse("root@example.com").expect("valid"),
        username: Username::parse(username).expect("valid"),
        password: password(),
        full_name: None,
    };
    let first = fx.auth.create_superuser(root("root")).await;
    assert!(first.expect("created").is_superuser);

    let again = fx.auth.create_superuser(root("root2")).await;

    assert!(matches!(again, Err(ServiceError::Conflict { fields: ["email"] })));
    assert!(matches!(
        fx.auth.login(attempt("root2", "Secret123"), &ClientInfo::default()).await,
        Err(ServiceError::InvalidCredentials)
    ));
}

#[tokio::test]
async fn an_empty_profile_change_returns_the_user_unchanged() {
    let fx = fixture().await;
    let issued = fx
        .auth
        .register(registration("alice"), &ClientInfo::default())
        .await
        .expect("registers")
        .tokens()
        .expect("signed in");
    let principal = fx.auth.authenticate(&issued.access.token).await.expect("authenticates");

    let user = fx.auth.update_profile(&principal, ProfileChanges::default()).await.expect("updates");

    assert_eq!(user, principal.user);
}

#[tokio::test]
async fn a_verified_token_is_remembered_only_for_its_exact_text_and_its_lifetime() {
    let fx = fixture().await;
    let issued = fx
        .auth
        .register(registration("alice"), &ClientInfo::default())
        .await
        .expect("registers")
        .tokens()
        .expect("signed in");
    let token = issued.access.token.clone();

    let first = fx.auth.verify_access(&token).expect("verifies");
    let again = fx.auth.verify_access(&token).expect("verifies from the cache");
    assert_eq!(first.user_id(), again.user_id());
    assert!(fx.auth.inner.verified.get(token.as_str()).is_some(), "remembered");

    // Another text is verified on its own, and refused when it does not verify.
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    assert!(matches!(fx.auth.verify_access(&tampered), Err(ServiceError::InvalidAccessToken)));

    // A token that has expired is refused even if it was remembered while it was valid.
    let long_ago = time::OffsetDateTime::now_utc() - Duration::hours(1);
    let expired = test_keys().issue(issued.user.id, issued.access.claims.session_id(), long_ago).expect("signs");
    let cache = &fx.auth.inner.verified;
    cache.insert(cache.generation(), expired.token.as_str().into(), expired.claims.clone());
    assert!(matches!(fx.auth.verify_access(&expired.token), Err(ServiceError::InvalidAccessToken)));
}

#[test]
fn the_grace_window_runs_forward_from_the_recorded_use_only() {
    use time::OffsetDateTime;

    use super::refresh::within_grace;

    let now = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
    let grace = Duration::seconds(10);
    assert!(within_grace(grace, now, now));
    assert!(within_grace(grace, now - Duration::seconds(10), now));
    assert!(!within_grace(grace, now - Duration::seconds(11), now));
    assert!(!within_grace(grace, now + Duration::seconds(1), now), "a use recorded in the future");
    assert!(!within_grace(grace, now + Duration::days(365), now));
    assert!(!within_grace(Duration::ZERO, now, now), "no window at all");
}

/// A request dropped before its password was judged (the client went away) gives its
/// place among the attempts in flight back, without counting a failure.
#[tokio::test]
async fn an_abandoned_attempt_gives_its_place_back_without_a_failure() {
    use authdb_persistence::login_throttles;

    let fx = fixture().await;
    let login = Login::parse("alice");
    // No client address: counted under `ip:unknown`.
    let in_flight = || async {
        let now_ms = i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).expect("fits");
        login_throttles::pending(&fx.db, &["ip:unknown"], now_ms).await.expect("reads")
    };
    let claim = fx
        .auth
        .inner
        .throttle
        .claim(crate::login_throttle::Attempted::Login(&login), &ClientInfo::default())
        .await
        .expect("let through");
    assert_eq!(in_flight().await, [("ip:unknown".to_owned(), 1)]);

    drop(claim);

    let mut left = in_flight().await;
    for _ in 0..100 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
        left = in_flight().await;
    }
    assert!(left.is_empty(), "given back: {left:?}");
    let counters = login_throttles::peek(&fx.db, &["ip:unknown"]).await.expect("reads");
    assert!(counters.iter().all(|(_, counter)| counter.failures == 0), "no failure: {counters:?}");
}
