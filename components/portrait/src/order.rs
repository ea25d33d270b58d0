//! Creating an order from a photo: photo to strokes, then the shared storage steps.

use store::OrderOptions;

use crate::error::UploadError;

pub use order_intake::storage::{NewOrder, RedisCommands, created_reply, store_order};

/// Converts the photo to strokes and builds the order record. Consumes the image and drops it as
/// soon as the strokes exist.
pub fn prepare_order(options: OrderOptions, image: Vec<u8>, now_ms: u64) -> Result<NewOrder, UploadError> {
    let started = std::time::Instant::now();
    let stroke_set = strokes::photo_to_strokes(&image)?;
    let conversion_ms = started.elapsed().as_secs_f64() * 1000.0;
    drop(image);
    Ok(NewOrder::new(options, &stroke_set, conversion_ms, now_ms)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> OrderOptions {
        order_intake::options::parse_options("age_confirmed=true&style=pen&plan=pro", []).unwrap()
    }

    #[test]
    fn rejected_photo_creates_no_order() {
        let error = prepare_order(options(), b"GIF89a".to_vec(), 0).err().unwrap();
        assert_eq!(error.status(), 422, "{error}");
        let error = prepare_order(options(), b"not an image at all".to_vec(), 0).err().unwrap();
        assert_eq!(error.status(), 415, "{error}");
    }
}
