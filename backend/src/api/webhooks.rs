//! Webhook endpoints of a team or an organisation, and their delivery logs. The signing secret
//! is shown once, when the endpoint is registered.

use actix_web::{HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::authorize;
use super::json::JsonBody;
use super::organizations::load as load_organization;
use super::teams::load as load_team;
use crate::auth::extract::AuthUser;
use crate::domain::policy::{Action, TeamFacts};
use crate::domain::validation::FieldError;
use crate::domain::webhook::{WebhookEvent, check_url};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;
use crate::store::audit::{self, AuditEntry};
use crate::store::entities::{webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::store::string_list;
use crate::store::webhooks::{self, NewEndpoint};

/// An owner may register this many endpoints.
const MAX_ENDPOINTS: usize = 10;

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub organization_id: Uuid,
    /// Set for a team's endpoint; absent for the organisation's own.
    pub team_id: Option<Uuid>,
    pub url: String,
    #[schema(value_type = Vec<WebhookEvent>)]
    pub events: Vec<String>,
    pub description: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// The signing secret: only in the answer to registering the endpoint. Verify
    /// `Yigong-Signature: t=…,v1=…` as HMAC-SHA256 over `"{t}.{body}"` with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookView {
    fn new(endpoint: &webhook_endpoint::Model, with_secret: bool) -> Self {
        Self {
            id: endpoint.id,
            organization_id: endpoint.organization_id,
            team_id: endpoint.team_id,
            url: endpoint.url.clone(),
            events: string_list(&endpoint.events),
            description: endpoint.description.clone(),
            active: endpoint.active,
            created_at: endpoint.created_at,
            secret: with_secret.then(|| endpoint.secret.clone()),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// An https URL on the public internet.
    #[schema(max_length = 2000)]
    pub url: String,
    #[schema(value_type = Vec<WebhookEvent>, min_items = 1)]
    pub events: Vec<String>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub event_id: Uuid,
    #[schema(value_type = WebhookEvent)]
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub attempt_log: Vec<AttemptView>,
}

impl DeliveryView {
    fn new(delivery: &webhook_delivery::Model, attempts: &[webhook_attempt::Model]) -> Self {
        Self {
            id: delivery.id,
            event_id: delivery.event_id,
            event_type: delivery.event_type.clone(),
            status: delivery.status.clone(),
            attempts: delivery.attempts,
            next_attempt_at: (delivery.status == "pending").then_some(delivery.next_attempt_at),
            last_status_code: delivery.last_status_code,
            last_error: delivery.last_error.clone(),
            delivered_at: delivery.delivered_at,
            created_at: delivery.created_at,
            attempt_log: attempts
                .iter()
                .map(|a| AttemptView {
                    attempted_at: a.attempted_at,
                    status_code: a.status_code,
                    error: a.error.clone(),
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// Who owns an endpoint, and may the actor manage it?
async fn authorize_owner(
    state: &AppState,
    auth: &AuthUser,
    organization_id: Uuid,
    team_id: Option<Uuid>,
) -> AppResult<()> {
    match team_id {
        Some(team_id) => {
            let (team, members) = load_team(state, team_id).await?;
            authorize(
                Some(&auth.actor),
                Action::UpdateTeam(TeamFacts {
                    organization_id: team.organization_id,
                    member_ids: &members,
                }),
            )
        }
        None => {
            let org = load_organization(state, organization_id).await?;
            authorize(
                Some(&auth.actor),
                Action::ManageOrganizationWebhooks {
                    organization_id: org.id,
                },
            )
        }
    }
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", URL_SAFE_NO_PAD.encode(bytes))
}

fn checked_events(events: &[String]) -> Result<Vec<WebhookEvent>, FieldError> {
    if events.is_empty() {
        return Err(FieldError::new(
            "events",
            "required",
            "至少选择一种事件 (choose at least one event)",
        ));
    }
    let mut chosen = Vec::new();
    for (i, name) in events.iter().enumerate() {
        let Some(event) = WebhookEvent::parse(name) else {
            return Err(FieldError::new(
                &format!("events[{i}]"),
                "invalid",
                format!(
                    "未知事件 (unknown event); 可选 (choose from): {}",
                    WebhookEvent::ALL
                        .iter()
                        .map(|e| e.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        if !chosen.contains(&event) {
            chosen.push(event);
        }
    }
    Ok(chosen)
}

async fn register(
    state: &AppState,
    auth: &AuthUser,
    organization_id: Uuid,
    team_id: Option<Uuid>,
    body: CreateWebhookRequest,
) -> AppResult<HttpResponse> {
    authorize_owner(state, auth, organization_id, team_id).await?;
    let mut errors = Vec::new();
    let url = check_url(&body.url, state.settings.notify.webhooks_allow_internal);
    if let Err(error) = &url {
        errors.push(error.clone());
    }
    let events = checked_events(&body.events);
    if let Err(error) = &events {
        errors.push(error.clone());
    }
    let description = body.description.trim().to_owned();
    if description.chars().count() > 200 {
        errors.push(FieldError::new(
            "description",
            "too_long",
            "不能超过 200 个字符 (at most 200 characters)",
        ));
    }
    let (Ok(url), Ok(events), true) = (url, events, errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    if webhooks::endpoints_of(&txn, organization_id, team_id)
        .await?
        .len()
        >= MAX_ENDPOINTS
    {
        return Err(AppError::new(ErrorCode::AlreadyExists).with_detail(format!(
            "最多可登记 {MAX_ENDPOINTS} 个端点 (at most {MAX_ENDPOINTS} endpoints)"
        )));
    }
    let endpoint = webhooks::insert_endpoint(
        &txn,
        NewEndpoint {
            organization_id,
            team_id,
            url: url.to_string(),
            events,
            secret: new_secret(),
            description,
            created_by: auth.user.id,
        },
        now,
    )
    .await?;
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(organization_id),
            actor_id: Some(auth.user.id),
            action: "webhook.register",
            object_type: "webhook_endpoint",
            object_id: endpoint.id,
            before: None,
            after: Some(serde_json::json!({"url": endpoint.url, "events": endpoint.events, "team_id": team_id})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(WebhookView::new(&endpoint, true)))
}

async fn list(
    state: &AppState,
    auth: &AuthUser,
    organization_id: Uuid,
    team_id: Option<Uuid>,
) -> AppResult<HttpResponse> {
    authorize_owner(state, auth, organization_id, team_id).await?;
    let endpoints = webhooks::endpoints_of(&state.db, organization_id, team_id).await?;
    Ok(HttpResponse::Ok().json(
        endpoints
            .iter()
            .map(|e| WebhookView::new(e, false))
            .collect::<Vec<_>>(),
    ))
}

#[utoipa::path(post, path = "/api/v1/teams/{id}/webhooks", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CreateWebhookRequest,
    responses((status = 201, body = WebhookView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create_for_team(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<CreateWebhookRequest>,
) -> AppResult<HttpResponse> {
    let (team, _) = load_team(&state, *id).await?;
    register(&state, &auth, team.organization_id, Some(team.id), body.0).await
}

#[utoipa::path(get, path = "/api/v1/teams/{id}/webhooks", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<WebhookView>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn list_for_team(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let (team, _) = load_team(&state, *id).await?;
    list(&state, &auth, team.organization_id, Some(team.id)).await
}

#[utoipa::path(post, path = "/api/v1/organizations/{id}/webhooks", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CreateWebhookRequest,
    responses((status = 201, body = WebhookView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create_for_organization(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<CreateWebhookRequest>,
) -> AppResult<HttpResponse> {
    register(&state, &auth, *id, None, body.0).await
}

#[utoipa::path(get, path = "/api/v1/organizations/{id}/webhooks", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<WebhookView>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn list_for_organization(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    list(&state, &auth, *id, None).await
}

async fn load_owned(
    state: &AppState,
    auth: &AuthUser,
    id: Uuid,
) -> AppResult<webhook_endpoint::Model> {
    let endpoint = webhooks::find_endpoint(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize_owner(state, auth, endpoint.organization_id, endpoint.team_id)
        .await
        .map_err(|error| match error.code {
            // Someone else's endpoint is none of your business.
            ErrorCode::Forbidden => AppError::not_found(),
            _ => error,
        })?;
    Ok(endpoint)
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let endpoint = load_owned(&state, &auth, *id).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    if !webhooks::delete_endpoint(&txn, endpoint.id).await? {
        return Err(AppError::not_found());
    }
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(endpoint.organization_id),
            actor_id: Some(auth.user.id),
            action: "webhook.delete",
            object_type: "webhook_endpoint",
            object_id: endpoint.id,
            before: Some(serde_json::json!({"url": endpoint.url})),
            after: None,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path), DeliveryQuery),
    responses((status = 200, body = Vec<DeliveryView>), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn deliveries(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    query: web::Query<DeliveryQuery>,
) -> AppResult<HttpResponse> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(AppError::field(
            "limit",
            "out_of_range",
            "须在 1 到 100 之间 (must be between 1 and 100)",
        ));
    }
    let endpoint = load_owned(&state, &auth, *id).await?;
    let log = webhooks::deliveries_of(&state.db, endpoint.id, limit).await?;
    Ok(HttpResponse::Ok().json(
        log.iter()
            .map(|(delivery, attempts)| DeliveryView::new(delivery, attempts))
            .collect::<Vec<_>>(),
    ))
}
