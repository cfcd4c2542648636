//! The console's browser stand-in for the tests: a cookie jar over `reqwest`, the form
//! token of a page, and the checks every console answer passes.

use std::collections::BTreeMap;

use authdb_tests::{PASSWORD, TestApp};
use reqwest::{Response, header};

/// A browser: a cookie jar (the cookies of `/console`), no redirects followed.
#[derive(Clone, Default)]
pub(crate) struct Browser {
    pub(crate) cookies: BTreeMap<String, String>,
}

impl Browser {
    pub(crate) fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("; ")
    }

    /// Keeps the cookies `response` sets (an empty value or `Max-Age=0` removes one).
    pub(crate) fn keep(&mut self, response: &Response) {
        for value in response.headers().get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, _) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub(crate) async fn get(&mut self, app: &TestApp, path: &str) -> Response {
        let response = app.client.get(app.url(path)).header(header::COOKIE, self.cookie_header()).send().await.unwrap();
        self.keep(&response);
        response
    }

    pub(crate) async fn post(&mut self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> Response {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let response = app
            .client
            .post(app.url(path))
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(&response);
        response
    }

    /// Posts `form` to `path`, asserts the answer's status, and answers its body.
    pub(crate) async fn submit(&mut self, app: &TestApp, path: &str, form: &[(&str, &str)], status: u16) -> String {
        let response = self.post(app, path, form).await;
        assert_eq!(response.status(), status, "POST {path} {form:?}");
        response.text().await.unwrap()
    }

    /// Loads `path` and answers its page's CSRF token.
    pub(crate) async fn form_token(&mut self, app: &TestApp, path: &str) -> String {
        let response = self.get(app, path).await;
        assert_eq!(response.status(), 200, "{path}");
        csrf_of(&response.text().await.unwrap())
    }

    /// Signs in with the password form; answers the sign-in's answer.
    pub(crate) async fn sign_in(&mut self, app: &TestApp, login: &str, password: &str) -> Response {
        let token = self.form_token(app, "/console/sign-in").await;
        self.post(app, "/console/sign-in", &[("csrf", &token), ("login", login), ("password", password)]).await
    }

    pub(crate) async fn sign_in_ok(&mut self, app: &TestApp, login: &str) {
        let response = self.sign_in(app, login, PASSWORD).await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/console/me");
    }
}

pub(crate) fn csrf_of(html: &str) -> String {
    let start = html.find(r#"name="csrf" value=""#).unwrap_or_else(|| panic!("no csrf field in {html}")) + 19;
    html[start..].split('"').next().unwrap().to_owned()
}

pub(crate) fn location(response: &Response) -> String {
    response.headers()[header::LOCATION].to_str().unwrap().to_owned()
}

pub(crate) fn set_cookies(response: &Response) -> Vec<String> {
    response.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

/// The security headers every console answer carries.
pub(crate) fn assert_secure_headers(response: &Response, page: bool) {
    let headers = response.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    for directive in ["default-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    if page {
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    }
}

/// A well-formed id that nothing has.
pub(crate) fn uuid_like() -> &'static str {
    "01890a5d-ac96-774b-bcce-b302099a8057"
}
