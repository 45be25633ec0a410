//! Orders (需求单): drafting, the tech-transfer office's review, publication, cancellation and
//! closing, and browsing with filters and cursor pagination.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::idempotency::{Created, IdempotencyKey, run_once};
use super::json::JsonBody;
use super::organizations::load as load_organization;
use super::{authorize, double_option, page_request};
use crate::auth::extract::{AuthUser, MaybeAuthUser};
use crate::domain::order::{
    IpPreference, LifecycleEvent, OrderCategory, OrderInput, OrderStatus, RegulatoryClass,
    RevenueSplit, deadline_allows_publishing, editable, transition,
};
use crate::domain::organization::OrgKind;
use crate::domain::policy::{Action, Actor, OrderFacts, order_list_scope};
use crate::domain::validation::Checker;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;
use crate::store::audit::{self, AuditEntry};
use crate::store::entities::order;
use crate::store::orders::{self, OrderFilter};

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub author_id: Uuid,
    pub title: String,
    /// The need in the clinician's words.
    pub clinical_description: String,
    /// The tech-transfer office's engineering translation, if any.
    pub engineering_brief: Option<String>,
    #[schema(value_type = OrderCategory)]
    pub category: String,
    pub department: String,
    pub city: String,
    pub budget_min_cny: i64,
    pub budget_max_cny: i64,
    /// Always `CNY`.
    pub currency: String,
    pub bid_deadline: DateTime<Utc>,
    pub expected_duration_months: i32,
    #[schema(value_type = RegulatoryClass)]
    pub regulatory_class: String,
    #[schema(value_type = IpPreference)]
    pub ip_preference: String,
    #[schema(value_type = RevenueSplit)]
    pub revenue_split: serde_json::Value,
    /// Only shown to the ordering organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidential_details: Option<String>,
    #[schema(value_type = OrderStatus)]
    pub status: String,
    /// The reviewer's last comment (changes requested).
    pub review_comment: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl OrderView {
    fn new(order: &order::Model, show_confidential: bool) -> Self {
        Self {
            id: order.id,
            organization_id: order.organization_id,
            author_id: order.author_id,
            title: order.title.clone(),
            clinical_description: order.clinical_description.clone(),
            engineering_brief: order.engineering_brief.clone(),
            category: order.category.clone(),
            department: order.department.clone(),
            city: order.city.clone(),
            budget_min_cny: order.budget_min_cny,
            budget_max_cny: order.budget_max_cny,
            currency: "CNY".to_owned(),
            bid_deadline: order.bid_deadline,
            expected_duration_months: order.expected_duration_months,
            regulatory_class: order.regulatory_class.clone(),
            ip_preference: order.ip_preference.clone(),
            revenue_split: order.revenue_split.clone(),
            confidential_details: order
                .confidential_details
                .clone()
                .filter(|_| show_confidential),
            status: order.status.clone(),
            review_comment: order.review_comment.clone(),
            published_at: order.published_at,
            created_at: order.created_at,
            updated_at: order.updated_at,
        }
    }

    /// What the order looks like to `actor`: confidential details only inside the organisation.
    fn for_viewer(order: &order::Model, actor: Option<&Actor>) -> Self {
        let show = facts(order)
            .is_ok_and(|facts| authorize(actor, Action::ViewConfidentialDetails(facts)).is_ok());
        Self::new(order, show)
    }
}

/// The full record, for the audit log.
fn snapshot(order: &order::Model) -> Option<serde_json::Value> {
    serde_json::to_value(OrderView::new(order, true)).ok()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderPage {
    pub items: Vec<OrderView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrderRequest {
    /// The hospital or enterprise posting the need; the caller must belong to it.
    pub organization_id: Uuid,
    #[schema(min_length = 4, max_length = 120)]
    pub title: String,
    #[schema(min_length = 10, max_length = 10000)]
    pub clinical_description: String,
    /// Only the tech-transfer office (reviewers) may write this.
    pub engineering_brief: Option<String>,
    pub category: OrderCategory,
    pub department: Option<String>,
    /// Defaults to the organisation's city.
    pub city: Option<String>,
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub budget_min_cny: i64,
    /// At least `budget_min_cny`.
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub budget_max_cny: i64,
    /// RFC 3339; must lie in the future.
    pub bid_deadline: DateTime<Utc>,
    #[schema(minimum = 1, maximum = 120)]
    pub expected_duration_months: i64,
    /// Defaults to `none`.
    pub regulatory_class: Option<RegulatoryClass>,
    /// Defaults to `negotiable`.
    pub ip_preference: Option<IpPreference>,
    /// Defaults to team 70 / department 10 / hospital 20.
    pub revenue_split: Option<RevenueSplit>,
    pub confidential_details: Option<String>,
}

/// Only the fields present change; `null` clears an optional text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrderRequest {
    pub title: Option<String>,
    pub clinical_description: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub engineering_brief: Option<Option<String>>,
    pub category: Option<OrderCategory>,
    pub department: Option<String>,
    pub city: Option<String>,
    pub budget_min_cny: Option<i64>,
    pub budget_max_cny: Option<i64>,
    pub bid_deadline: Option<DateTime<Utc>>,
    pub expected_duration_months: Option<i64>,
    pub regulatory_class: Option<RegulatoryClass>,
    pub ip_preference: Option<IpPreference>,
    pub revenue_split: Option<RevenueSplit>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub confidential_details: Option<Option<String>>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Approve,
    RequestChanges,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub decision: ReviewDecision,
    /// Required when requesting changes.
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrderListQuery {
    pub status: Option<OrderStatus>,
    pub organization_id: Option<Uuid>,
    pub category: Option<OrderCategory>,
    pub city: Option<String>,
    pub department: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

pub(super) fn facts(order: &order::Model) -> AppResult<OrderFacts> {
    let status = OrderStatus::parse(&order.status).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("stored order status {:?}", order.status))
    })?;
    Ok(OrderFacts {
        organization_id: order.organization_id,
        author_id: order.author_id,
        status,
    })
}

fn stored<T>(parsed: Option<T>, what: &str, value: &str) -> AppResult<T> {
    parsed.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("stored {what} {value:?} is not recognised"))
    })
}

async fn load(state: &AppState, id: Uuid) -> AppResult<order::Model> {
    orders::find(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)
}

#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "重试时使用相同的键不会重复创建 · retrying with the same key creates nothing twice")),
    request_body = CreateOrderRequest,
    responses((status = 201, body = OrderView), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    auth: AuthUser,
    key: IdempotencyKey,
    body: JsonBody<CreateOrderRequest>,
) -> AppResult<HttpResponse> {
    let JsonBody(request, raw) = body;
    run_once(&state, auth.user.id, &key, &raw, || {
        create_order(&state, &auth, request)
    })
    .await
}

pub(crate) async fn create_order(
    state: &AppState,
    auth: &AuthUser,
    body: CreateOrderRequest,
) -> AppResult<Created> {
    let org = load_organization(state, body.organization_id)
        .await
        .map_err(|_| {
            AppError::field(
                "organization_id",
                "unknown",
                "机构不存在 (no such organisation)",
            )
        })?;
    let kind = stored(OrgKind::parse(&org.kind), "organisation kind", &org.kind)?;
    authorize(
        Some(&auth.actor),
        Action::CreateOrder {
            organization_id: org.id,
            kind,
        },
    )?;
    let draft = OrderFacts {
        organization_id: org.id,
        author_id: auth.user.id,
        status: OrderStatus::Draft,
    };
    if body.engineering_brief.is_some() {
        authorize(Some(&auth.actor), Action::EditEngineeringBrief(draft))?;
    }
    let now = state.clock.now();
    let content = OrderInput {
        title: body.title,
        clinical_description: body.clinical_description,
        engineering_brief: body.engineering_brief,
        category: body.category,
        department: body.department.unwrap_or_default(),
        city: body.city.unwrap_or_else(|| org.city.clone()),
        budget_min_cny: body.budget_min_cny,
        budget_max_cny: body.budget_max_cny,
        bid_deadline: body.bid_deadline,
        bid_deadline_is_new: true,
        expected_duration_months: body.expected_duration_months,
        regulatory_class: body
            .regulatory_class
            .unwrap_or(RegulatoryClass::NotRegulated),
        ip_preference: body.ip_preference.unwrap_or(IpPreference::Negotiable),
        revenue_split: body.revenue_split.unwrap_or_default(),
        confidential_details: body.confidential_details,
    }
    .validate(now)
    .map_err(AppError::validation)?;
    let txn = state.db.begin().await?;
    let order = orders::insert(&txn, org.id, auth.user.id, &content, now).await?;
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(org.id),
            actor_id: Some(auth.user.id),
            action: "order.create",
            object_type: "order",
            object_id: order.id,
            before: None,
            after: snapshot(&order),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Created::new(&OrderView::new(&order, true))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", security((), ("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    viewer: MaybeAuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let order = load(&state, *id).await?;
    authorize(viewer.actor(), Action::ViewOrder(facts(&order)?))?;
    Ok(HttpResponse::Ok().json(OrderView::for_viewer(&order, viewer.actor())))
}

#[utoipa::path(patch, path = "/api/v1/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateOrderRequest,
    responses((status = 200, body = OrderView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<UpdateOrderRequest>,
) -> AppResult<HttpResponse> {
    let order = load(&state, *id).await?;
    let facts = facts(&order)?;
    authorize(Some(&auth.actor), Action::EditOrder(facts))?;
    let body = body.0;
    if body.engineering_brief.is_some() {
        authorize(Some(&auth.actor), Action::EditEngineeringBrief(facts))?;
    }
    if !editable(
        facts.status,
        auth.actor.is_reviewer_of(order.organization_id),
    ) {
        return Err(AppError::new(ErrorCode::OrderNotEditable)
            .with_detail(format!("status: {}", facts.status)));
    }
    let now = state.clock.now();
    let content = OrderInput {
        title: body.title.unwrap_or_else(|| order.title.clone()),
        clinical_description: body
            .clinical_description
            .unwrap_or_else(|| order.clinical_description.clone()),
        engineering_brief: body
            .engineering_brief
            .unwrap_or_else(|| order.engineering_brief.clone()),
        category: match body.category {
            Some(category) => category,
            None => stored(
                OrderCategory::parse(&order.category),
                "category",
                &order.category,
            )?,
        },
        department: body.department.unwrap_or_else(|| order.department.clone()),
        city: body.city.unwrap_or_else(|| order.city.clone()),
        budget_min_cny: body.budget_min_cny.unwrap_or(order.budget_min_cny),
        budget_max_cny: body.budget_max_cny.unwrap_or(order.budget_max_cny),
        bid_deadline_is_new: body.bid_deadline.is_some(),
        bid_deadline: body.bid_deadline.unwrap_or(order.bid_deadline),
        expected_duration_months: body
            .expected_duration_months
            .unwrap_or(i64::from(order.expected_duration_months)),
        regulatory_class: match body.regulatory_class {
            Some(class) => class,
            None => stored(
                RegulatoryClass::parse(&order.regulatory_class),
                "regulatory class",
                &order.regulatory_class,
            )?,
        },
        ip_preference: match body.ip_preference {
            Some(ip) => ip,
            None => stored(
                IpPreference::parse(&order.ip_preference),
                "IP preference",
                &order.ip_preference,
            )?,
        },
        revenue_split: match body.revenue_split {
            Some(split) => split,
            None => serde_json::from_value(order.revenue_split.clone()).unwrap_or_default(),
        },
        confidential_details: body
            .confidential_details
            .unwrap_or_else(|| order.confidential_details.clone()),
    }
    .validate(now)
    .map_err(AppError::validation)?;
    let before = snapshot(&order);
    let txn = state.db.begin().await?;
    let order = orders::update_content(&txn, order, &content, now).await?;
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(order.organization_id),
            actor_id: Some(auth.user.id),
            action: "order.update",
            object_type: "order",
            object_id: order.id,
            before,
            after: snapshot(&order),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(OrderView::new(&order, true)))
}

/// Applies one lifecycle event: policy first, then the lifecycle table, then the deadline rule
/// for anything that publishes; the status changes only if nobody moved the order meanwhile.
pub(crate) async fn apply_event(
    state: &AppState,
    auth: &AuthUser,
    id: Uuid,
    action: fn(OrderFacts) -> Action<'static>,
    event_for: impl FnOnce(bool) -> LifecycleEvent,
    comment: Option<String>,
) -> AppResult<HttpResponse> {
    let order = load(state, id).await?;
    let facts = facts(&order)?;
    authorize(Some(&auth.actor), action(facts))?;
    let org = load_organization(state, order.organization_id).await?;
    let event = event_for(org.review_required);
    let next = transition(facts.status, event)
        .map_err(|e| AppError::new(ErrorCode::IllegalTransition).with_detail(e.to_string()))?;
    let now = state.clock.now();
    if next == OrderStatus::Published && !deadline_allows_publishing(order.bid_deadline, now) {
        return Err(AppError::new(ErrorCode::DeadlinePassed)
            .with_detail("请先更新投标截止时间 (set a new bid deadline first)"));
    }
    let before = snapshot(&order);
    let txn = state.db.begin().await?;
    let Some(moved) =
        orders::transition_status(&txn, &order, facts.status, next, comment, now).await?
    else {
        txn.rollback().await?;
        return Err(AppError::new(ErrorCode::IllegalTransition)
            .with_detail("订单状态已被他人更改 (the order changed meanwhile)"));
    };
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(moved.organization_id),
            actor_id: Some(auth.user.id),
            action: match event {
                LifecycleEvent::Submit { .. } => "order.submit",
                LifecycleEvent::Approve => "order.approve",
                LifecycleEvent::RequestChanges => "order.request_changes",
                LifecycleEvent::Cancel => "order.cancel",
                LifecycleEvent::Close => "order.close",
                LifecycleEvent::Award => "order.award",
            },
            object_type: "order",
            object_id: moved.id,
            before,
            after: snapshot(&moved),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    if next == OrderStatus::Published {
        // The order is published whatever happens here; a failure only delays its proposals
        // until the next team change or `yigong reindex`.
        if let Err(error) = state
            .matching
            .propose_for_order(&state.db, &moved, now)
            .await
        {
            tracing::error!(order = %moved.id, error = format!("{error:#}"), "proposing teams failed");
        }
    }
    Ok(HttpResponse::Ok().json(OrderView::new(&moved, true)))
}

/// Sends a draft to the tech-transfer office, or publishes it at once where no review is needed.
#[utoipa::path(post, path = "/api/v1/orders/{id}/submit", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = OrderView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn submit(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    apply_event(
        &state,
        &auth,
        *id,
        Action::SubmitOrder,
        |review_required| LifecycleEvent::Submit { review_required },
        None,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/review", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ReviewRequest,
    responses((status = 200, body = OrderView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn review(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<ReviewRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    let mut checker = Checker::new();
    let comment = checker.optional_text("comment", body.comment.as_deref(), 5_000);
    if body.decision == ReviewDecision::RequestChanges && comment.is_none() {
        checker.push(
            "comment",
            "required",
            "退回修改时须说明原因 (say what should change)",
        );
    }
    checker.finish().map_err(AppError::validation)?;
    let event = match body.decision {
        ReviewDecision::Approve => LifecycleEvent::Approve,
        ReviewDecision::RequestChanges => LifecycleEvent::RequestChanges,
    };
    apply_event(&state, &auth, *id, Action::ReviewOrder, |_| event, comment).await
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = OrderView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn cancel(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    apply_event(
        &state,
        &auth,
        *id,
        Action::CancelOrder,
        |_| LifecycleEvent::Cancel,
        None,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/close", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = OrderView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn close(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    apply_event(
        &state,
        &auth,
        *id,
        Action::CloseOrder,
        |_| LifecycleEvent::Close,
        None,
    )
    .await
}

/// Public orders for everyone; signed-in members also see their organisation's own.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", security((), ("bearer" = [])),
    params(OrderListQuery),
    responses((status = 200, body = OrderPage), (status = 400, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    viewer: MaybeAuthUser,
    query: web::Query<OrderListQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let page = page_request(query.limit, query.cursor.as_deref())?;
    let filter = OrderFilter {
        status: query.status,
        organization_id: query.organization_id,
        category: query.category,
        city: query.city,
        department: query.department,
    };
    let page = orders::list(&state.db, &order_list_scope(viewer.actor()), &filter, page).await?;
    let page = page.map(|order| OrderView::for_viewer(&order, viewer.actor()));
    Ok(HttpResponse::Ok().json(OrderPage {
        items: page.items,
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}
