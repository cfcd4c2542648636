use authdb_tests::{Backend, PASSWORD, spawn_app};
use futures_util::future::join_all;
use serde_json::{Value, json};

async fn register_returns_201_with_user_and_tokens(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app.register("  Alice@Example.COM ", "Alice_1", PASSWORD).await;

    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let text = response.text().await.unwrap();
    assert!(!text.contains("$2b$"), "no password hash in responses");
    assert!(!text.contains(PASSWORD), "no password in responses");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["refresh_token"].as_str().unwrap().len(), 43);
    assert_eq!(body["user"]["email"], "alice@example.com");
    assert_eq!(body["user"]["username"], "Alice_1");
    assert_eq!(body["user"]["is_active"], true);
    assert_eq!(body["user"]["is_superuser"], false);
    assert!(body["user"].get("password_hash").is_none());
    let me = app.me(body["access_token"].as_str().unwrap()).await;
    assert_eq!(me.status(), 200);
}

async fn register_stores_an_optional_full_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"email": "b@example.com", "username": "bob", "password": PASSWORD, "full_name": " Bob B "});

    let response = app.post_json("/api/v1/auth/register", &body).await;

    assert_eq!(response.status(), 201);
    assert_eq!(response.json::<Value>().await.unwrap()["user"]["full_name"], "Bob B");
}

async fn register_refuses_a_taken_email_regardless_of_case(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;

    let response = app.register("ALICE@example.com", "someone_else", PASSWORD).await;

    assert_eq!(response.status(), 409);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], 409);
    assert_eq!(conflicting_fields(&body), ["email"], "{body}");
    assert_eq!(body["detail"], "email is already taken");
}

async fn register_refuses_a_taken_username_regardless_of_case(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;

    let response = app.register("other@example.com", "ALICE", PASSWORD).await;

    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert_eq!(conflicting_fields(&body), ["username"], "{body}");
    assert_eq!(body["detail"], "username is already taken");
}

async fn register_names_both_fields_when_the_email_and_the_username_are_taken(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    app.register_ok("bob").await;

    let same_account = app.register("Alice@Example.com", "alice", PASSWORD).await;
    let two_accounts = app.register("bob@example.com", "Alice", PASSWORD).await;

    for response in [same_account, two_accounts] {
        assert_eq!(response.status(), 409);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(conflicting_fields(&body), ["email", "username"], "{body}");
        assert_eq!(body["detail"], "email and username are already taken");
    }
    assert_eq!(app.login("alice@example.com", PASSWORD).await.status(), 200, "nothing was changed");
}

/// The `field` of every entry of a problem's `errors`.
fn conflicting_fields(problem: &Value) -> Vec<&str> {
    problem["errors"].as_array().unwrap().iter().map(|error| error["field"].as_str().unwrap()).collect()
}

async fn register_names_every_invalid_field(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app.register("not-an-email", "ab", "weak").await;

    assert_eq!(response.status(), 422);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: Value = response.json().await.unwrap();
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["email", "username", "password"]);
    for key in ["type", "title", "status", "detail"] {
        assert!(body.get(key).is_some(), "problem has {key}");
    }
}

async fn register_refuses_passwords_over_72_bytes_instead_of_truncating(backend: Backend) {
    let app = spawn_app(backend).await;
    // 38 characters but 73 bytes of UTF-8.
    let password = format!("Aa1{}", "é".repeat(35));

    let response = app.register("long@example.com", "long", &password).await;

    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "password");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("72 bytes"));
}

async fn a_password_of_exactly_72_bytes_registers_and_logs_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let password = format!("Aa1{}x", "é".repeat(34));
    assert_eq!(password.len(), 72);

    assert_eq!(app.register("edge@example.com", "edge", &password).await.status(), 201);

    assert_eq!(app.login("edge", &password).await.status(), 200);
    let mut truncated = password.clone();
    truncated.pop();
    assert_eq!(app.login("edge", &truncated).await.status(), 401);
}

async fn concurrent_registrations_with_one_email_create_exactly_one_account(backend: Backend) {
    let app = spawn_app(backend).await;

    let usernames: Vec<String> = (0..16).map(|i| format!("racer{i}")).collect();
    let attempts = usernames.iter().map(|username| app.register("race@example.com", username, PASSWORD));
    let statuses: Vec<u16> = join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();

    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 15, "{statuses:?}");
}

fn conflict_on_email(status: u16, body: &Value) {
    assert_eq!(status, 409, "{body}");
    assert_eq!(conflicting_fields(body), ["email"], "{body}");
    assert_eq!(body["detail"], "email is already taken", "{body}");
}

/// An address that only looks like a registered one (TR39 confusable skeleton) gets the
/// same 409 as the address itself; two spellings of one address (composed or decomposed
/// accents) are one address.
async fn look_alike_emails_are_refused_like_the_same_email(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("bob").await;
    let composed = app.register("jos\u{e9}@example.com", "jose", PASSWORD).await;
    assert_eq!(composed.status(), 201);

    for (email, username) in [
        ("b\u{43e}b@example.com", "cyrillic_o"),
        ("b\u{3bf}b@example.com", "greek_omicron"),
        ("jose\u{301}@example.com", "decomposed"),
        ("JOS\u{c9}@example.com", "upper_case"),
    ] {
        let response = app.register(email, username, PASSWORD).await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        conflict_on_email(status, &body);
    }

    // The account registered with a composed accent logs in with either spelling.
    assert_eq!(app.login("jose\u{301}@example.com", PASSWORD).await.status(), 200);
    assert_eq!(app.login("jos\u{e9}@example.com", PASSWORD).await.status(), 200);
}

/// Look-alike registrations racing each other: exactly one wins, whatever the backend.
async fn concurrent_look_alike_registrations_create_exactly_one_account(backend: Backend) {
    let app = spawn_app(backend).await;

    // The 16 spellings of `oooo@example.com` with a Latin or a Cyrillic `o` in each place.
    let emails: Vec<String> = (0..16_u32)
        .map(|bits| {
            let local: String = (0..4).map(|place| if bits & (1 << place) == 0 { 'o' } else { '\u{43e}' }).collect();
            format!("{local}@example.com")
        })
        .collect();
    let app = &app;
    let attempts = emails.iter().enumerate().map(|(i, email)| async move {
        let response = app.register(email, &format!("look{i}"), PASSWORD).await;
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    });
    let answers = join_all(attempts).await;

    assert_eq!(answers.iter().filter(|(status, _)| *status == 201).count(), 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(status, _)| *status != 201) {
        conflict_on_email(*status, body);
    }
}

/// Invisible format characters (zero-width spaces, joiners, bidirectional marks) would
/// make one address display as another; bidirectional controls in a name reorder the
/// text shown after it.
async fn invisible_characters_in_emails_and_bidi_controls_in_names_are_422(backend: Backend) {
    let app = spawn_app(backend).await;

    // The last: characters whose skeleton is long text (U+FDFA looks like an 18-character
    // phrase), more than an index entry holds.
    let long_skeleton = format!("a@{}.com", "\u{fdfa}".repeat(60));
    for email in ["bob\u{200b}@example.com", "b\u{feff}ob@example.com", "bob@exa\u{2060}mple.com", &long_skeleton] {
        let response = app.register(email, "bob", PASSWORD).await;
        assert_eq!(response.status(), 422, "{email:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], "email", "{body}");
    }

    let response = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "ada@example.com", "username": "ada", "password": PASSWORD, "full_name": "Ada\u{202e}ecalevol"}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "full_name", "{body}");

    let tokens = app.register_ok("ada").await;
    let response = app.patch_me(&tokens.access_token, &json!({"full_name": "\u{2067}Ada\u{2069}"})).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "full_name", "{body}");
    // Right-to-left scripts are names like any other.
    let response = app.patch_me(&tokens.access_token, &json!({"full_name": "\u{5d3}\u{5d5}\u{5d3}"})).await;
    assert_eq!(response.status(), 200);
}

on_both_backends!(
    look_alike_emails_are_refused_like_the_same_email,
    concurrent_look_alike_registrations_create_exactly_one_account,
    invisible_characters_in_emails_and_bidi_controls_in_names_are_422,
    register_returns_201_with_user_and_tokens,
    register_stores_an_optional_full_name,
    register_refuses_a_taken_email_regardless_of_case,
    register_refuses_a_taken_username_regardless_of_case,
    register_names_both_fields_when_the_email_and_the_username_are_taken,
    register_names_every_invalid_field,
    register_refuses_passwords_over_72_bytes_instead_of_truncating,
    a_password_of_exactly_72_bytes_registers_and_logs_in,
    concurrent_registrations_with_one_email_create_exactly_one_account,
);
