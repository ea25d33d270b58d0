//! The `POST /api/ecards` request: its JSON form and its validation.
//!
//! [`EcardRequest`] is the body as sent. [`EcardRequest::validate`] checks every field and returns
//! either a [`ValidEcard`], whose text is trimmed and safe to put in mail headers, or every problem
//! found, each naming its field (such as `recipients[2].email`) and the limit it broke, so the
//! component can return one `400` that lists them all.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::{DAY_MS, parse_rfc3339_ms};

/// Minimum number of recipients of an e-card.
pub const MIN_RECIPIENTS: usize = 1;

/// Maximum number of recipients of an e-card.
pub const MAX_RECIPIENTS: usize = 20;

/// Maximum length of a sender or recipient name, in characters (Unicode scalar values).
pub const MAX_NAME_CHARS: usize = 100;

/// Maximum length of the message, in characters (Unicode scalar values), after `\r\n` became `\n`.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// Maximum length of an email address in bytes: the 256-byte SMTP path limit of RFC 5321 minus the angle brackets.
pub const MAX_EMAIL_BYTES: usize = 254;

/// Maximum length of the local part (before the `@`) in bytes, from RFC 5321.
pub const MAX_EMAIL_LOCAL_PART_BYTES: usize = 64;

/// Maximum length of a domain label in bytes, from RFC 1035.
pub const MAX_DOMAIN_LABEL_BYTES: usize = 63;

/// Maximum time between now and a scheduled send: 365 days, in milliseconds.
pub const MAX_SCHEDULE_AHEAD_MS: i64 = 365 * DAY_MS;

/// The body of `POST /api/ecards` as the client sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcardRequest {
    /// The sender, whose address becomes the mail's `Reply-To`.
    pub sender: PersonInput,
    /// The recipients: 1 to 20 people with distinct addresses.
    pub recipients: Vec<PersonInput>,
    /// The card's text: plain text with line breaks, up to 2,000 characters.
    pub message: String,
    /// Name of a built-in card design, such as `birthday`.
    pub design: String,
    /// Send time as an RFC 3339 timestamp with offset. Absent or in the past means now.
    #[serde(default)]
    pub send_at: Option<String>,
}

/// A name and email address as the client sends them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
}

/// A checked name and address: trimmed, within the limits, and free of control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Display name, free of line breaks and other control characters.
    pub name: String,
    /// Email address that passed [`check_email`].
    pub email: String,
}

/// The built-in card designs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Design {
    /// A birthday card.
    Birthday,
    /// A thank-you card.
    Thanks,
    /// A congratulations card.
    Congrats,
    /// A seasonal holiday card.
    Holiday,
}

impl Design {
    /// Every design, in the order the e-card page lists them.
    pub const ALL: [Design; 4] = [Design::Birthday, Design::Thanks, Design::Congrats, Design::Holiday];

    /// Returns the name used in requests and JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Design::Birthday => "birthday",
            Design::Thanks => "thanks",
            Design::Congrats => "congrats",
            Design::Holiday => "holiday",
        }
    }

    /// Looks up a design by its request name (exact, lowercase).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|design| design.as_str() == name)
    }
}

/// When the mail goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendTime {
    /// At once: no `send_at`, or a `send_at` that has already passed.
    Now,
    /// At this time, in milliseconds since the Unix epoch.
    At(u64),
}

/// A request that passed every check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidEcard {
    /// The sender.
    pub sender: Person,
    /// The recipients, in request order, with distinct addresses.
    pub recipients: Vec<Person>,
    /// The message with `\r\n` and lone `\r` turned into `\n` and outer whitespace trimmed.
    pub message: String,
    /// The card design.
    pub design: Design,
    /// The send time.
    pub send_time: SendTime,
}

/// One way a field broke the rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The field is empty or only whitespace.
    #[error("is required")]
    Missing,
    /// The text is longer than the limit.
    #[error("is longer than {max_chars} characters")]
    TooLong {
        /// The limit in characters.
        max_chars: usize,
    },
    /// The text contains a line break or another control character where none may appear.
    #[error("contains a line break or control character, which names cannot contain")]
    ControlCharacter,
    /// The message contains a control character other than a line break or tab.
    #[error("contains a control character other than a line break or tab")]
    MessageControlCharacter,
    /// The email address is not a usable address, and the text names the part that is wrong.
    #[error("is not a valid email address: {0}")]
    InvalidEmail(&'static str),
    /// Fewer recipients than the minimum.
    #[error("needs at least {min} recipient")]
    TooFewRecipients {
        /// The minimum.
        min: usize,
    },
    /// More recipients than the maximum.
    #[error("has more than {max} recipients")]
    TooManyRecipients {
        /// The maximum.
        max: usize,
    },
    /// The address (compared case-insensitively) already appears earlier in the list.
    #[error("repeats the address of recipients[{first_index}]")]
    DuplicateRecipient {
        /// Index of the earlier recipient with the same address.
        first_index: usize,
    },
    /// The design is not one of the built-in designs.
    #[error("is not a known design; expected one of birthday, thanks, congrats, holiday")]
    UnknownDesign,
    /// The time is not an RFC 3339 timestamp with an offset.
    #[error("is not an RFC 3339 timestamp with offset, such as 2025-06-01T09:30:00+02:00")]
    InvalidTime,
    /// The time is further ahead than the scheduling limit.
    #[error("is more than {max_days} days ahead")]
    TooFarAhead {
        /// The limit in days.
        max_days: i64,
    },
}

/// A problem together with the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path in the request, such as `sender.name` or `recipients[2].email`.
    pub field: String,
    /// The problem.
    pub problem: Problem,
}

impl fmt::Display for FieldError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{} {}", self.field, self.problem)
    }
}

/// JSON form for a `400` body: `{"field": "...", "message": "recipients[0].email is ..."}`.
impl Serialize for FieldError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut state = serializer.serialize_struct("FieldError", 2)?;
        state.serialize_field("field", &self.field)?;
        state.serialize_field("message", &self.to_string())?;
        state.end()
    }
}

/// Error from reading a request body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The body is not JSON of the expected shape. The text is serde's description.
    #[error("invalid request body: {0}")]
    Json(String),
    /// The body is well-formed but breaks one or more rules, all listed.
    #[error("invalid e-card: {}", join_errors(.0))]
    Invalid(Vec<FieldError>),
}

fn join_errors(errors: &[FieldError]) -> String {
    errors.iter().map(FieldError::to_string).collect::<Vec<_>>().join("; ")
}

impl EcardRequest {
    /// Parses a JSON body and validates it at `now_unix_ms`.
    pub fn parse_json(body: &[u8], now_unix_ms: u64) -> Result<ValidEcard, RequestError> {
        let request: EcardRequest =
            serde_json::from_slice(body).map_err(|error| RequestError::Json(error.to_string()))?;
        request.validate(now_unix_ms).map_err(RequestError::Invalid)
    }

    /// Checks every field at `now_unix_ms` and returns the cleaned request or every problem found.
    pub fn validate(&self, now_unix_ms: u64) -> Result<ValidEcard, Vec<FieldError>> {
        let mut errors = Vec::new();

        let sender = check_person(&self.sender, "sender", &mut errors);

        if self.recipients.len() < MIN_RECIPIENTS {
            push(&mut errors, "recipients", Problem::TooFewRecipients { min: MIN_RECIPIENTS });
        }
        if self.recipients.len() > MAX_RECIPIENTS {
            push(&mut errors, "recipients", Problem::TooManyRecipients { max: MAX_RECIPIENTS });
        }
        let mut recipients = Vec::with_capacity(self.recipients.len());
        let mut seen_emails: Vec<String> = Vec::with_capacity(self.recipients.len());
        for (index, input) in self.recipients.iter().enumerate() {
            let field = format!("recipients[{index}]");
            let person = check_person(input, &field, &mut errors);
            // Duplicates are judged on the trimmed text even when it failed the syntax check, so
            // a repeated typo is reported once as invalid and once as a duplicate.
            let key = input.email.trim().to_lowercase();
            let earlier = seen_emails.iter().position(|seen| *seen == key);
            if let (false, Some(first_index)) = (key.is_empty(), earlier) {
                push(&mut errors, &format!("{field}.email"), Problem::DuplicateRecipient { first_index });
            }
            seen_emails.push(key);
            recipients.extend(person);
        }

        let message = check_message(&self.message, &mut errors);

        let design = Design::from_name(self.design.trim());
        if design.is_none() {
            push(&mut errors, "design", Problem::UnknownDesign);
        }

        let send_time = match &self.send_at {
            None => Some(SendTime::Now),
            Some(text) => check_send_at(text, now_unix_ms, &mut errors),
        };

        match (sender, message, design, send_time) {
            (Some(sender), Some(message), Some(design), Some(send_time)) if errors.is_empty() => {
                Ok(ValidEcard { sender, recipients, message, design, send_time })
            }
            _ => Err(errors),
        }
    }
}

fn push(errors: &mut Vec<FieldError>, field: &str, problem: Problem) {
    errors.push(FieldError { field: field.to_owned(), problem });
}

fn check_person(input: &PersonInput, field: &str, errors: &mut Vec<FieldError>) -> Option<Person> {
    let before = errors.len();

    let name = input.name.trim();
    if let Err(problem) = check_name(name) {
        push(errors, &format!("{field}.name"), problem);
    }
    let email = input.email.trim();
    if let Err(problem) = check_email(email) {
        push(errors, &format!("{field}.email"), problem);
    }

    (errors.len() == before).then(|| Person { name: name.to_owned(), email: email.to_owned() })
}

/// Checks a trimmed display name: present, at most [`MAX_NAME_CHARS`], and free of anything that
/// could end a mail header line.
pub fn check_name(name: &str) -> Result<(), Problem> {
    if name.is_empty() {
        return Err(Problem::Missing);
    }
    if name.chars().any(is_line_break_or_control) {
        return Err(Problem::ControlCharacter);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Problem::TooLong { max_chars: MAX_NAME_CHARS });
    }
    Ok(())
}

/// Reports whether `character` may not appear in a header: a control character (C0, DEL, C1,
/// which includes CR, LF, tab and NEL) or the Unicode line and paragraph separators.
pub(crate) fn is_line_break_or_control(character: char) -> bool {
    character.is_control() || matches!(character, '\u{2028}' | '\u{2029}')
}

/// Checks an email address with a practical rule set, not the full RFC 5322 grammar.
///
/// The address must be at most [`MAX_EMAIL_BYTES`], contain exactly one `@`, and be ASCII with no
/// spaces or control characters. The local part is 1–64 bytes of letters, digits and
/// ``!#$%&'*+/=?^_`{|}~.-`` with no leading, trailing or doubled dot (quoted local parts are
/// rejected). The domain has at least two labels of 1–63 letters, digits or hyphens, none starting
/// or ending with a hyphen, so `user@localhost` and address literals like `user@[127.0.0.1]` are
/// rejected.
///
/// NOTE: internationalised addresses (non-ASCII, RFC 6531) are rejected; a non-ASCII domain must be
/// written in its `xn--` form.
pub fn check_email(email: &str) -> Result<(), Problem> {
    if email.is_empty() {
        return Err(Problem::Missing);
    }
    if email.len() > MAX_EMAIL_BYTES {
        return Err(Problem::InvalidEmail("longer than 254 bytes"));
    }
    if email.chars().any(|character| character.is_whitespace() || character.is_control()) {
        return Err(Problem::InvalidEmail("contains a space or control character"));
    }
    if !email.is_ascii() {
        return Err(Problem::InvalidEmail("contains non-ASCII characters"));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(Problem::InvalidEmail("has no @"));
    };
    if domain.contains('@') {
        return Err(Problem::InvalidEmail("has more than one @"));
    }

    if local.is_empty() {
        return Err(Problem::InvalidEmail("nothing before the @"));
    }
    if local.len() > MAX_EMAIL_LOCAL_PART_BYTES {
        return Err(Problem::InvalidEmail("more than 64 bytes before the @"));
    }
    let local_chars_valid =
        local.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&byte));
    if !local_chars_valid {
        return Err(Problem::InvalidEmail("invalid character before the @"));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(Problem::InvalidEmail("misplaced dot before the @"));
    }

    let labels: Vec<&str> = domain.split('.').collect();
    if domain.is_empty() || labels.len() < 2 {
        return Err(Problem::InvalidEmail("the domain needs a dot, such as example.com"));
    }
    for label in labels {
        let label_valid = !label.is_empty()
            && label.len() <= MAX_DOMAIN_LABEL_BYTES
            && label.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !label_valid {
            return Err(Problem::InvalidEmail("invalid domain"));
        }
    }
    Ok(())
}

fn check_message(message: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let normalized = message.replace("\r\n", "\n").replace('\r', "\n");
    let normalized = normalized.trim();
    if normalized.is_empty() {
        push(errors, "message", Problem::Missing);
        return None;
    }
    if normalized.chars().any(|character| character.is_control() && !matches!(character, '\n' | '\t')) {
        push(errors, "message", Problem::MessageControlCharacter);
        return None;
    }
    if normalized.chars().count() > MAX_MESSAGE_CHARS {
        push(errors, "message", Problem::TooLong { max_chars: MAX_MESSAGE_CHARS });
        return None;
    }
    Some(normalized.to_owned())
}

fn check_send_at(text: &str, now_unix_ms: u64, errors: &mut Vec<FieldError>) -> Option<SendTime> {
    let Some(at_ms) = parse_rfc3339_ms(text.trim()) else {
        push(errors, "send_at", Problem::InvalidTime);
        return None;
    };
    let now_ms = i64::try_from(now_unix_ms).unwrap_or(i64::MAX);
    if at_ms <= now_ms {
        return Some(SendTime::Now);
    }
    if at_ms - now_ms > MAX_SCHEDULE_AHEAD_MS {
        push(errors, "send_at", Problem::TooFarAhead { max_days: MAX_SCHEDULE_AHEAD_MS / DAY_MS });
        return None;
    }
    // `at_ms > now_ms >= 0`, so the conversion cannot fail.
    u64::try_from(at_ms).ok().map(SendTime::At)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-06-01T00:00:00Z.
    const NOW_MS: u64 = 1_748_736_000_000;

    fn person(name: &str, email: &str) -> PersonInput {
        PersonInput { name: name.to_owned(), email: email.to_owned() }
    }

    fn request() -> EcardRequest {
        EcardRequest {
            sender: person("Ada Lovelace", "ada@example.com"),
            recipients: vec![person("Charles Babbage", "charles@example.org")],
            message: "Happy birthday!\r\nSee you soon.".to_owned(),
            design: "birthday".to_owned(),
            send_at: None,
        }
    }

    fn problems(request: &EcardRequest) -> Vec<(String, Problem)> {
        let errors = request.validate(NOW_MS).expect_err("request should be invalid");
        errors.into_iter().map(|error| (error.field, error.problem)).collect()
    }

    #[test]
    fn valid_request_is_cleaned() {
        let mut request = request();
        request.sender.name = "  Ada Lovelace ".to_owned();
        request.recipients[0].email = " charles@example.org ".to_owned();
        let card = request.validate(NOW_MS).unwrap();
        assert_eq!(card.sender.name, "Ada Lovelace");
        assert_eq!(card.recipients[0].email, "charles@example.org");
        assert_eq!(card.message, "Happy birthday!\nSee you soon.");
        assert_eq!(card.design, Design::Birthday);
        assert_eq!(card.send_time, SendTime::Now);
    }

    #[test]
    fn json_body_parses() {
        let body = br#"{"sender":{"name":"Ada","email":"ada@example.com"},
            "recipients":[{"name":"Bob","email":"bob@example.com"}],
            "message":"Thank you","design":"thanks","send_at":"2025-06-02T09:00:00+02:00"}"#;
        let card = EcardRequest::parse_json(body, NOW_MS).unwrap();
        assert_eq!(card.design, Design::Thanks);
        // 2025-06-02T07:00:00Z, 31 hours after now.
        assert_eq!(card.send_time, SendTime::At(NOW_MS + 31 * 3_600_000));
    }

    #[test]
    fn malformed_json_is_rejected() {
        for body in [&b"not json"[..], br#"{"sender":{}}"#, br#"{"extra":1}"#] {
            let error = EcardRequest::parse_json(body, NOW_MS).unwrap_err();
            assert!(matches!(error, RequestError::Json(_)), "{error:?}");
        }
    }

    #[test]
    fn every_problem_is_reported() {
        let request = EcardRequest {
            sender: person("", "not an address"),
            recipients: vec![],
            message: " ".to_owned(),
            design: "valentine".to_owned(),
            send_at: Some("next week".to_owned()),
        };
        assert_eq!(
            problems(&request),
            vec![
                ("sender.name".to_owned(), Problem::Missing),
                ("sender.email".to_owned(), Problem::InvalidEmail("contains a space or control character")),
                ("recipients".to_owned(), Problem::TooFewRecipients { min: 1 }),
                ("message".to_owned(), Problem::Missing),
                ("design".to_owned(), Problem::UnknownDesign),
                ("send_at".to_owned(), Problem::InvalidTime),
            ]
        );
        let error = EcardRequest::parse_json(&serde_json::to_vec(&request).unwrap(), NOW_MS).unwrap_err();
        assert!(error.to_string().contains("design is not a known design"), "{error}");
    }

    #[test]
    fn field_error_serializes_with_message() {
        let error = FieldError { field: "recipients[1].name".to_owned(), problem: Problem::Missing };
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({"field": "recipients[1].name", "message": "recipients[1].name is required"})
        );
    }

    #[test]
    fn email_syntax_rules() {
        let valid = [
            "a@b.co",
            "first.last+tag@sub.example.com",
            "o'brien@example.ie",
            "user@xn--bcher-kva.example",
            "x@123.example",
        ];
        for email in valid {
            assert_eq!(check_email(email), Ok(()), "{email}");
        }
        let invalid = [
            ("", Problem::Missing),
            ("plainaddress", Problem::InvalidEmail("has no @")),
            ("a@b@example.com", Problem::InvalidEmail("has more than one @")),
            ("@example.com", Problem::InvalidEmail("nothing before the @")),
            ("a b@example.com", Problem::InvalidEmail("contains a space or control character")),
            ("a@example.com\r\nBcc: x@y.z", Problem::InvalidEmail("contains a space or control character")),
            ("a\u{0}@example.com", Problem::InvalidEmail("contains a space or control character")),
            ("jörg@example.com", Problem::InvalidEmail("contains non-ASCII characters")),
            ("a<b>@example.com", Problem::InvalidEmail("invalid character before the @")),
            ("\"quoted\"@example.com", Problem::InvalidEmail("invalid character before the @")),
            (".a@example.com", Problem::InvalidEmail("misplaced dot before the @")),
            ("a..b@example.com", Problem::InvalidEmail("misplaced dot before the @")),
            ("a.@example.com", Problem::InvalidEmail("misplaced dot before the @")),
            ("user@localhost", Problem::InvalidEmail("the domain needs a dot, such as example.com")),
            ("user@", Problem::InvalidEmail("the domain needs a dot, such as example.com")),
            ("user@example..com", Problem::InvalidEmail("invalid domain")),
            ("user@-example.com", Problem::InvalidEmail("invalid domain")),
            ("user@example-.com", Problem::InvalidEmail("invalid domain")),
            ("user@exam_ple.com", Problem::InvalidEmail("invalid domain")),
            ("user@[127.0.0.1]", Problem::InvalidEmail("invalid domain")),
        ];
        for (email, problem) in invalid {
            assert_eq!(check_email(email), Err(problem), "{email:?}");
        }
    }

    #[test]
    fn email_length_limits() {
        let domain = format!("{}.{}.{}.com", "d".repeat(63), "e".repeat(63), "f".repeat(60));
        let longest = format!("{}@{domain}", "a".repeat(MAX_EMAIL_BYTES - domain.len() - 1));
        assert_eq!(longest.len(), MAX_EMAIL_BYTES);
        assert_eq!(check_email(&longest), Ok(()));
        let too_long = format!("a{longest}");
        assert_eq!(check_email(&too_long), Err(Problem::InvalidEmail("longer than 254 bytes")));

        let local_at_limit = format!("{}@example.com", "a".repeat(MAX_EMAIL_LOCAL_PART_BYTES));
        assert_eq!(check_email(&local_at_limit), Ok(()));
        let local_too_long = format!("a{local_at_limit}");
        assert_eq!(
            check_email(&local_too_long),
            Err(Problem::InvalidEmail("more than 64 bytes before the @"))
        );

        let label_too_long = format!("a@{}.com", "b".repeat(MAX_DOMAIN_LABEL_BYTES + 1));
        assert_eq!(check_email(&label_too_long), Err(Problem::InvalidEmail("invalid domain")));
    }

    #[test]
    fn name_length_limit() {
        assert_eq!(check_name(&"é".repeat(MAX_NAME_CHARS)), Ok(()));
        assert_eq!(
            check_name(&"é".repeat(MAX_NAME_CHARS + 1)),
            Err(Problem::TooLong { max_chars: MAX_NAME_CHARS })
        );
    }

    #[test]
    fn names_with_line_breaks_are_rejected() {
        for name in [
            "Ada\r\nBcc: victim@example.com",
            "Ada\nLovelace",
            "Ada\rLovelace",
            "Ada\tLovelace",
            "Ada\u{0}",
            "Ada\u{85}Lovelace",
            "Ada\u{2028}Lovelace",
            "Ada\u{7f}",
        ] {
            assert_eq!(check_name(name), Err(Problem::ControlCharacter), "{name:?}");
        }
        let mut request = request();
        request.recipients[0].name = "Bob\r\nSubject: hi".to_owned();
        assert_eq!(problems(&request), vec![("recipients[0].name".to_owned(), Problem::ControlCharacter)]);
    }

    #[test]
    fn duplicate_recipients_are_rejected() {
        let mut request = request();
        request.recipients = vec![
            person("Bob", "bob@example.com"),
            person("Carol", "carol@example.com"),
            person("Bobby", " BOB@Example.COM"),
        ];
        assert_eq!(
            problems(&request),
            vec![("recipients[2].email".to_owned(), Problem::DuplicateRecipient { first_index: 0 })]
        );

        // Two missing addresses are reported as missing, not as duplicates.
        request.recipients = vec![person("Bob", ""), person("Carol", " ")];
        assert_eq!(
            problems(&request),
            vec![
                ("recipients[0].email".to_owned(), Problem::Missing),
                ("recipients[1].email".to_owned(), Problem::Missing),
            ]
        );
    }

    #[test]
    fn recipient_count_limits() {
        let mut request = request();
        request.recipients =
            (0..MAX_RECIPIENTS).map(|index| person("R", &format!("r{index}@example.com"))).collect();
        assert_eq!(request.validate(NOW_MS).unwrap().recipients.len(), MAX_RECIPIENTS);

        request.recipients.push(person("R", "one-more@example.com"));
        assert_eq!(
            problems(&request),
            vec![("recipients".to_owned(), Problem::TooManyRecipients { max: MAX_RECIPIENTS })]
        );
    }

    #[test]
    fn message_length_limit() {
        let mut request = request();
        // CR LF counts as one character once normalised.
        request.message = "ab\r\n".repeat(MAX_MESSAGE_CHARS / 3) + "xy";
        assert_eq!(request.validate(NOW_MS).unwrap().message.chars().count(), MAX_MESSAGE_CHARS);

        request.message.push('z');
        assert_eq!(
            problems(&request),
            vec![("message".to_owned(), Problem::TooLong { max_chars: MAX_MESSAGE_CHARS })]
        );
    }

    #[test]
    fn message_control_characters_are_rejected() {
        let mut request = request();
        request.message = "tab\tand line\nare fine".to_owned();
        assert!(request.validate(NOW_MS).is_ok());
        request.message = "escape \u{1b}[31m is not".to_owned();
        assert_eq!(problems(&request), vec![("message".to_owned(), Problem::MessageControlCharacter)]);
    }

    #[test]
    fn designs_are_a_closed_set() {
        for design in Design::ALL {
            assert_eq!(Design::from_name(design.as_str()), Some(design));
        }
        let mut request = request();
        for name in ["Birthday", "wedding", ""] {
            request.design = name.to_owned();
            assert_eq!(problems(&request), vec![("design".to_owned(), Problem::UnknownDesign)], "{name:?}");
        }
    }

    #[test]
    fn send_at_rules() {
        let mut request = request();
        let cases = [
            ("2025-05-31T23:59:59Z", SendTime::Now),
            ("2025-06-01T00:00:00Z", SendTime::Now),
            ("1999-01-01T00:00:00+01:00", SendTime::Now),
            ("2025-06-01T00:00:01Z", SendTime::At(NOW_MS + 1000)),
            // 2026-06-01T00:00:00Z is exactly 365 days later.
            ("2026-06-01T00:00:00Z", SendTime::At(NOW_MS + 365 * 86_400_000)),
        ];
        for (text, expected) in cases {
            request.send_at = Some(text.to_owned());
            assert_eq!(request.validate(NOW_MS).unwrap().send_time, expected, "{text}");
        }

        request.send_at = Some("2026-06-01T00:00:00.001Z".to_owned());
        assert_eq!(problems(&request), vec![("send_at".to_owned(), Problem::TooFarAhead { max_days: 365 })]);
        request.send_at = Some("2025-06-02T09:00:00".to_owned());
        assert_eq!(problems(&request), vec![("send_at".to_owned(), Problem::InvalidTime)]);
    }
}
