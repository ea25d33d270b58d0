//! Reading the uploaded image with the size limit enforced while it arrives, through the shared
//! `order_intake::body` functions, with their errors as [`UploadError`]s.

use futures::Stream;

use crate::error::UploadError;

/// Rejects a request whose `Content-Length` already declares more than `limit_bytes`, before any of
/// the body is read. A missing or unparsable header is left to [`read_body_limited`].
pub fn check_declared_length(content_length: Option<&str>, limit_bytes: usize) -> Result<(), UploadError> {
    Ok(order_intake::body::check_declared_length(content_length, limit_bytes)?)
}

/// Reads the photo into memory, stopping at the first chunk that takes it past `limit_bytes`.
pub async fn read_body_limited<S, E>(stream: S, limit_bytes: usize) -> Result<Vec<u8>, UploadError>
where
    S: Stream<Item = Result<Vec<u8>, E>>,
    E: std::fmt::Display,
{
    Ok(order_intake::body::read_body_limited(stream, limit_bytes).await?)
}
