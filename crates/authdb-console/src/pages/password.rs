//! Changing the password (`AuthService::change_password`, a sensitive action: a session
//! that signed in too long ago is sent to re-authenticate first). Every other session of
//! the user ends; this one goes on.

use actix_web::{HttpResponse, http::StatusCode, web};
use authdb_service::{PasswordChange, ServiceError};
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;

use crate::{
    error::{ConsoleError, or_step_up},
    form::Posted,
    layout::{Chrome, alert, csrf_field, field, notice, page, respond, url},
    session::SignedIn,
};

const NAV: &str = "/me/password";
const MAX_PASSWORD_BYTES: usize = 1024;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/password", web::get().to(form)).route("/me/password", web::post().to(change));
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

fn password_page(chrome: &Chrome, outcome: Option<Result<(), &ConsoleError>>) -> Markup {
    page(
        "Password",
        Some(chrome),
        html! {
            @match outcome {
                Some(Ok(())) => (notice("Your password was changed. Your other sessions were ended.")),
                Some(Err(error)) => {
                    @let problem = error.problem();
                    (alert(problem.title, &problem.detail))
                }
                None => {}
            }
            p { "Changing your password ends every other session of your account." }
            form method="post" action=(url("/me/password")) {
                (csrf_field(&chrome.form_token))
                (field("Current password", "current_password", "password", "current-password"))
                (field("New password", "new_password", "password", "new-password"))
                (field("New password again", "confirm_password", "password", "new-password"))
                div class="actions" { button type="submit" { "Change the password" } }
            }
        },
    )
}

async fn form(signed_in: SignedIn) -> Result<HttpResponse, ConsoleError> {
    Ok(respond(StatusCode::OK, password_page(&signed_in.chrome(NAV), None)))
}

async fn change(posted: Posted<PasswordForm>) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed_in, form } = posted;
    let chrome = signed_in.chrome(NAV);
    let refuse = |error: ConsoleError| Ok(error.with_page(password_page(&chrome, Some(Err(&error)))));
    if form.current_password.len() > MAX_PASSWORD_BYTES {
        return refuse(ConsoleError::BadForm(format!("current_password: at most {MAX_PASSWORD_BYTES} bytes")));
    }
    if form.new_password != form.confirm_password {
        return refuse(ConsoleError::BadForm("confirm_password: the two new passwords differ".into()));
    }
    let auth = &signed_in.console.auth;
    let new_password = match auth.password_policy().parse_field(form.new_password, "new_password") {
        Ok(password) => password,
        Err(violation) => return refuse(ConsoleError::Service(ServiceError::Invalid(vec![violation]))),
    };
    let change = PasswordChange { current_password: SecretString::from(form.current_password), new_password };
    match auth.change_password(&signed_in.principal, change, &signed_in.client).await {
        Ok(()) => Ok(respond(StatusCode::OK, password_page(&chrome, Some(Ok(()))))),
        Err(
            error @ (ServiceError::StepUpRequired { .. } | ServiceError::Unavailable(_) | ServiceError::Internal(_)),
        ) => Err(or_step_up(error, NAV)),
        Err(error) => refuse(ConsoleError::Service(error)),
    }
}
