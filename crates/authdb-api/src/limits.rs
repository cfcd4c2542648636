use actix_web::{HttpRequest, http::header, web};
use futures_util::StreamExt;

use crate::ApiError;

/// The largest request body accepted, in bytes. Bodies are counted as sent: a compressed
/// one is refused (`crate::encoding`), never inflated past this.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The body, refused with a 413 as soon as it is known to exceed `limit` (by its
/// `Content-Length`, or by the bytes that arrived). It is read into one buffer of its
/// announced length (or of `limit`), never copied while it grows.
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
    // Without an announced length the buffer is reserved at the limit at once: growing it
    // by doubling would hold the old and the new buffer together (one and a half times
    // the limit for a body near it), while untouched reserved pages take no memory.
    let mut body = web::BytesMut::with_capacity(announced.unwrap_or(limit).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::BadRequest("could not read the request body".into()))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
