//! Where mail goes: an SMTP server (`SMTP_URL`: `smtp://` plain, `smtp://…?tls=required` for
//! STARTTLS, `smtps://` for implicit TLS, credentials in the URL), or, with none configured,
//! `.eml` files under the data directory so a new installation shows its mail with nothing set up.

use anyhow::Context;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How a send went wrong, as far as retrying is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Try again later: 4xx replies, timeouts, refused or dropped connections, TLS trouble, and
    /// authentication replies (a server configuration problem, not this mail's).
    Temporary(String),
    /// The server refused this mail for good (5xx). `unknown_address` when it said the mailbox
    /// does not exist, so the address is suppressed.
    Permanent {
        reason: String,
        unknown_address: bool,
    },
}

pub enum MailTransport {
    Smtp {
        mailer: AsyncSmtpTransport<Tokio1Executor>,
        described: String,
    },
    Files(PathBuf),
}

impl std::fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// SMTP reply codes about authentication: the server's or our configuration, not the mail.
const AUTH_CODES: [u16; 4] = [530, 534, 535, 538];

impl MailTransport {
    /// An SMTP transport when `smtp_url` is set (with a pool of up to `connections`), else the
    /// `.eml` directory `mail_dir`.
    pub fn new(smtp_url: Option<&str>, mail_dir: &Path, connections: u32) -> anyhow::Result<Self> {
        let Some(url) = smtp_url.filter(|url| !url.trim().is_empty()) else {
            std::fs::create_dir_all(mail_dir)
                .with_context(|| format!("creating {}", mail_dir.display()))?;
            return Ok(Self::Files(mail_dir.to_path_buf()));
        };
        crate::webhooks::install_crypto_provider();
        let mailer = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("SMTP_URL is not a valid smtp:// or smtps:// URL")?
            .timeout(Some(Duration::from_secs(30)))
            .pool_config(
                PoolConfig::new()
                    .max_size(connections.max(1))
                    .idle_timeout(Duration::from_secs(60)),
            )
            .build();
        Ok(Self::Smtp {
            mailer,
            described: redact(url),
        })
    }

    /// For logs: the server without its password, or the directory.
    pub fn describe(&self) -> String {
        match self {
            Self::Smtp { described, .. } => format!("SMTP {described}"),
            Self::Files(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    /// Sends `message`; `name` (the outbox id) names the file when writing `.eml` files, so a
    /// retried mail overwrites itself instead of appearing twice.
    pub async fn send(&self, name: &str, message: Message) -> Result<(), Failure> {
        match self {
            Self::Smtp { mailer, .. } => mailer.send(message).await.map(|_| ()).map_err(classify),
            Self::Files(dir) => write_eml(dir, name, &message.formatted())
                .await
                .map_err(|e| Failure::Temporary(format!("writing the .eml file: {e}"))),
        }
    }
}

async fn write_eml(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let partial = dir.join(format!(".{name}.eml.partial"));
    tokio::fs::write(&partial, bytes).await?;
    tokio::fs::rename(&partial, dir.join(format!("{name}.eml"))).await
}

fn classify(error: lettre::transport::smtp::Error) -> Failure {
    let text = error.to_string();
    match error.status().map(u16::from) {
        Some(code) if error.is_permanent() && !AUTH_CODES.contains(&code) => Failure::Permanent {
            unknown_address: says_unknown_address(code, &text),
            reason: text,
        },
        _ => Failure::Temporary(text),
    }
}

/// 5.1.1 "bad destination mailbox address" and its usual wordings (RFC 3463); 551 and 553 say
/// the mailbox is not local or its name is not allowed.
fn says_unknown_address(code: u16, text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    code == 551
        || code == 553
        || (code == 550
            && [
                "5.1.1",
                "unknown",
                "does not exist",
                "no such",
                "not found",
                "invalid recipient",
            ]
            .iter()
            .any(|phrase| text.contains(phrase)))
}

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "(unparsable URL)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_mailboxes_are_told_apart_from_other_refusals() {
        assert!(says_unknown_address(
            550,
            "550 5.1.1 <x@y>: Recipient address rejected: User unknown"
        ));
        assert!(says_unknown_address(553, "553 mailbox name not allowed"));
        assert!(!says_unknown_address(
            550,
            "550 5.7.1 Message rejected as spam"
        ));
        assert!(!says_unknown_address(554, "554 transaction failed"));
    }

    #[test]
    fn passwords_stay_out_of_logs() {
        assert_eq!(
            redact("smtps://mailer:s3cret@smtp.example.com:465"),
            "smtps://mailer:***@smtp.example.com:465"
        );
    }
}
