//! Reading a request body with a size limit enforced while it arrives.

use futures::{Stream, StreamExt};

/// The reasons a request body cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The request body has no bytes.
    #[error("the request body is empty")]
    Empty,

    /// The body, or its declared `Content-Length`, is larger than the limit.
    #[error("the request body is larger than {limit_bytes} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit_bytes: usize,
    },

    /// The body stream failed before its end (the client went away, say).
    #[error("the request body could not be read: {0}")]
    Read(String),
}

/// Rejects a request whose `Content-Length` already declares more than `limit_bytes`, before any of
/// the body is read. A missing or unparsable header is left to [`read_body_limited`].
pub fn check_declared_length(content_length: Option<&str>, limit_bytes: usize) -> Result<(), BodyError> {
    let declared_bytes = content_length.and_then(|text| text.trim().parse::<u64>().ok());
    match declared_bytes {
        Some(declared_bytes) if declared_bytes > limit_bytes as u64 => {
            Err(BodyError::TooLarge { limit_bytes })
        }
        _ => Ok(()),
    }
}

/// Reads a body stream into memory, stopping at the first chunk that takes it past `limit_bytes`.
///
/// The rest of the stream is never read: it is dropped with the error. An empty body is an error
/// too, because every caller needs content.
pub async fn read_body_limited<S, E>(stream: S, limit_bytes: usize) -> Result<Vec<u8>, BodyError>
where
    S: Stream<Item = Result<Vec<u8>, E>>,
    E: std::fmt::Display,
{
    let mut stream = std::pin::pin!(stream);
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| BodyError::Read(error.to_string()))?;
        if body.len() + chunk.len() > limit_bytes {
            return Err(BodyError::TooLarge { limit_bytes });
        }
        body.extend_from_slice(&chunk);
    }
    if body.is_empty() {
        return Err(BodyError::Empty);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use futures::executor::block_on;
    use futures::stream;

    use super::*;

    fn chunks(sizes: &[usize]) -> Vec<Result<Vec<u8>, String>> {
        sizes.iter().map(|size| Ok(vec![7u8; *size])).collect()
    }

    #[test]
    fn body_within_limit_is_read_whole() {
        let body = block_on(read_body_limited(stream::iter(chunks(&[4, 3, 3])), 10)).unwrap();
        assert_eq!(body.len(), 10);
    }

    #[test]
    fn body_over_limit_stops_reading() {
        let chunks_read = Cell::new(0);
        let source = stream::iter(chunks(&[6, 6, 6, 6])).inspect(|_| chunks_read.set(chunks_read.get() + 1));
        let error = block_on(read_body_limited(source, 10)).unwrap_err();
        assert!(matches!(error, BodyError::TooLarge { limit_bytes: 10 }), "{error:?}");
        assert_eq!(chunks_read.get(), 2, "reading must stop at the chunk that crosses the limit");
    }

    #[test]
    fn empty_body_is_rejected() {
        let error = block_on(read_body_limited(stream::iter(chunks(&[])), 10)).unwrap_err();
        assert!(matches!(error, BodyError::Empty), "{error:?}");
        let error = block_on(read_body_limited(stream::iter(chunks(&[0, 0])), 10)).unwrap_err();
        assert!(matches!(error, BodyError::Empty), "{error:?}");
    }

    #[test]
    fn stream_error_is_reported() {
        let source = stream::iter(vec![Ok(vec![1u8; 3]), Err("connection reset".to_owned())]);
        let error = block_on(read_body_limited(source, 10)).unwrap_err();
        assert!(matches!(&error, BodyError::Read(cause) if cause == "connection reset"), "{error:?}");
    }

    #[test]
    fn declared_length_over_limit_is_rejected() {
        assert!(check_declared_length(Some("10"), 10).is_ok());
        assert!(check_declared_length(None, 10).is_ok());
        assert!(check_declared_length(Some("not a number"), 10).is_ok());
        let error = check_declared_length(Some("11"), 10).unwrap_err();
        assert!(matches!(error, BodyError::TooLarge { limit_bytes: 10 }), "{error:?}");
        assert!(
            check_declared_length(Some("99999999999999999999"), 10).is_ok(),
            "overflowing u64 is left to the stream"
        );
    }
}
