//! Service clients: superusers register them, they obtain access tokens with the client
//! credentials grant (a stock OAuth2 client, and by hand for every error), and their
//! tokens are never taken for a user's.

use authdb_persistence::entities::audit_events;
use authdb_tests::{Backend, TestApp, Tokens, claims_of, spawn_app, spawn_app_with};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use oauth2::{
    AuthType, ClientId, ClientSecret, Scope, TokenResponse as _, TokenUrl,
    basic::{BasicClient, BasicErrorResponseType},
};
use reqwest::Response;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

const TOKEN_PATH: &str = "/api/v1/auth/token";
const CLIENTS: &str = "/api/v1/admin/clients";

/// A superuser's tokens.
async fn superuser(app: &TestApp) -> Tokens {
    app.register_ok("root").await;
    app.promote_to_superuser("root").await
}

/// Registers a client with `scopes`; answers its id and secret.
async fn create_client(app: &TestApp, admin: &Tokens, scopes: &[&str]) -> (String, String) {
    let response = app.post(CLIENTS, &admin.access_token, &json!({ "name": "billing", "scopes": scopes })).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    (body["client_id"].as_str().unwrap().to_owned(), body["client_secret"].as_str().unwrap().to_owned())
}

fn basic(id: &str, secret: &str) -> String {
    let encode = |value: &str| form_urlencoded(&[(value, "")]).trim_end_matches('=').to_owned();
    format!("Basic {}", STANDARD.encode(format!("{}:{}", encode(id), encode(secret))))
}

fn form_urlencoded(form: &[(&str, &str)]) -> String {
    let mut serializer = oauth2::url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in form {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

async fn token_request(app: &TestApp, authorization: Option<&str>, form: &[(&str, &str)]) -> Response {
    let mut request = app
        .client
        .post(app.url(TOKEN_PATH))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_urlencoded(form));
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    request.send().await.unwrap()
}

/// A client token by form fields.
async fn client_token(app: &TestApp, id: &str, secret: &str) -> Response {
    token_request(app, None, &[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)])
        .await
}

/// Asserts an RFC 6749 error with its status and code.
async fn assert_oauth_error(response: Response, status: u16, error: &str, why: &str) -> reqwest::header::HeaderMap {
    assert_eq!(response.status(), status, "{why}");
    assert_eq!(response.headers()["cache-control"], "no-store", "{why}");
    let headers = response.headers().clone();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{why}: {body}");
    assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{why}: {body}");
    headers
}

async fn audit_actions(app: &TestApp, prefix: &str) -> Vec<(String, String, Option<String>)> {
    let db = app.database().await;
    audit_events::Entity::find()
        .filter(audit_events::Column::Action.starts_with(prefix))
        .order_by_asc(audit_events::Column::Id)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|event| (event.action, event.outcome, event.target))
        .collect()
}

async fn a_superuser_registers_lists_rotates_and_deletes_clients(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = superuser(&app).await;

    let response =
        app.post(CLIENTS, &admin.access_token, &json!({ "name": "  billing  ", "scopes": ["revocations:read"] })).await;

    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store", "the secret is shown once and never cached");
    let created: Value = response.json().await.unwrap();
    let id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 43, "256 bits, base64url");
    assert_eq!(created["name"], "billing");
    assert_eq!(created["scopes"], json!(["revocations:read"]));
    assert_eq!(created["created_by"], admin.user_id());
    assert_eq!(created["last_used_at"], Value::Null);
    let (other_id, _) = create_client(&app, &admin, &["revocations:read"]).await;

    let listed: Value = app.get(&format!("{CLIENTS}?limit=1"), &admin.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 2);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["client_id"], id.as_str(), "oldest first");
    assert!(listed["items"][0].get("client_secret").is_none(), "a list never shows a secret");
    let fetched = app.get(&format!("{CLIENTS}/{id}"), &admin.access_token).await;
    assert_eq!(fetched.status(), 200);
    let fetched: Value = fetched.json().await.unwrap();
    assert!(fetched.get("client_secret").is_none());
    assert_eq!(fetched["name"], "billing");

    assert_eq!(client_token(&app, &id, &secret).await.status(), 200);
    let used: Value = app.get(&format!("{CLIENTS}/{id}"), &admin.access_token).await.json().await.unwrap();
    assert!(used["last_used_at"].is_string(), "a token request is recorded: {used}");

    let rotated = app.post(&format!("{CLIENTS}/{id}/secret"), &admin.access_token, &json!({})).await;
    assert_eq!(rotated.status(), 200);
    assert_eq!(rotated.headers()["cache-control"], "no-store");
    let rotated: Value = rotated.json().await.unwrap();
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert_eq!(rotated["client_id"], id.as_str());
    assert_oauth_error(client_token(&app, &id, &secret).await, 400, "invalid_client", "the old secret").await;
    assert_eq!(client_token(&app, &id, &new_secret).await.status(), 200, "the new secret works");

    let deleted = app.delete(&format!("{CLIENTS}/{id}"), &admin.access_token).await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.get(&format!("{CLIENTS}/{id}"), &admin.access_token).await.status(), 404);
    assert_eq!(app.delete(&format!("{CLIENTS}/{id}"), &admin.access_token).await.status(), 404);
    assert_eq!(app.post(&format!("{CLIENTS}/{id}/secret"), &admin.access_token, &json!({})).await.status(), 404);
    assert_oauth_error(client_token(&app, &id, &new_secret).await, 400, "invalid_client", "a deleted client").await;
    let listed: Value = app.get(CLIENTS, &admin.access_token).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["client_id"], other_id.as_str());

    let target = format!("client:{id}");
    let events: Vec<(String, String)> = audit_actions(&app, "client.")
        .await
        .into_iter()
        .filter(|(_, _, on)| on.as_deref() == Some(target.as_str()))
        .map(|(action, outcome, _)| (action, outcome))
        .collect();
    let expected = [
        ("client.created", "success"),
        ("client.token_issued", "success"),
        ("client.secret_rotated", "success"),
        ("client.authentication_failed", "failure"),
        ("client.token_issued", "success"),
        ("client.deleted", "success"),
        ("client.authentication_failed", "failure"),
    ];
    let events: Vec<(&str, &str)> = events.iter().map(|(a, o)| (a.as_str(), o.as_str())).collect();
    assert_eq!(events, expected);
}

async fn client_administration_is_for_superusers_and_checks_its_input(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = superuser(&app).await;
    let user = app.register_ok("alice").await;
    let (id, _) = create_client(&app, &admin, &["revocations:read"]).await;
    let body = json!({ "name": "x", "scopes": ["revocations:read"] });

    for (method, path) in [
        ("POST", CLIENTS.to_owned()),
        ("GET", CLIENTS.to_owned()),
        ("GET", format!("{CLIENTS}/{id}")),
        ("DELETE", format!("{CLIENTS}/{id}")),
        ("POST", format!("{CLIENTS}/{id}/secret")),
    ] {
        let anonymous = app.client.request(method.parse().unwrap(), app.url(&path)).json(&body).send().await.unwrap();
        assert_eq!(anonymous.status(), 401, "{method} {path} without a token");
        let response = app
            .client
            .request(method.parse().unwrap(), app.url(&path))
            .bearer_auth(&user.access_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{method} {path} by a user who is not a superuser");
    }
    assert_eq!(app.get(&format!("{CLIENTS}/{id}"), &admin.access_token).await.status(), 200, "nothing was deleted");

    let unknown = app
        .post(CLIENTS, &admin.access_token, &json!({ "name": "x", "scopes": ["revocations:read", "admin", "x"] }))
        .await;
    assert_eq!(unknown.status(), 422);
    let problem: Value = unknown.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["scopes[1]", "scopes[2]"], "{problem}");
    let empty = app.post(CLIENTS, &admin.access_token, &json!({ "name": " ", "scopes": [] })).await;
    assert_eq!(empty.status(), 422);
    let problem: Value = empty.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "scopes"], "{problem}");
    let extra = app
        .post(CLIENTS, &admin.access_token, &json!({ "name": "x", "scopes": ["revocations:read"], "secret": "mine" }))
        .await;
    assert_eq!(extra.status(), 422, "a client cannot choose its secret");
    let missing = app.post(CLIENTS, &admin.access_token, &json!({ "name": "x" })).await;
    assert_eq!(missing.status(), 422);
    let bad_limit = app.get(&format!("{CLIENTS}?limit=0"), &admin.access_token).await;
    assert_eq!(bad_limit.status(), 422);

    let nobody = uuid::Uuid::now_v7();
    assert_eq!(app.get(&format!("{CLIENTS}/{nobody}"), &admin.access_token).await.status(), 404);
    assert_eq!(app.get(&format!("{CLIENTS}/not-a-uuid"), &admin.access_token).await.status(), 404);
    assert_eq!(app.delete(&format!("{CLIENTS}/{nobody}"), &admin.access_token).await.status(), 404);
}

/// oauth2's HTTP hook, over the reqwest the tests already use.
async fn send(client: reqwest::Client, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, reqwest::Error> {
    let (parts, body) = request.into_parts();
    let response = client.request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body).send().await?;
    let mut builder = oauth2::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let body = response.bytes().await?.to_vec();
    Ok(builder.body(body).unwrap())
}

async fn a_stock_oauth2_client_obtains_a_client_token_and_it_is_no_user(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = superuser(&app).await;
    let (id, secret) = create_client(&app, &admin, &["revocations:read"]).await;
    let http = |request| send(app.client.clone(), request);

    for auth_type in [AuthType::BasicAuth, AuthType::RequestBody] {
        let client = BasicClient::new(ClientId::new(id.clone()))
            .set_client_secret(ClientSecret::new(secret.clone()))
            .set_auth_type(auth_type.clone())
            .set_token_uri(TokenUrl::new(app.url(TOKEN_PATH)).unwrap());

        let token = client.exchange_client_credentials().request_async(&http).await.unwrap();

        assert_eq!(token.expires_in(), Some(std::time::Duration::from_secs(900)), "{auth_type:?}");
        assert!(token.refresh_token().is_none(), "no refresh token for a client");
        assert_eq!(token.scopes().map(|s| s[0].to_string()), Some("revocations:read".to_owned()));
        let claims = claims_of(token.access_token().secret());
        assert_eq!(claims["sub"], id.as_str());
        assert_eq!(claims["client_id"], id.as_str());
        assert_eq!(claims["scope"], "revocations:read");
        assert!(claims.get("sid").is_none(), "no session: {claims}");

        let asked = client
            .exchange_client_credentials()
            .add_scope(Scope::new("revocations:read".into()))
            .request_async(&http)
            .await
            .unwrap();
        assert_eq!(claims_of(asked.access_token().secret())["scope"], "revocations:read");

        match client.exchange_client_credentials().add_scope(Scope::new("admin".into())).request_async(&http).await {
            Err(oauth2::RequestTokenError::ServerResponse(error)) => {
                assert_eq!(*error.error(), BasicErrorResponseType::InvalidScope);
            }
            other => panic!("expected invalid_scope, got {other:?}"),
        }
        let wrong = BasicClient::new(ClientId::new(id.clone()))
            .set_client_secret(ClientSecret::new("wrong".into()))
            .set_auth_type(auth_type.clone())
            .set_token_uri(TokenUrl::new(app.url(TOKEN_PATH)).unwrap());
        match wrong.exchange_client_credentials().request_async(&http).await {
            Err(oauth2::RequestTokenError::ServerResponse(error)) => {
                assert_eq!(*error.error(), BasicErrorResponseType::InvalidClient);
            }
            other => panic!("expected invalid_client, got {other:?}"),
        }

        // A client is not a user: every user route refuses its token as an invalid one.
        let client_token = token.access_token().secret();
        for path in ["/api/v1/auth/me", "/api/v1/auth/sessions", "/api/v1/admin/users", "/api/v1/organizations"] {
            let response = app.get(path, client_token).await;
            assert_eq!(response.status(), 401, "{path}");
            assert_eq!(response.headers()["www-authenticate"], r#"Bearer error="invalid_token""#, "{path}");
        }
        let response = app.post("/api/v1/auth/logout", client_token, &json!({})).await;
        assert_eq!(response.status(), 401, "a client has no session to log out");
    }
}

async fn every_client_credentials_error_answers_as_rfc_6749_says(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = superuser(&app).await;
    let (id, secret) = create_client(&app, &admin, &["revocations:read"]).await;
    let grant = ("grant_type", "client_credentials");

    let ok = token_request(&app, Some(&basic(&id, &secret)), &[grant]).await;
    assert_eq!(ok.status(), 200, "the baseline by Basic");

    let headers = assert_oauth_error(
        token_request(&app, Some(&basic(&id, "wrong")), &[grant]).await,
        401,
        "invalid_client",
        "a wrong secret by Basic",
    )
    .await;
    assert!(headers["www-authenticate"].to_str().unwrap().starts_with("Basic"), "Basic was used: a Basic challenge");
    let headers = assert_oauth_error(
        token_request(&app, None, &[grant, ("client_id", &id), ("client_secret", "wrong")]).await,
        400,
        "invalid_client",
        "a wrong secret by form fields",
    )
    .await;
    assert!(headers.get("www-authenticate").is_none());
    let nobody = uuid::Uuid::now_v7().to_string();
    assert_oauth_error(client_token(&app, &nobody, &secret).await, 400, "invalid_client", "an unknown client").await;
    assert_oauth_error(client_token(&app, "billing", &secret).await, 400, "invalid_client", "a malformed id").await;
    assert_oauth_error(
        token_request(&app, Some(&basic(&nobody, &secret)), &[grant]).await,
        401,
        "invalid_client",
        "an unknown client by Basic",
    )
    .await;
    let headers =
        assert_oauth_error(token_request(&app, None, &[grant]).await, 401, "invalid_client", "no client").await;
    assert!(headers["www-authenticate"].to_str().unwrap().starts_with("Basic"), "says how to authenticate");
    assert_oauth_error(
        token_request(&app, None, &[grant, ("client_id", &id)]).await,
        400,
        "invalid_client",
        "a client id without a secret",
    )
    .await;
    assert_oauth_error(
        token_request(&app, None, &[grant, ("client_secret", &secret)]).await,
        401,
        "invalid_client",
        "a secret without a client id",
    )
    .await;
    assert_oauth_error(
        token_request(&app, Some(&basic(&id, &secret)), &[grant, ("client_secret", &secret)]).await,
        400,
        "invalid_request",
        "Basic and client_secret at once",
    )
    .await;
    assert_oauth_error(
        token_request(&app, Some(&basic(&id, &secret)), &[grant, ("client_id", &nobody)]).await,
        400,
        "invalid_request",
        "a form client_id that is not the Basic one",
    )
    .await;
    assert_eq!(
        token_request(&app, Some(&basic(&id, &secret)), &[grant, ("client_id", &id)]).await.status(),
        200,
        "the same client_id in the form is allowed"
    );
    for (header, why) in [
        ("Basic !!!".to_owned(), "not base64"),
        (format!("Basic {}", STANDARD.encode("no-colon")), "no colon"),
        (format!("Basic {}", STANDARD.encode(format!(":{secret}"))), "an empty id"),
        (format!("Basic {}", STANDARD.encode(format!("{id}:a=b"))), "an unescaped ="),
        ("Basic".to_owned(), "no credentials"),
        (format!("Bearer {secret}"), "another scheme"),
    ] {
        assert_oauth_error(token_request(&app, Some(&header), &[grant]).await, 400, "invalid_request", why).await;
    }
    assert_oauth_error(
        token_request(&app, None, &[grant, ("client_id", &id), ("client_secret", &"x".repeat(257))]).await,
        400,
        "invalid_request",
        "an overlong secret",
    )
    .await;
    assert_oauth_error(
        token_request(&app, None, &[grant, ("client_id", &id), ("client_secret", &secret), ("client_secret", &secret)])
            .await,
        400,
        "invalid_request",
        "a repeated secret",
    )
    .await;
    for scope in ["admin", "revocations:read admin", "revocations:write"] {
        assert_oauth_error(
            token_request(&app, None, &[grant, ("client_id", &id), ("client_secret", &secret), ("scope", scope)]).await,
            400,
            "invalid_scope",
            scope,
        )
        .await;
    }
    let organization = uuid::Uuid::now_v7().to_string();
    assert_oauth_error(
        token_request(
            &app,
            None,
            &[grant, ("client_id", &id), ("client_secret", &secret), ("organization_id", &organization)],
        )
        .await,
        400,
        "invalid_request",
        "organization_id with a client",
    )
    .await;

    // Percent-escaped Basic credentials (RFC 6749 section 2.3.1) are decoded.
    let escaped = format!("Basic {}", STANDARD.encode(format!("{}:{}", id.replace('-', "%2D"), secret)));
    assert_eq!(token_request(&app, Some(&escaped), &[grant]).await.status(), 200, "escaped id");
}

async fn wrong_client_secrets_are_throttled_like_passwords(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.lockout_base_delay_secs = 30).await;
    let admin = superuser(&app).await;
    let (id, secret) = create_client(&app, &admin, &["revocations:read"]).await;
    let (other, other_secret) = create_client(&app, &admin, &["revocations:read"]).await;

    for attempt in 0..5 {
        let response = client_token(&app, &id, "wrong").await;
        assert_eq!(response.status(), 400, "attempt {attempt} is judged");
    }
    let locked = client_token(&app, &id, &secret).await;

    assert_eq!(locked.status(), 429, "locked: even the right secret is not checked");
    assert!(locked.headers().contains_key("retry-after"));
    let locked = token_request(&app, Some(&basic(&id, &secret)), &[("grant_type", "client_credentials")]).await;
    assert_eq!(locked.status(), 429, "the lock is per client id, whatever the method");
    assert_eq!(client_token(&app, &other, &other_secret).await.status(), 200, "another client is not locked");
    let lockouts = audit_actions(&app, "login.locked_out").await;
    assert_eq!(lockouts.len(), 1, "the lockout is audited like a login's: {lockouts:?}");
}

on_both_backends!(
    a_superuser_registers_lists_rotates_and_deletes_clients,
    client_administration_is_for_superusers_and_checks_its_input,
    a_stock_oauth2_client_obtains_a_client_token_and_it_is_no_user,
    every_client_credentials_error_answers_as_rfc_6749_says,
    wrong_client_secrets_are_throttled_like_passwords,
);
