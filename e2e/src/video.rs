//! Checks of a rendered MP4 with ffprobe and by reading its top-level boxes.

use std::process::Command;

use serde_json::Value;

/// Runs ffprobe on `mp4` (counting frames) and returns the first video stream's fields, with the
/// container's duration added as `format_duration`.
pub fn probe_stream(mp4: &[u8]) -> Value {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("video.mp4");
    std::fs::write(&path, mp4).expect("write the video");
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_streams", "-show_format"])
        .args(["-of", "json"])
        .arg(&path)
        .output()
        .expect("ffprobe runs (scripts/setup.sh installs ffmpeg)");
    assert!(output.status.success(), "ffprobe failed: {}", String::from_utf8_lossy(&output.stderr));
    let mut json: Value = serde_json::from_slice(&output.stdout).expect("ffprobe prints JSON");
    let mut stream = json["streams"][0].take();
    stream["format_duration"] = json["format"]["duration"].take();
    stream
}

/// Returns the names of the top-level MP4 boxes in file order, checking that they tile the file.
pub fn top_level_box_names(mp4: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut at = 0;
    while at + 8 <= mp4.len() {
        let size = u32::from_be_bytes(mp4[at..at + 4].try_into().expect("four bytes")) as usize;
        names.push(String::from_utf8_lossy(&mp4[at + 4..at + 8]).into_owned());
        assert!(size >= 8, "box at {at} has size {size}");
        at += size;
    }
    assert_eq!(at, mp4.len(), "boxes do not tile the file");
    names
}

/// Asserts what every main-job video must be: H.264 at `width`×`height`, 30 fps, `duration_s`
/// long with one frame per 1/30 s, BT.601 limited range, and faststart (`moov` before `mdat`).
pub fn assert_main_job_video(mp4: &[u8], width: u64, height: u64, duration_s: f64) {
    let stream = probe_stream(mp4);
    assert_eq!(stream["codec_name"], "h264");
    assert_eq!(stream["width"], width);
    assert_eq!(stream["height"], height);
    assert_eq!(stream["r_frame_rate"], "30/1");
    assert_eq!(stream["avg_frame_rate"], "30/1");
    assert_eq!(stream["pix_fmt"], "yuv420p");
    assert_eq!(stream["color_range"], "tv");
    assert_eq!(stream["color_space"], "smpte170m");
    let expected_frames = (duration_s * 30.0).round().to_string();
    assert_eq!(stream["nb_read_frames"].as_str(), Some(expected_frames.as_str()), "decoded frames");
    assert_eq!(stream["nb_frames"].as_str(), Some(expected_frames.as_str()), "frames in the container");
    let duration = stream["format_duration"].as_str().and_then(|text| text.parse::<f64>().ok());
    let duration = duration.expect("ffprobe reports the duration");
    assert!((duration - duration_s).abs() <= 1.0 / 30.0, "duration {duration} s, expected {duration_s} s");

    let names = top_level_box_names(mp4);
    let moov = names.iter().position(|name| name == "moov").expect("moov box");
    let mdat = names.iter().position(|name| name == "mdat").expect("mdat box");
    assert_eq!(names[0], "ftyp");
    assert!(moov < mdat, "moov must precede mdat, found {names:?}");
}
