//! The sender: claims due mail with a lease, sends it, and records what happened. A mail is
//! marked sent right after the server accepted it, so a crash can repeat at most the mails
//! accepted but not yet marked; the stable Message-ID lets anyone count such repeats.

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use lettre::message::Mailbox;
use sea_orm::DatabaseConnection;
use std::collections::HashSet;
use std::time::Duration;
use uuid::Uuid;

use super::message;
use super::transport::{Failure, MailTransport};
use super::unsubscribe::UnsubscribeTokens;
use crate::clock::Clock;
use crate::domain::backoff::Backoff;
use crate::store::entities::outbox_mail;
use crate::store::lease::PENDING;
use crate::store::mail::{self, FAILED, SENT, SUPPRESSED};

#[derive(Debug, Clone)]
pub struct SenderSettings {
    pub from: Mailbox,
    /// The right-hand side of Message-IDs (the public host name).
    pub message_id_domain: String,
    /// Where unsubscribe links point, without a trailing slash.
    pub base_url: String,
    pub backoff: Backoff,
    /// How long a claim holds a batch; a sender that dies gives its batch up after this.
    pub lease: Duration,
    /// Mails claimed at once.
    pub batch: u64,
    /// Mails in flight at once (and SMTP connections in the pool).
    pub concurrency: usize,
}

#[derive(Debug)]
pub struct MailSender {
    transport: MailTransport,
    settings: SenderSettings,
    unsubscribe: UnsubscribeTokens,
    /// This sender's name in leases.
    owner: Uuid,
}

/// What one sending pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    /// Temporary failures, to be tried again later.
    pub deferred: usize,
    pub failed: usize,
    pub suppressed: usize,
}

impl SendReport {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Sent => self.sent += 1,
            Outcome::Deferred => self.deferred += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Suppressed => self.suppressed += 1,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Outcome {
    Sent,
    Deferred,
    Failed,
    Suppressed,
}

impl MailSender {
    pub fn new(
        transport: MailTransport,
        settings: SenderSettings,
        unsubscribe: UnsubscribeTokens,
    ) -> Self {
        Self {
            transport,
            settings,
            unsubscribe,
            owner: Uuid::new_v4(),
        }
    }

    pub fn transport(&self) -> &MailTransport {
        &self.transport
    }

    pub fn settings(&self) -> &SenderSettings {
        &self.settings
    }

    /// Sends every mail that is due now, batch after batch, until none is left to claim.
    pub async fn send_due(
        &self,
        db: &DatabaseConnection,
        clock: &dyn Clock,
    ) -> anyhow::Result<SendReport> {
        let mut report = SendReport::default();
        loop {
            let now = clock.now();
            let lease_until = now + chrono::Duration::from_std(self.settings.lease)?;
            let claimed =
                mail::claim(db, self.owner, now, lease_until, self.settings.batch).await?;
            if claimed.is_empty() {
                return Ok(report);
            }
            let recipients: Vec<String> = claimed.iter().map(|m| m.recipient.clone()).collect();
            let suppressed = mail::suppressed_among(db, &recipients).await?;
            let outcomes: Vec<anyhow::Result<Outcome>> = futures_util::stream::iter(claimed)
                .map(|mail| self.deliver(db, clock, mail, &suppressed))
                .buffer_unordered(self.settings.concurrency.max(1))
                .collect()
                .await;
            for outcome in outcomes {
                report.add(outcome?);
            }
        }
    }

    async fn deliver(
        &self,
        db: &DatabaseConnection,
        clock: &dyn Clock,
        mail: outbox_mail::Model,
        suppressed: &HashSet<String>,
    ) -> anyhow::Result<Outcome> {
        if suppressed.contains(&mail.recipient) {
            let reason = "地址已被屏蔽 (the address is suppressed)".to_owned();
            self.settle(db, &mail, SUPPRESSED, None, Some(reason), clock.now())
                .await?;
            return Ok(Outcome::Suppressed);
        }
        let unsubscribe_url = format!(
            "{}/unsubscribe/{}",
            self.settings.base_url,
            self.unsubscribe.issue(mail.user_id)
        );
        let built = message::build(
            &mail,
            &self.settings.from,
            &self.settings.message_id_domain,
            &unsubscribe_url,
        );
        let result = match built {
            Ok(message) => self.transport.send(&mail.id.to_string(), message).await,
            Err(reason) => Err(Failure::Permanent {
                reason,
                unknown_address: false,
            }),
        };
        let now = clock.now();
        match result {
            Ok(()) => {
                self.settle(db, &mail, SENT, None, None, now).await?;
                Ok(Outcome::Sent)
            }
            Err(Failure::Temporary(reason)) => {
                let attempts = u32::try_from(mail.attempts).unwrap_or(u32::MAX);
                if self.settings.backoff.exhausted(attempts) {
                    tracing::warn!(mail = %mail.id, %reason, attempts, "mail given up after retries 邮件多次重试失败");
                    self.settle(db, &mail, FAILED, None, Some(reason), now)
                        .await?;
                    return Ok(Outcome::Failed);
                }
                let delay = self.settings.backoff.delay(attempts, rand::random::<f64>());
                let next = now + chrono::Duration::from_std(delay)?;
                tracing::info!(mail = %mail.id, %reason, retry_at = %next, "mail deferred 邮件稍后重试");
                self.settle(db, &mail, PENDING, Some(next), Some(reason), now)
                    .await?;
                Ok(Outcome::Deferred)
            }
            Err(Failure::Permanent {
                reason,
                unknown_address,
            }) => {
                tracing::warn!(mail = %mail.id, %reason, "mail refused for good 邮件被拒收");
                if unknown_address {
                    mail::suppress(db, &mail.recipient, &reason, now).await?;
                }
                self.settle(db, &mail, FAILED, None, Some(reason), now)
                    .await?;
                Ok(Outcome::Failed)
            }
        }
    }

    async fn settle(
        &self,
        db: &DatabaseConnection,
        mail: &outbox_mail::Model,
        status: &str,
        next_attempt_at: Option<DateTime<Utc>>,
        error: Option<String>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let held =
            mail::settle(db, mail.id, self.owner, status, next_attempt_at, error, now).await?;
        if !held {
            tracing::warn!(mail = %mail.id, "lease lost before the outcome was recorded 租约已失效");
        }
        Ok(())
    }
}
