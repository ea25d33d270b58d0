//! Encodes synthetic frames and reads the file back with ffprobe and ffmpeg.

use std::process::Command;

use serde_json::Value;
use video::{EncoderSettings, Mp4Writer, VideoError, Yuv420Frame};

/// Writes `frames` frames whose luma changes every frame, so the encoder has work on each one.
fn encode(settings: EncoderSettings, frames: u32) -> Vec<u8> {
    let mut writer = Mp4Writer::new(settings).unwrap();
    let mut frame = Yuv420Frame::new(settings.width, settings.height).unwrap();
    for index in 0..frames {
        for (at, luma) in frame.y.iter_mut().enumerate() {
            *luma = 16 + ((at as u32 / 7 + index * 13) % 200) as u8;
        }
        writer.write_frame(&frame).unwrap();
    }
    writer.finish().unwrap()
}

fn probe_frames(mp4: &[u8]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("probe.mp4");
    std::fs::write(&path, mp4).unwrap();
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_frames",
            "-show_entries",
            "frame=key_frame,pict_type",
        ])
        .args(["-of", "json"])
        .arg(&path)
        .output()
        .expect("ffprobe runs (scripts/setup.sh installs ffmpeg)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    json["frames"].as_array().unwrap().clone()
}

#[test]
fn changing_frames_are_all_kept() {
    // Every frame differs from the last, which is where a rate-controlled encoder would skip frames.
    let frames = probe_frames(&encode(EncoderSettings::for_size(320, 240), 90));
    assert_eq!(frames.len(), 90);
}

#[test]
fn keyframe_every_two_seconds() {
    let frames = probe_frames(&encode(EncoderSettings::for_size(320, 240), 150));
    let keyframes: Vec<usize> = frames
        .iter()
        .enumerate()
        .filter(|(_, frame)| frame["key_frame"] == 1)
        .map(|(index, _)| index)
        .collect();
    assert_eq!(keyframes, vec![0, 60, 120]);
}

#[test]
fn odd_size_is_rejected() {
    let error = Mp4Writer::new(EncoderSettings::for_size(721, 720)).err().expect("odd width rejected");
    assert!(matches!(error, VideoError::InvalidSize { width: 721, .. }));
    assert!(error.to_string().contains("even"), "{error}");
}

#[test]
fn frame_of_other_size_is_rejected() {
    let mut writer = Mp4Writer::new(EncoderSettings::for_size(320, 240)).unwrap();
    let frame = Yuv420Frame::new(240, 320).unwrap();
    assert!(matches!(writer.write_frame(&frame), Err(VideoError::FrameSizeMismatch { .. })));
}
