use actix_web::{HttpRequest, http::header, web};
use futures_util::StreamExt;

use crate::ApiError;

/// The largest request body accepted, in bytes. Bodies are counted as sent: a compressed
/// one is refused (`crate::encoding`), never inflated past this.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The body, refused with a 413 as soon as it is known to exceed `limit` (by its
/// `Content-Length`, or by the bytes that arrived).
pub(crate) async fn read_limited(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, ApiError> {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if announced.is_some_and(|length| length > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let mut body = web::BytesMut::with_capacity(announced.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::BadRequest("could not read the request body".into()))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
