//! One realtime socket, from the upgrade to its close: events out through its queue,
//! commands in, heartbeats, and the access token's expiry.
//!
//! Close codes: 4001 when the session ends (logout, revocation, a password change,
//! deactivation) or the access token expires without a fresh `auth` frame; 1013 when the
//! socket's queue overflowed (the client catches up with `after=`); 1001 after two
//! unanswered pings; 1002 for a broken frame. On `authdb.msgpack.v1`, also 4400 for a
//! frame the signed protocol refuses and 1003 for a text frame (see `msgpack_frames`).
//!
//! The socket knows nothing of the encoding: every frame goes through its connection's
//! [`Frames`], which answers a command, or a refusal to answer with an `error` frame or
//! to close the socket with.

pub(crate) mod frames;
pub(crate) mod msgpack_frames;

use std::time::Duration;

use actix_ws::{CloseCode, CloseReason as WsCloseReason, Message, MessageStream, Session};
use authdb_domain::ChatId;
use authdb_service::{
    AuthService, ClientInfo, CloseReason, Connection, MessagingService, OrganizationService, Principal,
};
use tokio::time::{Instant, MissedTickBehavior};

use self::frames::{BadFrame, Command, Frame, Frames, PostedMessage, Refusal, Reply};
use crate::{ApiError, RateLimiter, rate_limit::check_chat_post};

/// The close code of an ended session or an expired token.
pub(crate) const SESSION_ENDED: u16 = 4001;
/// How many pings may go unanswered before the socket is closed.
const UNANSWERED_PINGS: u32 = 2;
/// How long the close handshake may wait for a client that reads slowly (the close
/// frame queues behind what it has not read yet); after that the connection is dropped.
const CLOSE_PATIENCE: Duration = Duration::from_secs(30);
/// How often one socket may announce typing.
const TYPING_EVERY: Duration = Duration::from_secs(1);
/// The largest frame a client may send (a `message.send` of the largest ciphertext fits).
pub(crate) fn max_frame_bytes(policy: authdb_service::MessagingPolicy) -> usize {
    policy.max_message_bytes.div_ceil(3) * 4 + 8 * 1024
}

/// What a socket uses besides its connection.
pub(crate) struct Context {
    pub(crate) auth: AuthService,
    pub(crate) organizations: OrganizationService,
    pub(crate) messaging: MessagingService,
    pub(crate) limiter: Option<RateLimiter>,
    pub(crate) client: ClientInfo,
}

/// Serves one socket until it closes.
///
/// An `async` block rather than an `async fn`: an `async fn` moves its arguments into
/// locals of its body, and the future then holds them twice (about a kilobyte of every
/// idle socket's memory); the block holds only what it captured.
#[allow(clippy::manual_async_fn, reason = "an async fn would hold its arguments twice, see above")]
pub(crate) fn serve(
    mut session: Session,
    mut stream: MessageStream,
    mut connection: Connection,
    mut principal: Principal,
    context: Context,
    mut frames: Box<dyn Frames>,
) -> impl std::future::Future<Output = ()> {
    async move {
        let ping_every = context.messaging.policy().ping_interval;
        let ready = frames
            .reply(Reply::Ready { user_id: principal.user.id.as_uuid(), session_id: principal.session_id.as_uuid() });
        if send(&mut session, ready).await.is_err() {
            return;
        }
        let mut closing = connection.close_signal();
        let mut ping = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut unanswered = 0;
        let expiry = tokio::time::sleep_until(expiry_instant(&principal));
        tokio::pin!(expiry);
        let mut last_typing: Option<Instant> = None;
        let close = loop {
            tokio::select! {
                reason = closing.wait() => break Some(close_reason(reason)),
                () = &mut expiry => break Some(ended("the access token expired; send a fresh one in an auth frame")),
                _ = ping.tick() => {
                    if unanswered >= UNANSWERED_PINGS {
                        break Some(WsCloseReason { code: CloseCode::Away, description: Some("no answer to pings".into()) });
                    }
                    unanswered += 1;
                    if session.ping(b"").await.is_err() {
                        break None;
                    }
                }
                event = connection.recv() => {
                    let Some(event) = event else { break None };
                    // A send waits while the client reads slowly; the queue fills meanwhile and
                    // the hub asks the socket to close, which must not wait for that send.
                    tokio::select! {
                        sent = send(&mut session, frames.event(&event)) => if sent.is_err() { break None },
                        reason = closing.wait() => break Some(close_reason(reason)),
                    }
                }
                message = stream.recv() => match message {
                    None => break None,
                    Some(Err(error)) => {
                        tracing::debug!(%error, "realtime protocol error");
                        break Some(WsCloseReason { code: CloseCode::Protocol, description: None });
                    }
                    Some(Ok(Message::Pong(_))) => unanswered = 0,
                    Some(Ok(Message::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            break None;
                        }
                    }
                    Some(Ok(Message::Close(_))) => break Some(WsCloseReason { code: CloseCode::Normal, description: None }),
                    Some(Ok(Message::Text(text))) => {
                        let command = frames.command(Frame::Text(text));
                        // Boxed: a command's future (a post, with its queries) is far larger
                        // than the rest of the socket's, and would otherwise be part of every
                        // idle socket's memory.
                        match Box::pin(answer(&context, &*frames, &mut principal, &mut last_typing, command, expiry.as_mut())).await {
                            Answer::Send(frame) => if send(&mut session, frame).await.is_err() { break None },
                            Answer::Close(reason) => break Some(reason),
                            Answer::Quiet => {}
                        }
                    }
                    Some(Ok(Message::Binary(bytes))) => {
                        let command = frames.command(Frame::Binary(bytes));
                        match Box::pin(answer(&context, &*frames, &mut principal, &mut last_typing, command, expiry.as_mut())).await {
                            Answer::Send(frame) => if send(&mut session, frame).await.is_err() { break None },
                            Answer::Close(reason) => break Some(reason),
                            Answer::Quiet => {}
                        }
                    }
                    Some(Ok(Message::Continuation(_) | Message::Nop)) => {}
                },
            }
        };
        drop(connection);
        if let Some(reason) = close {
            // A client that reads nothing must not keep the task alive for ever.
            let _ = tokio::time::timeout(CLOSE_PATIENCE, session.close(Some(reason))).await;
        }
    }
}

async fn send(session: &mut Session, frame: Frame) -> Result<(), actix_ws::Closed> {
    match frame {
        Frame::Text(text) => session.text(text).await,
        Frame::Binary(bytes) => session.binary(bytes).await,
    }
}

fn ended(description: &str) -> WsCloseReason {
    WsCloseReason { code: CloseCode::Other(SESSION_ENDED), description: Some(description.into()) }
}

fn close_reason(reason: CloseReason) -> WsCloseReason {
    match reason {
        CloseReason::SessionEnded => ended("the session ended"),
        CloseReason::TooSlow => WsCloseReason {
            code: CloseCode::Again,
            description: Some("too slow: catch up with after= and reconnect".into()),
        },
    }
}

/// When the principal's access token expires: to the millisecond, so that a socket never
/// outlives its token by the fraction of a second that `exp` rounds away.
fn expiry_instant(principal: &Principal) -> Instant {
    let expires =
        time::OffsetDateTime::from_unix_timestamp(principal.claims.exp).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let left = expires - time::OffsetDateTime::now_utc();
    Instant::now() + Duration::try_from(left).unwrap_or(Duration::ZERO)
}

/// What the socket does after a client frame.
enum Answer {
    Send(Frame),
    Close(WsCloseReason),
    Quiet,
}

/// The answer to one client frame: a refusal closes the socket or answers an `error`
/// frame; a command is run (an accepted `auth` moves the expiry).
async fn answer(
    context: &Context,
    frames: &dyn Frames,
    principal: &mut Principal,
    last_typing: &mut Option<Instant>,
    command: Result<Command, Refusal>,
    expiry: std::pin::Pin<&mut tokio::time::Sleep>,
) -> Answer {
    let command = match command {
        Ok(command) => Ok(command),
        Err(Refusal::Answer(bad)) => Err(bad),
        Err(Refusal::Close { code, reason }) => {
            return Answer::Close(WsCloseReason { code: CloseCode::from(code), description: Some(reason) });
        }
    };
    match handle(context, frames, principal, last_typing, command).await {
        Handled::Reply(frame) => Answer::Send(frame),
        Handled::Refreshed(frame) => {
            expiry.reset(expiry_instant(principal));
            Answer::Send(frame)
        }
        Handled::Quiet => Answer::Quiet,
    }
}

enum Handled {
    Reply(Frame),
    Refreshed(Frame),
    Quiet,
}

async fn handle(
    context: &Context,
    frames: &dyn Frames,
    principal: &mut Principal,
    last_typing: &mut Option<Instant>,
    command: Result<Command, BadFrame>,
) -> Handled {
    let error = |client_id: Option<&str>, error: ApiError| {
        Handled::Reply(frames.reply(Reply::Error { client_id, problem: error.problem_json() }))
    };
    match command {
        Err(bad) => error(bad.client_id.as_deref(), bad.error),
        Ok(Command::Auth { token }) => match context.auth.authenticate(&token).await {
            Ok(fresh) if fresh.session_id == principal.session_id && fresh.user.id == principal.user.id => {
                let expires_at = fresh.claims.exp;
                *principal = fresh;
                Handled::Refreshed(frames.reply(Reply::AuthOk { expires_at }))
            }
            Ok(_) => error(
                None,
                ApiError::Unprocessable(vec![crate::FieldError {
                    field: "token".into(),
                    message: "must be an access token of this socket's session".into(),
                }]),
            ),
            Err(refused) => error(None, refused.into()),
        },
        Ok(Command::Typing { chat_id }) => {
            if last_typing.is_some_and(|at| at.elapsed() < TYPING_EVERY) {
                return Handled::Quiet;
            }
            *last_typing = Some(Instant::now());
            match typing(context, principal, chat_id).await {
                Ok(()) => Handled::Quiet,
                Err(refused) => error(None, refused),
            }
        }
        Ok(Command::Send { chat_id, client_id, message }) => {
            match send_message(context, principal, chat_id, message).await {
                Ok(message) => Handled::Reply(frames.reply(Reply::Ack { client_id: &client_id, message })),
                Err(refused) => error(Some(&client_id), refused),
            }
        }
    }
}

async fn membership_for(
    context: &Context,
    principal: &Principal,
    chat_id: ChatId,
) -> Result<authdb_service::Membership, ApiError> {
    let organization = context.messaging.organization_of_chat(chat_id).await?;
    Ok(context.organizations.resolve(principal, organization).await?)
}

async fn typing(context: &Context, principal: &Principal, chat_id: ChatId) -> Result<(), ApiError> {
    let membership = membership_for(context, principal, chat_id).await?;
    Ok(context.messaging.typing(&membership, chat_id).await?)
}

async fn send_message(
    context: &Context,
    principal: &Principal,
    chat_id: ChatId,
    posted: PostedMessage,
) -> Result<authdb_domain::Message, ApiError> {
    let membership = membership_for(context, principal, chat_id).await?;
    if let Some(limiter) = &context.limiter
        && let Some(refused) = check_chat_post(limiter, chat_id.as_uuid(), principal.user.id.as_uuid()).await
    {
        return Err(ApiError::RateLimited { retry_after_secs: refused.retry_after_secs });
    }
    let new = crate::dto::new_message(
        posted.ciphertext,
        posted.nonce,
        posted.content_type,
        posted.client_id,
        context.messaging.policy(),
    )?;
    let (message, _) = context.messaging.post_message(&membership, chat_id, new, &context.client).await?;
    Ok(message)
}
