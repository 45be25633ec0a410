//! The sender: claims due mail with a lease, sends it, and records what happened. A mail is
//! marked sent right after the server accepted it, so a crash can repeat at most the mails
//! accepted but not yet marked; the stable Message-ID lets anyone count such repeats.

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use lettre::message::Mailbox;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
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

/// What to record about one mail.
#[derive(Debug)]
struct Settlement {
    mail_id: Uuid,
    recipient: String,
    kind: Outcome,
    status: &'static str,
    next_attempt_at: Option<DateTime<Utc>>,
    error: Option<String>,
}

/// `Suppressed` with status `failed` means the server said the address does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// Outcomes are recorded as they come in, those that arrive together in one transaction
    /// (group commit), so a mail the server accepted is marked sent within milliseconds.
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
            let mut settled = futures_util::stream::iter(claimed)
                .map(|mail| self.deliver(clock, mail, &suppressed))
                .buffer_unordered(self.settings.concurrency.max(1))
                .ready_chunks(64);
            while let Some(outcomes) = settled.next().await {
                let txn = db.begin().await?;
                for outcome in &outcomes {
                    self.record(&txn, outcome, clock.now()).await?;
                    report.add(outcome.kind);
                }
                txn.commit().await?;
            }
        }
    }

    /// Sends one mail and says what to record; writes nothing.
    async fn deliver(
        &self,
        clock: &dyn Clock,
        mail: outbox_mail::Model,
        suppressed: &HashSet<String>,
    ) -> Settlement {
        let settle = |kind, status: &'static str, next, error| Settlement {
            mail_id: mail.id,
            recipient: mail.recipient.clone(),
            kind,
            status,
            next_attempt_at: next,
            error,
        };
        if suppressed.contains(&mail.recipient) {
            let reason = "地址已被屏蔽 (the address is suppressed)".to_owned();
            return settle(Outcome::Suppressed, SUPPRESSED, None, Some(reason));
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
        match result {
            Ok(()) => settle(Outcome::Sent, SENT, None, None),
            Err(Failure::Temporary(reason)) => {
                let attempts = u32::try_from(mail.attempts).unwrap_or(u32::MAX);
                if self.settings.backoff.exhausted(attempts) {
                    tracing::warn!(mail = %mail.id, %reason, attempts, "mail given up after retries 邮件多次重试失败");
                    return settle(Outcome::Failed, FAILED, None, Some(reason));
                }
                let delay = self.settings.backoff.delay(attempts, rand::random::<f64>());
                let next = clock.now() + chrono::Duration::from_std(delay).unwrap_or_default();
                tracing::info!(mail = %mail.id, %reason, retry_at = %next, "mail deferred 邮件稍后重试");
                settle(Outcome::Deferred, PENDING, Some(next), Some(reason))
            }
            Err(Failure::Permanent {
                reason,
                unknown_address,
            }) => {
                tracing::warn!(mail = %mail.id, %reason, "mail refused for good 邮件被拒收");
                let kind = if unknown_address {
                    Outcome::Suppressed
                } else {
                    Outcome::Failed
                };
                settle(kind, FAILED, None, Some(reason))
            }
        }
    }

    async fn record(
        &self,
        db: &impl ConnectionTrait,
        settlement: &Settlement,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        if settlement.kind == Outcome::Suppressed && settlement.status == FAILED {
            let reason = settlement.error.as_deref().unwrap_or_default();
            mail::suppress(db, &settlement.recipient, reason, now).await?;
        }
        let held = mail::settle(
            db,
            settlement.mail_id,
            self.owner,
            settlement.status,
            settlement.next_attempt_at,
            settlement.error.clone(),
            now,
        )
        .await?;
        if !held {
            tracing::warn!(mail = %settlement.mail_id, "lease lost before the outcome was recorded 租约已失效");
        }
        Ok(())
    }
}
