//! The tracking pixel: the image, its response headers, and the classification of each fetch.
//!
//! The pixel response is the same for every token, known, unknown or expired: `200` with
//! [`TRANSPARENT_GIF`] and [`RESPONSE_HEADERS`]. An error status would be cached by Gmail's image
//! proxy and shown as a broken image.
//!
//! # Classification rules
//!
//! [`classify_open`] applies these rules in order. They are heuristics built from the user agents
//! that mail clients and proxies are publicly reported to send, not from any documented contract,
//! and each can misjudge a fetch: the providers change their agents without notice.
//!
//! 1. **Gmail image proxy**: the agent contains `GoogleImageProxy`. Gmail fetches every image
//!    through its proxy, usually when the message is opened but sometimes when it is delivered, and
//!    caches it afterwards, so later opens of the same mail may not reach the server.
//! 2. **Security scanner**: the agent names a mail-security product or crawler (see
//!    [`SCANNER_MARKERS`]), or is an HTTP library rather than a mail client. Such fetches come from
//!    link and attachment scanning, not from a person.
//! 3. **Security scanner (Microsoft)**: the agent contains `Microsoft Office` or `ms-office` and the
//!    fetch comes less than [`MICROSOFT_SCAN_WINDOW_SECONDS`] after the send. Microsoft's scanners
//!    are reported to fetch within a minute of delivery, with agents like Outlook's own. A real
//!    Outlook open inside that minute is misread as a scan, and a later one counts as a human open
//!    in Outlook.
//! 4. **Apple Mail Privacy Protection prefetch**: the agent, trimmed, is exactly `Mozilla/5.0`
//!    (any case). With Privacy Protection on, Apple's proxy loads every image of a mail at delivery,
//!    whether or not it is read. NOTE: Apple Mail's real opens with protection on also come through
//!    that proxy, so they fall in this class too.
//! 5. **Human**: the agent is a browser or known mail client (it starts with `Mozilla/` or names
//!    Outlook, Thunderbird or another client that [`Client`] lists).
//! 6. **Unknown**: anything else, including a missing agent.

use serde::{Deserialize, Serialize};

/// A 1×1 transparent GIF89a: the smallest image every mail client shows without complaint.
///
/// Layout, as the byte comments below mark it:
/// - the header `GIF89a` and a 1×1 logical screen with a two-colour global colour table,
/// - a graphic control extension that makes colour 0 transparent,
/// - a 1×1 image whose LZW data (minimum code size 2) is the codes clear, 0 and end,
/// - the trailer `;`.
pub const TRANSPARENT_GIF: [u8; 43] = [
    b'G', b'I', b'F', b'8', b'9', b'a', // header
    0x01, 0x00, 0x01, 0x00, // width 1, height 1
    0x80, 0x00, 0x00, // global colour table of 2 entries, background 0, no aspect ratio
    0x00, 0x00, 0x00, 0xff, 0xff, 0xff, // colour table: black, white
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, // graphic control: index 0 transparent
    0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, // image at (0, 0), 1×1
    0x02, 0x02, 0x44, 0x01, 0x00, // LZW code size 2, one 2-byte block, block terminator
    0x3b, // trailer
];

/// Headers of every pixel response, so that no browser, proxy or mail client caches it and each
/// open reaches the server. `Expires: 0` is an invalid date, which HTTP caches read as expired.
pub const RESPONSE_HEADERS: [(&str, &str); 4] = [
    ("Content-Type", "image/gif"),
    ("Cache-Control", "no-store, no-cache, must-revalidate, max-age=0, private"),
    ("Pragma", "no-cache"),
    ("Expires", "0"),
];

/// Window after a send in which a Microsoft Office agent is taken for Microsoft's scanner, in
/// seconds.
pub const MICROSOFT_SCAN_WINDOW_SECONDS: u64 = 60;

/// Agent substrings (compared case-insensitively) of mail-security products, crawlers and HTTP
/// libraries, whose fetches are scans rather than opens.
pub const SCANNER_MARKERS: [&str; 17] = [
    "barracuda",
    "mimecast",
    "proofpoint",
    "bingpreview",
    "google-safety",
    "symantec",
    "messagelabs",
    "trendmicro",
    "forcepoint",
    "cisco",
    "ironport",
    "python-requests",
    "curl/",
    "wget/",
    "go-http-client",
    "headlesschrome",
    "bot/",
];

/// The likely cause of a pixel fetch, judged from the agent and timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenClass {
    /// A person's mail client or browser.
    Human,
    /// Gmail's image proxy.
    GmailProxy,
    /// Apple Mail Privacy Protection loading the images in advance.
    AppleMailPrefetch,
    /// A mail-security scanner or crawler.
    SecurityScanner,
    /// A load of the "view in browser" page, by anything that is not a known scanner.
    BrowserView,
    /// Not recognised.
    Unknown,
}

/// The kind of device an agent names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    /// A desktop or laptop computer.
    Desktop,
    /// A phone.
    Phone,
    /// A tablet. iPadOS 13 and later send a Mac agent and count as desktop.
    Tablet,
    /// Not recognised, or hidden behind a proxy.
    Unknown,
}

/// The mail client or browser an agent names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Client {
    /// Gmail (seen only through its image proxy).
    Gmail,
    /// Apple Mail on macOS, iOS or iPadOS.
    AppleMail,
    /// Outlook: the Windows desktop application or the mobile apps.
    Outlook,
    /// Mozilla Thunderbird.
    Thunderbird,
    /// Yahoo Mail (seen through its image proxy).
    YahooMail,
    /// Microsoft Edge.
    Edge,
    /// Opera.
    Opera,
    /// Mozilla Firefox.
    Firefox,
    /// Google Chrome or another Chromium browser.
    Chrome,
    /// Apple Safari.
    Safari,
    /// Not recognised.
    Unknown,
}

/// The classification of one pixel fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OpenInfo {
    /// The likely cause of the fetch.
    pub class: OpenClass,
    /// The device, when the agent names one.
    pub device: Device,
    /// The client, when the agent names one.
    pub client: Client,
}

/// Classifies a pixel fetch from its `User-Agent` header and the seconds since the mail was sent
/// (`None` when not known, which disables the Microsoft scanner window). The rules are listed in
/// the module documentation.
pub fn classify_open(user_agent: Option<&str>, seconds_since_send: Option<u64>) -> OpenInfo {
    let agent = user_agent.unwrap_or("").trim();
    let lower = agent.to_ascii_lowercase();
    let device = parse_device(&lower);
    let client = parse_client(&lower);
    let info = |class| OpenInfo { class, device, client };

    if lower.contains("googleimageproxy") {
        return OpenInfo { class: OpenClass::GmailProxy, device: Device::Unknown, client: Client::Gmail };
    }
    if SCANNER_MARKERS.iter().any(|marker| lower.contains(marker)) {
        return info(OpenClass::SecurityScanner);
    }
    let microsoft_office = lower.contains("microsoft office") || lower.contains("ms-office");
    let within_scan_window =
        seconds_since_send.is_some_and(|seconds| seconds < MICROSOFT_SCAN_WINDOW_SECONDS);
    if microsoft_office && within_scan_window {
        return info(OpenClass::SecurityScanner);
    }
    if lower == "mozilla/5.0" {
        return OpenInfo {
            class: OpenClass::AppleMailPrefetch,
            device: Device::Unknown,
            client: Client::AppleMail,
        };
    }
    if lower.contains("yahoomailproxy") {
        // NOTE: Yahoo's proxy has no class of its own; it is reported as unknown with its client.
        return OpenInfo { class: OpenClass::Unknown, device: Device::Unknown, client: Client::YahooMail };
    }
    if lower.starts_with("mozilla/") || client != Client::Unknown {
        return info(OpenClass::Human);
    }
    info(OpenClass::Unknown)
}

/// Classifies a load of the "view in browser" page. A known scanner agent (the same markers as
/// [`classify_open`] uses) stays a [`OpenClass::SecurityScanner`], because link scanners open
/// the links of a mail too. Anything else is a [`OpenClass::BrowserView`], with the device and
/// client read from the agent.
pub fn classify_view(user_agent: Option<&str>) -> OpenInfo {
    let lower = user_agent.unwrap_or("").trim().to_ascii_lowercase();
    let class = if SCANNER_MARKERS.iter().any(|marker| lower.contains(marker)) {
        OpenClass::SecurityScanner
    } else {
        OpenClass::BrowserView
    };
    OpenInfo { class, device: parse_device(&lower), client: parse_client(&lower) }
}

fn parse_device(lower: &str) -> Device {
    if lower.contains("ipad")
        || lower.contains("tablet")
        || (lower.contains("android") && !lower.contains("mobile"))
    {
        Device::Tablet
    } else if lower.contains("iphone") || lower.contains("android") || lower.contains("mobile") {
        Device::Phone
    } else if ["windows nt", "macintosh", "mac os x", "x11", "linux", "cros"]
        .iter()
        .any(|os| lower.contains(os))
    {
        Device::Desktop
    } else {
        Device::Unknown
    }
}

/// Recognises the client. The order matters because Chromium-based agents also name Chrome and
/// Safari, and Chrome's agent also names Safari.
fn parse_client(lower: &str) -> Client {
    let has = |needle: &str| lower.contains(needle);
    if has("googleimageproxy") {
        Client::Gmail
    } else if has("yahoomailproxy") {
        Client::YahooMail
    } else if has("thunderbird/") {
        Client::Thunderbird
    } else if has("microsoft outlook") || has("microsoft office") || has("ms-office") || has("outlook-") {
        Client::Outlook
    } else if has("edg/") || has("edge/") {
        Client::Edge
    } else if has("opr/") || has("opera") {
        Client::Opera
    } else if has("firefox/") || has("fxios/") {
        Client::Firefox
    } else if has("chrome/") || has("crios/") {
        Client::Chrome
    } else if has("safari/") && has("version/") {
        Client::Safari
    } else if has("applewebkit/") && (has("macintosh") || has("iphone") || has("ipad")) {
        // Apple Mail sends WebKit's agent without the `Version/` and `Safari/` parts a browser adds.
        Client::AppleMail
    } else {
        Client::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GMAIL_PROXY: &str =
        "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
    const APPLE_MAIL_MAC: &str =
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)";
    const APPLE_MAIL_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
    const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
    const EDGE_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
        Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87";
    const FIREFOX_LINUX: &str =
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0";
    const SAFARI_IPAD: &str = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \
        Version/17.5 Mobile/15E148 Safari/604.1";
    const CHROME_ANDROID_PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
        Chrome/126.0.6478.122 Mobile Safari/537.36";
    const CHROME_ANDROID_TABLET: &str = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) \
        Chrome/126.0.6478.122 Safari/537.36";
    const OUTLOOK_DESKTOP: &str =
        "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17726; Pro)";
    const THUNDERBIRD: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.12.2";
    const YAHOO_PROXY: &str = "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html";

    fn open(class: OpenClass, device: Device, client: Client) -> OpenInfo {
        OpenInfo { class, device, client }
    }

    #[test]
    fn gmail_proxy_is_recognised() {
        assert_eq!(
            classify_open(Some(GMAIL_PROXY), Some(5)),
            open(OpenClass::GmailProxy, Device::Unknown, Client::Gmail)
        );
    }

    #[test]
    fn apple_prefetch_is_bare_mozilla() {
        let prefetch = open(OpenClass::AppleMailPrefetch, Device::Unknown, Client::AppleMail);
        assert_eq!(classify_open(Some("Mozilla/5.0"), Some(2)), prefetch);
        assert_eq!(classify_open(Some(" mozilla/5.0 "), None), prefetch);
        assert_eq!(
            classify_open(Some("Mozilla/5.0 (compatible)"), None).class,
            OpenClass::Human,
            "an agent with more than the product token is not the bare prefetch agent"
        );
    }

    #[test]
    fn human_clients_are_recognised() {
        let cases = [
            (APPLE_MAIL_MAC, Device::Desktop, Client::AppleMail),
            (APPLE_MAIL_IPHONE, Device::Phone, Client::AppleMail),
            (CHROME_WINDOWS, Device::Desktop, Client::Chrome),
            (EDGE_WINDOWS, Device::Desktop, Client::Edge),
            (FIREFOX_LINUX, Device::Desktop, Client::Firefox),
            (SAFARI_IPAD, Device::Tablet, Client::Safari),
            (CHROME_ANDROID_PHONE, Device::Phone, Client::Chrome),
            (CHROME_ANDROID_TABLET, Device::Tablet, Client::Chrome),
            (THUNDERBIRD, Device::Desktop, Client::Thunderbird),
        ];
        for (agent, device, client) in cases {
            assert_eq!(
                classify_open(Some(agent), Some(3_600)),
                open(OpenClass::Human, device, client),
                "{agent}"
            );
        }
    }

    #[test]
    fn outlook_depends_on_time_since_send() {
        assert_eq!(
            classify_open(Some(OUTLOOK_DESKTOP), Some(12)),
            open(OpenClass::SecurityScanner, Device::Desktop, Client::Outlook)
        );
        assert_eq!(
            classify_open(Some(OUTLOOK_DESKTOP), Some(MICROSOFT_SCAN_WINDOW_SECONDS)),
            open(OpenClass::Human, Device::Desktop, Client::Outlook)
        );
        assert_eq!(classify_open(Some("ms-office; MSOffice 16"), Some(30)).class, OpenClass::SecurityScanner);
        assert_eq!(classify_open(Some(OUTLOOK_DESKTOP), None).class, OpenClass::Human);
    }

    #[test]
    fn scanners_are_recognised() {
        for agent in [
            "Mozilla/5.0 (compatible; Barracuda Sentinel)",
            "Mimecast-URL-Protect/1.0",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Proofpoint URL Defense",
            "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534+ (KHTML, like Gecko) BingPreview/1.0b",
            "Google-Safety",
            "python-requests/2.32.3",
            "curl/8.5.0",
            "Go-http-client/1.1",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36",
        ] {
            assert_eq!(classify_open(Some(agent), Some(86_400)).class, OpenClass::SecurityScanner, "{agent}");
        }
    }

    #[test]
    fn unrecognised_agents_are_unknown() {
        let unknown = open(OpenClass::Unknown, Device::Unknown, Client::Unknown);
        assert_eq!(classify_open(None, Some(10)), unknown);
        assert_eq!(classify_open(Some(""), Some(10)), unknown);
        assert_eq!(classify_open(Some("SomeMailer/2.0"), Some(10)), unknown);
        assert_eq!(
            classify_open(Some(YAHOO_PROXY), Some(10)),
            open(OpenClass::Unknown, Device::Unknown, Client::YahooMail)
        );
    }

    #[test]
    fn gif_is_valid() {
        assert_eq!(TRANSPARENT_GIF.len(), 43);
        assert!(TRANSPARENT_GIF.starts_with(b"GIF89a"));
        assert_eq!(TRANSPARENT_GIF[TRANSPARENT_GIF.len() - 1], b';');

        let image = image::load_from_memory_with_format(&TRANSPARENT_GIF, image::ImageFormat::Gif)
            .expect("the pixel decodes as a GIF")
            .to_rgba8();
        assert_eq!(image.dimensions(), (1, 1));
        assert_eq!(image.get_pixel(0, 0).0[3], 0, "the pixel is fully transparent");
    }

    #[test]
    fn response_headers_disable_caching() {
        let header =
            |name: &str| RESPONSE_HEADERS.iter().find(|(key, _)| *key == name).map(|(_, value)| *value);
        assert_eq!(header("Content-Type"), Some("image/gif"));
        assert_eq!(header("Cache-Control"), Some("no-store, no-cache, must-revalidate, max-age=0, private"));
        assert_eq!(header("Pragma"), Some("no-cache"));
        assert_eq!(header("Expires"), Some("0"));
    }

    #[test]
    fn view_loads_are_browser_views() {
        let desktop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36";
        let view = classify_view(Some(desktop));
        assert_eq!(view.class, OpenClass::BrowserView);
        assert_eq!(view.device, Device::Desktop);
        assert_eq!(classify_view(None).class, OpenClass::BrowserView);
        assert_eq!(classify_view(Some("python-requests/2.31")).class, OpenClass::SecurityScanner);
    }
}
