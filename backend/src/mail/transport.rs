//! Where mail goes: an SMTP server (`SMTP_URL`: `smtp://` plain, `smtp://…?tls=required` for
//! STARTTLS, `smtps://` for implicit TLS, credentials in the URL), or, with none configured,
//! `.eml` files under the data directory so a new installation shows its mail with nothing set up.

use anyhow::Context;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
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
    /// An SMTP transport when `smtp_url` is set (with a pool of up to `connections`, trusting
    /// `extra_roots` (PEM) besides the Mozilla roots), else the `.eml` directory `mail_dir`.
    pub fn new(
        smtp_url: Option<&str>,
        extra_roots: Option<&[u8]>,
        mail_dir: &Path,
        connections: u32,
    ) -> anyhow::Result<Self> {
        let Some(url) = smtp_url.filter(|url| !url.trim().is_empty()) else {
            std::fs::create_dir_all(mail_dir)
                .with_context(|| format!("creating {}", mail_dir.display()))?;
            return Ok(Self::Files(mail_dir.to_path_buf()));
        };
        crate::webhooks::install_crypto_provider();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("SMTP_URL is not a valid smtp:// or smtps:// URL")?;
        if let Some(pem) = extra_roots {
            builder = builder.tls(tls_trusting(url, pem)?);
        }
        let mailer = builder
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

/// The TLS mode `url` asks for, trusting the certificates in `pem` as well.
fn tls_trusting(url: &str, pem: &[u8]) -> anyhow::Result<Tls> {
    let parsed = url::Url::parse(url).context("SMTP_URL is not a URL")?;
    let host = parsed
        .host_str()
        .context("SMTP_URL has no host")?
        .trim_matches(['[', ']'])
        .to_owned();
    let mut parameters = TlsParameters::builder(host);
    let text = String::from_utf8_lossy(pem);
    let mut found = 0;
    for block in text.split_inclusive("-----END CERTIFICATE-----") {
        if let Some(start) = block.find("-----BEGIN CERTIFICATE-----") {
            let certificate = Certificate::from_pem(&block.as_bytes()[start..])
                .context("SMTP_CA_FILE holds a certificate that cannot be read")?;
            parameters = parameters.add_root_certificate(certificate);
            found += 1;
        }
    }
    anyhow::ensure!(found > 0, "SMTP_CA_FILE holds no PEM certificate");
    let parameters = parameters.build_rustls()?;
    let tls_query = parsed
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.into_owned());
    Ok(match (parsed.scheme(), tls_query.as_deref()) {
        ("smtps", _) => Tls::Wrapper(parameters),
        ("smtp", Some("required")) => Tls::Required(parameters),
        ("smtp", Some("opportunistic")) => Tls::Opportunistic(parameters),
        _ => anyhow::bail!("SMTP_CA_FILE is for TLS: use smtps://… or smtp://…?tls=required"),
    })
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
