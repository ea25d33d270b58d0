//! Placement of the stroke coordinate space inside the frame.

use strokes::Point;

/// Margin on every side of the drawing, as a fraction of the frame's short side.
pub const MARGIN_FRACTION: f32 = 0.06;

/// A uniform scale and an offset that map stroke coordinates to frame pixels.
///
/// The stroke canvas is scaled to the largest size that keeps its aspect ratio and leaves a margin of
/// [`MARGIN_FRACTION`] of the frame's short side on every side, and it is centred in the frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    /// Frame pixels per stroke-canvas pixel.
    pub scale: f32,
    /// Frame x of the canvas origin, in pixels.
    pub offset_x: f32,
    /// Frame y of the canvas origin, in pixels.
    pub offset_y: f32,
}

impl Fit {
    /// Computes the placement of a `canvas_width`×`canvas_height` stroke canvas in a
    /// `frame_width`×`frame_height` frame. Both sizes must be non-zero.
    #[must_use]
    pub fn new(canvas_width: u32, canvas_height: u32, frame_width: u32, frame_height: u32) -> Self {
        let (canvas_width, canvas_height) = (canvas_width.max(1) as f32, canvas_height.max(1) as f32);
        let (frame_width, frame_height) = (frame_width as f32, frame_height as f32);
        let margin_px = MARGIN_FRACTION * frame_width.min(frame_height);

        let scale = ((frame_width - 2.0 * margin_px) / canvas_width)
            .min((frame_height - 2.0 * margin_px) / canvas_height);
        Self {
            scale,
            offset_x: (frame_width - canvas_width * scale) / 2.0,
            offset_y: (frame_height - canvas_height * scale) / 2.0,
        }
    }

    /// Maps a point of the stroke canvas to frame pixels.
    #[must_use]
    pub fn map(&self, point: Point) -> Point {
        Point::new(self.offset_x + point.x * self.scale, self.offset_y + point.y * self.scale)
    }
}
