//! The background notifier: composes due digests, sends the mail outbox and delivers webhooks.
//! `yigong serve` runs [`Notifier::run_forever`]; `yigong digest` runs one pass. Every step is
//! safe to run in several processes at once (leases and unique periods see to that).

use anyhow::Context;
use lettre::message::Mailbox;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::backoff::Backoff;
use crate::mail::compose::{self, ComposeReport, Composer};
use crate::mail::sender::{MailSender, SendReport, SenderSettings};
use crate::mail::transport::MailTransport;
use crate::mail::unsubscribe::UnsubscribeTokens;
use crate::matching::service::MatchingService;
use crate::templates::Templates;
use crate::webhooks::{DelivererSettings, DeliveryReport, WebhookDeliverer};
use yigong_search_index::matcher::Matcher;

#[derive(Debug)]
pub struct Notifier {
    pub templates: Arc<Templates>,
    pub unsubscribe: UnsubscribeTokens,
    pub sender: MailSender,
    pub webhooks: WebhookDeliverer,
    pub base_url: String,
    pub interval: Duration,
}

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    pub compose: ComposeReport,
    pub mail: SendReport,
    pub webhooks: DeliveryReport,
}

impl Notifier {
    pub fn new(settings: &Settings, templates: Arc<Templates>) -> anyhow::Result<Self> {
        let notify = &settings.notify;
        let from: Mailbox = notify
            .mail_from
            .parse()
            .with_context(|| format!("YIGONG_MAIL_FROM {:?} is not a mailbox", notify.mail_from))?;
        let domain = from.email.domain().to_owned();
        let extra_roots = match &notify.smtp_ca_file {
            Some(path) => Some(
                std::fs::read(path)
                    .with_context(|| format!("reading SMTP_CA_FILE {}", path.display()))?,
            ),
            None => None,
        };
        let transport = MailTransport::new(
            notify.smtp_url.as_ref().map(|url| url.expose().as_str()),
            extra_roots.as_deref(),
            &settings.mail_dir(),
            u32::try_from(notify.concurrency).unwrap_or(4),
        )?;
        let backoff = Backoff {
            base: notify.retry_base,
            cap: Duration::from_secs(6 * 3600),
            max_attempts: notify.max_attempts,
        };
        // Claim enough to keep every connection busy between claims.
        let batch = u64::try_from(notify.concurrency.saturating_mul(8).max(50)).unwrap_or(50);
        let unsubscribe = UnsubscribeTokens::new(settings.jwt_secret.expose());
        let sender = MailSender::new(
            transport,
            SenderSettings {
                from,
                message_id_domain: domain,
                base_url: settings.public_base_url.clone(),
                backoff,
                lease: notify.lease,
                batch,
                concurrency: notify.concurrency,
            },
            unsubscribe.clone(),
        );
        let webhooks = WebhookDeliverer::new(DelivererSettings {
            backoff,
            lease: notify.lease,
            batch,
            concurrency: notify.concurrency,
            allow_internal: notify.webhooks_allow_internal,
            timeout: Duration::from_secs(10),
        })?;
        Ok(Self {
            templates,
            unsubscribe,
            sender,
            webhooks,
            base_url: settings.public_base_url.clone(),
            interval: notify.worker_interval,
        })
    }

    pub fn composer<'a>(&'a self, matcher: &'a Matcher) -> Composer<'a> {
        Composer {
            templates: &self.templates,
            matcher,
            unsubscribe: &self.unsubscribe,
            base_url: &self.base_url,
        }
    }

    /// Composes what is due (everything, when `ignore_hour`), then sends and delivers.
    pub async fn run_once(
        &self,
        db: &DatabaseConnection,
        clock: &dyn Clock,
        matcher: &Matcher,
        ignore_hour: bool,
    ) -> anyhow::Result<PassReport> {
        let compose =
            compose::compose_due(db, self.composer(matcher), clock.now(), ignore_hour).await?;
        let mail = self.sender.send_due(db, clock).await?;
        let webhooks = self.webhooks.deliver_due(db, clock).await?;
        Ok(PassReport {
            compose,
            mail,
            webhooks,
        })
    }

    /// Runs a pass every `interval` until the process ends; a failed pass is logged and the
    /// next one tries again.
    pub async fn run_forever(
        self: Arc<Self>,
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        matching: Arc<MatchingService>,
    ) {
        tracing::info!(transport = %self.sender.transport().describe(), "notifier started 通知任务已启动");
        loop {
            match self
                .run_once(&db, clock.as_ref(), matching.matcher(), false)
                .await
            {
                Ok(report) if report != PassReport::default() => {
                    tracing::info!(?report, "notifier pass 通知任务完成一轮");
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(error = %format!("{error:#}"), "notifier pass failed 通知任务出错")
                }
            }
            tokio::time::sleep(self.interval).await;
        }
    }
}
