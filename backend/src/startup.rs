//! Builds the application: database, migrations, state, routes and middleware. `main` and the
//! tests both go through [`Application::build`], so tests exercise what production runs.

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers, Next, from_fn};
use actix_web::{App, HttpServer, ResponseError, web};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use crate::api::json::{BodyLimit, form_config, path_config, query_config};
use crate::api::routes;
use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenKeys;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::error::{AppError, ErrorCode};
use crate::matching::service::{MatchingService, SyncReport};
use crate::metrics::Metrics;
use crate::notify::Notifier;
use crate::state::AppState;
use crate::store;
use crate::templates::Templates;
use yigong_search_index::matcher::Matcher;

/// A running server, before it is awaited.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    /// Connects to the database, brings the schema up to date and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = store::connect(settings.database_url.expose()).await?;
        store::migrate(&db).await?;
        Self::build_with(settings, db, Arc::new(SystemClock)).await
    }

    /// Like [`Application::build`] with a database and clock chosen by the caller (tests).
    pub async fn build_with(
        settings: Settings,
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("binding {}", settings.bind))?;
        let port = listener
            .local_addr()
            .context("reading the bound address")?
            .port();
        let tokens = TokenKeys::new(
            settings.jwt_secret.expose(),
            &settings.jwt_issuer,
            &settings.jwt_audience,
            settings.access_token_seconds,
        );
        let matcher = Arc::new(Matcher::builtin().context("loading the concept lexicon")?);
        let matching = MatchingService::open(&settings.index_dir(), matcher, settings.match_limit)?;
        let healed = matching.reconcile(&db).await?;
        if healed != SyncReport::default() {
            tracing::info!(
                indexed = healed.indexed,
                removed = healed.removed,
                retagged = healed.retagged,
                "search index reconciled with the database 索引已与数据库同步"
            );
        }
        let templates = Arc::new(Templates::builtin()?);
        let notifier = Arc::new(Notifier::new(&settings, templates.clone())?);
        let state = AppState {
            settings: Arc::new(settings),
            db,
            tokens: Arc::new(tokens),
            clock,
            metrics: Arc::new(Metrics::default()),
            login_throttle: Arc::new(LoginThrottle::default()),
            matching: Arc::new(matching),
            templates,
            notifier,
        };
        let server = run(listener, state.clone())?;
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Starts the background notifier (digests, mail, webhooks) on this runtime.
    pub fn start_notifier(&self) {
        let state = &self.state;
        tokio::spawn(state.notifier.clone().run_forever(
            state.db.clone(),
            state.clock.clone(),
            state.matching.clone(),
        ));
    }
}

fn run(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let body_limit = BodyLimit(state.settings.max_body_bytes);
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(body_limit)
            .app_data(query_config())
            .app_data(form_config())
            .app_data(path_config())
            .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
            .wrap(from_fn(record_metrics))
            .configure(routes::configure)
            .default_service(web::to(|| async { AppError::not_found().error_response() }))
    })
    .listen(listener)
    .context("starting the HTTP server")?
    .run();
    Ok(server)
}

async fn record_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.metrics.clone());
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        metrics.record(
            &method,
            &route,
            response.status().as_u16(),
            started.elapsed(),
        );
    }
    Ok(response)
}

/// actix answers some errors itself (405, malformed requests) with a bare body; give those the
/// same problem+json shape as ours.
fn problem_for_bare_errors<B>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // Our own answers (problem+json, and the web pages' HTML) are left as they are.
    let ours = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json") || v.starts_with("text/html"));
    if ours {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let code = match res.status().as_u16() {
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        401 => ErrorCode::Unauthenticated,
        403 => ErrorCode::Forbidden,
        400..=499 => ErrorCode::MalformedRequest,
        _ => ErrorCode::Internal,
    };
    let (req, _) = res.into_parts();
    let response = AppError::new(code).error_response();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}
