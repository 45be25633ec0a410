//! Public pages: an order's summary (what digest links open).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::json;
use uuid::Uuid;

use super::{language_of, page};
use crate::api::language::ReaderLanguage;
use crate::domain::digest::DigestPreferences;
use crate::domain::order::OrderStatus;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::{orders, organizations};

const SUMMARY_CHARS: usize = 600;

pub async fn order(
    state: web::Data<AppState>,
    id: web::Path<String>,
    reader: ReaderLanguage,
) -> AppResult<HttpResponse> {
    let language = language_of(reader);
    let t = |key: &str, args: &[(&str, &str)]| state.templates.text(language, key, args);
    let found = match Uuid::parse_str(&id) {
        Ok(id) => orders::find(&state.db, id).await?,
        Err(_) => None,
    };
    let public =
        found.filter(|order| OrderStatus::parse(&order.status).is_some_and(OrderStatus::is_public));
    let Some(order) = public else {
        return Ok(page(
            &state,
            StatusCode::NOT_FOUND,
            "pages/order.html",
            language,
            &t("order.title", &[]),
            json!({"order": null}),
        ));
    };
    let hospital = organizations::find(&state.db, order.organization_id)
        .await?
        .map(|org| org.name)
        .unwrap_or_default();
    let beijing = DigestPreferences::default_for(true);
    let description: String = order
        .clinical_description
        .chars()
        .take(SUMMARY_CHARS)
        .collect();
    Ok(page(
        &state,
        StatusCode::OK,
        "pages/order.html",
        language,
        &order.title,
        json!({"order": {
            "title": order.title,
            "hospital": hospital,
            "category": t(&format!("category.{}", order.category), &[]),
            "budget": t("digest.budget_range", &[
                ("min", &order.budget_min_cny.to_string()),
                ("max", &order.budget_max_cny.to_string()),
            ]),
            "deadline": beijing.local_time(order.bid_deadline),
            "description": description,
        }}),
    ))
}
