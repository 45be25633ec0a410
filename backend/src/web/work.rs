//! The marketplace's journeys in the browser, on top of the API's own operations (the same
//! policy, rules, audit events and notifications): submitting and reviewing an order, the
//! ordering side's proposals and bid comparison with shortlist, decline and award, the lab's
//! inbox and bid form, and the project's milestones.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

use super::account::csrf_refused;
use super::session::PageContext;
use super::{render, see_other};
use crate::api::bids::{CreateBidRequest, award_bid, change_status, submit_bid};
use crate::api::matches::reason_views;
use crate::api::orders::apply_event;
use crate::api::projects::move_milestone;
use crate::auth::extract::AuthUser;
use crate::domain::bid::{BidEvent, IpOwnership, Milestone, RevenueShare};
use crate::domain::order::{LifecycleEvent, OrderStatus};
use crate::domain::organization::MemberRole;
use crate::domain::policy::{Action, OrderFacts, decides_for_order};
use crate::domain::project::MilestoneEvent;
use crate::error::{AppError, AppResult};
use crate::matching::service::reasons_from_json;
use crate::state::AppState;
use crate::store::entities::{bid, order, team};
use crate::store::{bids, matches, orders, projects, teams};

/// The token every action form carries, and what some of them say.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActionForm {
    csrf_token: String,
    decision: String,
    comment: String,
    reason: String,
    note: String,
    bid_id: String,
}

/// Where to go after an action: back to `back`, with the error's words when it failed.
fn outcome<T>(back: &str, result: AppResult<T>) -> HttpResponse {
    match result {
        Ok(_) => see_other(&format!("{back}?done=1")).finish(),
        Err(error) => {
            let message = error.detail.clone().unwrap_or_else(|| error.code.title());
            let message = error
                .field_errors
                .first()
                .map_or(message, |e| e.message.clone());
            see_other(&format!("{back}?error={}", encode(&message))).finish()
        }
    }
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The signed-in person and a valid form token, or the response to send instead.
fn signed_in<'a>(
    state: &AppState,
    ctx: &'a PageContext,
    token: &str,
) -> Result<&'a AuthUser, Box<HttpResponse>> {
    if !ctx.csrf_ok(token) {
        return Err(Box::new(csrf_refused(state, ctx)));
    }
    ctx.user
        .as_ref()
        .ok_or_else(|| Box::new(see_other("/signin").finish()))
}

fn facts(order: &order::Model) -> Option<OrderFacts> {
    Some(OrderFacts {
        organization_id: order.organization_id,
        author_id: order.author_id,
        status: OrderStatus::parse(&order.status)?,
    })
}

fn allowed(user: Option<&AuthUser>, action: Action<'_>) -> bool {
    crate::domain::policy::authorize(user.map(|u| &u.actor), action).is_ok()
}

pub(crate) async fn my_teams(state: &AppState, user: &AuthUser) -> AppResult<Vec<team::Model>> {
    let led: Vec<Uuid> = user
        .actor
        .memberships
        .iter()
        .filter(|m| matches!(m.role, MemberRole::Lead | MemberRole::OrgAdmin))
        .map(|m| m.organization_id)
        .collect();
    Ok(teams::spoken_for(&state.db, user.user.id, &led).await?)
}

/// What an order's page shows besides its summary, for this viewer.
pub async fn order_extras(
    state: &AppState,
    ctx: &PageContext,
    order: &order::Model,
) -> AppResult<Value> {
    let user = ctx.user.as_ref();
    let Some(facts) = facts(order) else {
        return Ok(json!({}));
    };
    let t = |key: &str| state.templates.text(ctx.language, key, &[]);
    let mut extras = json!({
        "can_submit": facts.status == OrderStatus::Draft && allowed(user, Action::SubmitOrder(facts)),
        "can_review": facts.status == OrderStatus::InReview && allowed(user, Action::ReviewOrder(facts)),
    });
    let ordering_side = allowed(user, Action::ViewOrderMatches(facts));
    if let Some(user) = user
        && facts.status == OrderStatus::Published
        && !my_teams(state, user).await?.is_empty()
    {
        extras["can_bid"] = json!(true);
    }
    if ordering_side {
        let proposals = matches::for_order(&state.db, order.id).await?;
        let team_ids: Vec<Uuid> = proposals.iter().map(|m| m.team_id).collect();
        let names: HashMap<Uuid, String> = teams::by_ids(&state.db, &team_ids)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        let language = ctx.language.reason_language();
        extras["proposals"] = proposals
            .iter()
            .filter(|m| m.status == matches::PROPOSED)
            .map(|m| {
                let reasons = reason_views(
                    state.matching.matcher(),
                    &reasons_from_json(&m.reasons),
                    language,
                );
                json!({
                    "team": names.get(&m.team_id).cloned().unwrap_or_default(),
                    "rank": m.rank,
                    "reasons": reasons.iter().map(|r| r.text.clone()).collect::<Vec<_>>(),
                })
            })
            .collect();
        let offers = bids::for_order(&state.db, order.id).await?;
        let team_ids: Vec<Uuid> = offers.iter().map(|b| b.team_id).collect();
        let names: HashMap<Uuid, String> = teams::by_ids(&state.db, &team_ids)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        let decides = user.is_some_and(|u| decides_for_order(&u.actor, facts));
        extras["can_decide"] = json!(decides && facts.status == OrderStatus::Published);
        extras["bids"] = offers
            .iter()
            .filter(|b| b.status != "withdrawn")
            .map(|b| {
                bid_column(
                    state,
                    ctx,
                    b,
                    names.get(&b.team_id).cloned().unwrap_or_default(),
                )
            })
            .collect();
    }
    if facts.status == OrderStatus::Awarded
        && let Some(project) = projects::of_order(&state.db, order.id).await?
    {
        extras["project_id"] = json!(project.id);
    }
    extras["status_label"] = json!(t(&format!("status.{}", order.status)));
    Ok(extras)
}

fn bid_column(state: &AppState, ctx: &PageContext, bid: &bid::Model, team: String) -> Value {
    let t = |key: &str| state.templates.text(ctx.language, key, &[]);
    let milestones: Vec<Milestone> =
        serde_json::from_value(bid.milestones.clone()).unwrap_or_default();
    let split: Vec<RevenueShare> =
        serde_json::from_value(bid.revenue_split.clone()).unwrap_or_default();
    json!({
        "id": bid.id,
        "team": team,
        "status": t(&format!("bid_status.{}", bid.status)),
        "open": matches!(bid.status.as_str(), "submitted" | "shortlisted"),
        "shortlisted": bid.status == "shortlisted",
        "price": bid.price_cny,
        "duration_weeks": bid.duration_weeks,
        "trl": bid.trl,
        "ip": t(&format!("ip.{}", bid.ip_ownership)),
        "split": split.iter().map(|s| format!("{} {}%", s.party, s.percent)).collect::<Vec<_>>().join(" / "),
        "milestones": milestones.iter().map(|m| format!("{}（{}，{}）", m.title, m.due_week, m.amount_cny)).collect::<Vec<_>>(),
        "approach": bid.approach,
    })
}

pub async fn submit(
    state: web::Data<AppState>,
    ctx: PageContext,
    id: web::Path<Uuid>,
    form: web::Form<ActionForm>,
) -> HttpResponse {
    let user = match signed_in(&state, &ctx, &form.csrf_token) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let result = apply_event(
        &state,
        user,
        *id,
        Action::SubmitOrder,
        |review_required| LifecycleEvent::Submit { review_required },
        None,
    )
    .await;
    outcome(&format!("/orders/{id}"), result)
}

pub async fn review(
    state: web::Data<AppState>,
    ctx: PageContext,
    id: web::Path<Uuid>,
    form: web::Form<ActionForm>,
) -> HttpResponse {
    let user = match signed_in(&state, &ctx, &form.csrf_token) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let back = format!("/orders/{id}");
    let comment = Some(form.comment.trim().to_owned()).filter(|c| !c.is_empty());
    let event = match form.decision.as_str() {
        "approve" => LifecycleEvent::Approve,
        "request_changes" if comment.is_some() => LifecycleEvent::RequestChanges,
        _ => {
            let message = state
                .templates
                .text(ctx.language, "review.comment_needed", &[]);
            return outcome::<()>(&back, Err(AppError::field("comment", "required", message)));
        }
    };
    let result = apply_event(&state, user, *id, Action::ReviewOrder, |_| event, comment).await;
    outcome(&back, result)
}

pub async fn shortlist(
    state: web::Data<AppState>,
    ctx: PageContext,
    path: web::Path<(Uuid, Uuid)>,
    form: web::Form<ActionForm>,
) -> HttpResponse {
    let (order_id, bid_id) = path.into_inner();
    let user = match signed_in(&state, &ctx, &form.csrf_token) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let result = change_status(&state, user, bid_id, BidEvent::Shortlist, None).await;
    outcome(&format!("/orders/{order_id}"), result)
}

pub async fn decline(
    state: web::Data<AppState>,
    ctx: PageContext,
    path: web::Path<(Uuid, Uuid)>,
    form: web::Form<ActionForm>,
) -> HttpResponse {
    let (order_id, bid_id) = path.into_inner();
    let user = match signed_in(&state, &ctx, &form.csrf_token) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let back = format!("/orders/{order_id}");
    let reason = form.reason.trim().to_owned();
    if reason.is_empty() {
        let message = state
            .templates
            .text(ctx.language, "bids.reason_needed", &[]);
        return outcome::<()>(&back, Err(AppError::field("reason", "required", message)));
    }
    let result = change_status(&state, user, bid_id, BidEvent::Decline, Some(reason)).await;
    outcome(&back, result)
}

pub async fn award(
    state: web::Data<AppState>,
    ctx: PageContext,
    id: web::Path<Uuid>,
    form: web::Form<ActionForm>,
) -> HttpResponse {
    let user = match signed_in(&state, &ctx, &form.csrf_token) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let back = format!("/orders/{id}");
    let Ok(bid_id) = Uuid::parse_str(&form.bid_id) else {
        return outcome::<()>(&back, Err(AppError::not_found()));
    };
    match award_bid(&state, user, *id, bid_id).await {
        Ok(created) => {
            let project = created.body["project_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            see_other(&format!("/projects/{project}?done=1")).finish()
        }
        Err(error) => outcome::<()>(&back, Err(error)),
    }
}

/// The bid form as typed: milestone and revenue-split rows are numbered fields.
type BidForm = BTreeMap<String, String>;

const MILESTONE_ROWS: usize = 4;
const SPLIT_ROWS: usize = 4;

fn bid_form_page(
    state: &AppState,
    ctx: &PageContext,
    status: StatusCode,
    order: &order::Model,
    teams: &[team::Model],
    form: &BidForm,
    errors: &BTreeMap<String, String>,
) -> HttpResponse {
    let t = |key: &str| state.templates.text(ctx.language, key, &[]);
    let ip: Vec<(&str, String)> = IpOwnership::ALL
        .iter()
        .map(|i| (i.as_str(), t(&format!("ip.{}", i.as_str()))))
        .collect();
    render(
        state,
        ctx,
        status,
        "pages/bid_form.html",
        &t("bid.heading"),
        &format!("/orders/{}/bid", order.id),
        json!({
            "order": {"id": order.id, "title": order.title, "budget_min": order.budget_min_cny, "budget_max": order.budget_max_cny},
            "teams": teams.iter().map(|t| (t.id.to_string(), t.name.clone())).collect::<Vec<_>>(),
            "ip_options": ip,
            "milestone_rows": (1..=MILESTONE_ROWS).collect::<Vec<_>>(),
            "split_rows": (1..=SPLIT_ROWS).collect::<Vec<_>>(),
            "form": form,
            "errors": errors,
        }),
    )
}

async fn bid_order(state: &AppState, id: Uuid) -> AppResult<order::Model> {
    orders::find(&state.db, id)
        .await?
        .filter(|o| o.status == OrderStatus::Published.as_str())
        .ok_or_else(AppError::not_found)
}

pub async fn bid_page(
    state: web::Data<AppState>,
    ctx: PageContext,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let Some(user) = ctx.user.as_ref() else {
        return Ok(see_other("/signin").finish());
    };
    let order = bid_order(&state, *id).await?;
    let teams = my_teams(&state, user).await?;
    let mut form = BidForm::new();
    for (n, (party, percent)) in [("团队", "70"), ("科室", "10"), ("医院", "20")]
        .iter()
        .enumerate()
    {
        let party = if ctx.language == crate::domain::digest::MailLanguage::En {
            ["Team", "Department", "Hospital"][n]
        } else {
            party
        };
        form.insert(format!("split_party_{}", n + 1), party.to_string());
        form.insert(format!("split_percent_{}", n + 1), percent.to_string());
    }
    form.insert("trl".into(), "4".into());
    Ok(bid_form_page(
        &state,
        &ctx,
        StatusCode::OK,
        &order,
        &teams,
        &form,
        &BTreeMap::new(),
    ))
}

/// Reads the typed bid; what cannot even be read becomes a field error.
fn bid_request(form: &BidForm) -> Result<CreateBidRequest, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let text = |name: &str| {
        form.get(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let mut number = |name: &str| -> i64 {
        let raw = text(name).replace([',', '，'], "");
        raw.parse().unwrap_or_else(|_| {
            errors.insert(
                name.to_owned(),
                "请输入整数 (enter a whole number)".to_owned(),
            );
            0
        })
    };
    let price_cny = number("price_cny");
    let duration_weeks = number("duration_weeks");
    let trl = number("trl");
    let mut milestones = Vec::new();
    for row in 1..=MILESTONE_ROWS {
        let title = text(&format!("milestone_title_{row}"));
        if title.is_empty() {
            continue;
        }
        milestones.push(Milestone {
            title,
            due_week: number(&format!("milestone_week_{row}")),
            amount_cny: number(&format!("milestone_amount_{row}")),
        });
    }
    let mut split = Vec::new();
    for row in 1..=SPLIT_ROWS {
        let party = text(&format!("split_party_{row}"));
        if party.is_empty() {
            continue;
        }
        split.push(RevenueShare {
            party,
            percent: number(&format!("split_percent_{row}")),
        });
    }
    let team_id = Uuid::parse_str(&text("team_id")).unwrap_or_else(|_| {
        errors.insert("team_id".into(), "请选择团队 (choose a team)".into());
        Uuid::nil()
    });
    let ip_ownership = IpOwnership::parse(&text("ip_ownership")).unwrap_or_else(|| {
        errors.insert("ip_ownership".into(), "请选择 (choose one)".into());
        IpOwnership::ToBeNegotiated
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CreateBidRequest {
        team_id,
        approach: text("approach"),
        price_cny,
        duration_weeks,
        milestones,
        ip_ownership,
        revenue_split: Some(split),
        trl,
        partners: Vec::new(),
        consortium: None,
    })
}

/// Where a bid's field error is shown: `milestones[1].amount_cny` → the whole milestone table.
fn bid_field(field: &str) -> String {
    if field.starts_with("milestones") {
        "milestones".to_owned()
    } else if field.starts_with("revenue_split") {
        "revenue_split".to_owned()
    } else {
        field.to_owned()
    }
}

pub async fn create_bid(
    state: web::Data<AppState>,
    ctx: PageContext,
    id: web::Path<Uuid>,
    form: web::Form<BidForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let user = match signed_in(
        &state,
        &ctx,
        form.get("csrf_token").map_or("", String::as_str),
    ) {
        Ok(user) => user,
        Err(response) => return Ok(*response),
    };
    let order = bid_order(&state, *id).await?;
    let teams = my_teams(&state, user).await?;
    let refused = |errors: BTreeMap<String, String>| {
        bid_form_page(
            &state,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &order,
            &teams,
            &form,
            &errors,
        )
    };
    let request = match bid_request(&form) {
        Ok(request) => request,
        Err(errors) => return Ok(refused(errors)),
    };
    match submit_bid(&state, user, order.id, request).await {
        Ok(_) => Ok(see_other(&format!("/orders/{}?done=1", order.id)).finish()),
        Err(error) if !error.field_errors.is_empty() => {
            let mut errors = BTreeMap::new();
            for e in &error.field_errors {
                errors
                    .entry(bid_field(&e.field))
                    .or_insert_with(|| e.message.clone());
            }
            Ok(refused(errors))
        }
        Err(error) => {
            let mut errors = BTreeMap::new();
            errors.insert(
                "form".to_owned(),
                error.detail.clone().unwrap_or_else(|| error.code.title()),
            );
            Ok(refused(errors))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    pub done: Option<u8>,
    pub error: Option<String>,
}

pub async fn project(
    state: web::Data<AppState>,
    ctx: PageContext,
    id: web::Path<Uuid>,
    query: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    let t = |key: &str| state.templates.text(ctx.language, key, &[]);
    let path = format!("/projects/{id}");
    let Some(user) = ctx.user.as_ref() else {
        return Ok(see_other("/signin").finish());
    };
    // The API's view decides who may see it and which side the viewer acts for.
    let (view, my_sides) = match crate::api::projects::view_for(&state, user, *id).await {
        Ok(found) => found,
        Err(_) => {
            return Ok(render(
                &state,
                &ctx,
                StatusCode::NOT_FOUND,
                "pages/order.html",
                &t("order.title"),
                &path,
                json!({"order": null}),
            ));
        }
    };
    let order = orders::find(&state.db, view.order_id).await?;
    let title = order.as_ref().map(|o| o.title.clone()).unwrap_or_default();
    let milestones: Vec<Value> = view
        .milestones
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "title": m.title,
                "due_week": m.due_week,
                "amount": m.amount_cny,
                "status": m.status,
                "status_label": t(&format!("milestone.{}", m.status)),
                "note": m.delivery_note,
                "comment": m.review_comment,
            })
        })
        .collect();
    let sides: Vec<&str> = my_sides.iter().map(|s| s.as_str()).collect();
    let team_name = teams::find(&state.db, view.team_id)
        .await?
        .map(|t| t.name)
        .unwrap_or_default();
    Ok(render(
        &state,
        &ctx,
        StatusCode::OK,
        "pages/project.html",
        &title,
        &path,
        json!({
            "project": {"id": view.id, "order_id": view.order_id, "title": title, "status": t(&format!("project.{}", view.status)), "team": team_name},
            "milestones": milestones,
            "team_side": sides.contains(&"team"),
            "ordering_side": sides.contains(&"ordering"),
            "notice": query.done.map(|_| t("action.done")),
            "error": query.error,
        }),
    ))
}

pub async fn milestone(
    state: web::Data<AppState>,
    ctx: PageContext,
    path: web::Path<(Uuid, Uuid, String)>,
    form: web::Form<ActionForm>,
) -> HttpResponse {
    let (project_id, milestone_id, step) = path.into_inner();
    let user = match signed_in(&state, &ctx, &form.csrf_token) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let back = format!("/projects/{project_id}");
    let event = match step.as_str() {
        "deliver" => MilestoneEvent::Deliver,
        "accept" => MilestoneEvent::Accept,
        "reject" => MilestoneEvent::SendBack,
        _ => return outcome::<()>(&back, Err(AppError::not_found())),
    };
    let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
    let result = move_milestone(&state, user, project_id, milestone_id, event, note).await;
    outcome(&back, result)
}

/// Orders waiting for this reviewer's office.
pub async fn review_queue(state: web::Data<AppState>, ctx: PageContext) -> AppResult<HttpResponse> {
    let Some(user) = ctx.user.as_ref() else {
        return Ok(see_other("/signin").finish());
    };
    let offices: Vec<Uuid> = user
        .actor
        .memberships
        .iter()
        .filter(|m| user.actor.is_reviewer_of(m.organization_id))
        .map(|m| m.organization_id)
        .collect();
    let waiting = orders::in_review_of(&state.db, &offices).await?;
    let t = |key: &str| state.templates.text(ctx.language, key, &[]);
    let items: Vec<Value> = waiting
        .iter()
        .map(|o| json!({"id": o.id, "title": o.title, "department": o.department, "submitted": crate::domain::digest::beijing_time(o.updated_at)}))
        .collect();
    Ok(render(
        &state,
        &ctx,
        StatusCode::OK,
        "pages/list.html",
        &t("review.queue"),
        "/review",
        json!({"heading": t("review.queue"), "empty": t("review.empty"), "items": items}),
    ))
}

/// Orders proposed to the teams this person speaks for, with the reasons.
pub async fn inbox(state: web::Data<AppState>, ctx: PageContext) -> AppResult<HttpResponse> {
    let Some(user) = ctx.user.as_ref() else {
        return Ok(see_other("/signin").finish());
    };
    let mine = my_teams(&state, user).await?;
    let t = |key: &str| state.templates.text(ctx.language, key, &[]);
    // All proposals first, then their orders in one query (not one per proposal).
    let mut proposals = Vec::new();
    for team in &mine {
        for proposal in matches::for_team(&state.db, team.id).await? {
            if proposal.status == matches::PROPOSED {
                proposals.push((team, proposal));
            }
        }
    }
    let order_ids: Vec<Uuid> = proposals.iter().map(|(_, p)| p.order_id).collect();
    let open: HashMap<Uuid, order::Model> = orders::by_ids(&state.db, &order_ids)
        .await?
        .into_iter()
        .filter(|o| o.status == OrderStatus::Published.as_str())
        .map(|o| (o.id, o))
        .collect();
    let mut items = Vec::new();
    for (team, proposal) in &proposals {
        let Some(order) = open.get(&proposal.order_id) else {
            continue;
        };
        let reasons = reason_views(
            state.matching.matcher(),
            &reasons_from_json(&proposal.reasons),
            ctx.language.reason_language(),
        );
        items.push(json!({
            "id": order.id,
            "title": order.title,
            "department": team.name,
            "reasons": reasons.iter().map(|r| r.text.clone()).collect::<Vec<_>>(),
        }));
    }
    Ok(render(
        &state,
        &ctx,
        StatusCode::OK,
        "pages/list.html",
        &t("inbox.heading"),
        "/inbox",
        json!({"heading": t("inbox.heading"), "empty": t("inbox.empty"), "items": items}),
    ))
}
