//! The point cloud: ordered pen strokes and their compact serialised form.
//!
//! A [`StrokeSet`] crosses from the edge components to the render workers, so its encoding carries a
//! format version and rejects anything it cannot read instead of guessing.

use serde::{Deserialize, Serialize};

/// Current version of the serialised form, written first by [`StrokeSet::to_bytes`].
pub const FORMAT_VERSION: u16 = 1;

/// Largest serialised stroke set [`StrokeSet::from_bytes`] accepts, in bytes.
pub const MAX_SERIALISED_BYTES: usize = 16 * 1024 * 1024;

/// A point in the coordinate space of the stroke set, in pixels of the working image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Horizontal position, growing to the right.
    pub x: f32,
    /// Vertical position, growing downwards.
    pub y: f32,
}

impl Point {
    /// Creates a point.
    pub const fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }

    /// Returns the Euclidean distance to `other`.
    pub fn distance(self, other: Point) -> f32 {
        (self.x - other.x).hypot(self.y - other.y)
    }
}

/// The drawing pass a stroke belongs to, in the order an artist draws them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Pass {
    /// Outer contours: the silhouette and the largest shapes.
    Contour,
    /// Features: long inner lines such as eyes, mouth, hair partings and folds.
    Feature,
    /// Detail: short strokes, texture and shading hints.
    Detail,
}

/// One pen-down polyline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stroke {
    /// The pass this stroke is drawn in.
    pub pass: Pass,
    /// At least two points, in drawing order.
    pub points: Vec<Point>,
}

impl Stroke {
    /// Returns the length of the polyline in pixels.
    pub fn length(&self) -> f32 {
        self.points.windows(2).map(|pair| pair[0].distance(pair[1])).sum()
    }
}

/// Ordered strokes of one drawing: the point cloud of an order.
///
/// Strokes are stored in drawing order, grouped by pass (all contours, then features, then detail).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrokeSet {
    /// Width of the coordinate space in pixels; every point lies in `0..=width`.
    pub width: u32,
    /// Height of the coordinate space in pixels; every point lies in `0..=height`.
    pub height: u32,
    /// Strokes in drawing order.
    pub strokes: Vec<Stroke>,
}

/// The serialised layout: the version first, so a reader can reject a newer format by value.
#[derive(Serialize, Deserialize)]
struct Envelope {
    version: u16,
    set: StrokeSet,
}

#[derive(Deserialize)]
struct VersionOnly {
    version: u16,
}

/// Error from reading serialised stroke bytes.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The bytes were written by a format version this build does not read.
    #[error("stroke data has format version {found}; this build reads version {FORMAT_VERSION}")]
    UnsupportedVersion {
        /// The version found in the data.
        found: u16,
    },
    /// The data is longer than [`MAX_SERIALISED_BYTES`].
    #[error("stroke data is {len} bytes; the limit is {MAX_SERIALISED_BYTES} bytes")]
    TooLarge {
        /// Length of the rejected data in bytes.
        len: usize,
    },
    /// The bytes are not a stroke set (truncated or corrupt).
    #[error("stroke data is corrupt: {0}")]
    Corrupt(String),
    /// The data decoded but breaks an invariant (a point outside the canvas, a stroke of one point).
    #[error("stroke data is invalid: {0}")]
    Invalid(String),
}

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_SERIALISED_BYTES>()
}

impl StrokeSet {
    /// Returns the number of points over all strokes.
    pub fn point_count(&self) -> usize {
        self.strokes.iter().map(|stroke| stroke.points.len()).sum()
    }

    /// Returns the summed length of all strokes in pixels (pen-up travel excluded).
    pub fn total_length(&self) -> f32 {
        self.strokes.iter().map(Stroke::length).sum()
    }

    /// Encodes the set with its format version, in bincode's compact form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let envelope = Envelope { version: FORMAT_VERSION, set: self.clone() };
        // Encoding into a Vec only fails past the configured size limit, which the stroke extractor
        // cannot reach (its point budget is far below it).
        bincode::serde::encode_to_vec(&envelope, bincode_config())
            .expect("a stroke set within the point budget always encodes")
    }

    /// Decodes bytes written by [`StrokeSet::to_bytes`] and checks the set's invariants.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FormatError> {
        if bytes.len() > MAX_SERIALISED_BYTES {
            return Err(FormatError::TooLarge { len: bytes.len() });
        }

        let (head, _) = bincode::serde::decode_from_slice::<VersionOnly, _>(bytes, bincode_config())
            .map_err(|error| FormatError::Corrupt(error.to_string()))?;
        if head.version != FORMAT_VERSION {
            return Err(FormatError::UnsupportedVersion { found: head.version });
        }

        let (envelope, read) = bincode::serde::decode_from_slice::<Envelope, _>(bytes, bincode_config())
            .map_err(|error| FormatError::Corrupt(error.to_string()))?;
        if read != bytes.len() {
            return Err(FormatError::Corrupt(format!("{} trailing bytes", bytes.len() - read)));
        }
        envelope.set.validate()?;
        Ok(envelope.set)
    }

    /// Checks that every stroke has two or more finite points inside the canvas.
    pub fn validate(&self) -> Result<(), FormatError> {
        if self.width == 0 || self.height == 0 {
            return Err(FormatError::Invalid(format!("canvas is {}x{} pixels", self.width, self.height)));
        }
        let (width, height) = (self.width as f32, self.height as f32);
        for (index, stroke) in self.strokes.iter().enumerate() {
            if stroke.points.len() < 2 {
                return Err(FormatError::Invalid(format!("stroke {index} has fewer than two points")));
            }
            let outside = stroke.points.iter().any(|point| {
                !(point.x.is_finite() && point.y.is_finite())
                    || point.x < 0.0
                    || point.y < 0.0
                    || point.x > width
                    || point.y > height
            });
            if outside {
                return Err(FormatError::Invalid(format!("stroke {index} has a point outside the canvas")));
            }
        }
        Ok(())
    }
}

/// An sRGB colour chosen by the visitor (background or sketch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rgb {
    /// Red, 0–255.
    pub r: u8,
    /// Green, 0–255.
    pub g: u8,
    /// Blue, 0–255.
    pub b: u8,
}

/// Error from parsing a colour string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid colour {input:?}: expected six hex digits such as #1a2b3c")]
pub struct ColourError {
    /// The rejected text.
    pub input: String,
}

impl Rgb {
    /// White.
    pub const WHITE: Rgb = Rgb { r: 255, g: 255, b: 255 };
    /// Black.
    pub const BLACK: Rgb = Rgb { r: 0, g: 0, b: 0 };

    /// Creates a colour from its channels.
    pub const fn new(r: u8, g: u8, b: u8) -> Self {
        Self { r, g, b }
    }

    /// Parses `#rrggbb` or `rrggbb` (hex digits in either case).
    pub fn parse_hex(input: &str) -> Result<Self, ColourError> {
        let error = || ColourError { input: input.to_owned() };
        let digits = input.strip_prefix('#').unwrap_or(input);
        if digits.len() != 6 || !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(error());
        }
        let channel = |at: usize| u8::from_str_radix(&digits[at..at + 2], 16).map_err(|_| error());
        Ok(Self { r: channel(0)?, g: channel(2)?, b: channel(4)? })
    }

    /// Formats the colour as `#rrggbb` in lowercase.
    pub fn to_hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

impl std::str::FromStr for Rgb {
    type Err = ColourError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse_hex(input)
    }
}
