//! Settings in the browser: how often digests come, in which language and at which hour; and
//! a team's view of its own bids and the decisions on them.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

use super::account::csrf_refused;
use super::session::PageContext;
use super::work::my_teams;
use super::{render, see_other};
use crate::api::digests::{current, save};
use crate::domain::digest::{DigestPreferences, Frequency, MailLanguage, timezones};
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::{bids, orders};

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct DigestForm {
    #[serde(skip_serializing)]
    csrf_token: String,
    frequency: String,
    language: String,
    send_hour: String,
    timezone: String,
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    done: Option<u8>,
}

fn settings_page(
    state: &AppState,
    ctx: &PageContext,
    status: StatusCode,
    form: &DigestForm,
    errors: &BTreeMap<String, String>,
    notice: Option<String>,
) -> HttpResponse {
    let t = |key: &str| state.templates.text(ctx.language, key, &[]);
    let frequencies: Vec<(&str, String)> = Frequency::ALL
        .iter()
        .map(|f| (f.as_str(), t(&format!("settings.frequency.{}", f.as_str()))))
        .collect();
    let languages: Vec<(&str, &str)> = MailLanguage::ALL
        .iter()
        .map(|l| {
            (
                l.as_str(),
                if *l == MailLanguage::ZhCn {
                    "中文"
                } else {
                    "English"
                },
            )
        })
        .collect();
    let hours: Vec<(String, String)> = (0..24)
        .map(|h| (h.to_string(), format!("{h:02}:00")))
        .collect();
    let zones: Vec<(&str, &str)> = timezones().map(|z| (z, z)).collect();
    render(
        state,
        ctx,
        status,
        "pages/settings.html",
        &t("settings.heading"),
        "/settings",
        json!({
            "form": form,
            "errors": errors,
            "notice": notice,
            "frequencies": frequencies,
            "languages": languages,
            "hours": hours,
            "zones": zones,
        }),
    )
}

pub async fn page(
    state: web::Data<AppState>,
    ctx: PageContext,
    query: web::Query<SavedQuery>,
) -> AppResult<HttpResponse> {
    let Some(user) = ctx.user.as_ref() else {
        return Ok(see_other("/signin").finish());
    };
    let now = current(&state, user).await?;
    let form = DigestForm {
        csrf_token: String::new(),
        frequency: now.frequency.as_str().to_owned(),
        language: now.language.as_str().to_owned(),
        send_hour: now.send_hour.to_string(),
        timezone: now.timezone,
    };
    let notice = query
        .done
        .map(|_| state.templates.text(ctx.language, "settings.saved", &[]));
    Ok(settings_page(
        &state,
        &ctx,
        StatusCode::OK,
        &form,
        &BTreeMap::new(),
        notice,
    ))
}

pub async fn update(
    state: web::Data<AppState>,
    ctx: PageContext,
    form: web::Form<DigestForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    if !ctx.csrf_ok(&form.csrf_token) {
        return Ok(csrf_refused(&state, &ctx));
    }
    let Some(user) = ctx.user.as_ref() else {
        return Ok(see_other("/signin").finish());
    };
    let hour = form.send_hour.trim().parse::<i64>().unwrap_or(-1);
    match DigestPreferences::parse(&form.frequency, &form.language, hour, &form.timezone) {
        Ok(prefs) => {
            save(&state, user, &prefs).await?;
            Ok(see_other("/settings?done=1").finish())
        }
        Err(problems) => {
            let errors = problems.into_iter().map(|e| (e.field, e.message)).collect();
            Ok(settings_page(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                &errors,
                None,
            ))
        }
    }
}

/// The bids of the teams this person speaks for, with the decisions on them.
pub async fn my_bids(state: web::Data<AppState>, ctx: PageContext) -> AppResult<HttpResponse> {
    let Some(user) = ctx.user.as_ref() else {
        return Ok(see_other("/signin").finish());
    };
    let t = |key: &str| state.templates.text(ctx.language, key, &[]);
    let teams = my_teams(&state, user).await?;
    let names: HashMap<Uuid, String> = teams.iter().map(|t| (t.id, t.name.clone())).collect();
    let ids: Vec<Uuid> = teams.iter().map(|t| t.id).collect();
    let mine = bids::of_teams(&state.db, &ids).await?;
    let order_ids: Vec<Uuid> = mine.iter().map(|b| b.order_id).collect();
    let titles: HashMap<Uuid, String> = orders::by_ids(&state.db, &order_ids)
        .await?
        .into_iter()
        .map(|o| (o.id, o.title))
        .collect();
    let items: Vec<serde_json::Value> = mine
        .iter()
        .map(|b| {
            json!({
                "order_id": b.order_id,
                "title": titles.get(&b.order_id).cloned().unwrap_or_default(),
                "team": names.get(&b.team_id).cloned().unwrap_or_default(),
                "status": t(&format!("bid_status.{}", b.status)),
                "price": b.price_cny,
                "reason": b.decision_reason,
            })
        })
        .collect();
    Ok(render(
        &state,
        &ctx,
        StatusCode::OK,
        "pages/my_bids.html",
        &t("my_bids.heading"),
        "/bids",
        json!({"items": items}),
    ))
}
