//! The e-card page checks its fields on the visitor's side with limits written into its markup.
//! These tests keep those limits and the design list equal to the `ecards` crate's, which the
//! server enforces.

use ecards::request::{
    MAX_MESSAGE_CHARS, MAX_NAME_CHARS, MAX_RECIPIENTS, MAX_SCHEDULE_AHEAD_MS, MIN_RECIPIENTS,
};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn page() -> String {
    std::fs::read_to_string(e2e::repo_root().join("static/ecards.html")).expect("static/ecards.html")
}

/// Returns the value of the first `name="…"` attribute in `html`.
fn attribute<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    let start = html.find(&format!("{name}=\""))? + name.len() + 2;
    let end = start + html[start..].find('"')?;
    Some(&html[start..end])
}

#[test]
fn page_limits_match_server() {
    let html = page();
    let cases = [
        ("data-max-name-chars", MAX_NAME_CHARS.to_string()),
        ("data-max-message-chars", MAX_MESSAGE_CHARS.to_string()),
        ("data-min-recipients", MIN_RECIPIENTS.to_string()),
        ("data-max-recipients", MAX_RECIPIENTS.to_string()),
        ("data-max-schedule-days", (MAX_SCHEDULE_AHEAD_MS / DAY_MS).to_string()),
    ];
    for (name, expected) in cases {
        assert_eq!(attribute(&html, name), Some(expected.as_str()), "{name}");
    }
}

#[test]
fn page_lists_every_design() {
    let html = page();
    let offered: Vec<&str> = html
        .match_indices("name=\"design\" value=\"")
        .filter_map(|(index, _)| attribute(&html[index..], "value"))
        .collect();
    let designs: Vec<&str> = ecards::Design::ALL.iter().map(|design| design.as_str()).collect();
    assert_eq!(offered, designs);
}
