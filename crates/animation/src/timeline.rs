//! Pen-down length and overlay opacity per frame.

use crate::spec::HOLD_FRAMES;

/// Number of frames over which the circles or the pen tip fade in at the start and out at the end of
/// the drawing, so that the first frame is blank paper and the hold frames show only ink.
const OVERLAY_FADE_FRAMES: u32 = 8;

/// The frames of one animation: drawing frames with evenly growing ink, then the hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeline {
    frame_count: u32,
    drawing_frames: u32,
    total_length_px: f64,
}

impl Timeline {
    /// Creates the timeline of `frame_count` frames for a drawing of `total_length_px`. The caller has
    /// checked that `frame_count` exceeds [`HOLD_FRAMES`] by more than one frame.
    pub(crate) fn new(frame_count: u32, total_length_px: f64) -> Self {
        let drawing_frames = frame_count.saturating_sub(HOLD_FRAMES).max(2);
        Self { frame_count, drawing_frames, total_length_px }
    }

    pub(crate) fn frame_count(&self) -> u32 {
        self.frame_count
    }

    pub(crate) fn drawing_frames(&self) -> u32 {
        self.drawing_frames
    }

    /// Returns the pen-down length inked by frame `index`: 0 at the first frame, growing linearly to
    /// the total length at the last drawing frame, and the total in the hold.
    pub(crate) fn ink_length_at(&self, index: u32) -> f64 {
        let last_drawing_frame = self.drawing_frames - 1;
        if index >= last_drawing_frame {
            return self.total_length_px;
        }
        self.total_length_px * f64::from(index) / f64::from(last_drawing_frame)
    }

    /// Returns the opacity factor (0 to 1) of the circles or pen tip in frame `index`: 0 in the first
    /// and last drawing frames and in the hold, 1 in between apart from the fades.
    pub(crate) fn overlay_opacity_at(&self, index: u32) -> f32 {
        let last_drawing_frame = self.drawing_frames - 1;
        if index >= last_drawing_frame {
            return 0.0;
        }
        let frames_from_edge = index.min(last_drawing_frame - index);
        (frames_from_edge as f32 / OVERLAY_FADE_FRAMES as f32).min(1.0)
    }

    /// Returns whether frame `index` is one of the hold frames at the end.
    pub(crate) fn is_hold(&self, index: u32) -> bool {
        index >= self.drawing_frames
    }
}
