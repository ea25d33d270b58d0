//! Upload options: the shared order options (see `order_intake::options` for the table of query
//! parameters and `x-sketch-*` headers), with their errors as [`UploadError`]s.

use store::OrderOptions;

use crate::error::UploadError;

pub use order_intake::options::{
    DEFAULT_BACKGROUND, DEFAULT_DURATION_MS, DEFAULT_HEIGHT_PX, DEFAULT_SKETCH, DEFAULT_WIDTH_PX,
};

/// Parses and validates the options of an upload. See `order_intake::options::parse_options`.
pub fn parse_options<'a>(
    query: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<OrderOptions, UploadError> {
    Ok(order_intake::options::parse_options(query, headers)?)
}
