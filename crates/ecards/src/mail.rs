//! Building each recipient's mail: subject, HTML body with the tracking pixel, and text body.
//!
//! Every piece of visitor text is escaped for HTML, and every header value is a [`HeaderText`],
//! which cannot contain a line break, so a name cannot add a header or change the subject.

use serde::Serialize;

use crate::request::{Design, Person, ValidEcard, is_line_break_or_control};

/// Minimum length of a token in a pixel or view link, in characters.
pub const MIN_LINK_TOKEN_CHARS: usize = 16;

/// Maximum length of a token in a pixel or view link, in characters.
pub const MAX_LINK_TOKEN_CHARS: usize = 128;

/// Error from preparing a recipient's links.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The site base URL is not an absolute `http` or `https` URL.
    #[error("invalid site base URL {0:?}: expected an absolute http:// or https:// URL")]
    InvalidBaseUrl(String),
    /// A link token is not 16 to 128 URL-safe base64 characters (`A-Z a-z 0-9 - _`).
    #[error("invalid link token: expected 16 to 128 characters from A-Z, a-z, 0-9, - and _")]
    InvalidToken,
}

/// Text that is safe in a single mail header line: no CR, LF or other control character.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct HeaderText(String);

impl HeaderText {
    /// Builds header text, turning each control character or Unicode line separator into a space
    /// and collapsing runs of spaces, so the result never contains a line break.
    pub fn new(text: &str) -> Self {
        let mut clean = String::with_capacity(text.len());
        for character in text.chars() {
            let character = if is_line_break_or_control(character) { ' ' } else { character };
            if character == ' ' && (clean.is_empty() || clean.ends_with(' ')) {
                continue;
            }
            clean.push(character);
        }
        let trimmed_length = clean.trim_end().len();
        clean.truncate(trimmed_length);
        Self(clean)
    }

    /// Returns the text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A mailbox: a display name and an address, both safe for headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    /// Display name.
    pub name: HeaderText,
    /// Address.
    pub email: HeaderText,
}

impl Mailbox {
    /// Builds a mailbox, stripping line breaks from both parts.
    pub fn new(name: &str, email: &str) -> Self {
        Self { name: HeaderText::new(name), email: HeaderText::new(email) }
    }

    /// Formats the mailbox as `Name <address>` in RFC 5322 form: the name is quoted, with `"` and
    /// `\` escaped, when it contains anything beyond letters, digits, spaces and the RFC 5322 atom
    /// characters.
    ///
    /// NOTE: non-ASCII names are passed as UTF-8, and the mail provider encodes them for the header.
    pub fn to_header(&self) -> String {
        let name = self.name.as_str();
        if name.is_empty() {
            return self.email.as_str().to_owned();
        }
        let is_atom_text = |character: char| {
            !character.is_ascii()
                || character.is_ascii_alphanumeric()
                || "!#$%&'*+-/=?^_`{|}~ ".contains(character)
        };
        if name.chars().all(is_atom_text) {
            format!("{name} <{}>", self.email.as_str())
        } else {
            let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{escaped}\" <{}>", self.email.as_str())
        }
    }
}

/// The sender address and link base of outgoing mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// The public site URL that pixel and view links start with, such as `https://cards.example.com`.
    pub base_url: String,
    /// The address mail is sent from, which must be verified with the provider.
    pub from_email: String,
    /// The site name shown after the sender's name in the `From` header, as in `Ada via Site`.
    pub site_name: String,
}

/// A recipient's two secret link tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct RecipientLinks {
    pixel_url: String,
    view_url: String,
}

/// The URLs carry secret tokens, so debug output never shows them.
impl std::fmt::Debug for RecipientLinks {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("RecipientLinks(..)")
    }
}

impl RecipientLinks {
    /// Builds `{base}/t/{pixel_token}.gif` and `{base}/ecards/{view_token}`, after checking that
    /// the base is an http(s) URL and both tokens are 16–128 URL-safe base64 characters.
    pub fn new(base_url: &str, pixel_token: &str, view_token: &str) -> Result<Self, MailError> {
        let base = base_url.trim_end_matches('/');
        let base_valid = (base.starts_with("https://") || base.starts_with("http://"))
            && base.len() > "https://".len()
            && !base.chars().any(|character| character.is_whitespace() || character.is_control())
            && !base.contains(['"', '<', '>', '\'', '?', '#']);
        if !base_valid {
            return Err(MailError::InvalidBaseUrl(base_url.to_owned()));
        }
        check_token(pixel_token)?;
        check_token(view_token)?;
        Ok(Self {
            pixel_url: format!("{base}/t/{pixel_token}.gif"),
            view_url: format!("{base}/ecards/{view_token}"),
        })
    }

    /// Returns the tracking pixel URL.
    pub fn pixel_url(&self) -> &str {
        &self.pixel_url
    }

    /// Returns the "view in browser" URL.
    pub fn view_url(&self) -> &str {
        &self.view_url
    }
}

fn check_token(token: &str) -> Result<(), MailError> {
    let valid = (MIN_LINK_TOKEN_CHARS..=MAX_LINK_TOKEN_CHARS).contains(&token.len())
        && token.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if valid { Ok(()) } else { Err(MailError::InvalidToken) }
}

/// One recipient's finished mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mail {
    /// `From`: the sender's name with the site name, at the site's address.
    pub from: Mailbox,
    /// `To`: the recipient.
    pub to: Mailbox,
    /// `Reply-To`: the sender, so replies reach them and not the site.
    pub reply_to: Mailbox,
    /// The subject line.
    pub subject: HeaderText,
    /// The HTML body, with the tracking pixel and the view link.
    pub html_body: String,
    /// The plain-text body, with the view link and no pixel.
    pub text_body: String,
}

/// Returns the subject for a design and sender, such as `Ada sent you a birthday card`.
pub fn subject(design: Design, sender_name: &str) -> HeaderText {
    let kind = match design {
        Design::Birthday => "a birthday card",
        Design::Thanks => "a thank-you card",
        Design::Congrats => "a congratulations card",
        Design::Holiday => "a holiday card",
    };
    HeaderText::new(&format!("{sender_name} sent you {kind}"))
}

/// The heading and colours each design's HTML uses.
pub(crate) struct DesignStyle {
    pub(crate) heading: &'static str,
    background: &'static str,
    accent: &'static str,
}

pub(crate) fn design_style(design: Design) -> DesignStyle {
    match design {
        Design::Birthday => {
            DesignStyle { heading: "Happy birthday!", background: "#fff4e6", accent: "#d9480f" }
        }
        Design::Thanks => DesignStyle { heading: "Thank you!", background: "#ebfbee", accent: "#2b8a3e" },
        Design::Congrats => {
            DesignStyle { heading: "Congratulations!", background: "#f3f0ff", accent: "#5f3dc4" }
        }
        Design::Holiday => {
            DesignStyle { heading: "Happy holidays!", background: "#e7f5ff", accent: "#1864ab" }
        }
    }
}

/// Builds the mail for one recipient of a validated card.
pub fn build_mail(
    card: &ValidEcard,
    recipient: &Person,
    links: &RecipientLinks,
    settings: &MailSettings,
) -> Mail {
    let style = design_style(card.design);
    let sender_name = escape_html(&card.sender.name);
    let recipient_name = escape_html(&recipient.name);
    let message_html = escape_html(&card.message).replace('\n', "<br>\n");
    let view_url = escape_html(links.view_url());
    let pixel_url = escape_html(links.pixel_url());

    let html_body = format!(
        "<!DOCTYPE html>\n\
         <html><head><meta charset=\"utf-8\"><title>{heading}</title></head>\n\
         <body style=\"margin:0;padding:24px;background:{background};font-family:sans-serif;color:#212529\">\n\
         <p style=\"font-size:12px\"><a href=\"{view_url}\">View this card in your browser</a></p>\n\
         <h1 style=\"color:{accent}\">{heading}</h1>\n\
         <p>Dear {recipient_name},</p>\n\
         <p>{message_html}</p>\n\
         <p>From {sender_name}</p>\n\
         <img src=\"{pixel_url}\" width=\"1\" height=\"1\" alt=\"\">\n\
         </body></html>\n",
        heading = style.heading,
        background = style.background,
        accent = style.accent,
    );
    let text_body = format!(
        "{heading}\n\nDear {recipient},\n\n{message}\n\nFrom {sender}\n\nView this card in your browser: {view}\n",
        heading = style.heading,
        recipient = recipient.name,
        message = card.message,
        sender = card.sender.name,
        view = links.view_url(),
    );

    Mail {
        from: Mailbox::new(&format!("{} via {}", card.sender.name, settings.site_name), &settings.from_email),
        to: Mailbox::new(&recipient.name, &recipient.email),
        reply_to: Mailbox::new(&card.sender.name, &card.sender.email),
        subject: subject(card.design, &card.sender.name),
        html_body,
        text_body,
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::SendTime;

    const PIXEL_TOKEN: &str = "pixelTOKEN_0123456789-ab";
    const VIEW_TOKEN: &str = "viewTOKEN_0123456789-abcd";

    fn settings() -> MailSettings {
        MailSettings {
            base_url: "https://cards.example.com/".to_owned(),
            from_email: "cards@example.com".to_owned(),
            site_name: "Smart Banner Hub".to_owned(),
        }
    }

    fn card(message: &str) -> ValidEcard {
        ValidEcard {
            sender: Person { name: "Ada <Lovelace>".to_owned(), email: "ada@example.com".to_owned() },
            recipients: vec![Person { name: "Bob & Co".to_owned(), email: "bob@example.com".to_owned() }],
            message: message.to_owned(),
            design: Design::Birthday,
            send_time: SendTime::Now,
        }
    }

    fn mail_for(card: &ValidEcard) -> Mail {
        let links = RecipientLinks::new(&settings().base_url, PIXEL_TOKEN, VIEW_TOKEN).unwrap();
        build_mail(card, &card.recipients[0], &links, &settings())
    }

    #[test]
    fn html_in_message_is_escaped() {
        let mail = mail_for(&card("<script>alert('x')</script> & \"quotes\"\nline two"));
        assert!(!mail.html_body.contains("<script>"));
        assert!(
            mail.html_body.contains(
                "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;<br>\nline two"
            ),
            "{}",
            mail.html_body
        );
        assert!(mail.html_body.contains("Dear Bob &amp; Co,"));
        assert!(mail.html_body.contains("From Ada &lt;Lovelace&gt;"));
        // The text body carries the message as written.
        assert!(mail.text_body.contains("<script>alert('x')</script> & \"quotes\"\nline two"));
    }

    #[test]
    fn pixel_url_carries_token() {
        let mail = mail_for(&card("Hello"));
        let pixel = format!(
            "<img src=\"https://cards.example.com/t/{PIXEL_TOKEN}.gif\" width=\"1\" height=\"1\" alt=\"\">"
        );
        assert!(mail.html_body.contains(&pixel), "{}", mail.html_body);
        assert!(
            mail.html_body.contains(&format!("<a href=\"https://cards.example.com/ecards/{VIEW_TOKEN}\">"))
        );
        assert!(!mail.text_body.contains(PIXEL_TOKEN));
        assert!(mail.text_body.contains(&format!("https://cards.example.com/ecards/{VIEW_TOKEN}")));
    }

    #[test]
    fn line_breaks_never_reach_headers() {
        // A validated card cannot hold these names, but the mail builder does not rely on that.
        let mut card = card("Hello");
        card.sender.name = "Ada\r\nBcc: victim@example.com\u{2028}x".to_owned();
        card.recipients[0].name = "Bob\nSubject: spam".to_owned();
        let mail = mail_for(&card);
        let headers = [
            mail.subject.as_str().to_owned(),
            mail.from.to_header(),
            mail.to.to_header(),
            mail.reply_to.to_header(),
        ];
        for header in &headers {
            assert!(!header.contains(['\r', '\n', '\u{2028}']), "{header:?}");
        }
        assert_eq!(mail.subject.as_str(), "Ada Bcc: victim@example.com x sent you a birthday card");
        assert_eq!(mail.to.to_header(), "\"Bob Subject: spam\" <bob@example.com>");
    }

    #[test]
    fn header_text_collapses_controls() {
        assert_eq!(HeaderText::new("  a\r\n\tb  c\u{0}").as_str(), "a b c");
        assert_eq!(HeaderText::new("\r\n").as_str(), "");
    }

    #[test]
    fn subjects_per_design() {
        let expected = [
            (Design::Birthday, "Ada sent you a birthday card"),
            (Design::Thanks, "Ada sent you a thank-you card"),
            (Design::Congrats, "Ada sent you a congratulations card"),
            (Design::Holiday, "Ada sent you a holiday card"),
        ];
        for (design, text) in expected {
            assert_eq!(subject(design, "Ada").as_str(), text);
        }
    }

    #[test]
    fn mailbox_quotes_specials() {
        assert_eq!(
            Mailbox::new("Ada Lovelace", "ada@example.com").to_header(),
            "Ada Lovelace <ada@example.com>"
        );
        assert_eq!(Mailbox::new("Zoë", "z@example.com").to_header(), "Zoë <z@example.com>");
        assert_eq!(
            Mailbox::new("Lovelace, Ada \"A\\L\"", "ada@example.com").to_header(),
            "\"Lovelace, Ada \\\"A\\\\L\\\"\" <ada@example.com>"
        );
        assert_eq!(Mailbox::new("", "ada@example.com").to_header(), "ada@example.com");
    }

    #[test]
    fn sender_is_reply_to_not_from() {
        let mail = mail_for(&card("Hello"));
        assert_eq!(mail.from.email.as_str(), "cards@example.com");
        assert_eq!(mail.from.to_header(), "\"Ada <Lovelace> via Smart Banner Hub\" <cards@example.com>");
        assert_eq!(mail.reply_to.email.as_str(), "ada@example.com");
    }

    #[test]
    fn links_reject_bad_input() {
        let base = "https://cards.example.com";
        assert_eq!(RecipientLinks::new(base, "short", VIEW_TOKEN), Err(MailError::InvalidToken));
        assert_eq!(
            RecipientLinks::new(base, PIXEL_TOKEN, "has/slash/0123456789"),
            Err(MailError::InvalidToken)
        );
        assert_eq!(RecipientLinks::new(base, &"a".repeat(129), VIEW_TOKEN), Err(MailError::InvalidToken));
        for bad_base in
            ["cards.example.com", "ftp://cards.example.com", "https://", "https://a b.com", "https://x\"y"]
        {
            assert_eq!(
                RecipientLinks::new(bad_base, PIXEL_TOKEN, VIEW_TOKEN),
                Err(MailError::InvalidBaseUrl(bad_base.to_owned())),
                "{bad_base}"
            );
        }
        let links = RecipientLinks::new("http://127.0.0.1:3000", PIXEL_TOKEN, VIEW_TOKEN).unwrap();
        assert_eq!(links.pixel_url(), format!("http://127.0.0.1:3000/t/{PIXEL_TOKEN}.gif"));
        assert_eq!(format!("{links:?}"), "RecipientLinks(..)");
    }
}
