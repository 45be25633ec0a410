//! The public board of published orders (summaries only) and an order's page, which its
//! organisation also sees before publication.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

use super::render;
use super::session::PageContext;
use crate::domain::digest::beijing_time;
use crate::domain::order::OrderStatus;
use crate::domain::policy::{self, Action, OrderFacts};
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::entities::order;
use crate::store::{orders, organizations};

const SUMMARY_CHARS: usize = 600;
const BOARD_SIZE: usize = 100;

fn summary(state: &AppState, ctx: &PageContext, order: &order::Model, hospital: String) -> Value {
    let t = |key: &str, args: &[(&str, &str)]| state.templates.text(ctx.language, key, args);
    json!({
        "id": order.id,
        "title": order.title,
        "hospital": hospital,
        "category": t(&format!("category.{}", order.category), &[]),
        "budget": t("digest.budget_range", &[
            ("min", &order.budget_min_cny.to_string()),
            ("max", &order.budget_max_cny.to_string()),
        ]),
        "deadline": beijing_time(order.bid_deadline),
        "status": t(&format!("status.{}", order.status), &[]),
    })
}

pub async fn board(state: web::Data<AppState>, ctx: PageContext) -> AppResult<HttpResponse> {
    let mut ids = orders::published_ids(&state.db).await?;
    ids.sort_unstable_by_key(|id| std::cmp::Reverse(*id)); // ids are time-ordered: newest first
    ids.truncate(BOARD_SIZE);
    let found = orders::by_ids(&state.db, &ids).await?;
    let org_ids: Vec<Uuid> = found.iter().map(|o| o.organization_id).collect();
    let names: HashMap<Uuid, String> = organizations::by_ids(&state.db, &org_ids)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut listed: Vec<&order::Model> = found.iter().collect();
    listed.sort_by_key(|o| std::cmp::Reverse(o.id));
    let cards: Vec<Value> = listed
        .iter()
        .map(|o| {
            summary(
                &state,
                &ctx,
                o,
                names.get(&o.organization_id).cloned().unwrap_or_default(),
            )
        })
        .collect();
    let title = state.templates.text(ctx.language, "board.title", &[]);
    Ok(render(
        &state,
        &ctx,
        StatusCode::OK,
        "pages/board.html",
        &title,
        "/",
        json!({"orders": cards}),
    ))
}

#[derive(Debug, Deserialize)]
pub struct OrderQuery {
    saved: Option<u8>,
    done: Option<u8>,
    error: Option<String>,
}

pub async fn order(
    state: web::Data<AppState>,
    ctx: PageContext,
    id: web::Path<String>,
    query: web::Query<OrderQuery>,
) -> AppResult<HttpResponse> {
    let t = |key: &str| state.templates.text(ctx.language, key, &[]);
    let path = format!("/orders/{id}");
    let found = match Uuid::parse_str(&id) {
        Ok(id) => orders::find(&state.db, id).await?,
        Err(_) => None,
    };
    let visible = found.filter(|order| {
        let Some(status) = OrderStatus::parse(&order.status) else {
            return false;
        };
        let facts = OrderFacts {
            organization_id: order.organization_id,
            author_id: order.author_id,
            status,
        };
        let actor = ctx.user.as_ref().map(|u| &u.actor);
        policy::authorize(actor, Action::ViewOrder(facts)).is_ok()
    });
    let Some(order) = visible else {
        return Ok(render(
            &state,
            &ctx,
            StatusCode::NOT_FOUND,
            "pages/order.html",
            &t("order.title"),
            &path,
            json!({"order": null}),
        ));
    };
    let hospital = organizations::find(&state.db, order.organization_id)
        .await?
        .map(|org| org.name)
        .unwrap_or_default();
    let mut shown = summary(&state, &ctx, &order, hospital);
    shown["description"] = json!(
        order
            .clinical_description
            .chars()
            .take(SUMMARY_CHARS)
            .collect::<String>()
    );
    let notice = query
        .saved
        .map(|_| t("order.saved"))
        .or_else(|| query.done.map(|_| t("action.done")));
    let extras = super::work::order_extras(&state, &ctx, &order).await?;
    Ok(render(
        &state,
        &ctx,
        StatusCode::OK,
        "pages/order.html",
        &order.title,
        &path,
        json!({"order": shown, "notice": notice, "error": query.error, "x": extras}),
    ))
}
