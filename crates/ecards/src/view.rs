//! The "view in browser" page: one recipient's card as an HTML document.
//!
//! The page carries no inline style or script, so it works under the site's
//! Content-Security-Policy (`style-src 'self'`). Its look comes from `/static/css/ecard-view.css`,
//! and the design picks a class (`design-birthday` and so on) there. Every piece of visitor text is
//! escaped.

use crate::mail::{design_style, escape_html};
use crate::request::ValidEcard;

/// Path of the page's stylesheet, served by the site component.
pub const VIEW_STYLESHEET: &str = "/static/css/ecard-view.css";

/// Builds the page for the recipient at `recipient_index` of `card`, or `None` when there is no
/// such recipient.
pub fn view_page_html(card: &ValidEcard, recipient_index: usize) -> Option<String> {
    let recipient = card.recipients.get(recipient_index)?;
    let style = design_style(card.design);
    let sender = escape_html(&card.sender.name);
    let message = escape_html(&card.message).replace('\n', "<br>\n");
    Some(format!(
        "<!doctype html>\n\
         <html lang=\"en\">\n\
         <head>\n\
         <meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <title>{heading} · a card from {sender}</title>\n\
         <link rel=\"stylesheet\" href=\"{VIEW_STYLESHEET}\">\n\
         </head>\n\
         <body class=\"ecard-view design-{design}\">\n\
         <main class=\"ecard\">\n\
         <h1>{heading}</h1>\n\
         <p class=\"greeting\">Dear {recipient},</p>\n\
         <p class=\"message\">{message}</p>\n\
         <p class=\"signature\">From {sender}</p>\n\
         </main>\n\
         <footer><a href=\"/\">Smart Banner Hub</a></footer>\n\
         </body>\n\
         </html>\n",
        heading = style.heading,
        design = card.design.as_str(),
        recipient = escape_html(&recipient.name),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Design, Person, SendTime};

    fn card() -> ValidEcard {
        ValidEcard {
            sender: Person { name: "Ada <Lovelace>".to_owned(), email: "ada@example.com".to_owned() },
            recipients: vec![Person { name: "Bob & Co".to_owned(), email: "bob@example.com".to_owned() }],
            message: "<script>alert(1)</script>\nline two".to_owned(),
            design: Design::Thanks,
            send_time: SendTime::Now,
        }
    }

    #[test]
    fn page_escapes_visitor_text() {
        let page = view_page_html(&card(), 0).unwrap();
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;<br>\nline two"), "{page}");
        assert!(page.contains("Dear Bob &amp; Co,"), "{page}");
        assert!(page.contains("From Ada &lt;Lovelace&gt;"), "{page}");
        assert!(!page.contains("bob@example.com"), "{page}");
    }

    #[test]
    fn page_uses_design_class_and_stylesheet() {
        let page = view_page_html(&card(), 0).unwrap();
        assert!(page.contains("<body class=\"ecard-view design-thanks\">"), "{page}");
        assert!(page.contains("<h1>Thank you!</h1>"), "{page}");
        assert!(page.contains(&format!("href=\"{VIEW_STYLESHEET}\"")), "{page}");
        assert!(!page.contains("style="), "{page}");
    }

    #[test]
    fn unknown_recipient_has_no_page() {
        assert_eq!(view_page_html(&card(), 1), None);
    }
}
