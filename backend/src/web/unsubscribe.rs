//! One-click unsubscribe (RFC 8058). The link in every digest carries a signed token; a GET
//! only shows a confirmation page (mail scanners follow links), the POST unsubscribes, needs no
//! sign-in, and may be repeated.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::TransactionTrait;
use serde_json::json;
use uuid::Uuid;

use super::{language_of, page};
use crate::api::language::ReaderLanguage;
use crate::domain::digest::{Frequency, MailLanguage};
use crate::error::AppResult;
use crate::mail::compose::preferences_of;
use crate::state::AppState;
use crate::store::audit::{self, AuditEntry};
use crate::store::entities::user;
use crate::store::{mail, users};

struct Subscriber {
    user: user::Model,
    language: MailLanguage,
}

async fn subscriber(state: &AppState, token: &str) -> AppResult<Option<Subscriber>> {
    let Some(user_id) = state.notifier.unsubscribe.verify(token) else {
        return Ok(None);
    };
    let Some(user) = users::find(&state.db, user_id).await? else {
        return Ok(None);
    };
    let saved = mail::preferences(&state.db, user.id).await?;
    let language = preferences_of(saved.as_ref(), true).language;
    Ok(Some(Subscriber { user, language }))
}

fn invalid(state: &AppState, reader: ReaderLanguage) -> HttpResponse {
    let language = language_of(reader);
    let t = |key| state.templates.text(language, key, &[]);
    page(
        state,
        StatusCode::NOT_FOUND,
        "pages/unsubscribe.html",
        language,
        &t("unsubscribe.title"),
        json!({"state": "invalid", "message": t("unsubscribe.invalid")}),
    )
}

pub async fn confirm(
    state: web::Data<AppState>,
    token: web::Path<String>,
    reader: ReaderLanguage,
) -> AppResult<HttpResponse> {
    let Some(subscriber) = subscriber(&state, &token).await? else {
        return Ok(invalid(&state, reader));
    };
    Ok(answer(&state, &subscriber, "confirm", &token))
}

/// The page for a genuine token: `confirm` (a form that POSTs back) or `done`.
fn answer(state: &AppState, subscriber: &Subscriber, step: &str, token: &str) -> HttpResponse {
    let language = subscriber.language;
    let t = |key: &str, args: &[(&str, &str)]| state.templates.text(language, key, args);
    page(
        state,
        StatusCode::OK,
        "pages/unsubscribe.html",
        language,
        &t("unsubscribe.title", &[]),
        json!({
            "state": step,
            "message": t(&format!("unsubscribe.{step}"), &[("email", &subscriber.user.email)]),
            "action": format!("/unsubscribe/{token}"),
        }),
    )
}

pub async fn unsubscribe(
    state: web::Data<AppState>,
    token: web::Path<String>,
    reader: ReaderLanguage,
) -> AppResult<HttpResponse> {
    let Some(subscriber) = subscriber(&state, &token).await? else {
        return Ok(invalid(&state, reader));
    };
    let user_id: Uuid = subscriber.user.id;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let saved = mail::preferences(&txn, user_id).await?;
    let mut prefs = preferences_of(saved.as_ref(), true);
    if prefs.frequency != Frequency::Off {
        let before = prefs.frequency;
        prefs.frequency = Frequency::Off;
        mail::save_preferences(&txn, user_id, &prefs, now).await?;
        audit::record(
            &txn,
            AuditEntry {
                organization_id: None,
                actor_id: Some(user_id),
                action: "user.unsubscribe",
                object_type: "user",
                object_id: user_id,
                before: Some(json!({"frequency": before})),
                after: Some(json!({"frequency": prefs.frequency, "via": "one-click"})),
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(answer(&state, &subscriber, "done", &token))
}
