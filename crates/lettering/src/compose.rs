//! Letters the font lacks, built from its glyphs: accented letters (base letter plus diacritic
//! strokes), `ß`, `¡`, `¿`, and typographic characters replaced by their ASCII forms.
//!
//! The diacritics are small polylines drawn for this project in font units. They sit 2 units above
//! the top of the base letter (the x-height for lowercase, the cap height for capitals) and are
//! centred on the base letter's ink, except the cedilla and ogonek, which hang below the baseline.

use crate::font::{BASELINE, CAP_TOP, Glyph, X_HEIGHT_TOP, font_glyph};

/// A diacritic mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Acute,
    Grave,
    Circumflex,
    Caron,
    Diaeresis,
    Tilde,
    Ring,
    Cedilla,
    Ogonek,
    Slash,
    Bar,
}

/// Composed letters: the character, its base letter and its mark. The base `ı` (dotless i) is the
/// font's `i` without its dot.
const COMPOSED: &[(char, char, Mark)] = &[
    ('À', 'A', Mark::Grave),
    ('Á', 'A', Mark::Acute),
    ('Â', 'A', Mark::Circumflex),
    ('Ã', 'A', Mark::Tilde),
    ('Ä', 'A', Mark::Diaeresis),
    ('Å', 'A', Mark::Ring),
    ('Ą', 'A', Mark::Ogonek),
    ('Ç', 'C', Mark::Cedilla),
    ('Č', 'C', Mark::Caron),
    ('Ć', 'C', Mark::Acute),
    ('Ď', 'D', Mark::Caron),
    ('È', 'E', Mark::Grave),
    ('É', 'E', Mark::Acute),
    ('Ê', 'E', Mark::Circumflex),
    ('Ë', 'E', Mark::Diaeresis),
    ('Ě', 'E', Mark::Caron),
    ('Ę', 'E', Mark::Ogonek),
    ('Ì', 'I', Mark::Grave),
    ('Í', 'I', Mark::Acute),
    ('Î', 'I', Mark::Circumflex),
    ('Ï', 'I', Mark::Diaeresis),
    ('Ł', 'L', Mark::Bar),
    ('Ñ', 'N', Mark::Tilde),
    ('Ň', 'N', Mark::Caron),
    ('Ń', 'N', Mark::Acute),
    ('Ò', 'O', Mark::Grave),
    ('Ó', 'O', Mark::Acute),
    ('Ô', 'O', Mark::Circumflex),
    ('Õ', 'O', Mark::Tilde),
    ('Ö', 'O', Mark::Diaeresis),
    ('Ø', 'O', Mark::Slash),
    ('Ř', 'R', Mark::Caron),
    ('Š', 'S', Mark::Caron),
    ('Ś', 'S', Mark::Acute),
    ('Ş', 'S', Mark::Cedilla),
    ('Ť', 'T', Mark::Caron),
    ('Ù', 'U', Mark::Grave),
    ('Ú', 'U', Mark::Acute),
    ('Û', 'U', Mark::Circumflex),
    ('Ü', 'U', Mark::Diaeresis),
    ('Ů', 'U', Mark::Ring),
    ('Ý', 'Y', Mark::Acute),
    ('Ÿ', 'Y', Mark::Diaeresis),
    ('Ž', 'Z', Mark::Caron),
    ('Ź', 'Z', Mark::Acute),
    ('à', 'a', Mark::Grave),
    ('á', 'a', Mark::Acute),
    ('â', 'a', Mark::Circumflex),
    ('ã', 'a', Mark::Tilde),
    ('ä', 'a', Mark::Diaeresis),
    ('å', 'a', Mark::Ring),
    ('ą', 'a', Mark::Ogonek),
    ('ç', 'c', Mark::Cedilla),
    ('č', 'c', Mark::Caron),
    ('ć', 'c', Mark::Acute),
    ('è', 'e', Mark::Grave),
    ('é', 'e', Mark::Acute),
    ('ê', 'e', Mark::Circumflex),
    ('ë', 'e', Mark::Diaeresis),
    ('ě', 'e', Mark::Caron),
    ('ę', 'e', Mark::Ogonek),
    ('ì', 'ı', Mark::Grave),
    ('í', 'ı', Mark::Acute),
    ('î', 'ı', Mark::Circumflex),
    ('ï', 'ı', Mark::Diaeresis),
    ('ł', 'l', Mark::Bar),
    ('ñ', 'n', Mark::Tilde),
    ('ň', 'n', Mark::Caron),
    ('ń', 'n', Mark::Acute),
    ('ò', 'o', Mark::Grave),
    ('ó', 'o', Mark::Acute),
    ('ô', 'o', Mark::Circumflex),
    ('õ', 'o', Mark::Tilde),
    ('ö', 'o', Mark::Diaeresis),
    ('ø', 'o', Mark::Slash),
    ('ř', 'r', Mark::Caron),
    ('š', 's', Mark::Caron),
    ('ś', 's', Mark::Acute),
    ('ş', 's', Mark::Cedilla),
    ('ù', 'u', Mark::Grave),
    ('ú', 'u', Mark::Acute),
    ('û', 'u', Mark::Circumflex),
    ('ü', 'u', Mark::Diaeresis),
    ('ů', 'u', Mark::Ring),
    ('ý', 'y', Mark::Acute),
    ('ÿ', 'y', Mark::Diaeresis),
    ('ž', 'z', Mark::Caron),
    ('ź', 'z', Mark::Acute),
];

/// `ß` drawn for this project: a stem rising into two bowls, in font units.
const SHARP_S: &[&[(f32, f32)]] = &[
    &[
        (-5.0, 9.0),
        (-5.0, -6.0),
        (-4.0, -9.0),
        (-2.0, -10.0),
        (1.0, -10.0),
        (3.0, -9.0),
        (4.0, -7.0),
        (4.0, -5.0),
        (3.0, -3.0),
        (0.0, -2.0),
    ],
    &[
        (0.0, -2.0),
        (3.0, -1.0),
        (5.0, 1.0),
        (6.0, 3.0),
        (6.0, 5.0),
        (5.0, 7.0),
        (3.0, 9.0),
        (0.0, 9.0),
        (-2.0, 8.0),
    ],
];

/// Returns the ASCII replacement for a typographic character (curly quotes, dashes, the
/// ellipsis, non-breaking and other spaces), or `None` when `ch` has no stand-in.
pub fn substitute(ch: char) -> Option<&'static str> {
    let text = match ch {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' | '«' | '»' => "\"",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => "-",
        '\u{2026}' => "...",
        '\t' | '\u{00A0}' | '\u{2002}' | '\u{2003}' | '\u{2009}' | '\u{202F}' => " ",
        _ => return None,
    };
    Some(text)
}

/// Returns the combining character (Unicode block U+0300) that stands for `mark`, if it has one.
fn combining_char(mark: Mark) -> Option<char> {
    let ch = match mark {
        Mark::Grave => '\u{0300}',
        Mark::Acute => '\u{0301}',
        Mark::Circumflex => '\u{0302}',
        Mark::Tilde => '\u{0303}',
        Mark::Diaeresis => '\u{0308}',
        Mark::Ring => '\u{030A}',
        Mark::Caron => '\u{030C}',
        Mark::Cedilla => '\u{0327}',
        Mark::Ogonek => '\u{0328}',
        Mark::Slash | Mark::Bar => return None,
    };
    Some(ch)
}

/// Replaces a letter followed by a combining mark (decomposed text, as some systems paste it) with
/// the precomposed letter, when the composition table has it: `e` + U+0301 becomes `é`. Other
/// combining marks are left in place, so they are reported as unsupported.
pub fn precompose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        let base = if ch == 'i' { 'ı' } else { ch };
        let composed = chars.peek().and_then(|next| {
            COMPOSED
                .iter()
                .find(|(_, entry_base, mark)| *entry_base == base && combining_char(*mark) == Some(*next))
                .map(|(composed, _, _)| *composed)
        });
        match composed {
            Some(composed) => {
                out.push(composed);
                chars.next();
            }
            None => out.push(ch),
        }
    }
    out
}

/// Returns the composed glyph for `ch`, or `None` when it is not one of the composed letters.
pub fn composed_glyph(ch: char) -> Option<Glyph> {
    match ch {
        'ß' => return Some(Glyph { left: -8.0, right: 9.0, strokes: owned(SHARP_S) }),
        '¡' => return Some(rotated(font_glyph('!')?.into())),
        '¿' => return Some(rotated(font_glyph('?')?.into())),
        'ı' => return Some(dotless_i()),
        _ => {}
    }
    let (_, base, mark) = COMPOSED.iter().find(|(composed, _, _)| *composed == ch)?;
    let mut glyph = if *base == 'ı' { dotless_i() } else { font_glyph(*base)?.into() };
    let top = if base.is_uppercase() { CAP_TOP } else { X_HEIGHT_TOP };
    let (min_x, min_y, max_x, max_y) = glyph.ink_bounds()?;
    let centre_x = (min_x + max_x) / 2.0;
    glyph.strokes.extend(mark_strokes(*mark, centre_x, top - 2.0, (min_x, min_y, max_x, max_y)));
    Some(glyph)
}

/// Returns every character the composition adds, for tests and documentation.
pub fn composed_chars() -> impl Iterator<Item = char> {
    ['ß', '¡', '¿', 'ı'].into_iter().chain(COMPOSED.iter().map(|(ch, _, _)| *ch))
}

fn owned(strokes: &[&[(f32, f32)]]) -> Vec<Vec<(f32, f32)>> {
    strokes.iter().map(|stroke| stroke.to_vec()).collect()
}

/// Turns a glyph upside down so it hangs from the x-height to the descender line (`¡` from `!`).
fn rotated(glyph: Glyph) -> Glyph {
    // y' = 4 - y maps the cap top (-12) to the descender line (16) and the baseline (9) to the
    // x-height (-5).
    let strokes =
        glyph.strokes.iter().map(|stroke| stroke.iter().map(|(x, y)| (-x, 4.0 - y)).collect()).collect();
    Glyph { left: -glyph.right, right: -glyph.left, strokes }
}

/// Builds the font's `i` without the strokes of its dot, which lie wholly above the x-height.
fn dotless_i() -> Glyph {
    let mut glyph: Glyph = font_glyph('i').expect("the font has an i").into();
    glyph.strokes.retain(|stroke| stroke.iter().any(|(_, y)| *y > X_HEIGHT_TOP - 0.5));
    glyph
}

/// Returns the strokes of `mark`. `bottom` is the lowest y of a mark above the letter, `centre_x`
/// the letter's ink centre and `ink` its ink bounds.
fn mark_strokes(mark: Mark, centre_x: f32, bottom: f32, ink: (f32, f32, f32, f32)) -> Vec<Vec<(f32, f32)>> {
    let at = |points: &[(f32, f32)]| -> Vec<(f32, f32)> {
        points.iter().map(|(x, y)| (centre_x + x, bottom + y)).collect()
    };
    let dot = |x: f32| -> Vec<(f32, f32)> {
        // The shape of the font's own period, a small diamond.
        at(&[(x, -2.0), (x - 1.0, -1.0), (x, 0.0), (x + 1.0, -1.0), (x, -2.0)])
    };
    match mark {
        Mark::Acute => vec![at(&[(-1.0, 0.0), (2.0, -3.5)])],
        Mark::Grave => vec![at(&[(1.0, 0.0), (-2.0, -3.5)])],
        Mark::Circumflex => vec![at(&[(-3.0, 0.0), (0.0, -3.0), (3.0, 0.0)])],
        Mark::Caron => vec![at(&[(-3.0, -3.0), (0.0, 0.0), (3.0, -3.0)])],
        Mark::Diaeresis => vec![dot(-3.0), dot(3.0)],
        Mark::Tilde => {
            vec![at(&[(-3.5, -0.5), (-2.5, -2.0), (-1.0, -2.5), (1.0, -1.0), (2.5, -0.5), (3.5, -2.0)])]
        }
        Mark::Ring => {
            let ring: Vec<(f32, f32)> = (0..=12)
                .map(|step| {
                    let angle = step as f32 / 12.0 * std::f32::consts::TAU;
                    (1.8 * angle.sin(), -1.8 - 1.8 * angle.cos())
                })
                .collect();
            vec![at(&ring)]
        }
        Mark::Cedilla => {
            let hook = [(0.5, BASELINE), (0.0, 11.0), (1.5, 11.5), (2.0, 12.8), (0.8, 13.8), (-1.5, 13.6)];
            vec![hook.iter().map(|(x, y)| (centre_x + x, *y)).collect()]
        }
        Mark::Ogonek => {
            let right = ink.2 - 1.0;
            let hook = [
                (right, BASELINE),
                (right - 2.0, 11.0),
                (right - 2.0, 12.8),
                (right - 0.5, 13.8),
                (right + 1.0, 13.5),
            ];
            vec![hook.to_vec()]
        }
        Mark::Slash => {
            let (min_x, min_y, max_x, max_y) = ink;
            vec![vec![(min_x - 1.0, max_y + 1.0), (max_x + 1.0, min_y - 1.0)]]
        }
        Mark::Bar => {
            // A short rising bar across the letter's stem, which is its leftmost ink.
            let stem_x = ink.0;
            vec![vec![(stem_x - 2.5, 0.5), (stem_x + 3.5, -3.5)]]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accented_letter_adds_mark_above_base() {
        let base: Glyph = font_glyph('e').unwrap().into();
        let accented = composed_glyph('é').unwrap();
        assert_eq!(accented.strokes[..base.strokes.len()], base.strokes[..], "the base letter is kept whole");
        assert_eq!(accented.strokes.len(), base.strokes.len() + 1);
        let mark = accented.strokes.last().unwrap();
        assert!(mark.iter().all(|(_, y)| *y < X_HEIGHT_TOP), "acute above the x-height: {mark:?}");
        assert_eq!(accented.advance(), base.advance());
    }

    #[test]
    fn capital_marks_sit_above_cap_height() {
        for ch in ['É', 'Ä', 'Å', 'Ñ', 'Ö'] {
            let glyph = composed_glyph(ch).unwrap();
            let mark = glyph.strokes.last().unwrap();
            assert!(mark.iter().all(|(_, y)| *y < CAP_TOP), "{ch}: {mark:?}");
        }
    }

    #[test]
    fn cedilla_hangs_below_baseline() {
        let glyph = composed_glyph('ç').unwrap();
        let mark = glyph.strokes.last().unwrap();
        assert!(mark.iter().all(|(_, y)| *y >= BASELINE), "{mark:?}");
    }

    #[test]
    fn accented_i_loses_its_dot() {
        let plain: Glyph = font_glyph('i').unwrap().into();
        let accented = composed_glyph('í').unwrap();
        assert_eq!(accented.strokes.len(), plain.strokes.len(), "dot replaced by the acute");
        let above: Vec<_> =
            accented.strokes.iter().filter(|stroke| stroke.iter().all(|(_, y)| *y < X_HEIGHT_TOP)).collect();
        assert_eq!(above.len(), 1, "only the acute is above the x-height");
    }

    #[test]
    fn every_composed_char_has_strokes_of_two_points() {
        for ch in composed_chars() {
            let glyph = composed_glyph(ch).unwrap_or_else(|| panic!("{ch} does not compose"));
            assert!(!glyph.strokes.is_empty(), "{ch}");
            assert!(glyph.strokes.iter().all(|stroke| stroke.len() >= 2), "{ch}");
            assert!(glyph.advance() > 0.0, "{ch}");
        }
    }

    #[test]
    fn decomposed_letters_are_precomposed() {
        assert_eq!(precompose("Zoe\u{0308} cafe\u{0301} i\u{0302}le C\u{0327}a"), "Zoë café île Ça");
        assert_eq!(precompose("x\u{0301}"), "x\u{0301}", "no precomposed x with acute");
        assert_eq!(precompose("plain"), "plain");
    }

    #[test]
    fn inverted_marks_hang_below_x_height() {
        let glyph = composed_glyph('¡').unwrap();
        let (_, min_y, _, max_y) = glyph.ink_bounds().unwrap();
        assert!(min_y >= X_HEIGHT_TOP - 0.01, "top {min_y} above the x-height");
        assert!(max_y > BASELINE, "bottom {max_y} not below the baseline");
    }
}
