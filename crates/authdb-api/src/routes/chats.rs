//! `/api/v1/organizations/{id}/chats`: encrypted messaging between members of an
//! organization (needs `chats:use`). The server stores and returns message ciphertexts
//! and nonces as bytes (standard base64 on the wire) and never looks inside them.
//!
//! A chat the caller is not in answers 404, like one that does not exist. A message
//! body has its own limit (base64 of `messaging.max_message_bytes` plus 8 KiB), so a
//! 64 KiB ciphertext fits although the general body limit is 64 KiB.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use authdb_domain::{
    AutoDelete, ChatConfigChanges, ChatId, ChatKind, ChatName, EncryptionType, MessageCursor, MessageId, NewChat,
    UserId, Violation,
};
use authdb_service::{MessagingPolicy, MessagingService};

use crate::endpoint::resource;
use crate::limits::read_limited;
use crate::rate_limit::refuse_chat_post;
use crate::{
    ApiError, Client, DeferredJson, ListQuery,
    dto::{
        AddChatMemberRequest, ChatConfigRequest, ChatList, ChatResponse, CreateChatRequest, LastMessageResponse,
        MarkReadRequest, MessageMsgpack, MessagePageMsgpack, MessagePageResponse, MessageResponse, PostMessageMsgpack,
        PostMessageRequest, ReceiptList, ReceiptResponse, RenameChatRequest, new_message,
    },
    fields::{collect, invalid},
    guard::{RequirePermission, path_uuid, perm},
    json::parse,
    msgpack::{self, Format},
    pagination::{ListBody, PageParams},
    problem::Problem,
};

/// The most members a group may be created with at once.
const MAX_GROUP_MEMBERS: usize = 1000;
/// The default and the largest page of messages.
const DEFAULT_MESSAGES: u64 = 50;
const MAX_MESSAGES: u64 = 200;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/organizations/{id}/chats").route(web::get().to(list_chats)).route(web::post().to(create_chat)),
    )
    .service(
        resource("/organizations/{id}/chats/{chat_id}")
            .route(web::get().to(get_chat))
            .route(web::patch().to(rename_chat)),
    )
    .service(resource("/organizations/{id}/chats/{chat_id}/config").route(web::patch().to(configure_chat)))
    .service(resource("/organizations/{id}/chats/{chat_id}/members").route(web::post().to(add_chat_member)))
    .service(
        resource("/organizations/{id}/chats/{chat_id}/members/{user_id}").route(web::delete().to(remove_chat_member)),
    )
    .service(
        resource("/organizations/{id}/chats/{chat_id}/messages")
            .route(web::get().to(list_messages))
            .route(web::post().to(post_message)),
    )
    .service(
        resource("/organizations/{id}/chats/{chat_id}/messages/{message_id}").route(web::delete().to(delete_message)),
    )
    .service(resource("/organizations/{id}/chats/{chat_id}/read").route(web::post().to(mark_read)))
    .service(resource("/organizations/{id}/chats/{chat_id}/receipts").route(web::get().to(receipts)));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list_chats,
        create_chat,
        get_chat,
        rename_chat,
        configure_chat,
        add_chat_member,
        remove_chat_member,
        list_messages,
        post_message,
        delete_message,
        mark_read,
        receipts
    ),
    components(schemas(
        ChatResponse,
        ChatList,
        LastMessageResponse,
        ReceiptResponse,
        ReceiptList,
        CreateChatRequest,
        RenameChatRequest,
        ChatConfigRequest,
        AddChatMemberRequest,
        PostMessageRequest,
        PostMessageMsgpack,
        MessageResponse,
        MessageMsgpack,
        MessagePageResponse,
        MessagePageMsgpack,
        MarkReadRequest
    ))
)]
pub(crate) struct ChatsApi;

fn chat_id(req: &HttpRequest) -> Result<ChatId, ApiError> {
    Ok(ChatId::from_uuid(path_uuid(req, "chat_id")?))
}

/// The caller's chats, most recent activity first, each with its members, its last
/// message (without contents) and the caller's unread count (needs `chats:use`).
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/chats",
    tag = "chats",
    params(("id" = Uuid, Path, description = "Organization id"), PageParams),
    responses(
        (status = 200, description = "One page of the caller's chats", body = ChatList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks chats:use", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 422, description = "Invalid limit or offset", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_chats(
    messaging: web::Data<MessagingService>,
    guard: RequirePermission<perm::ChatsUse>,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let listed = messaging.list_chats(&guard.member.membership, query.page).await?;
    Ok(HttpResponse::Ok().json(ListBody::from_paged(listed, ChatResponse::from)))
}

/// Create a chat: `{"kind": "direct", "member_id"}` or `{"kind": "group", "name",
/// "member_ids"}`. A direct chat is unique per pair: asking again answers the existing
/// chat with 200.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/chats",
    tag = "chats",
    params(("id" = Uuid, Path, description = "Organization id")),
    request_body = CreateChatRequest,
    responses(
        (status = 200, description = "The pair's existing direct chat", body = ChatResponse),
        (status = 201, description = "Created", body = ChatResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks chats:use", body = Problem),
        (status = 404, description = "No such organization, or not a member", body = Problem),
        (status = 422, description = "Invalid fields, named (`member_ids[2]` is not a member of the organization, \
            `auto_delete_secs`)", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn create_chat(
    messaging: web::Data<MessagingService>,
    guard: RequirePermission<perm::ChatsUse>,
    client: Client,
    body: DeferredJson<CreateChatRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_result()?;
    let policy = messaging.policy();
    let mut violations = Vec::new();
    let kind = collect(ChatKind::parse(&request.kind, "kind"), &mut violations);
    let encryption_type = collect(
        request.encryption_type.as_deref().map(|label| EncryptionType::parse(label, "encryption_type")).transpose(),
        &mut violations,
    );
    let auto_delete = collect(
        request
            .auto_delete_secs
            .map(|secs| AutoDelete::parse(secs, policy.min_auto_delete_secs, "auto_delete_secs"))
            .transpose(),
        &mut violations,
    );
    let new = match kind {
        Some(ChatKind::Direct) => {
            if request.name.is_some() {
                violations.push(Violation::new("name", "a direct chat has no name"));
            }
            if request.member_ids.is_some() {
                violations.push(Violation::new("member_ids", "a direct chat takes `member_id`"));
            }
            let member = request.member_id.map(UserId::from_uuid);
            if member.is_none() {
                violations.push(Violation::new("member_id", "is required for a direct chat"));
            }
            match (member, encryption_type, auto_delete) {
                (Some(member), Some(encryption_type), Some(auto_delete)) if violations.is_empty() => {
                    NewChat::Direct { member, encryption_type, auto_delete }
                }
                _ => return Err(invalid(violations.into_iter().map(Some))),
            }
        }
        Some(ChatKind::Group) => {
            if request.member_id.is_some() {
                violations.push(Violation::new("member_id", "a group takes `member_ids`"));
            }
            let name = match request.name.as_deref() {
                Some(name) => collect(ChatName::parse(name, "name"), &mut violations),
                None => {
                    violations.push(Violation::new("name", "is required for a group"));
                    None
                }
            };
            let members = request.member_ids.unwrap_or_default();
            if members.len() > MAX_GROUP_MEMBERS {
                violations.push(Violation::new("member_ids", format!("must list at most {MAX_GROUP_MEMBERS} members")));
            }
            match (name, encryption_type, auto_delete) {
                (Some(name), Some(encryption_type), Some(auto_delete)) if violations.is_empty() => NewChat::Group {
                    name,
                    members: members.into_iter().map(UserId::from_uuid).collect(),
                    encryption_type,
                    auto_delete,
                },
                _ => return Err(invalid(violations.into_iter().map(Some))),
            }
        }
        None => return Err(invalid(violations.into_iter().map(Some))),
    };
    let (chat, created) = messaging.create_chat(&guard.member.membership, new, &client.0).await?;
    let mut response = if created { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(response.json(ChatResponse::from(chat)))
}

/// One of the caller's chats.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/chats/{chat_id}",
    tag = "chats",
    params(("id" = Uuid, Path, description = "Organization id"), ("chat_id" = Uuid, Path, description = "Chat id")),
    responses(
        (status = 200, description = "The chat", body = ChatResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks chats:use", body = Problem),
        (status = 404, description = "No such organization or chat, or the caller is not in it", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn get_chat(
    messaging: web::Data<MessagingService>,
    guard: RequirePermission<perm::ChatsUse>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let chat = messaging.get_chat(&guard.member.membership, chat_id(&req)?).await?;
    Ok(HttpResponse::Ok().json(ChatResponse::from(chat)))
}

/// Rename a group (its creator or a holder of `chats:manage`).
#[utoipa::path(
    patch,
    path = "/api/v1/organizations/{id}/chats/{chat_id}",
    tag = "chats",
    params(("id" = Uuid, Path, description = "Organization id"), ("chat_id" = Uuid, Path, description = "Chat id")),
    request_body = RenameChatRequest,
    responses(
        (status = 200, description = "The renamed chat", body = ChatResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Neither the chat's creator nor a holder of chats:manage", body = Problem),
        (status = 404, description = "No such organization or chat, or the caller is not in it", body = Problem),
        (status = 409, description = "A direct chat has no name", body = Problem),
        (status = 422, description = "Invalid name", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn rename_chat(
    messaging: web::Data<MessagingService>,
    guard: RequirePermission<perm::ChatsUse>,
    req: HttpRequest,
    client: Client,
    body: DeferredJson<RenameChatRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = chat_id(&req)?;
    let request = body.into_result()?;
    let name = ChatName::parse(&request.name, "name").map_err(|violation| invalid([Some(violation)]))?;
    let chat = messaging.rename_chat(&guard.member.membership, id, name, &client.0).await?;
    Ok(HttpResponse::Ok().json(ChatResponse::from(chat)))
}

/// Change a chat's encryption label or auto-deletion (`null` turns it off): either
/// member of a direct chat; a group's creator or a holder of `chats:manage`. Messages
/// posted afterwards follow the new setting.
#[utoipa::path(
    patch,
    path = "/api/v1/organizations/{id}/chats/{chat_id}/config",
    tag = "chats",
    params(("id" = Uuid, Path, description = "Organization id"), ("chat_id" = Uuid, Path, description = "Chat id")),
    request_body = ChatConfigRequest,
    responses(
        (status = 200, description = "The chat", body = ChatResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Neither the group's creator nor a holder of chats:manage", body = Problem),
        (status = 404, description = "No such organization or chat, or the caller is not in it", body = Problem),
        (status = 422, description = "Invalid fields, named (`auto_delete_secs` below \
            `messaging.min_auto_delete_secs` or above one year)", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn configure_chat(
    messaging: web::Data<MessagingService>,
    guard: RequirePermission<perm::ChatsUse>,
    req: HttpRequest,
    client: Client,
    body: DeferredJson<ChatConfigRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = chat_id(&req)?;
    let request = body.into_result()?;
    let min = messaging.policy().min_auto_delete_secs;
    let mut violations = Vec::new();
    let encryption_type = collect(
        request
            .encryption_type
            .map(|label| label.as_deref().map(|label| EncryptionType::parse(label, "encryption_type")).transpose())
            .transpose(),
        &mut violations,
    );
    let auto_delete = collect(
        request
            .auto_delete_secs
            .map(|secs| secs.map(|secs| AutoDelete::parse(secs, min, "auto_delete_secs")).transpose())
            .transpose(),
        &mut violations,
    );
    let changes = match (encryption_type, auto_delete) {
        (Some(encryption_type), Some(auto_delete)) if violations.is_empty() => {
            ChatConfigChanges { encryption_type, auto_delete }
        }
        _ => return Err(invalid(violations.into_iter().map(Some))),
    };
    if changes.is_empty() {
        return Err(invalid([Some(Violation::new("body", "send `encryption_type` or `auto_delete_secs`"))]));
    }
    let chat = messaging.configure_chat(&guard.member.membership, id, changes, &client.0).await?;
    Ok(HttpResponse::Ok().json(ChatResponse::from(chat)))
}

/// Add a member of the organization to a group (its creator or a holder of
/// `chats:manage`).
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/chats/{chat_id}/members",
    tag = "chats",
    params(("id" = Uuid, Path, description = "Organization id"), ("chat_id" = Uuid, Path, description = "Chat id")),
    request_body = AddChatMemberRequest,
    responses(
        (status = 200, description = "The chat with its new member", body = ChatResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Neither the group's creator nor a holder of chats:manage", body = Problem),
        (status = 404, description = "No such organization or chat, or the caller is not in it", body = Problem),
        (status = 409, description = "Already a member (`user_id`), or a direct chat", body = Problem),
        (status = 422, description = "`user_id` is not a member of the organization", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn add_chat_member(
    messaging: web::Data<MessagingService>,
    guard: RequirePermission<perm::ChatsUse>,
    req: HttpRequest,
    client: Client,
    body: DeferredJson<AddChatMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = chat_id(&req)?;
    let request = body.into_result()?;
    let user = UserId::from_uuid(request.user_id);
    let chat = messaging.add_chat_member(&guard.member.membership, id, user, &client.0).await?;
    Ok(HttpResponse::Ok().json(ChatResponse::from(chat)))
}

/// Remove a member from a group: anyone may remove themselves (leave); the creator or a
/// holder of `chats:manage` may remove anyone.
#[utoipa::path(
    delete,
    path = "/api/v1/organizations/{id}/chats/{chat_id}/members/{user_id}",
    tag = "chats",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("chat_id" = Uuid, Path, description = "Chat id"),
        ("user_id" = Uuid, Path, description = "The member to remove"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Removing someone else without being the creator or holding chats:manage", body = Problem),
        (status = 404, description = "No such organization, chat or chat member, or the caller is not in the chat", body = Problem),
        (status = 409, description = "A direct chat has fixed members", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn remove_chat_member(
    messaging: web::Data<MessagingService>,
    guard: RequirePermission<perm::ChatsUse>,
    req: HttpRequest,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    let id = chat_id(&req)?;
    let user = UserId::from_uuid(path_uuid(&req, "user_id")?);
    messaging.remove_chat_member(&guard.member.membership, id, user, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `before`, `after` and `limit`, as documented in OpenAPI.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "documentation only: the handler parses the query string")]
struct MessageParams {
    /// Messages older than this one, newest first.
    before: Option<uuid::Uuid>,
    /// Messages newer than this one, oldest first (catching up).
    after: Option<uuid::Uuid>,
    /// How many: 1 to 200, default 50.
    limit: Option<u64>,
}

/// The chat's messages: newest first, `before=<message id>` pages backwards, `after=<message
/// id>` catches up forwards (oldest first). The order is the order the server accepted
/// them. Expired messages are never returned.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/chats/{chat_id}/messages",
    tag = "chats",
    params(("id" = Uuid, Path, description = "Organization id"), ("chat_id" = Uuid, Path, description = "Chat id"), MessageParams),
    responses(
        (status = 200, description = "One page of messages and whether more exist: JSON, or MessagePack (bytes \
            as `bin`) when `Accept` prefers `application/msgpack`", content(
            (MessagePageResponse = "application/json"),
            (MessagePageMsgpack = "application/msgpack")
        )),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks chats:use", body = Problem),
        (status = 404, description = "No such organization or chat, or the caller is not in it", body = Problem),
        (status = 406, description = "`Accept` allows neither `application/json` nor `application/msgpack`", body = Problem),
        (status = 422, description = "Invalid `limit`, both `before` and `after`, or a cursor that is no message \
            of this chat (deleted or expired)", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn list_messages(
    messaging: web::Data<MessagingService>,
    guard: RequirePermission<perm::ChatsUse>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = chat_id(&req)?;
    let format = msgpack::response_format(&req)?;
    let (cursor, limit) = message_query(req.query_string())?;
    let page = messaging.list_messages(&guard.member.membership, id, cursor, limit).await?;
    let has_more = page.has_more;
    match format {
        Format::Json => msgpack::respond(
            HttpResponse::Ok(),
            format,
            &MessagePageResponse { items: page.items.into_iter().map(MessageResponse::from).collect(), has_more },
        ),
        Format::Msgpack => msgpack::respond(
            HttpResponse::Ok(),
            format,
            &MessagePageMsgpack { items: page.items.into_iter().map(MessageMsgpack::from).collect(), has_more },
        ),
    }
}

fn message_query(query: &str) -> Result<(MessageCursor, u64), ApiError> {
    let web::Query(params) = web::Query::<HashMap<String, String>>::from_query(query)
        .map_err(|_| ApiError::BadRequest("the query string is not valid".into()))?;
    let mut violations = Vec::new();
    let mut cursor_of = |name: &'static str| {
        params.get(name).and_then(|raw| match uuid::Uuid::parse_str(raw) {
            Ok(id) => Some(MessageId::from_uuid(id)),
            Err(_) => {
                violations.push(Violation::new(name, "must be a message id"));
                None
            }
        })
    };
    let before = cursor_of("before");
    let after = cursor_of("after");
    let limit = match params.get("limit").map(|raw| raw.parse::<u64>()) {
        None => DEFAULT_MESSAGES,
        Some(Ok(limit)) if (1..=MAX_MESSAGES).contains(&limit) => limit,
        Some(_) => {
            violations.push(Violation::new("limit", format!("must be an integer from 1 to {MAX_MESSAGES}")));
            0
        }
    };
    let cursor = match (before, after) {
        (Some(_), Some(_)) => {
            violations.push(Violation::new("after", "send `before` or `after`, not both"));
            MessageCursor::Latest
        }
        (Some(before), None) => MessageCursor::Before(before),
        (None, Some(after)) => MessageCursor::After(after),
        (None, None) => MessageCursor::Latest,
    };
    if violations.is_empty() { Ok((cursor, limit)) } else { Err(invalid(violations.into_iter().map(Some))) }
}

/// The largest message body read: the ciphertext at its limit in base64, plus room for
/// the nonce and the other fields.
fn message_body_limit(policy: MessagingPolicy) -> usize {
    policy.max_message_bytes.div_ceil(3) * 4 + 8 * 1024
}

/// Post a message: `ciphertext` and `nonce` in standard base64 (JSON) or as `bin`
/// (`Content-Type: application/msgpack`), checked and stored as bytes, never looked into.
/// The answer is JSON, or MessagePack when `Accept` prefers `application/msgpack`. The same `client_id` from the same sender in the same chat
/// answers the original message with 200, so a retry never duplicates. Each post counts
/// against the caller's posting limit in this chat (`messaging.posts_per_minute_per_user`)
/// as well as the API budget.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/chats/{chat_id}/messages",
    tag = "chats",
    params(("id" = Uuid, Path, description = "Organization id"), ("chat_id" = Uuid, Path, description = "Chat id")),
    request_body(
        description = "The message: JSON with base64 bytes, or a MessagePack map with `bin` bytes",
        content((PostMessageRequest = "application/json"), (PostMessageMsgpack = "application/msgpack"))
    ),
    responses(
        (status = 200, description = "The original message of this `client_id`", content(
            (MessageResponse = "application/json"),
            (MessageMsgpack = "application/msgpack")
        )),
        (status = 201, description = "Posted", content(
            (MessageResponse = "application/json"),
            (MessageMsgpack = "application/msgpack")
        )),
        (status = 400, description = "Malformed JSON (`/problems/malformed-json`) or MessagePack \
            (`/problems/malformed-msgpack`: truncated, not one value, bytes after it)", body = Problem),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks chats:use", body = Problem),
        (status = 404, description = "No such organization or chat, or the caller is not in it", body = Problem),
        (status = 406, description = "`Accept` allows neither `application/json` nor `application/msgpack`", body = Problem),
        (status = 413, description = "Over the message body limit", body = Problem),
        (status = 415, description = "Neither JSON nor MessagePack", body = Problem),
        (status = 422, description = "Invalid fields, named (`ciphertext` not base64 or over \
            `messaging.max_message_bytes`, `nonce` over 64 bytes)", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn post_message(
    messaging: web::Data<MessagingService>,
    guard: RequirePermission<perm::ChatsUse>,
    req: HttpRequest,
    client: Client,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = chat_id(&req)?;
    if let Some(refused) = refuse_chat_post(&req, id.as_uuid(), guard.member.membership.user_id().as_uuid()).await {
        return Ok(refused);
    }
    let Some(request_format) = msgpack::request_format(&req) else {
        return Err(ApiError::UnsupportedMessageMediaType);
    };
    let format = msgpack::response_format(&req)?;
    let policy = messaging.policy();
    let body = read_limited(&req, payload, message_body_limit(policy)).await?;
    // The bytes as sent: base64 decoded from JSON, or MessagePack's `bin` as they are.
    let new = match request_format {
        Format::Json => parse::<PostMessageRequest>(&body)?.into_new_message(policy)?,
        Format::Msgpack => {
            let request: PostMessageMsgpack = msgpack::parse(&body)?;
            new_message(Ok(request.ciphertext), request.nonce.map(Ok), request.content_type, request.client_id, policy)?
        }
    };
    drop(body);
    let (message, created) = messaging.post_message(&guard.member.membership, id, new, &client.0).await?;
    let builder = if created { HttpResponse::Created() } else { HttpResponse::Ok() };
    match format {
        Format::Json => msgpack::respond(builder, format, &MessageResponse::from(message)),
        Format::Msgpack => msgpack::respond(builder, format, &MessageMsgpack::from(message)),
    }
}

/// Delete a message for real: its sender, or a holder of `chats:manage`.
#[utoipa::path(
    delete,
    path = "/api/v1/organizations/{id}/chats/{chat_id}/messages/{message_id}",
    tag = "chats",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("chat_id" = Uuid, Path, description = "Chat id"),
        ("message_id" = Uuid, Path, description = "Message id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Neither the sender nor a holder of chats:manage", body = Problem),
        (status = 404, description = "No such organization, chat or message, or the caller is not in the chat", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn delete_message(
    messaging: web::Data<MessagingService>,
    guard: RequirePermission<perm::ChatsUse>,
    req: HttpRequest,
    client: Client,
) -> Result<HttpResponse, ApiError> {
    let id = chat_id(&req)?;
    let message = MessageId::from_uuid(path_uuid(&req, "message_id")?);
    messaging.delete_message(&guard.member.membership, id, message, &client.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Move the caller's read pointer to `up_to` (never backwards; an older message leaves
/// it where it is). Answers the caller's receipt.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/chats/{chat_id}/read",
    tag = "chats",
    params(("id" = Uuid, Path, description = "Organization id"), ("chat_id" = Uuid, Path, description = "Chat id")),
    request_body = MarkReadRequest,
    responses(
        (status = 200, description = "The caller's receipt", body = ReceiptResponse),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks chats:use", body = Problem),
        (status = 404, description = "No such organization, chat or message, or the caller is not in the chat", body = Problem),
        (status = 422, description = "`up_to` is not a message id", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn mark_read(
    messaging: web::Data<MessagingService>,
    guard: RequirePermission<perm::ChatsUse>,
    req: HttpRequest,
    client: Client,
    body: DeferredJson<MarkReadRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = chat_id(&req)?;
    let request = body.into_result()?;
    let receipt =
        messaging.mark_read(&guard.member.membership, id, MessageId::from_uuid(request.up_to), &client.0).await?;
    Ok(HttpResponse::Ok().json(ReceiptResponse::from(receipt)))
}

/// Every member's read pointer.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/chats/{chat_id}/receipts",
    tag = "chats",
    params(("id" = Uuid, Path, description = "Organization id"), ("chat_id" = Uuid, Path, description = "Chat id")),
    responses(
        (status = 200, description = "Each member's read pointer", body = ReceiptList),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The caller's role lacks chats:use", body = Problem),
        (status = 404, description = "No such organization or chat, or the caller is not in it", body = Problem),
    ),
    security(("bearer" = []))
)]
async fn receipts(
    messaging: web::Data<MessagingService>,
    guard: RequirePermission<perm::ChatsUse>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let members = messaging.receipts(&guard.member.membership, chat_id(&req)?).await?;
    Ok(HttpResponse::Ok().json(ReceiptList { items: members.into_iter().map(ReceiptResponse::from).collect() }))
}

#[cfg(test)]
mod tests {
    use base64::{Engine as _, engine::general_purpose::STANDARD};

    use super::*;

    #[test]
    fn the_message_body_limit_fits_the_largest_ciphertext_in_base64() {
        let policy = MessagingPolicy::default();
        let encoded = STANDARD.encode(vec![0u8; policy.max_message_bytes]).len();
        assert!(message_body_limit(policy) > encoded + 200);
    }

    #[test]
    fn message_queries_name_their_fields() {
        assert_eq!(message_query("").expect("defaults"), (MessageCursor::Latest, DEFAULT_MESSAGES));
        let id = uuid::Uuid::now_v7();
        assert_eq!(
            message_query(&format!("before={id}&limit=200")).expect("valid"),
            (MessageCursor::Before(MessageId::from_uuid(id)), 200)
        );
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=201", "limit"),
            ("before=x", "before"),
            (&format!("before={id}&after={id}"), "after"),
        ] {
            match message_query(query) {
                Err(ApiError::Service(authdb_service::ServiceError::Invalid(violations))) => {
                    assert_eq!(violations[0].field, field, "{query}");
                }
                other => panic!("{query}: {other:?}"),
            }
        }
    }
}
