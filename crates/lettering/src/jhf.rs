//! Reading the JHF font file and writing the generated glyph table (tests only).
//!
//! A JHF line is one glyph: a five-column glyph number, a three-column count of coordinate pairs
//! (the bounds pair included), the left and right bounds as one pair, then the coordinate pairs.
//! Each coordinate is a character whose distance from `R` is the value, and the pair ` R` lifts the
//! pen.

use std::fmt::Write;

/// One glyph as read from the file.
#[derive(Debug, PartialEq)]
pub(crate) struct JhfGlyph {
    pub number: u32,
    pub left: i8,
    pub right: i8,
    pub strokes: Vec<Vec<(i8, i8)>>,
}

fn coordinate(byte: u8) -> Result<i8, String> {
    i8::try_from(i16::from(byte) - i16::from(b'R'))
        .map_err(|_| format!("coordinate byte {byte} out of range"))
}

/// Parses one JHF line.
pub(crate) fn parse_line(line: &str) -> Result<JhfGlyph, String> {
    let bytes = line.as_bytes();
    if bytes.len() < 10 {
        return Err(format!("line too short: {line:?}"));
    }
    let number = line[..5].trim().parse::<u32>().map_err(|error| format!("glyph number: {error}"))?;
    let pairs = line[5..8].trim().parse::<usize>().map_err(|error| format!("pair count: {error}"))?;
    let data = &bytes[8..];
    if data.len() != pairs * 2 {
        return Err(format!("glyph {number}: {} data bytes for {pairs} pairs", data.len()));
    }

    let left = coordinate(data[0])?;
    let right = coordinate(data[1])?;
    let mut strokes = Vec::new();
    let mut current: Vec<(i8, i8)> = Vec::new();
    for pair in data[2..].chunks(2) {
        if pair == b" R" {
            strokes.push(std::mem::take(&mut current));
        } else {
            current.push((coordinate(pair[0])?, coordinate(pair[1])?));
        }
    }
    strokes.push(current);
    strokes.retain(|stroke| !stroke.is_empty());
    Ok(JhfGlyph { number, left, right, strokes })
}

/// Writes the Rust source of the glyph table.
pub(crate) fn generate_table(source: &str) -> Result<String, String> {
    let glyphs: Vec<JhfGlyph> =
        source.lines().filter(|line| !line.trim().is_empty()).map(parse_line).collect::<Result<_, _>>()?;
    let mut out = String::new();
    let _ =
        writeln!(out, "//! The Hershey Roman Simplex glyphs, generated from `font/rowmans.jhf` by the test");
    let _ =
        writeln!(out, "//! `jhf::tests::glyph_table_matches_font_file`; edit the generator, not this file.");
    let _ = writeln!(out, "//!");
    let _ = writeln!(
        out,
        "//! The Hershey Fonts were originally created by Dr. A. V. Hershey while working at the U. S."
    );
    let _ = writeln!(
        out,
        "//! National Bureau of Standards. The format of the font data this table was converted from was"
    );
    let _ = writeln!(
        out,
        "//! originally created by James Hurt, Cognition, Inc. See `font/README.md` for the licence."
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "use crate::font::FontGlyph;");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "/// Glyphs of the characters U+0020 to U+007E in code point order, then the degree sign."
    );
    let _ = writeln!(out, "#[rustfmt::skip]");
    let _ = writeln!(out, "pub(crate) static ROMAN_SIMPLEX: [FontGlyph; {}] = [", glyphs.len());
    for (index, glyph) in glyphs.iter().enumerate() {
        let ch = if index == 95 { '°' } else { char::from(b' ' + index as u8) };
        let _ = writeln!(out, "    // {ch:?}, Hershey glyph {}", glyph.number);
        let strokes: Vec<String> = glyph
            .strokes
            .iter()
            .map(|stroke| {
                let points: Vec<String> = stroke.iter().map(|(x, y)| format!("({x},{y})")).collect();
                format!("&[{}]", points.join(","))
            })
            .collect();
        let _ = writeln!(
            out,
            "    FontGlyph {{ left: {}, right: {}, strokes: &[{}] }},",
            glyph.left,
            glyph.right,
            strokes.join(", ")
        );
    }
    let _ = writeln!(out, "];");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FONT_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/font/rowmans.jhf");
    const TABLE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/glyphs.rs");

    /// Fails when `src/glyphs.rs` differs from what the font file gives. With
    /// `LETTERING_WRITE_GLYPHS=1` it rewrites the table instead.
    #[test]
    fn glyph_table_matches_font_file() {
        let source = std::fs::read_to_string(FONT_PATH).unwrap();
        let table = generate_table(&source).unwrap();
        if std::env::var_os("LETTERING_WRITE_GLYPHS").is_some() {
            std::fs::write(TABLE_PATH, &table).unwrap();
        }
        let current = std::fs::read_to_string(TABLE_PATH).unwrap();
        assert!(current == table, "src/glyphs.rs is out of date; run with LETTERING_WRITE_GLYPHS=1");
    }

    #[test]
    fn font_file_has_ascii_and_degree() {
        let source = std::fs::read_to_string(FONT_PATH).unwrap();
        let glyphs: Vec<JhfGlyph> = source.lines().map(|line| parse_line(line).unwrap()).collect();
        assert_eq!(glyphs.len(), 96);
        assert!(glyphs[0].strokes.is_empty(), "the space has no ink");
        let capital_a = &glyphs[usize::from(b'A' - b' ')];
        assert_eq!(
            capital_a.strokes,
            vec![vec![(0, -12), (-8, 9)], vec![(0, -12), (8, 9)], vec![(-5, 2), (5, 2)]]
        );
    }

    #[test]
    fn parse_rejects_bad_lines() {
        assert!(parse_line("  501  9I[RFJ").is_err(), "too few pairs");
        assert!(parse_line("short").is_err());
        assert!(parse_line("  5x1  2I[RF").is_err());
    }
}
