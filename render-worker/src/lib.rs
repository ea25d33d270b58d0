//! The render worker: turns ordered strokes into a finished MP4.
//!
//! This crate is the native end of the pipeline. The `strokes` crate turns a photo into strokes, the
//! `animation` crate draws the frames, and the `video` crate encodes and muxes them. This crate runs
//! those steps in order, drawing and encoding on two threads so the encoder is never left waiting.
//!
//! Layout:
//! - [`pipeline`]: strokes to MP4, with progress reporting and cancellation.
//! - [`serve`]: the worker pool that renders orders from the Redis job queue.
//! - `main.rs`: the command line (`render-worker render PHOTO -o OUT.mp4`, `render-worker serve`).
#![forbid(unsafe_code)]

pub mod pipeline;
pub mod serve;
