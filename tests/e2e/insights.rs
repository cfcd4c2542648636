//! The dashboard's data (`InsightsService`), seeded through the API and read through the
//! service layer the console calls, on both backends: sign-ins per hour and day (the
//! caller's, an organization's members', the platform's), the inventory by criticality,
//! type and port, unread messages, the permission refusals and an empty organization.

use authdb_domain::{AssetType, AuditAction, AuditOutcome, Criticality, OrganizationId, UserId};
use authdb_persistence::audit::{self, NewAuditEvent};
use authdb_service::{InsightsService, Membership, Principal, ServiceError, Services, SignInActivity};
use authdb_tests::{Backend, TestApp, Tokens, spawn_app};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

on_both_backends!(
    sign_ins_are_counted_per_hour_and_day_for_each_view,
    the_inventory_is_counted_by_criticality_type_and_port,
    unread_messages_sum_the_chat_lists_counts,
    an_empty_organization_has_every_bucket_at_zero,
    the_dashboard_index_migration_goes_down_and_up_again,
);

/// The services of another instance on the app's database, as the console holds them.
async fn services(app: &TestApp) -> Services {
    let (_db, services, _) = authdb_server::build_services(&app.settings, false).await.unwrap();
    services
}

async fn principal(services: &Services, tokens: &Tokens) -> Principal {
    services.auth.authenticate(&tokens.access_token).await.unwrap()
}

async fn membership(services: &Services, tokens: &Tokens, organization: &str) -> Membership {
    let principal = principal(services, tokens).await;
    let id: OrganizationId = organization.parse().unwrap();
    services.organizations.resolve(&principal, id).await.unwrap()
}

fn totals(activity: &SignInActivity) -> ((u64, u64), (u64, u64)) {
    assert_eq!(activity.hourly.len(), 24);
    assert_eq!(activity.daily.len(), 30);
    (activity.last_24_hours(), activity.last_30_days())
}

async fn record(app: &TestApp, actor: Option<&Tokens>, action: AuditAction, at: OffsetDateTime) {
    let event = NewAuditEvent {
        actor: actor.map(|tokens| tokens.user_id().parse::<UserId>().unwrap()),
        organization: None,
        action,
        target: None,
        ip: None,
        user_agent: None,
        outcome: AuditOutcome::Failure,
        details: json!({}),
    };
    audit::record(&app.database().await, event, at).await.unwrap();
}

async fn sign_ins_are_counted_per_hour_and_day_for_each_view(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let carol = app.register_ok("carol").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &org, &bob, "member").await;
    let services = services(&app).await;
    let insights: &InsightsService = &services.insights;
    let alice_principal = principal(&services, &alice).await;
    let before = totals(&insights.my_sign_ins(&alice_principal).await.unwrap());

    // Alice: two sign-ins and three wrong passwords now; bob one wrong password; carol
    // (no member) and an unknown account fail too.
    app.login_ok("alice").await;
    app.login_ok("alice").await;
    for _ in 0..3 {
        assert_eq!(app.login("alice", "wrong-password-1A!").await.status(), 401);
    }
    assert_eq!(app.login("bob", "wrong-password-1A!").await.status(), 401);
    assert_eq!(app.login("carol", "wrong-password-1A!").await.status(), 401);
    assert_eq!(app.login("nobody@example.com", "wrong-password-1A!").await.status(), 401);
    // Older events, written as the server writes them: a refused second factor three
    // days ago counts as a failure of that day; one 40 days ago is outside both axes.
    let now = authdb_persistence::now();
    record(&app, Some(&alice), AuditAction::MfaFailed, now - Duration::days(3)).await;
    record(&app, Some(&alice), AuditAction::LoginFailed, now - Duration::days(40)).await;

    let mine = insights.my_sign_ins(&alice_principal).await.unwrap();
    let ((day_in, day_out), (month_in, month_out)) = totals(&mine);
    assert_eq!((day_in - before.0.0, day_out - before.0.1), (2, 3));
    assert_eq!((month_in - before.1.0, month_out - before.1.1), (2, 4));
    let three_days_ago = &mine.daily[26];
    assert_eq!(three_days_ago.failed, 1, "{:?}", mine.daily);
    assert_eq!(three_days_ago.start.unix_timestamp() % 86_400, 0, "days start at midnight UTC");
    let current = mine.hourly[23].start;
    assert!(current <= now && now - current < Duration::hours(1), "the last hour is the current one");
    assert_eq!(mine.daily[29].start.date(), now.date());

    // The organization's view: its members' own sign-ins (alice and bob), not carol's
    // nor the unknown account's; owners and admins only.
    let owner = membership(&services, &alice, &org).await;
    let members = totals(&insights.organization_sign_ins(&owner).await.unwrap());
    let (bob_tokens_day, _) = totals(&insights.my_sign_ins(&principal(&services, &bob).await).await.unwrap());
    assert_eq!(members.0, (day_in + bob_tokens_day.0, day_out + bob_tokens_day.1));
    assert_eq!(bob_tokens_day.1, 1);
    let member = membership(&services, &bob, &org).await;
    assert!(matches!(insights.organization_sign_ins(&member).await, Err(ServiceError::Forbidden(_))));

    // The platform's view: superusers only, and it counts everyone, unknown accounts too.
    let bob_principal = principal(&services, &bob).await;
    assert!(matches!(insights.platform_sign_ins(&bob_principal).await, Err(ServiceError::Forbidden(_))));
    let root = app.promote_to_superuser("carol").await;
    let root_principal = principal(&services, &root).await;
    let platform = totals(&insights.platform_sign_ins(&root_principal).await.unwrap());
    assert!(platform.0.1 >= members.0.1 + 2, "carol's and the unknown account's failures: {platform:?}");
    let dashboard = insights.dashboard(&root_principal, None).await.unwrap();
    assert!(dashboard.platform_sign_ins.is_some() && dashboard.organization.is_none());
    let _ = carol;
}

async fn asset(app: &TestApp, token: &str, org: &str, ip: &str, asset_type: &str, criticality: &str) -> String {
    let assets = format!("/api/v1/organizations/{org}/assets");
    let created = app
        .post(&assets, token, &json!({"ip_address": ip, "asset_type": asset_type, "criticality": criticality}))
        .await;
    assert_eq!(created.status(), 201, "{ip}");
    let created: Value = created.json().await.unwrap();
    format!("{assets}/{}/services", created["id"].as_str().unwrap())
}

async fn the_inventory_is_counted_by_criticality_type_and_port(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let vera = app.register_ok("vera").await;
    let mallory = app.register_ok("mallory").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    let other = app.create_organization_ok(&mallory.access_token, "other").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &org, &vera, "viewer").await;
    let token = &alice.access_token;
    // Twelve hosts: 22/tcp open on all, 443/tcp on eight, 80 on six (one closed), and
    // one port each from 1000 to 1011: fifteen ports, so five go to "other".
    for host in 0..12u16 {
        let (kind, criticality) = match host % 3 {
            0 => ("server", "critical"),
            1 => ("router", "low"),
            _ => ("iot", "medium"),
        };
        let services = asset(&app, token, &org, &format!("10.0.0.{}", host + 1), kind, criticality).await;
        let mut ports = vec![(22, "open"), (1000 + host, "open")];
        if host < 8 {
            ports.push((443, "open"));
        }
        if host < 7 {
            ports.push((80, if host == 0 { "closed" } else { "open" }));
        }
        for (port, state) in ports {
            let created = app.post(&services, token, &json!({"port": port, "protocol": "tcp", "state": state})).await;
            assert_eq!(created.status(), 201);
        }
    }
    // Another organization's assets count for it alone.
    let theirs = asset(&app, &mallory.access_token, &other, "10.9.9.9", "server", "critical").await;
    app.post(&theirs, &mallory.access_token, &json!({"port": 22, "protocol": "tcp"})).await;
    let services = services(&app).await;

    let inventory = services.insights.inventory(&membership(&services, &alice, &org).await).await.unwrap();

    assert_eq!(inventory.assets, 12);
    assert_eq!(
        inventory.by_criticality,
        [(Criticality::Critical, 4), (Criticality::High, 0), (Criticality::Medium, 4), (Criticality::Low, 4)]
    );
    assert_eq!(inventory.by_type.len(), AssetType::ALL.len());
    let of_type = |wanted| inventory.by_type.iter().find(|(t, _)| *t == wanted).unwrap().1;
    assert_eq!((of_type(AssetType::Server), of_type(AssetType::Router), of_type(AssetType::Iot)), (4, 4, 4));
    assert_eq!(of_type(AssetType::Laptop), 0);
    let top: Vec<(u16, u64)> = inventory.open_ports.top.iter().map(|(port, n)| (port.value(), *n)).collect();
    assert_eq!(
        top,
        [(22, 12), (443, 8), (80, 6), (1000, 1), (1001, 1), (1002, 1), (1003, 1), (1004, 1), (1005, 1), (1006, 1)]
    );
    assert_eq!((inventory.open_ports.other, inventory.open_ports.total), (5, 38));

    // Sixteen dashboards at once (the console's page loads): the same answer, no error.
    let owner = membership(&services, &alice, &org).await;
    let alice_principal = principal(&services, &alice).await;
    let answers =
        futures_util::future::join_all((0..16).map(|_| services.insights.dashboard(&alice_principal, Some(&owner))))
            .await;
    for answer in answers {
        assert_eq!(answer.unwrap().organization.unwrap().inventory.as_ref(), Some(&inventory));
    }

    // A viewer reads the inventory but not the members' sign-ins nor chats; the dashboard
    // leaves out what the role does not allow.
    let viewer = membership(&services, &vera, &org).await;
    assert_eq!(services.insights.inventory(&viewer).await.unwrap(), inventory);
    assert!(matches!(services.insights.unread_messages(&viewer).await, Err(ServiceError::Forbidden(_))));
    let dashboard = services.insights.dashboard(&principal(&services, &vera).await, Some(&viewer)).await.unwrap();
    let section = dashboard.organization.unwrap();
    assert_eq!(section.inventory.as_ref(), Some(&inventory));
    assert_eq!((section.member_sign_ins, section.unread), (None, None));
    assert!(dashboard.platform_sign_ins.is_none());
    // Someone outside the organization never gets a membership to ask with.
    let outsider = principal(&services, &mallory).await;
    let refused = services.organizations.resolve(&outsider, org.parse().unwrap()).await;
    assert!(matches!(refused, Err(ServiceError::NotFound { .. })), "{refused:?}");
}

async fn unread_messages_sum_the_chat_lists_counts(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let carol = app.register_ok("carol").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &org, &bob, "member").await;
    app.add_member_ok(&alice.access_token, &org, &carol, "member").await;
    let chats = format!("/api/v1/organizations/{org}/chats");
    let direct: Value = app
        .post(&chats, &bob.access_token, &json!({"kind": "direct", "member_id": alice.user_id()}))
        .await
        .json()
        .await
        .unwrap();
    let group: Value = app
        .post(
            &chats,
            &carol.access_token,
            &json!({"kind": "group", "name": "Ops", "member_ids": [alice.user_id(), bob.user_id()]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let post = |chat: &Value, from: &Tokens, byte: u8| {
        let path = format!("{chats}/{}/messages", chat["id"].as_str().unwrap());
        let token = from.access_token.clone();
        let app = &app;
        async move {
            let response = app.post(&path, &token, &json!({"ciphertext": STANDARD.encode([byte; 4])})).await;
            assert_eq!(response.status(), 201);
            response.json::<Value>().await.unwrap()
        }
    };
    post(&direct, &bob, 1).await;
    post(&direct, &bob, 2).await;
    let third = post(&direct, &bob, 3).await;
    post(&group, &carol, 4).await;
    post(&group, &alice, 5).await;
    let services = services(&app).await;
    let alices = membership(&services, &alice, &org).await;

    let unread = services.insights.unread_messages(&alices).await.unwrap();

    assert_eq!((unread.messages, unread.chats), (4, 2), "one's own messages are not unread");
    let listed: Value = app.get(&chats, &alice.access_token).await.json().await.unwrap();
    let listed: u64 =
        listed["items"].as_array().unwrap().iter().map(|chat| chat["unread_count"].as_u64().unwrap()).sum();
    assert_eq!(listed, unread.messages, "the same count as the chat list");
    let read = format!("{chats}/{}/read", direct["id"].as_str().unwrap());
    assert_eq!(app.post(&read, &alice.access_token, &json!({"up_to": third["id"]})).await.status(), 200);
    let unread = services.insights.unread_messages(&alices).await.unwrap();
    assert_eq!((unread.messages, unread.chats), (1, 1));
    let bobs = services.insights.unread_messages(&membership(&services, &bob, &org).await).await.unwrap();
    assert_eq!((bobs.messages, bobs.chats), (2, 1));
}

async fn the_dashboard_index_migration_goes_down_and_up_again(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    asset(&app, &alice.access_token, &org, "10.0.0.1", "server", "high").await;
    let db = app.database().await;
    let names = authdb_persistence::migration_names();
    let ours = names.iter().position(|name| name.starts_with("m20261204_000040_")).unwrap();
    let steps = u32::try_from(names.len() - ours).unwrap();

    authdb_persistence::migrate_down(&db, Some(steps)).await.unwrap();
    let services = services(&app).await;
    let owner = membership(&services, &alice, &org).await;
    assert_eq!(services.insights.inventory(&owner).await.unwrap().assets, 1, "the counts need no index");
    authdb_persistence::migrate_up(&db).await.unwrap();

    assert_eq!(services.insights.inventory(&owner).await.unwrap().by_criticality[1], (Criticality::High, 1));
}

async fn an_empty_organization_has_every_bucket_at_zero(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let org = app.create_organization_ok(&alice.access_token, "empty").await["id"].as_str().unwrap().to_owned();
    let services = services(&app).await;
    let owner = membership(&services, &alice, &org).await;

    let dashboard = services.insights.dashboard(&principal(&services, &alice).await, Some(&owner)).await.unwrap();

    let section = dashboard.organization.unwrap();
    let inventory = section.inventory.unwrap();
    assert_eq!(inventory.assets, 0);
    assert!(inventory.by_criticality.iter().all(|(_, n)| *n == 0) && inventory.by_criticality.len() == 4);
    assert!(inventory.by_type.iter().all(|(_, n)| *n == 0));
    assert!(inventory.open_ports.top.is_empty());
    assert_eq!((inventory.open_ports.other, inventory.open_ports.total), (0, 0));
    let unread = section.unread.unwrap();
    assert_eq!((unread.messages, unread.chats), (0, 0));
    // Alice's registration is her only sign-in (if registering counts as one), never a failure.
    let members = section.member_sign_ins.unwrap();
    assert_eq!(totals(&members).0.1, 0);
    assert_eq!(members.hourly.iter().map(|bucket| bucket.failed).sum::<u64>(), 0);
    assert!(dashboard.platform_sign_ins.is_none());
}

/// The aggregates at 100,000 assets (one open service each, on 40 ports) and 100,000
/// audit rows over 29 days (half the caller's, a quarter sign-ins, a quarter failures):
/// prints each call's median of 9 and the query plans. Not a pass/fail check; run with
/// `cargo test -p authdb-tests --test e2e -- --ignored insights_at_scale --nocapture`
/// (figures in docs/benchmarks.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: seeds 200,000 rows"]
async fn insights_at_scale() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        at_scale(backend).await;
    }
}

async fn at_scale(backend: Backend) {
    use sea_orm::{ConnectionTrait, Statement};

    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let bob = app.register_ok("bob").await;
    let org = app.create_organization_ok(&alice.access_token, "big").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&alice.access_token, &org, &bob, "member").await;
    let network: Value = app
        .post(&format!("/api/v1/organizations/{org}/networks"), &alice.access_token, &json!({"name": "lan"}))
        .await
        .json()
        .await
        .unwrap();
    let scans = format!("/api/v1/organizations/{org}/networks/{}/scans", network["id"].as_str().unwrap());
    for chunk in 0..10u32 {
        let hosts: Vec<Value> = (0..10_000u32)
            .map(|index| {
                let n = chunk * 10_000 + index;
                json!({"ip": format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255), "status": "up",
                       "services": [{"port": 1 + n % 40, "protocol": "tcp", "state": "open"}]})
            })
            .collect();
        let imported = app.post(&scans, &alice.access_token, &json!({"hosts": hosts})).await;
        assert_eq!(imported.status(), 201, "{}", imported.text().await.unwrap());
    }
    let db = app.database().await;
    let spread = "UPDATE assets SET criticality = CASE abs(ip_sort_hash) % 4 WHEN 0 THEN 'low' WHEN 1 THEN 'medium' \
                  WHEN 2 THEN 'high' ELSE 'critical' END, asset_type = CASE abs(ip_sort_hash) % 3 WHEN 0 THEN 'server' \
                  WHEN 1 THEN 'iot' ELSE 'workstation' END";
    let (spread, seed) = match backend {
        Backend::Sqlite => (
            spread.replace("ip_sort_hash", "random()"),
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100000) \
             INSERT INTO audit_events (id, actor_id, organization_id, action, outcome, details, occurred_at) \
             SELECT randomblob(16), CASE WHEN n % 2 = 0 THEN $1 ELSE NULL END, NULL, \
             CASE n % 4 WHEN 0 THEN 'login.succeeded' WHEN 1 THEN 'login.failed' ELSE 'session.revoked' END, \
             'success', '{}', strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || (n * 25) || ' seconds') FROM g"
                .to_owned(),
        ),
        Backend::Postgres => (
            spread.replace("ip_sort_hash", "hashtext(id::text)"),
            "INSERT INTO audit_events (id, actor_id, organization_id, action, outcome, details, occurred_at) \
             SELECT gen_random_uuid(), CASE WHEN n % 2 = 0 THEN $1::uuid ELSE NULL END, NULL, \
             CASE n % 4 WHEN 0 THEN 'login.succeeded' WHEN 1 THEN 'login.failed' ELSE 'session.revoked' END, \
             'success', '{}', now() - n * interval '25 seconds' FROM generate_series(1, 100000) AS n"
                .to_owned(),
        ),
    };
    let sea_backend = db.get_database_backend();
    db.execute_unprepared(&spread).await.unwrap();
    let alice_id: uuid::Uuid = alice.user_id().parse().unwrap();
    db.execute_raw(Statement::from_sql_and_values(sea_backend, seed, [alice_id.into()])).await.unwrap();
    // A small organization beside the big one: what most tenants of a shared table are.
    let small = app.create_organization_ok(&bob.access_token, "small").await["id"].as_str().unwrap().to_owned();
    let small_services = asset(&app, &bob.access_token, &small, "10.200.0.1", "server", "high").await;
    app.post(&small_services, &bob.access_token, &json!({"port": 22, "protocol": "tcp"})).await;
    let analyze: &[&str] = if backend == Backend::Sqlite {
        &["ANALYZE"]
    } else {
        &["VACUUM ANALYZE assets", "VACUUM ANALYZE services", "VACUUM ANALYZE audit_events"]
    };
    for statement in analyze {
        db.execute_unprepared(statement).await.unwrap();
    }

    let services = services(&app).await;
    let me = principal(&services, &alice).await;
    let owner = membership(&services, &alice, &org).await;
    let root = principal(&services, &app.promote_to_superuser("bob").await).await;
    let insights = &services.insights;
    macro_rules! median {
        ($name:literal, $call:expr) => {{
            let mut took = Vec::new();
            for _ in 0..9 {
                let started = std::time::Instant::now();
                $call.await.unwrap();
                took.push(started.elapsed());
            }
            took.sort();
            eprintln!("{backend:?} {}: median {:?} (min {:?}, max {:?})", $name, took[4], took[0], took[8]);
        }};
    }
    median!("my_sign_ins", insights.my_sign_ins(&me));
    median!("organization_sign_ins", insights.organization_sign_ins(&owner));
    median!("platform_sign_ins", insights.platform_sign_ins(&root));
    median!("inventory", insights.inventory(&owner));
    median!("unread_messages", insights.unread_messages(&owner));
    median!("dashboard", insights.dashboard(&me, Some(&owner)));
    let inventory = insights.inventory(&owner).await.unwrap();
    assert_eq!((inventory.assets, inventory.open_ports.total), (100_000, 100_000));

    let explain =
        if backend == Backend::Sqlite { "EXPLAIN QUERY PLAN" } else { "EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF)" };
    let org_id: uuid::Uuid = org.parse().unwrap();
    let small_id: uuid::Uuid = small.parse().unwrap();
    let hour = if backend == Backend::Sqlite {
        "(CAST(strftime('%s', occurred_at) AS INTEGER) / 3600)"
    } else {
        "CAST(FLOOR(EXTRACT(EPOCH FROM occurred_at) / 3600) AS BIGINT)"
    };
    let since = authdb_persistence::now() - Duration::days(30);
    let queries: Vec<(&str, String, Vec<sea_orm::Value>)> = vec![
        (
            "sign-ins of one actor",
            format!(
                "SELECT {hour}, action, COUNT(id) FROM audit_events WHERE occurred_at >= $1 AND actor_id = $2 \
                     AND action IN ('login.succeeded', 'login.failed', 'mfa.failed') GROUP BY 1, 2"
            ),
            vec![since.into(), alice_id.into()],
        ),
        (
            "sign-ins of the platform",
            format!(
                "SELECT {hour}, action, COUNT(id) FROM audit_events WHERE occurred_at >= $1 \
                     AND action IN ('login.succeeded', 'login.failed', 'mfa.failed') GROUP BY 1, 2"
            ),
            vec![since.into()],
        ),
        (
            "assets by criticality",
            "SELECT criticality, COUNT(*) FROM assets WHERE organization_id = $1 GROUP BY criticality".to_owned(),
            vec![org_id.into()],
        ),
        (
            "assets by criticality of the small organization",
            "SELECT criticality, COUNT(*) FROM assets WHERE organization_id = $1 GROUP BY criticality".to_owned(),
            vec![small_id.into()],
        ),
        (
            "open services by port of the small organization",
            "SELECT port, COUNT(*) FROM services WHERE organization_id = $1 AND state = 'open' GROUP BY port \
             ORDER BY COUNT(*) DESC, port LIMIT 10"
                .to_owned(),
            vec![small_id.into()],
        ),
        (
            "open services by port",
            "SELECT port, COUNT(*) FROM services WHERE organization_id = $1 AND state = 'open' GROUP BY port \
             ORDER BY COUNT(*) DESC, port LIMIT 10"
                .to_owned(),
            vec![org_id.into()],
        ),
    ];
    for (name, sql, values) in queries {
        let sql = if backend == Backend::Sqlite { sql.replace("$1", "?").replace("$2", "?") } else { sql };
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(sea_backend, format!("{explain} {sql}"), values))
            .await
            .unwrap();
        eprintln!("{backend:?} plan of {name}:");
        for row in rows {
            let line: String = if backend == Backend::Sqlite {
                row.try_get_by_index::<String>(3).unwrap_or_default()
            } else {
                row.try_get_by_index::<String>(0).unwrap_or_default()
            };
            eprintln!("    {line}");
        }
    }
}
