//! What every handler can reach: configuration, the database, token keys, the clock and metrics.
//! No globals: tests build their own.

use sea_orm::DatabaseConnection;
use std::sync::Arc;

use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenKeys;
use crate::clock::Clock;
use crate::config::Settings;
use crate::matching::service::MatchingService;
use crate::metrics::Metrics;
use crate::notify::Notifier;
use crate::templates::Templates;

#[derive(Debug, Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: DatabaseConnection,
    pub tokens: Arc<TokenKeys>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
    pub login_throttle: Arc<LoginThrottle>,
    pub matching: Arc<MatchingService>,
    pub templates: Arc<Templates>,
    pub notifier: Arc<Notifier>,
}
