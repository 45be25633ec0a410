//! Service endpoints: liveness, readiness (the database answers) and Prometheus metrics.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;
use crate::store;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthView {
    pub status: String,
}

#[utoipa::path(get, path = "/healthz", tag = "service", responses((status = 200, body = HealthView)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthView {
        status: "ok".to_owned(),
    })
}

#[utoipa::path(get, path = "/readyz", tag = "service",
    responses((status = 200, body = HealthView), (status = 503, body = HealthView)))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if store::ping(&state.db).await {
        HttpResponse::Ok().json(HealthView {
            status: "ready".to_owned(),
        })
    } else {
        HttpResponse::ServiceUnavailable().json(HealthView {
            status: "database unreachable".to_owned(),
        })
    }
}

#[utoipa::path(get, path = "/metrics", tag = "service",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}
