//! A stored digest as an RFC 5322 message: text and HTML alternatives, a Message-ID derived
//! from its outbox row (so a retried mail is recognisably the same mail), and the RFC 8058
//! one-click unsubscribe headers.

use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use crate::store::entities::outbox_mail;

const LIST_UNSUBSCRIBE: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe");
const LIST_UNSUBSCRIBE_POST: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe-Post");

/// `<outbox id@domain>`: the same for every attempt at one outbox row.
pub fn message_id(mail_id: uuid::Uuid, domain: &str) -> String {
    format!("<{mail_id}@{domain}>")
}

/// Header text from user-supplied words: control characters (CR, LF, …) become spaces, so no
/// title can end a header line and start another.
pub fn single_line(text: &str) -> String {
    let flattened: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    flattened.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn build(
    mail: &outbox_mail::Model,
    from: &Mailbox,
    message_id_domain: &str,
    unsubscribe_url: &str,
) -> Result<Message, String> {
    let to: Mailbox = mail
        .recipient
        .parse()
        .map_err(|e| format!("recipient {:?}: {e}", mail.recipient))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(single_line(&mail.subject))
        .message_id(Some(message_id(mail.id, message_id_domain)))
        .date(mail.created_at.into())
        .raw_header(HeaderValue::new(
            LIST_UNSUBSCRIBE,
            format!("<{unsubscribe_url}>"),
        ))
        .raw_header(HeaderValue::new(
            LIST_UNSUBSCRIBE_POST,
            "List-Unsubscribe=One-Click".to_owned(),
        ))
        .multipart(MultiPart::alternative_plain_html(
            mail.text_body.clone(),
            mail.html_body.clone(),
        ))
        .map_err(|e| format!("building the message: {e}"))
}
