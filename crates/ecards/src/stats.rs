//! Open statistics: the recorded pixel hits of one recipient summed up for the sender's stats page.
//!
//! The figures and what they count:
//! - `hits`: every recorded fetch of any class, so nothing is hidden.
//! - `first_open_unix_ms`, `last_open_unix_ms`: the earliest and latest hit that is not a security
//!   scan. Proxy and prefetch hits are included, because for Gmail and Apple Mail users they are
//!   the only hits there are, but they may precede the actual reading.
//! - `unique_human_opens`: human hits and "view in browser" page loads, grouped into sessions. Such
//!   a hit more than [`OPEN_SESSION_GAP_MS`] after the previous one starts a new open, so a client
//!   that loads the image several times while a mail is read counts once.
//! - `proxy_opens`: hits from Gmail's image proxy and Apple Mail's privacy prefetch.
//! - `scanner_hits`: hits from security scanners.
//! - `device`, `client`: from the latest human hit, or else the latest hit that is not a scan.
//!
//! [`timeline`] lists the hits themselves, oldest first, cut to the latest [`TIMELINE_MAX_HITS`] so
//! a stats reply stays small however often a pixel is fetched. The figures above still count every
//! hit.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::pixel::{Client, Device, OpenClass, OpenInfo};

/// Gap after which a human hit counts as a new open, in milliseconds: 30 minutes.
pub const OPEN_SESSION_GAP_MS: u64 = 30 * 60 * 1000;

/// Maximum number of hits [`timeline`] lists per recipient: the latest ones are kept.
pub const TIMELINE_MAX_HITS: usize = 200;

/// One recorded pixel fetch (or "view in browser" page load).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    /// When the fetch happened, in milliseconds since the Unix epoch.
    pub at_unix_ms: u64,
    /// Its classification.
    pub open: OpenInfo,
}

/// One recipient's open statistics; the module documentation defines each figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientOpens {
    /// Earliest hit that is not a security scan, in milliseconds since the Unix epoch.
    pub first_open_unix_ms: Option<u64>,
    /// Latest hit that is not a security scan, in milliseconds since the Unix epoch.
    pub last_open_unix_ms: Option<u64>,
    /// Number of hits of any class.
    pub hits: u32,
    /// Number of human open sessions.
    pub unique_human_opens: u32,
    /// Number of Gmail proxy and Apple Mail prefetch hits.
    pub proxy_opens: u32,
    /// Number of security scanner hits.
    pub scanner_hits: u32,
    /// Device of the latest human hit, or else of the latest hit that is not a scan.
    pub device: Device,
    /// Client of the latest human hit, or else of the latest hit that is not a scan.
    pub client: Client,
}

/// Sums up one recipient's hits, given in any order.
pub fn summarize(hits: &[Hit]) -> RecipientOpens {
    let mut sorted = hits.to_vec();
    sorted.sort_by_key(|hit| hit.at_unix_ms);

    let not_scan = |hit: &&Hit| hit.open.class != OpenClass::SecurityScanner;
    // A person opening the "view in browser" page has read the card as surely as one whose mail
    // client loaded the pixel.
    let is_human = |hit: &&Hit| matches!(hit.open.class, OpenClass::Human | OpenClass::BrowserView);
    let count = |class: &[OpenClass]| {
        let matching = sorted.iter().filter(|hit| class.contains(&hit.open.class)).count();
        u32::try_from(matching).unwrap_or(u32::MAX)
    };

    let mut unique_human_opens = 0u32;
    let mut previous_human_ms: Option<u64> = None;
    for hit in sorted.iter().filter(is_human) {
        let new_session =
            previous_human_ms.is_none_or(|previous| hit.at_unix_ms - previous > OPEN_SESSION_GAP_MS);
        if new_session {
            unique_human_opens = unique_human_opens.saturating_add(1);
        }
        previous_human_ms = Some(hit.at_unix_ms);
    }

    let described = sorted.iter().rev().find(is_human).or_else(|| sorted.iter().rev().find(not_scan));
    RecipientOpens {
        first_open_unix_ms: sorted.iter().find(not_scan).map(|hit| hit.at_unix_ms),
        last_open_unix_ms: sorted.iter().rev().find(not_scan).map(|hit| hit.at_unix_ms),
        hits: u32::try_from(sorted.len()).unwrap_or(u32::MAX),
        unique_human_opens,
        proxy_opens: count(&[OpenClass::GmailProxy, OpenClass::AppleMailPrefetch]),
        scanner_hits: count(&[OpenClass::SecurityScanner]),
        device: described.map_or(Device::Unknown, |hit| hit.open.device),
        client: described.map_or(Client::Unknown, |hit| hit.open.client),
    }
}

/// One recipient's hits for the stats page, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// The latest hits, at most [`TIMELINE_MAX_HITS`], sorted by time with the oldest first.
    pub hits: Vec<Hit>,
    /// Number of older hits left out because of the limit.
    pub omitted: u32,
    /// The limit that applied: [`TIMELINE_MAX_HITS`].
    pub limit: u32,
}

/// Sorts one recipient's hits, given in any order, oldest first and keeps the latest
/// [`TIMELINE_MAX_HITS`].
pub fn timeline(hits: &[Hit]) -> Timeline {
    let mut sorted = hits.to_vec();
    sorted.sort_by_key(|hit| hit.at_unix_ms);
    let omitted = sorted.len().saturating_sub(TIMELINE_MAX_HITS);
    sorted.drain(..omitted);
    Timeline {
        hits: sorted,
        omitted: u32::try_from(omitted).unwrap_or(u32::MAX),
        limit: u32::try_from(TIMELINE_MAX_HITS).unwrap_or(u32::MAX),
    }
}

/// Groups hits by recipient id and sums up each group. Recipients without hits do not appear.
pub fn summarize_by_recipient<'a>(
    hits: impl IntoIterator<Item = (&'a str, Hit)>,
) -> BTreeMap<String, RecipientOpens> {
    let mut groups: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    for (recipient_id, hit) in hits {
        groups.entry(recipient_id.to_owned()).or_default().push(hit);
    }
    groups.into_iter().map(|(recipient_id, hits)| (recipient_id, summarize(&hits))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE_MS: u64 = 60 * 1000;
    const SENT_MS: u64 = 1_748_736_000_000;

    fn hit(minutes_after_send: u64, class: OpenClass, device: Device, client: Client) -> Hit {
        Hit { at_unix_ms: SENT_MS + minutes_after_send * MINUTE_MS, open: OpenInfo { class, device, client } }
    }

    fn human(minutes_after_send: u64, device: Device, client: Client) -> Hit {
        hit(minutes_after_send, OpenClass::Human, device, client)
    }

    #[test]
    fn no_hits_summarize_empty() {
        let summary = summarize(&[]);
        assert_eq!(
            summary,
            RecipientOpens {
                first_open_unix_ms: None,
                last_open_unix_ms: None,
                hits: 0,
                unique_human_opens: 0,
                proxy_opens: 0,
                scanner_hits: 0,
                device: Device::Unknown,
                client: Client::Unknown,
            }
        );
    }

    #[test]
    fn mixed_hits_summarize() {
        // Given out of order on purpose.
        let hits = [
            human(200, Device::Phone, Client::AppleMail),
            hit(0, OpenClass::SecurityScanner, Device::Desktop, Client::Outlook),
            hit(1, OpenClass::GmailProxy, Device::Unknown, Client::Gmail),
            human(10, Device::Desktop, Client::Chrome),
            human(25, Device::Desktop, Client::Chrome),
            hit(300, OpenClass::SecurityScanner, Device::Unknown, Client::Unknown),
        ];
        let summary = summarize(&hits);
        assert_eq!(summary.first_open_unix_ms, Some(SENT_MS + MINUTE_MS));
        assert_eq!(summary.last_open_unix_ms, Some(SENT_MS + 200 * MINUTE_MS));
        assert_eq!(summary.hits, 6);
        // 10 and 25 minutes are one session, 200 minutes another.
        assert_eq!(summary.unique_human_opens, 2);
        assert_eq!(summary.proxy_opens, 1);
        assert_eq!(summary.scanner_hits, 2);
        assert_eq!(summary.device, Device::Phone);
        assert_eq!(summary.client, Client::AppleMail);
    }

    #[test]
    fn session_gap_boundary() {
        let gap_minutes = OPEN_SESSION_GAP_MS / MINUTE_MS;
        let at_gap =
            [human(0, Device::Desktop, Client::Chrome), human(gap_minutes, Device::Desktop, Client::Chrome)];
        assert_eq!(summarize(&at_gap).unique_human_opens, 1);
        let past_gap = [
            human(0, Device::Desktop, Client::Chrome),
            human(gap_minutes + 1, Device::Desktop, Client::Chrome),
        ];
        assert_eq!(summarize(&past_gap).unique_human_opens, 2);
        // Hits every 20 minutes chain into one session.
        let chained: Vec<Hit> =
            (0..5).map(|index| human(index * 20, Device::Desktop, Client::Chrome)).collect();
        assert_eq!(summarize(&chained).unique_human_opens, 1);
    }

    #[test]
    fn browser_views_count_as_human_opens() {
        let hits = [
            hit(0, OpenClass::GmailProxy, Device::Unknown, Client::Gmail),
            hit(300, OpenClass::BrowserView, Device::Phone, Client::Safari),
        ];
        let summary = summarize(&hits);
        assert_eq!(summary.unique_human_opens, 1);
        assert_eq!(summary.proxy_opens, 1);
        assert_eq!(summary.device, Device::Phone);
    }

    #[test]
    fn proxy_only_recipient() {
        let hits = [
            hit(0, OpenClass::AppleMailPrefetch, Device::Unknown, Client::AppleMail),
            hit(90, OpenClass::GmailProxy, Device::Unknown, Client::Gmail),
        ];
        let summary = summarize(&hits);
        assert_eq!(summary.unique_human_opens, 0);
        assert_eq!(summary.proxy_opens, 2);
        assert_eq!(summary.first_open_unix_ms, Some(SENT_MS));
        assert_eq!(summary.client, Client::Gmail);
    }

    #[test]
    fn scans_alone_are_not_opens() {
        let hits = [hit(0, OpenClass::SecurityScanner, Device::Desktop, Client::Outlook)];
        let summary = summarize(&hits);
        assert_eq!(summary.first_open_unix_ms, None);
        assert_eq!(summary.last_open_unix_ms, None);
        assert_eq!(summary.hits, 1);
        assert_eq!(summary.scanner_hits, 1);
        assert_eq!(summary.client, Client::Unknown);
    }

    #[test]
    fn timeline_sorts_oldest_first() {
        let hits = [
            human(30, Device::Phone, Client::Safari),
            hit(1, OpenClass::GmailProxy, Device::Unknown, Client::Gmail),
            hit(0, OpenClass::SecurityScanner, Device::Desktop, Client::Outlook),
        ];
        let listed = timeline(&hits);
        let minutes: Vec<u64> =
            listed.hits.iter().map(|hit| (hit.at_unix_ms - SENT_MS) / MINUTE_MS).collect();
        assert_eq!(minutes, [0, 1, 30]);
        assert_eq!(listed.hits[1].open.class, OpenClass::GmailProxy);
        assert_eq!(listed.hits[2].open.client, Client::Safari);
        assert_eq!(listed.omitted, 0);
        assert_eq!(listed.limit as usize, TIMELINE_MAX_HITS);
    }

    #[test]
    fn timeline_keeps_latest_hits() {
        let total = TIMELINE_MAX_HITS as u64 + 25;
        // Newest first, so the cut must follow time rather than input order.
        let hits: Vec<Hit> =
            (0..total).rev().map(|minute| human(minute, Device::Desktop, Client::Chrome)).collect();
        let listed = timeline(&hits);
        assert_eq!(listed.hits.len(), TIMELINE_MAX_HITS);
        assert_eq!(listed.omitted, 25);
        assert_eq!(listed.hits[0].at_unix_ms, SENT_MS + 25 * MINUTE_MS, "the 25 oldest are left out");
        assert_eq!(listed.hits.last().unwrap().at_unix_ms, SENT_MS + (total - 1) * MINUTE_MS);
        assert!(listed.hits.windows(2).all(|pair| pair[0].at_unix_ms <= pair[1].at_unix_ms));
        // The summary still counts every hit.
        assert_eq!(summarize(&hits).hits as u64, total);
    }

    #[test]
    fn timeline_of_no_hits_is_empty() {
        let listed = timeline(&[]);
        assert!(listed.hits.is_empty());
        assert_eq!(listed.omitted, 0);
    }

    #[test]
    fn hits_group_by_recipient() {
        let summaries = summarize_by_recipient([
            ("r1", human(5, Device::Desktop, Client::Firefox)),
            ("r2", hit(1, OpenClass::GmailProxy, Device::Unknown, Client::Gmail)),
            ("r1", human(100, Device::Desktop, Client::Firefox)),
        ]);
        assert_eq!(summaries.len(), 2);
        assert_eq!(summaries["r1"].unique_human_opens, 2);
        assert_eq!(summaries["r2"].proxy_opens, 1);
    }
}
