//! A member's digest preferences: how often, in which language, at which local hour.

use actix_web::{HttpResponse, web};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json::JsonBody;
use crate::auth::extract::AuthUser;
use crate::domain::digest::{DEFAULT_TIMEZONE, DigestPreferences, Frequency, MailLanguage};
use crate::error::{AppError, AppResult};
use crate::mail::compose::preferences_of;
use crate::state::AppState;
use crate::store::audit::{self, AuditEntry};
use crate::store::mail;

#[derive(Debug, Serialize, ToSchema)]
pub struct DigestPreferencesView {
    pub frequency: Frequency,
    pub language: MailLanguage,
    /// Local hour (0–23) in `timezone` from which the period's digest goes out.
    pub send_hour: u8,
    pub timezone: String,
    /// True while the member has never chosen (these are the defaults).
    pub is_default: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DigestPreferencesRequest {
    #[schema(value_type = Frequency)]
    pub frequency: String,
    #[schema(value_type = MailLanguage)]
    pub language: String,
    #[schema(minimum = 0, maximum = 23)]
    pub send_hour: i64,
    /// Defaults to `Asia/Shanghai`.
    pub timezone: Option<String>,
}

pub(crate) async fn current(state: &AppState, auth: &AuthUser) -> AppResult<DigestPreferencesView> {
    let saved = mail::preferences(&state.db, auth.user.id).await?;
    let on_a_team = mail::is_on_a_team(&state.db, auth.user.id).await?;
    let prefs = preferences_of(saved.as_ref(), on_a_team);
    Ok(DigestPreferencesView {
        frequency: prefs.frequency,
        language: prefs.language,
        send_hour: prefs.send_hour,
        timezone: prefs.timezone,
        is_default: saved.is_none(),
    })
}

#[utoipa::path(get, path = "/api/v1/me/digest-preferences", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = DigestPreferencesView), (status = 401, body = crate::error::Problem)))]
pub async fn get(state: web::Data<AppState>, auth: AuthUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(current(&state, &auth).await?))
}

#[utoipa::path(put, path = "/api/v1/me/digest-preferences", tag = "notifications", security(("bearer" = [])),
    request_body = DigestPreferencesRequest,
    responses((status = 200, body = DigestPreferencesView), (status = 401, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub async fn put(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: JsonBody<DigestPreferencesRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    let prefs = DigestPreferences::parse(
        &body.frequency,
        &body.language,
        body.send_hour,
        body.timezone.as_deref().unwrap_or(DEFAULT_TIMEZONE),
    )
    .map_err(AppError::validation)?;
    save(&state, &auth, &prefs).await?;
    Ok(HttpResponse::Ok().json(current(&state, &auth).await?))
}

/// Stores a member's checked preferences, with an audit event (the API's and the settings
/// page's one way to do it).
pub(crate) async fn save(
    state: &AppState,
    auth: &AuthUser,
    prefs: &DigestPreferences,
) -> AppResult<()> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    mail::save_preferences(&txn, auth.user.id, prefs, now).await?;
    audit::record(
        &txn,
        AuditEntry {
            organization_id: None,
            actor_id: Some(auth.user.id),
            action: "user.digest_preferences",
            object_type: "user",
            object_id: auth.user.id,
            before: None,
            after: Some(serde_json::json!({
                "frequency": prefs.frequency,
                "language": prefs.language,
                "send_hour": prefs.send_hour,
                "timezone": prefs.timezone,
            })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
