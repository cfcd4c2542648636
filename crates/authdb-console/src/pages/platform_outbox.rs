//! The Platform section's outbox and mail status (superusers only):
//! `AdminService::mail_status`, as `GET /api/v1/admin/outbox`. The transport this process
//! sends through, how many messages are pending, sent and failed, the newest failures
//! (their error, attempts and next attempt) and the newest messages. Never a body: the use
//! case does not read them.
//!
//! For anyone but a superuser this page does not exist (404).

use actix_web::{HttpResponse, http::StatusCode, web};
use authdb_domain::{MailState, OutboxMessage};
use authdb_service::MailStatus;
use maud::{Markup, html};

use crate::{
    error::ConsoleError,
    layout::{page, respond, when},
    session::SignedIn,
};

const NAV: &str = "/platform/outbox";

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/platform/outbox", web::get().to(outbox));
}

async fn outbox(signed_in: SignedIn) -> Result<HttpResponse, ConsoleError> {
    signed_in.require_superuser()?;
    let status = signed_in.console.admin.mail_status(&signed_in.principal).await?;
    let content = html! {
        (transport(&status))
        (counts(&status))
        section aria-labelledby="failures" {
            h2 id="failures" { "Recent failures" }
            @if status.failures.is_empty() {
                p { "No message failed." }
            } @else {
                (messages("failures-table", "The newest messages whose last attempt failed, newest first", &status.failures, true))
            }
        }
        section aria-labelledby="recent" {
            h2 id="recent" { "Newest messages" }
            @if status.recent.is_empty() {
                p { "The outbox is empty." }
            } @else {
                (messages("recent-table", "The newest messages of the outbox, newest first", &status.recent, false))
            }
            p {
                "At most " (MailStatus::LISTED) " of each. Bodies are never shown: they carry single-use links, "
                "and are cleared once a message is sent or given up."
            }
        }
    };
    Ok(respond(StatusCode::OK, page("Outbox and mail", Some(&signed_in.chrome(NAV)), content)))
}

fn transport(status: &MailStatus) -> Markup {
    let policy = status.policy;
    html! {
        section aria-labelledby="transport" {
            h2 id="transport" { "Mail transport" }
            dl class="facts" {
                dt { "Transport" }
                dd {
                    @match status.transport {
                        Some(transport) => {
                            code { (transport.name) }
                            @if !transport.delivers { " (messages are dropped, not delivered)" }
                        }
                        None => "none: this process runs no outbox worker",
                    }
                }
                dt { "Attempts before giving up" } dd { (policy.max_attempts) }
                dt { "First retry after" } dd { (policy.retry_base.whole_seconds()) " s, doubling with every attempt" }
            }
        }
    }
}

fn counts(status: &MailStatus) -> Markup {
    let counts = &status.counts;
    html! {
        section aria-labelledby="outbox" {
            h2 id="outbox" { "Outbox" }
            table {
                caption class="visually-hidden" { "Messages of the outbox by status" }
                thead { tr { th scope="col" { "Status" } th scope="col" { "Messages" } } }
                tbody {
                    tr { th scope="row" { "Pending" } td { (counts.pending) } }
                    tr { th scope="row" { "Sent" } td { (counts.sent) } }
                    tr { th scope="row" { "Failed" } td { (counts.failed) } }
                }
            }
            dl class="facts" {
                dt { "Oldest pending message" }
                dd { @if let Some(at) = counts.oldest_pending_at { (when(at)) } @else { "none" } }
                dt { "Next attempt" }
                dd { @if let Some(at) = counts.next_attempt_at { (when(at)) } @else { "none due" } }
            }
        }
    }
}

/// How a message's state reads: a pending message that failed before is being retried.
fn state(message: &OutboxMessage) -> &'static str {
    match message.state {
        MailState::Pending if message.last_error.is_some() => "pending (retrying)",
        MailState::Pending => "pending",
        MailState::Sent => "sent",
        MailState::Failed => "failed (given up)",
    }
}

fn messages(id: &str, caption: &str, listed: &[OutboxMessage], errors: bool) -> Markup {
    html! {
        div class="scroll" tabindex="0" role="region" aria-labelledby=(format!("{id}-caption")) {
            table id=(id) {
                caption id=(format!("{id}-caption")) class="visually-hidden" { (caption) }
                thead {
                    tr {
                        th scope="col" { "Kind" } th scope="col" { "Recipient" } th scope="col" { "Status" }
                        th scope="col" { "Attempts" }
                        @if errors { th scope="col" { "Last error" } }
                        th scope="col" { "Written" } th scope="col" { "Next attempt" } th scope="col" { "Finished" }
                    }
                }
                tbody {
                    @for message in listed {
                        tr {
                            th scope="row" { code { (message.kind) } }
                            td { (message.recipient) }
                            td { (state(message)) }
                            td { (message.attempts) }
                            @if errors { td { (message.last_error.as_deref().unwrap_or("—")) } }
                            td { (when(message.created_at)) }
                            td { @if let Some(at) = message.next_attempt_at { (when(at)) } @else { "—" } }
                            td { @if let Some(at) = message.finished_at { (when(at)) } @else { "—" } }
                        }
                    }
                }
            }
        }
    }
}
