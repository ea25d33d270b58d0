//! MP4 muxing with minimp4, made safe to use, and the faststart rewrite.
//!
//! The `minimp4` crate's muxer hands C a pointer to itself when the video track is initialised, so the
//! value must never move afterwards: [`Mp4Muxer`] keeps it in a `Box` for its whole life. Its write
//! callback unwraps I/O errors inside C code, so the muxer only ever writes to memory, where writes and
//! seeks cannot fail. It closes exactly once, in [`Mp4Muxer::finish`] or on drop.
//!
//! minimp4 writes `moov` after `mdat`. A browser then has to fetch the end of the file before it can
//! start playing, so [`make_faststart`] moves `moov` to the front and shifts the chunk offsets.

use std::cell::RefCell;
use std::io::{Cursor, Seek, SeekFrom, Write};
use std::rc::Rc;

use crate::VideoError;

/// Media time units per second that minimp4 uses for H.264 tracks.
const TIMESCALE_HZ: u32 = 90_000;

/// An in-memory file shared between the muxer (which writes it) and [`Mp4Muxer`] (which takes it).
#[derive(Clone, Default)]
struct SharedBuffer(Rc<RefCell<Cursor<Vec<u8>>>>);

impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Seek for SharedBuffer {
    fn seek(&mut self, position: SeekFrom) -> std::io::Result<u64> {
        self.0.borrow_mut().seek(position)
    }
}

/// Muxes Annex B H.264 access units into an MP4 held in memory.
pub struct Mp4Muxer {
    /// Boxed because minimp4 keeps a pointer to it from `init_video` on; it must never move.
    inner: Box<minimp4::Mp4Muxer<SharedBuffer>>,
    buffer: SharedBuffer,
    fps: u32,
    frames: u32,
    /// Set once `close` ran: a second close would free the C muxer twice.
    closed: bool,
}

impl Mp4Muxer {
    /// Creates a muxer with one H.264 video track of `width` by `height` pixels at `fps` frames a second.
    pub fn new(width: u32, height: u32, fps: u32) -> Self {
        let buffer = SharedBuffer::default();
        let mut inner = Box::new(minimp4::Mp4Muxer::new(buffer.clone()));
        // Both fit in i32: callers pass sizes already checked against the 3840-pixel encoder limit.
        inner.init_video(width as i32, height as i32, false, "Smart Banner Hub sketch");
        Self { inner, buffer, fps, frames: 0, closed: false }
    }

    /// Adds one frame: the Annex B bytes of one access unit (SPS and PPS may precede its slice).
    ///
    /// Every frame lasts exactly `90000 / fps` ticks of the 90 kHz track clock (3000 at 30 fps).
    pub fn write_frame(&mut self, annex_b: &[u8]) {
        self.inner.write_video_with_fps(annex_b, self.fps);
        self.frames += 1;
    }

    /// Returns the number of frames written so far.
    pub fn frame_count(&self) -> u32 {
        self.frames
    }

    /// Returns the duration of the frames written so far, in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        let ticks_per_frame = u64::from(TIMESCALE_HZ / self.fps);
        u64::from(self.frames) * ticks_per_frame * 1000 / u64::from(TIMESCALE_HZ)
    }

    /// Closes the file and returns it rewritten as faststart MP4.
    pub fn finish(mut self) -> Result<Vec<u8>, VideoError> {
        if self.frames == 0 {
            return Err(VideoError::Empty);
        }
        self.close();
        let bytes = std::mem::take(self.buffer.0.borrow_mut().get_mut());
        make_faststart(bytes)
    }

    fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            self.inner.close();
        }
    }
}

impl Drop for Mp4Muxer {
    fn drop(&mut self) {
        // Closing frees the C muxer; the bytes it writes into the buffer are discarded with it.
        // NOTE: the minimp4 crate never calls `mp4_h26x_write_close`, so its copies of the SPS and PPS
        // (well under a kilobyte a video) leak. Fixing that needs unsafe code in that crate.
        self.close();
    }
}

/// A top-level box: its type and byte range in the file.
#[derive(Debug, Clone, Copy)]
struct BoxSpan {
    kind: [u8; 4],
    start: usize,
    end: usize,
}

/// Lists the boxes in `bytes[start..end]`, which must tile the range exactly.
fn child_boxes(bytes: &[u8], start: usize, end: usize) -> Result<Vec<BoxSpan>, VideoError> {
    let mut boxes = Vec::new();
    let mut at = start;
    while at < end {
        if end - at < 8 {
            return Err(VideoError::Layout(format!("{} stray bytes at offset {at}", end - at)));
        }
        let size32 = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        let kind: [u8; 4] = bytes[at + 4..at + 8].try_into().expect("4 bytes");
        let size = match size32 {
            0 => end - at,
            1 => {
                if end - at < 16 {
                    return Err(VideoError::Layout(format!("truncated 64-bit box size at offset {at}")));
                }
                let size64 = u64::from_be_bytes(bytes[at + 8..at + 16].try_into().expect("8 bytes"));
                usize::try_from(size64)
                    .map_err(|_| VideoError::Layout(format!("box size {size64} too large")))?
            }
            size => size as usize,
        };
        if size < 8 || size > end - at {
            return Err(VideoError::Layout(format!(
                "box {:?} at offset {at} has size {size}, beyond the end",
                String::from_utf8_lossy(&kind)
            )));
        }
        boxes.push(BoxSpan { kind, start: at, end: at + size });
        at += size;
    }
    Ok(boxes)
}

/// Rewrites an MP4 so that `moov` comes before `mdat` (faststart), shifting every chunk offset.
///
/// A file that is already faststart is returned unchanged. Fragmented files are not supported.
pub fn make_faststart(bytes: Vec<u8>) -> Result<Vec<u8>, VideoError> {
    let top = child_boxes(&bytes, 0, bytes.len())?;
    let position = |kind: &[u8; 4]| top.iter().position(|span| &span.kind == kind);
    let moov_at = position(b"moov").ok_or_else(|| VideoError::Layout("no moov box".into()))?;
    let mdat_at = position(b"mdat").ok_or_else(|| VideoError::Layout("no mdat box".into()))?;
    if moov_at < mdat_at {
        return Ok(bytes);
    }

    // Everything from the first mdat onwards moves back by the size of moov.
    let moov = top[moov_at];
    let shift = (moov.end - moov.start) as u64;
    let mut moved_moov = bytes[moov.start..moov.end].to_vec();
    let moov_len = moved_moov.len();
    shift_chunk_offsets(&mut moved_moov, 0, moov_len, shift)?;

    let insert_at = top[mdat_at].start;
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..insert_at]);
    out.extend_from_slice(&moved_moov);
    for (index, span) in top.iter().enumerate().skip(mdat_at) {
        if index != moov_at {
            out.extend_from_slice(&bytes[span.start..span.end]);
        }
    }
    Ok(out)
}

/// Adds `shift` to every offset in the `stco` and `co64` boxes found under `bytes[start..end]`.
fn shift_chunk_offsets(bytes: &mut [u8], start: usize, end: usize, shift: u64) -> Result<(), VideoError> {
    const CONTAINERS: [&[u8; 4]; 6] = [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"];

    for span in child_boxes(bytes, start, end)? {
        let header = 8;
        if CONTAINERS.contains(&&span.kind) {
            shift_chunk_offsets(bytes, span.start + header, span.end, shift)?;
            continue;
        }
        let wide = match &span.kind {
            b"stco" => false,
            b"co64" => true,
            _ => continue,
        };

        // Full box: version and flags (4 bytes), entry count (4 bytes), then the offsets.
        let count_at = span.start + header + 4;
        let entries_at = count_at + 4;
        if entries_at > span.end {
            return Err(VideoError::Layout("truncated chunk offset box".into()));
        }
        let count = u32::from_be_bytes(bytes[count_at..entries_at].try_into().expect("4 bytes")) as usize;
        let width = if wide { 8 } else { 4 };
        if entries_at + count * width > span.end {
            return Err(VideoError::Layout(format!(
                "chunk offset box claims {count} entries, beyond its end"
            )));
        }
        for entry in 0..count {
            let at = entries_at + entry * width;
            if wide {
                let offset = u64::from_be_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
                bytes[at..at + 8].copy_from_slice(&(offset + shift).to_be_bytes());
            } else {
                let offset = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
                let shifted = u32::try_from(u64::from(offset) + shift).map_err(|_| {
                    VideoError::Layout(
                        "chunk offset passes 4 GiB after moving moov; the file is too large".into(),
                    )
                })?;
                bytes[at..at + 4].copy_from_slice(&shifted.to_be_bytes());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp4_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(payload);
        out
    }

    fn stco(offsets: &[u32]) -> Vec<u8> {
        let mut payload = vec![0, 0, 0, 0];
        payload.extend_from_slice(&(offsets.len() as u32).to_be_bytes());
        for offset in offsets {
            payload.extend_from_slice(&offset.to_be_bytes());
        }
        mp4_box(b"stco", &payload)
    }

    fn read_stco(file: &[u8]) -> Vec<u32> {
        let at = file.windows(4).position(|window| window == b"stco").expect("stco present") + 4;
        let count = u32::from_be_bytes(file[at + 4..at + 8].try_into().unwrap()) as usize;
        (0..count)
            .map(|index| {
                u32::from_be_bytes(file[at + 8 + index * 4..at + 12 + index * 4].try_into().unwrap())
            })
            .collect()
    }

    #[test]
    fn faststart_moves_moov_and_shifts_offsets() {
        let ftyp = mp4_box(b"ftyp", b"isom\0\0\0\0");
        let mdat = mp4_box(b"mdat", b"FRAME-ONEFRAME-TWO");
        let first = (ftyp.len() + 8) as u32;
        let second = first + 9;
        let stbl = mp4_box(b"stbl", &stco(&[first, second]));
        let moov = mp4_box(b"moov", &mp4_box(b"trak", &mp4_box(b"mdia", &mp4_box(b"minf", &stbl))));
        let original = [ftyp.clone(), mdat, moov.clone()].concat();

        let fast = make_faststart(original).unwrap();

        assert_eq!(&fast[4..8], b"ftyp");
        assert_eq!(&fast[ftyp.len() + 4..ftyp.len() + 8], b"moov");
        let offsets = read_stco(&fast);
        assert_eq!(&fast[offsets[0] as usize..offsets[0] as usize + 9], b"FRAME-ONE");
        assert_eq!(&fast[offsets[1] as usize..offsets[1] as usize + 9], b"FRAME-TWO");
    }

    #[test]
    fn faststart_leaves_faststart_file_alone() {
        let file =
            [mp4_box(b"ftyp", b"isom"), mp4_box(b"moov", &stco(&[30])), mp4_box(b"mdat", b"x")].concat();
        assert_eq!(make_faststart(file.clone()).unwrap(), file);
    }

    #[test]
    fn faststart_rejects_box_past_end() {
        let mut file = mp4_box(b"ftyp", b"isom");
        file.extend_from_slice(&[0, 0, 1, 0, b'm', b'd', b'a', b't']);
        assert!(matches!(make_faststart(file), Err(VideoError::Layout(_))));
    }

    #[test]
    fn muxer_reports_duration_of_frames() {
        let muxer = Mp4Muxer::new(64, 64, 30);
        assert_eq!(muxer.duration_ms(), 0);
        assert!(matches!(muxer.finish(), Err(VideoError::Empty)));
    }
}
