//! The OAuth2 token endpoint: a real OAuth2 client library signs in and refreshes, and
//! every error answers as RFC 6749 section 5.2 says.

use authdb_persistence::entities::{sessions, users};
use authdb_tests::{Backend, PASSWORD, TestApp, spawn_app, spawn_app_with};
use oauth2::{
    AuthType, ClientId, EndpointNotSet, EndpointSet, RefreshToken, RequestTokenError, ResourceOwnerPassword,
    ResourceOwnerUsername, Scope, TokenResponse as _, TokenUrl,
    basic::{BasicClient, BasicErrorResponseType, BasicTokenType},
};
use reqwest::Response;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::Value;

const TOKEN_PATH: &str = "/api/v1/auth/token";

type Client = BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn oauth_client(app: &TestApp, client_id: &str) -> Client {
    BasicClient::new(ClientId::new(client_id.to_owned()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(TokenUrl::new(app.url(TOKEN_PATH)).unwrap())
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

async fn post_form(app: &TestApp, form: &[(&str, &str)]) -> Response {
    let body = form_urlencoded(form);
    app.client
        .post(app.url(TOKEN_PATH))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

fn form_urlencoded(form: &[(&str, &str)]) -> String {
    let mut serializer = oauth2::url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in form {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

/// Asserts an RFC 6749 error: status, JSON (not problem+json) body, `error` code and a
/// description, and no caching.
async fn assert_oauth_error(response: Response, status: u16, error: &str, why: &str) -> Value {
    assert_eq!(response.status(), status, "{why}");
    assert_eq!(response.headers()["content-type"], "application/json", "{why}");
    assert_eq!(response.headers()["cache-control"], "no-store", "{why}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{why}: {body}");
    assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{why}: {body}");
    body
}

async fn session_client_ids(app: &TestApp) -> Vec<Option<String>> {
    let db = app.database().await;
    sessions::Entity::find().all(&db).await.unwrap().into_iter().map(|session| session.client_id).collect()
}

async fn an_oauth2_client_signs_in_and_refreshes(backend: Backend) {
    let app = spawn_app(backend).await;
    let registered = app.register_ok("alice").await;
    let client = oauth_client(&app, "my-spa");
    let http = |request| send(app.client.clone(), request);

    let token = client
        .exchange_password(&ResourceOwnerUsername::new("alice".into()), &ResourceOwnerPassword::new(PASSWORD.into()))
        .add_scope(Scope::new("profile".into()))
        .request_async(&http)
        .await
        .unwrap();

    assert_eq!(*token.token_type(), BasicTokenType::Bearer);
    assert_eq!(token.expires_in(), Some(std::time::Duration::from_secs(900)));
    assert_eq!(token.scopes().map(|s| s[0].to_string()), Some("profile".to_owned()), "scope is echoed");
    let me = app.me(token.access_token().secret()).await;
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<Value>().await.unwrap()["id"], registered.user["id"]);
    let mut client_ids = session_client_ids(&app).await;
    client_ids.sort();
    assert_eq!(client_ids, [None, Some("my-spa".to_owned())], "the client is recorded on its session");
    let listed = app.sessions_ok(token.access_token().secret()).await;
    let current = listed.iter().find(|session| session["current"] == true).unwrap();
    assert_eq!(current["client_id"], "my-spa", "and shown in the session list");

    let first_refresh = token.refresh_token().unwrap().clone();
    let refreshed = client.exchange_refresh_token(&first_refresh).request_async(&http).await.unwrap();

    assert_ne!(refreshed.refresh_token().unwrap().secret(), first_refresh.secret(), "rotated");
    assert_eq!(app.me(refreshed.access_token().secret()).await.status(), 200);
    // A retry of the spent token inside the grace window gets the same successor.
    let retried = client.exchange_refresh_token(&first_refresh).request_async(&http).await.unwrap();
    assert_eq!(retried.refresh_token().unwrap().secret(), refreshed.refresh_token().unwrap().secret());
}

async fn a_replayed_refresh_token_is_invalid_grant_and_ends_the_session(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.auth.refresh_reuse_grace_secs = 0).await;
    app.register_ok("alice").await;
    let client = oauth_client(&app, "my-spa");
    let http = |request| send(app.client.clone(), request);
    let token = client
        .exchange_password(&ResourceOwnerUsername::new("alice".into()), &ResourceOwnerPassword::new(PASSWORD.into()))
        .request_async(&http)
        .await
        .unwrap();
    let first_refresh = token.refresh_token().unwrap().clone();
    let refreshed = client.exchange_refresh_token(&first_refresh).request_async(&http).await.unwrap();

    match client.exchange_refresh_token(&first_refresh).request_async(&http).await {
        Err(RequestTokenError::ServerResponse(error)) => {
            assert_eq!(*error.error(), BasicErrorResponseType::InvalidGrant);
        }
        other => panic!("expected invalid_grant, got {other:?}"),
    }
    assert_eq!(app.me(refreshed.access_token().secret()).await.status(), 401, "reuse ends the session");
}

async fn the_password_grant_takes_an_email_and_works_without_client_id(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;

    let response =
        post_form(&app, &[("grant_type", "password"), ("username", "Alice@Example.com"), ("password", PASSWORD)]).await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: Value = response.json().await.unwrap();
    let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["access_token", "expires_in", "refresh_token", "token_type"]);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(app.me(body["access_token"].as_str().unwrap()).await.status(), 200);
    // The JSON refresh and the token endpoint share one rotation chain.
    assert_eq!(app.refresh(body["refresh_token"].as_str().unwrap()).await.status(), 200);
}

async fn wrong_credentials_and_tokens_are_invalid_grant(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;

    for (why, form) in [
        ("wrong password", vec![("grant_type", "password"), ("username", "alice"), ("password", "Wrong1234")]),
        ("unknown user", vec![("grant_type", "password"), ("username", "nobody@example.com"), ("password", PASSWORD)]),
        ("unknown refresh token", vec![("grant_type", "refresh_token"), ("refresh_token", "not-a-token")]),
        ("an access token", vec![("grant_type", "refresh_token"), ("refresh_token", &tokens.access_token)]),
    ] {
        assert_oauth_error(post_form(&app, &form).await, 400, "invalid_grant", why).await;
    }
    // The failed attempts spent nothing.
    assert_eq!(app.refresh(&tokens.refresh_token).await.status(), 200);
}

async fn a_disabled_account_is_invalid_grant(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register_ok("alice").await;
    let db = app.database().await;
    let id = tokens.user["id"].as_str().unwrap().parse().unwrap();
    users::ActiveModel { id: Set(id), is_active: Set(false), ..Default::default() }.update(&db).await.unwrap();

    let login = post_form(&app, &[("grant_type", "password"), ("username", "alice"), ("password", PASSWORD)]).await;
    assert_oauth_error(login, 400, "invalid_grant", "disabled account").await;
    let refresh = post_form(&app, &[("grant_type", "refresh_token"), ("refresh_token", &tokens.refresh_token)]).await;
    assert_oauth_error(refresh, 400, "invalid_grant", "disabled account refresh").await;
}

async fn a_refresh_token_is_bound_to_its_client(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let login = post_form(
        &app,
        &[("grant_type", "password"), ("username", "alice"), ("password", PASSWORD), ("client_id", "mobile-app")],
    )
    .await;
    let refresh_token = login.json::<Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_owned();

    let stolen = post_form(
        &app,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh_token), ("client_id", "other-app")],
    )
    .await;
    assert_oauth_error(stolen, 400, "invalid_grant", "another client").await;

    // Refused without being spent: the rightful client still refreshes, with or without
    // naming itself (public clients are identified, not authenticated).
    let client = oauth_client(&app, "mobile-app");
    let http = |request| send(app.client.clone(), request);
    let rotated = client.exchange_refresh_token(&RefreshToken::new(refresh_token)).request_async(&http).await.unwrap();
    let anonymous = post_form(
        &app,
        &[("grant_type", "refresh_token"), ("refresh_token", rotated.refresh_token().unwrap().secret())],
    )
    .await;
    assert_eq!(anonymous.status(), 200);
}

async fn malformed_requests_are_invalid_request(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let long_client = "c".repeat(129);
    let long_username = "u".repeat(321);

    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("no grant_type", vec![("username", "alice"), ("password", PASSWORD)]),
        ("empty grant_type", vec![("grant_type", ""), ("username", "alice"), ("password", PASSWORD)]),
        ("no username", vec![("grant_type", "password"), ("password", PASSWORD)]),
        ("empty username", vec![("grant_type", "password"), ("username", ""), ("password", PASSWORD)]),
        ("no password", vec![("grant_type", "password"), ("username", "alice")]),
        ("no refresh_token", vec![("grant_type", "refresh_token")]),
        (
            "repeated parameter",
            vec![("grant_type", "password"), ("username", "alice"), ("username", "bob"), ("password", PASSWORD)],
        ),
        (
            "repeated grant_type",
            vec![("grant_type", "password"), ("grant_type", "password"), ("username", "alice"), ("password", PASSWORD)],
        ),
        (
            "organization_id not a UUID",
            vec![
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", PASSWORD),
                ("organization_id", "acme"),
            ],
        ),
        (
            "client_id too long",
            vec![
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", PASSWORD),
                ("client_id", &long_client),
            ],
        ),
        (
            "client_id not printable",
            vec![("grant_type", "password"), ("username", "alice"), ("password", PASSWORD), ("client_id", "tab\there")],
        ),
        ("username too long", vec![("grant_type", "password"), ("username", &long_username), ("password", PASSWORD)]),
        ("NUL character", vec![("grant_type", "password"), ("username", "ali\0ce"), ("password", PASSWORD)]),
    ];
    for (why, form) in cases {
        assert_oauth_error(post_form(&app, &form).await, 400, "invalid_request", why).await;
    }

    let json = app
        .client
        .post(app.url(TOKEN_PATH))
        .json(&serde_json::json!({ "grant_type": "password", "username": "alice", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_oauth_error(json, 400, "invalid_request", "JSON body").await;
    let no_type = app.client.post(app.url(TOKEN_PATH)).body("grant_type=password").send().await.unwrap();
    assert_oauth_error(no_type, 400, "invalid_request", "no content type").await;
    let huge = format!("grant_type=password&username=alice&password={}", "x".repeat(70 * 1024));
    let too_large = app
        .client
        .post(app.url(TOKEN_PATH))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_oauth_error(too_large, 400, "invalid_request", "body over the limit").await;
    let with_charset = app
        .client
        .post(app.url(TOKEN_PATH))
        .header("content-type", "application/x-www-form-urlencoded; charset=UTF-8")
        .body(form_urlencoded(&[("grant_type", "password"), ("username", "alice"), ("password", PASSWORD)]))
        .send()
        .await
        .unwrap();
    assert_eq!(with_charset.status(), 200, "a charset parameter is fine");
}

async fn unknown_grant_types_are_unsupported(backend: Backend) {
    let app = spawn_app(backend).await;

    // `client_credentials` is supported (tests/e2e/clients.rs); its name in another case is not.
    for grant in
        ["Client_Credentials", "authorization_code", "urn:ietf:params:oauth:grant-type:device_code", "PASSWORD"]
    {
        let response = post_form(&app, &[("grant_type", grant), ("username", "alice"), ("password", PASSWORD)]).await;
        assert_oauth_error(response, 400, "unsupported_grant_type", grant).await;
    }
    let get = app.client.get(app.url(TOKEN_PATH)).send().await.unwrap();
    assert_eq!(get.status(), 405);
}

async fn unknown_parameters_are_ignored_and_membership_is_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;

    let with_extras = post_form(
        &app,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
            ("client_secret", "x"),
            ("foo", "bar"),
        ],
    )
    .await;
    assert_eq!(with_extras.status(), 200, "unrecognized parameters are ignored (RFC 6749 section 3.2)");

    let organization = uuid::Uuid::now_v7().to_string();
    let not_member = post_form(
        &app,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
            ("organization_id", &organization),
        ],
    )
    .await;
    assert_oauth_error(not_member, 403, "access_denied", "not a member").await;
}

async fn both_grants_scope_tokens_to_an_organization(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.register_ok("alice").await;
    let carol = app.register_ok("carol").await;
    let org = app.create_organization_ok(&carol.access_token, "acme").await["id"].as_str().unwrap().to_owned();
    app.add_member_ok(&carol.access_token, &org, &alice, "viewer").await;

    let login = post_form(
        &app,
        &[("grant_type", "password"), ("username", "alice"), ("password", PASSWORD), ("organization_id", &org)],
    )
    .await;
    assert_eq!(login.status(), 200);
    let login: Value = login.json().await.unwrap();
    let claims = authdb_tests::claims_of(login["access_token"].as_str().unwrap());
    assert_eq!(claims["org"], org.as_str());
    assert_eq!(claims["role"], "viewer");

    let refreshed = post_form(
        &app,
        &[("grant_type", "refresh_token"), ("refresh_token", login["refresh_token"].as_str().unwrap())],
    )
    .await;
    let refreshed: Value = refreshed.json().await.unwrap();
    assert_eq!(authdb_tests::claims_of(refreshed["access_token"].as_str().unwrap())["org"], org.as_str());

    let other = uuid::Uuid::now_v7().to_string();
    let switch = post_form(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refreshed["refresh_token"].as_str().unwrap()),
            ("organization_id", &other),
        ],
    )
    .await;
    assert_oauth_error(switch, 403, "access_denied", "refresh into a foreign organization").await;
}

async fn the_password_grant_is_locked_out_like_login(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_ok("alice").await;
    let wrong = [("grant_type", "password"), ("username", "alice"), ("password", "Wrong1234")];
    for attempt in 1..=5 {
        assert_oauth_error(post_form(&app, &wrong).await, 400, "invalid_grant", &format!("attempt {attempt}")).await;
    }

    // RFC 6749 has no error code for throttling: the answer is the 429 problem every
    // sign-in route gives, with Retry-After, and still never cached.
    let locked = post_form(&app, &[("grant_type", "password"), ("username", "alice"), ("password", PASSWORD)]).await;

    assert_eq!(locked.status(), 429);
    assert!(locked.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 0);
    assert_eq!(locked.headers()["cache-control"], "no-store");
    assert_eq!(locked.headers()["content-type"], "application/problem+json");
}

on_both_backends!(
    the_password_grant_is_locked_out_like_login,
    both_grants_scope_tokens_to_an_organization,
    an_oauth2_client_signs_in_and_refreshes,
    a_replayed_refresh_token_is_invalid_grant_and_ends_the_session,
    the_password_grant_takes_an_email_and_works_without_client_id,
    wrong_credentials_and_tokens_are_invalid_grant,
    a_disabled_account_is_invalid_grant,
    a_refresh_token_is_bound_to_its_client,
    malformed_requests_are_invalid_request,
    unknown_grant_types_are_unsupported,
    unknown_parameters_are_ignored_and_membership_is_checked,
);
