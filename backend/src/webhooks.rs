//! Delivering webhooks: claims due deliveries with a lease, POSTs the signed payload with
//! reqwest, logs every attempt, and retries failures with backoff. Destinations are checked
//! again at send time, after DNS resolution, so a name that later points at a private address
//! is refused too; redirects are not followed.

use futures_util::StreamExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use uuid::Uuid;

use crate::clock::Clock;
use crate::domain::backoff::Backoff;
use crate::domain::webhook::{SIGNATURE_HEADER, check_url, is_internal_address, signature};
use crate::store::entities::{webhook_delivery, webhook_endpoint};
use crate::store::lease::PENDING;
use crate::store::webhooks::{self, AttemptOutcome, DELIVERED, FAILED};

#[derive(Debug, Clone)]
pub struct DelivererSettings {
    pub backoff: Backoff,
    pub lease: Duration,
    pub batch: u64,
    pub concurrency: usize,
    /// Development only: allow plain http and loopback or private destinations.
    pub allow_internal: bool,
    pub timeout: Duration,
}

#[derive(Debug)]
pub struct WebhookDeliverer {
    client: reqwest::Client,
    settings: DelivererSettings,
    owner: Uuid,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: usize,
    pub deferred: usize,
    pub failed: usize,
}

/// Resolves names and refuses any that lead to an internal address.
#[derive(Debug, Clone, Copy)]
struct GuardedResolver {
    allow_internal: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_internal = self.allow_internal;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_internal && addresses.iter().any(|a| is_internal_address(a.ip())) {
                return Err(format!(
                    "{host} resolves to a loopback or private address 目标地址为内网地址"
                )
                .into());
            }
            let addrs: Addrs = Box::new(addresses.into_iter());
            Ok(addrs)
        })
    }
}

impl WebhookDeliverer {
    pub fn new(settings: DelivererSettings) -> anyhow::Result<Self> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("Yigong-Webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(GuardedResolver {
                allow_internal: settings.allow_internal,
            })
            .build()?;
        Ok(Self {
            client,
            settings,
            owner: Uuid::new_v4(),
        })
    }

    pub fn allows_internal(&self) -> bool {
        self.settings.allow_internal
    }

    /// Delivers everything due now, batch after batch.
    pub async fn deliver_due(
        &self,
        db: &DatabaseConnection,
        clock: &dyn Clock,
    ) -> anyhow::Result<DeliveryReport> {
        let mut report = DeliveryReport::default();
        loop {
            let now = clock.now();
            let until = now + chrono::Duration::from_std(self.settings.lease)?;
            let claimed = webhooks::claim(db, self.owner, now, until, self.settings.batch).await?;
            if claimed.is_empty() {
                return Ok(report);
            }
            let endpoint_ids: Vec<Uuid> = claimed.iter().map(|d| d.endpoint_id).collect();
            let endpoints: HashMap<Uuid, webhook_endpoint::Model> =
                webhooks::endpoints_by_ids(db, &endpoint_ids)
                    .await?
                    .into_iter()
                    .map(|e| (e.id, e))
                    .collect();
            let outcomes: Vec<anyhow::Result<&'static str>> = futures_util::stream::iter(claimed)
                .map(|delivery| {
                    let endpoint = endpoints.get(&delivery.endpoint_id);
                    self.attempt(db, clock, delivery, endpoint)
                })
                .buffer_unordered(self.settings.concurrency.max(1))
                .collect()
                .await;
            for outcome in outcomes {
                match outcome? {
                    DELIVERED => report.delivered += 1,
                    FAILED => report.failed += 1,
                    _ => report.deferred += 1,
                }
            }
        }
    }

    async fn attempt(
        &self,
        db: &DatabaseConnection,
        clock: &dyn Clock,
        delivery: webhook_delivery::Model,
        endpoint: Option<&webhook_endpoint::Model>,
    ) -> anyhow::Result<&'static str> {
        let started = Instant::now();
        let result = match endpoint {
            Some(endpoint) if endpoint.active => self.post(clock, &delivery, endpoint).await,
            _ => Err((
                None,
                "端点已停用或删除 (the endpoint is gone)".to_owned(),
                true,
            )),
        };
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let now = clock.now();
        let attempts = u32::try_from(delivery.attempts).unwrap_or(u32::MAX);
        let outcome = match result {
            Ok(code) => AttemptOutcome {
                status: DELIVERED,
                next_attempt_at: None,
                status_code: Some(code),
                error: None,
                duration_ms,
            },
            Err((code, error, final_)) if final_ || self.settings.backoff.exhausted(attempts) => {
                AttemptOutcome {
                    status: FAILED,
                    next_attempt_at: None,
                    status_code: code,
                    error: Some(error),
                    duration_ms,
                }
            }
            Err((code, error, _)) => {
                let delay = self.settings.backoff.delay(attempts, rand::random::<f64>());
                AttemptOutcome {
                    status: PENDING,
                    next_attempt_at: Some(now + chrono::Duration::from_std(delay)?),
                    status_code: code,
                    error: Some(error),
                    duration_ms,
                }
            }
        };
        if !webhooks::settle(db, delivery.id, self.owner, &outcome, now).await? {
            tracing::warn!(delivery = %delivery.id, "webhook lease lost before the outcome was recorded");
        }
        Ok(outcome.status)
    }

    /// POSTs one delivery; `Err((status, error, final))`, where `final` means retrying cannot
    /// help (the destination is not allowed).
    async fn post(
        &self,
        clock: &dyn Clock,
        delivery: &webhook_delivery::Model,
        endpoint: &webhook_endpoint::Model,
    ) -> Result<u16, (Option<u16>, String, bool)> {
        let url = check_url(&endpoint.url, self.settings.allow_internal)
            .map_err(|e| (None, e.message, true))?;
        let timestamp = clock.now().timestamp();
        let body = delivery.payload.clone().into_bytes();
        let signed = signature(endpoint.secret.as_bytes(), timestamp, &body);
        let response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Yigong-Event", &delivery.event_type)
            .header("Yigong-Delivery", delivery.id.to_string())
            .header(SIGNATURE_HEADER, signed)
            .body(body)
            .send()
            .await
            .map_err(|e| (None, describe(&e), false))?;
        let status = response.status();
        if status.is_success() {
            Ok(status.as_u16())
        } else {
            Err((
                Some(status.as_u16()),
                format!(
                    "接收方返回 (the receiver answered) HTTP {}",
                    status.as_u16()
                ),
                false,
            ))
        }
    }
}

/// The error with its causes (reqwest's own message hides them).
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// reqwest and lettre share rustls with the ring provider; it is installed once per process
/// (a second install is refused, which is fine).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
