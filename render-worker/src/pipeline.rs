//! Strokes to MP4: drawing frames on one thread while the encoder runs on the calling thread.

use std::ops::ControlFlow;
use std::sync::mpsc;
use std::thread;

use animation::{Animation, AnimationSpec};
use anyhow::{Context, anyhow};
use strokes::StrokeSet;
use video::{EncoderSettings, Mp4Writer, Yuv420Frame};

/// Frames drawn ahead of the encoder: enough to absorb jitter, few enough to bound memory
/// (a 1080x1920 frame is about 3 MB in YUV 4:2:0).
const FRAMES_IN_FLIGHT: usize = 4;

/// A finished render.
pub struct RenderedVideo {
    /// The faststart MP4 file.
    pub mp4: Vec<u8>,
    /// Number of frames in the video.
    pub frame_count: u32,
}

/// The error [`render_video_until`] returns when its progress callback stops the render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderCancelled;

impl std::fmt::Display for RenderCancelled {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("the render was cancelled")
    }
}

impl std::error::Error for RenderCancelled {}

/// Renders `strokes` as specified and returns the MP4.
///
/// `on_progress` is called after each encoded frame with the number of frames done and the total,
/// so callers can show a progress bar or write the order's progress.
pub fn render_video(
    strokes: &StrokeSet,
    spec: &AnimationSpec,
    encoder_threads: u16,
    mut on_progress: impl FnMut(u32, u32),
) -> anyhow::Result<RenderedVideo> {
    render_video_until(strokes, spec, encoder_threads, |done, total| {
        on_progress(done, total);
        ControlFlow::Continue(())
    })
}

/// Renders like [`render_video`], but stops as soon as `on_progress` returns [`ControlFlow::Break`].
///
/// A stopped render returns an error that downcasts to [`RenderCancelled`].
pub fn render_video_until(
    strokes: &StrokeSet,
    spec: &AnimationSpec,
    encoder_threads: u16,
    mut on_progress: impl FnMut(u32, u32) -> ControlFlow<()>,
) -> anyhow::Result<RenderedVideo> {
    let animation = Animation::new(strokes, spec).context("invalid animation settings")?;
    let total = animation.frame_count();
    let settings = EncoderSettings::for_size(spec.width, spec.height).with_threads(encoder_threads);
    let mut writer = Mp4Writer::new(settings).context("failed to start the h264 encoder")?;

    // Finished frames flow to the encoder; their buffers flow back to be drawn into again.
    let (full_sender, full_receiver) = mpsc::sync_channel::<Yuv420Frame>(FRAMES_IN_FLIGHT);
    let (empty_sender, empty_receiver) = mpsc::channel::<Yuv420Frame>();
    for _ in 0..FRAMES_IN_FLIGHT + 1 {
        empty_sender.send(Yuv420Frame::new(spec.width, spec.height)?).expect("receiver is alive");
    }

    thread::scope(|scope| -> anyhow::Result<()> {
        // Owned by this closure, so both close when it returns early: a drawer waiting for a buffer
        // then gets the hang-up and stops, instead of blocking the scope's join forever.
        let (full_receiver, empty_sender) = (full_receiver, empty_sender);
        let drawer = scope.spawn(move || {
            let mut renderer = animation.renderer();
            while let Some(frame) = renderer.next_frame() {
                // The encoder hung up: it failed or was cancelled, and the caller gets its error.
                let Ok(mut yuv) = empty_receiver.recv() else { return };
                animation::yuv::rgb_to_yuv420(frame, &mut yuv.y, &mut yuv.u, &mut yuv.v);
                if full_sender.send(yuv).is_err() {
                    return;
                }
            }
        });

        for yuv in full_receiver.iter() {
            writer.write_frame(&yuv)?;
            if on_progress(writer.frame_count(), total).is_break() {
                // Returning drops the receiver, so the drawer stops at its next frame.
                return Err(RenderCancelled.into());
            }
            // The drawer may already be done and gone, so a failed send is fine.
            let _ = empty_sender.send(yuv);
        }

        drawer.join().map_err(|_| anyhow!("the frame drawing thread panicked"))
    })?;

    let frame_count = writer.frame_count();
    if frame_count != total {
        return Err(anyhow!("encoded {frame_count} frames of {total}"));
    }
    let mp4 = writer.finish().context("failed to finish the mp4 file")?;
    Ok(RenderedVideo { mp4, frame_count })
}
