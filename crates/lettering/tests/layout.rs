//! Layout of text into strokes, checked against the font's own glyph table.

use lettering::font::font_glyph;
use lettering::{Layout, MAX_TEXT_CHARS, TextError, text_to_layout, text_to_strokes};
use strokes::{Point, StrokeSet};

/// Distance from `point` to the segment `a`–`b`.
fn distance_to_segment(point: Point, a: Point, b: Point) -> f32 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let length_squared = dx * dx + dy * dy;
    let t = if length_squared == 0.0 {
        0.0
    } else {
        (((point.x - a.x) * dx + (point.y - a.y) * dy) / length_squared).clamp(0.0, 1.0)
    };
    point.distance(Point::new(a.x + t * dx, a.y + t * dy))
}

fn assert_inside_frame(set: &StrokeSet) {
    for point in set.strokes.iter().flat_map(|stroke| &stroke.points) {
        assert!(
            (0.0..=set.width as f32).contains(&point.x) && (0.0..=set.height as f32).contains(&point.y),
            "point {point:?} outside {}x{}",
            set.width,
            set.height
        );
    }
    set.validate().unwrap();
}

fn ink_x_range(layout: &Layout, glyph_index: usize) -> (f32, f32) {
    let range = layout.glyphs[glyph_index].strokes.clone();
    let xs =
        layout.strokes.strokes[range].iter().flat_map(|stroke| stroke.points.iter().map(|point| point.x));
    xs.fold((f32::MAX, f32::MIN), |(low, high), x| (low.min(x), high.max(x)))
}

#[test]
fn strokes_of_hi_lie_on_font_glyphs() {
    let layout = text_to_layout("Hi", 1080, 1080).unwrap();
    assert_eq!(layout.glyphs.len(), 2);

    for placed in &layout.glyphs {
        // The font's segments for this character, moved by the layout transform.
        let font = font_glyph(placed.ch).unwrap();
        let segments: Vec<(Point, Point)> = font
            .strokes
            .iter()
            .flat_map(|stroke| stroke.windows(2))
            .map(|pair| {
                let to_canvas = |(x, y): (i8, i8)| {
                    layout.transform.apply(placed.origin.0 + f32::from(x), placed.origin.1 + f32::from(y))
                };
                (to_canvas(pair[0]), to_canvas(pair[1]))
            })
            .collect();
        assert!(!segments.is_empty(), "{}", placed.ch);

        assert_eq!(placed.strokes.len(), font.strokes.len(), "{}: one stroke per font stroke", placed.ch);
        for stroke in &layout.strokes.strokes[placed.strokes.clone()] {
            for point in &stroke.points {
                let nearest = segments
                    .iter()
                    .map(|(a, b)| distance_to_segment(*point, *a, *b))
                    .fold(f32::MAX, f32::min);
                assert!(nearest < 0.05, "{}: point {point:?} is {nearest} px off the glyph", placed.ch);
            }
        }
    }
}

#[test]
fn hi_is_drawn_in_reading_order() {
    let layout = text_to_layout("Hi", 1080, 1080).unwrap();
    let (h, i) = (&layout.glyphs[0], &layout.glyphs[1]);
    assert_eq!((h.ch, i.ch), ('H', 'i'));
    assert_eq!(h.strokes.start, 0, "H starts the drawing");
    assert_eq!(h.strokes.end, i.strokes.start, "i follows H directly");
    assert_eq!(i.strokes.end, layout.strokes.strokes.len());

    let (_, h_right) = ink_x_range(&layout, 0);
    let (i_left, _) = ink_x_range(&layout, 1);
    assert!(h_right < i_left, "H ({h_right}) lies left of i ({i_left})");
}

#[test]
fn lines_are_drawn_top_to_bottom() {
    let layout = text_to_layout("AB\nCD\n\nE", 720, 1280).unwrap();
    let chars: String = layout.glyphs.iter().map(|placed| placed.ch).collect();
    assert_eq!(chars, "ABCDE");
    let lines: Vec<usize> = layout.glyphs.iter().map(|placed| placed.line).collect();
    assert_eq!(lines, [0, 0, 1, 1, 3], "the blank line keeps its place");

    // Stroke ranges follow reading order, and each line sits below the one before.
    for pair in layout.glyphs.windows(2) {
        assert_eq!(pair[0].strokes.end, pair[1].strokes.start, "{} then {}", pair[0].ch, pair[1].ch);
    }
    let top_of = |index: usize| {
        let range = layout.glyphs[index].strokes.clone();
        layout.strokes.strokes[range]
            .iter()
            .flat_map(|stroke| &stroke.points)
            .map(|point| point.y)
            .fold(f32::MAX, f32::min)
    };
    assert!(top_of(0) < top_of(2) && top_of(2) < top_of(4), "A above C above E");
    assert_inside_frame(&layout.strokes);
}

#[test]
fn crlf_line_endings_break_lines() {
    let layout = text_to_layout("one\r\ntwo", 1080, 1080).unwrap();
    assert_eq!(layout.line_count, 2);
}

#[test]
fn accented_letters_compose() {
    let layout = text_to_layout("é ñ Å ç ß ü", 1080, 1080).unwrap();
    let plain = text_to_layout("e n A c s u", 1080, 1080).unwrap();
    let accented_counts: Vec<usize> =
        layout.glyphs.iter().filter(|g| g.ch != ' ').map(|g| g.strokes.len()).collect();
    let plain_counts: Vec<usize> =
        plain.glyphs.iter().filter(|g| g.ch != ' ').map(|g| g.strokes.len()).collect();
    // é ñ Å ç ü add one mark stroke (ü adds two dots); ß is its own glyph.
    assert_eq!(accented_counts[0], plain_counts[0] + 1, "é");
    assert_eq!(accented_counts[1], plain_counts[1] + 1, "ñ");
    assert_eq!(accented_counts[2], plain_counts[2] + 1, "Å");
    assert_eq!(accented_counts[3], plain_counts[3] + 1, "ç");
    assert_eq!(accented_counts[5], plain_counts[5] + 2, "ü");
    assert_inside_frame(&layout.strokes);
}

#[test]
fn every_composed_letter_is_drawable() {
    let all: String = lettering::composed_chars().collect();
    for chunk in all.chars().collect::<Vec<_>>().chunks(40) {
        let text: String = chunk.iter().collect();
        let set = text_to_strokes(&text, 1080, 1080).unwrap_or_else(|error| panic!("{text}: {error}"));
        assert_inside_frame(&set);
    }
}

#[test]
fn typographic_characters_use_ascii_forms() {
    let curly = text_to_layout("\u{201C}It\u{2019}s\u{201D} \u{2014} ok\u{2026}", 1080, 1080).unwrap();
    let ascii = text_to_layout("\"It's\" - ok...", 1080, 1080).unwrap();
    assert_eq!(curly.strokes, ascii.strokes);
}

#[test]
fn unsupported_chars_are_all_named_once() {
    let error = text_to_strokes("Hi ☃ and 😀, ☃ again\u{7}", 1080, 1080).unwrap_err();
    assert_eq!(error, TextError::Unsupported { chars: vec!['☃', '😀', '\u{7}'] });
    let message = error.to_string();
    assert!(message.contains("\"☃\" (U+2603)"), "{message}");
    assert!(message.contains("U+1F600"), "{message}");
    assert!(message.contains("U+0007"), "{message}");
}

#[test]
fn limits_are_enforced() {
    let at_limit = "a".repeat(MAX_TEXT_CHARS);
    assert_inside_frame(&text_to_strokes(&at_limit, 1080, 1080).unwrap());
    let over = "a".repeat(MAX_TEXT_CHARS + 1);
    assert_eq!(text_to_strokes(&over, 1080, 1080).unwrap_err(), TextError::TooLong { chars: 201 });

    let twelve = ["x"; 12].join("\n");
    assert!(text_to_strokes(&twelve, 1080, 1080).is_ok());
    let thirteen = ["x"; 13].join("\n");
    assert_eq!(text_to_strokes(&thirteen, 1080, 1080).unwrap_err(), TextError::TooManyLines { lines: 13 });

    for blank in ["", "   ", "\n\n", " \u{00A0} "] {
        assert_eq!(text_to_strokes(blank, 1080, 1080).unwrap_err(), TextError::Empty, "{blank:?}");
    }
}

#[test]
fn long_lines_wrap_and_stay_inside() {
    let sentence = "The quick brown fox jumps over the lazy dog while the cat watches from the garden wall";
    for (width, height) in [(1080, 1080), (1080, 1920), (1920, 1080), (240, 240), (240, 1920)] {
        let layout = text_to_layout(sentence, width, height).unwrap();
        assert_inside_frame(&layout.strokes);
        if height >= width {
            assert!(layout.line_count > 1, "{width}x{height}: a long sentence wraps");
        }
        // No glyph is split, and words keep reading order.
        let mut chars = String::new();
        for (index, placed) in layout.glyphs.iter().enumerate() {
            if index > 0 && layout.glyphs[index - 1].line != placed.line {
                chars.push('\n');
            }
            chars.push(placed.ch);
        }
        assert_eq!(
            chars.split_whitespace().collect::<Vec<_>>(),
            sentence.split_whitespace().collect::<Vec<_>>()
        );
    }
}

#[test]
fn text_is_centred_with_margins() {
    let set = text_to_strokes("Hello", 1080, 1080).unwrap();
    let points: Vec<&Point> = set.strokes.iter().flat_map(|stroke| &stroke.points).collect();
    let min_x = points.iter().map(|point| point.x).fold(f32::MAX, f32::min);
    let max_x = points.iter().map(|point| point.x).fold(f32::MIN, f32::max);
    let min_y = points.iter().map(|point| point.y).fold(f32::MAX, f32::min);
    let max_y = points.iter().map(|point| point.y).fold(f32::MIN, f32::max);
    let margin = 0.08 * 1080.0 - 0.5;
    assert!(min_x >= margin && max_x <= 1080.0 - margin, "{min_x}..{max_x}");
    assert!(((min_x + max_x) / 2.0 - 540.0).abs() < 0.5, "centred horizontally");
    assert!(((min_y + max_y) / 2.0 - 540.0).abs() < 0.5, "centred vertically");
}

#[test]
fn strokes_round_trip_through_serialised_form() {
    let set = text_to_strokes("Grüße, Zoë!\nÇa va?", 720, 720).unwrap();
    let decoded = StrokeSet::from_bytes(&set.to_bytes()).unwrap();
    assert_eq!(decoded, set);
}

#[test]
fn tiny_frame_is_rejected() {
    assert!(matches!(text_to_strokes("Hi", 8, 100), Err(TextError::FrameTooSmall { width: 8, height: 100 })));
}

#[test]
fn short_lines_keep_typed_breaks() {
    for (text, width, height) in
        [("Grüße!\nÇa va?", 1080, 1080), ("Hi", 1080, 1080), ("Hi there", 1920, 1080)]
    {
        let typed_lines = text.lines().count();
        let layout = text_to_layout(text, width, height).unwrap();
        assert_eq!(layout.line_count, typed_lines, "{text:?} at {width}x{height} was wrapped without need");
    }
}

#[test]
fn decomposed_accents_match_precomposed() {
    let decomposed = text_to_strokes("Zoe\u{0308}, cafe\u{0301}", 1080, 1080).unwrap();
    let precomposed = text_to_strokes("Zoë, café", 1080, 1080).unwrap();
    assert_eq!(decomposed, precomposed);
    let error = text_to_strokes("x\u{0301}", 1080, 1080).unwrap_err();
    assert_eq!(error, TextError::Unsupported { chars: vec!['\u{0301}'] });
}
