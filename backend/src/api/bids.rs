//! Bids (投标) on published orders: submit, edit and withdraw before the deadline (checked against
//! the database's clock inside the writing transaction), partners who confirm, and the ordering
//! side's decisions — shortlist, decline with a reason, award exactly one. Bids are sealed: a
//! bid is shown only to those `policy` lets see it, and lists are filtered the same way.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::idempotency::{Created, IdempotencyKey, run_once};
use super::json::JsonBody;
use super::orders::facts as order_facts;
use super::{authorize, double_option};
use crate::auth::extract::AuthUser;
use crate::domain::bid::{
    BidEvent, BidInput, BidStatus, IpOwnership, LIVE, Milestone, PartnerInput, PartnerStatus,
    RevenueShare, default_revenue_split, transition,
};
use crate::domain::order::{LifecycleEvent, OrderStatus, transition as order_transition};
use crate::domain::policy::{Action, Actor, BidFacts, OrderFacts, PartnerFacts, TeamFacts};
use crate::domain::validation::Checker;
use crate::domain::webhook::WebhookEvent;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;
use crate::store::audit::{self, AuditEntry};
use crate::store::entities::{bid, bid_partner, order, team_member};
use crate::store::webhooks::{self, Audience};
use crate::store::{bids, orders, organizations, projects, teams};

#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerView {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub team_id: Option<Uuid>,
    pub role: String,
    #[schema(value_type = PartnerStatus)]
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BidView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub team_id: Uuid,
    pub organization_id: Uuid,
    #[schema(value_type = BidStatus)]
    pub status: String,
    pub approach: String,
    pub price_cny: i64,
    /// Always `CNY`.
    pub currency: String,
    pub duration_weeks: i32,
    #[schema(value_type = Vec<Milestone>)]
    pub milestones: serde_json::Value,
    #[schema(value_type = IpOwnership)]
    pub ip_ownership: String,
    #[schema(value_type = Vec<RevenueShare>)]
    pub revenue_split: serde_json::Value,
    pub trl: i32,
    pub partners: Vec<PartnerView>,
    /// True once every named partner has confirmed.
    pub consortium: bool,
    /// The ordering side's reason, when it declined the bid.
    pub decision_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl BidView {
    fn new(bid: &bid::Model, partners: &[bid_partner::Model]) -> Self {
        let partners: Vec<PartnerView> = partners
            .iter()
            .filter(|p| p.bid_id == bid.id)
            .map(|p| PartnerView {
                id: p.id,
                organization_id: p.organization_id,
                team_id: p.team_id,
                role: p.role.clone(),
                status: p.status.clone(),
            })
            .collect();
        let consortium = !partners.is_empty()
            && partners
                .iter()
                .all(|p| p.status == PartnerStatus::Confirmed.as_str());
        Self {
            id: bid.id,
            order_id: bid.order_id,
            team_id: bid.team_id,
            organization_id: bid.organization_id,
            status: bid.status.clone(),
            approach: bid.approach.clone(),
            price_cny: bid.price_cny,
            currency: "CNY".to_owned(),
            duration_weeks: bid.duration_weeks,
            milestones: bid.milestones.clone(),
            ip_ownership: bid.ip_ownership.clone(),
            revenue_split: bid.revenue_split.clone(),
            trl: bid.trl,
            partners,
            consortium,
            decision_reason: bid.decision_reason.clone(),
            created_at: bid.created_at,
            updated_at: bid.updated_at,
        }
    }
}

fn snapshot(bid: &bid::Model, partners: &[bid_partner::Model]) -> Option<serde_json::Value> {
    serde_json::to_value(BidView::new(bid, partners)).ok()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBidRequest {
    /// The bidding team; the caller must speak for it.
    pub team_id: Uuid,
    #[schema(min_length = 10, max_length = 20000)]
    pub approach: String,
    /// Integer CNY.
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub price_cny: i64,
    #[schema(minimum = 1, maximum = 520)]
    pub duration_weeks: i64,
    /// Their amounts add up to the price.
    pub milestones: Vec<Milestone>,
    pub ip_ownership: IpOwnership,
    /// Named parties whose percentages add up to 100; defaults to team 70 / department 10 /
    /// hospital 20.
    pub revenue_split: Option<Vec<RevenueShare>>,
    /// Technology readiness level, 1 to 9.
    #[schema(minimum = 1, maximum = 9)]
    pub trl: i64,
    #[serde(default)]
    pub partners: Vec<PartnerInput>,
    /// Claiming a consortium bid is refused until every partner has confirmed.
    pub consortium: Option<bool>,
}

/// Only the fields present change. Replacing `partners` asks every partner to confirm again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBidRequest {
    pub approach: Option<String>,
    pub price_cny: Option<i64>,
    pub duration_weeks: Option<i64>,
    pub milestones: Option<Vec<Milestone>>,
    pub ip_ownership: Option<IpOwnership>,
    pub revenue_split: Option<Vec<RevenueShare>>,
    pub trl: Option<i64>,
    pub partners: Option<Vec<PartnerInput>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<bool>)]
    pub consortium: Option<Option<bool>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineRequest {
    /// Shown to the team: what they can learn from the decision.
    #[schema(min_length = 1, max_length = 5000)]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardRequest {
    pub bid_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AwardView {
    pub order_id: Uuid,
    pub bid_id: Uuid,
    pub project_id: Uuid,
    /// Bids that were still in the running and are now `not_selected`.
    pub not_selected: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BidList {
    /// The bids the caller may see: all of them for the ordering side, otherwise only the
    /// caller's own team's (and those it partners on).
    pub items: Vec<BidView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    pub partner_id: Uuid,
    pub bid_id: Uuid,
    pub order_id: Uuid,
    pub order_title: String,
    pub bidding_team_id: Uuid,
    pub bidding_team_name: String,
    pub role: String,
    #[schema(value_type = PartnerStatus)]
    pub status: String,
}

/// What a caller wants to do with a bid.
#[derive(Debug, Clone, Copy)]
enum BidAccess {
    View,
    Change,
    Decide,
}

/// A bid with everything the policy needs about it.
struct BidContext {
    bid: bid::Model,
    order: order::Model,
    team_members: Vec<Uuid>,
    team_organization_id: Uuid,
    partners: Vec<bid_partner::Model>,
    /// Member ids of partner teams, by partner row.
    partner_members: Vec<(Uuid, Vec<Uuid>)>,
}

impl BidContext {
    async fn load(state: &AppState, bid: bid::Model) -> AppResult<Self> {
        let order = orders::find(&state.db, bid.order_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let partners = bids::partners_of(&state.db, &[bid.id]).await?;
        let mut team_ids: Vec<Uuid> = partners.iter().filter_map(|p| p.team_id).collect();
        team_ids.push(bid.team_id);
        let members = teams::member_ids(&state.db, &team_ids).await?;
        let members_of = |team: Uuid| -> Vec<Uuid> {
            members
                .iter()
                .filter(|(t, _)| *t == team)
                .map(|(_, user)| *user)
                .collect()
        };
        let partner_members = partners
            .iter()
            .filter_map(|p| p.team_id.map(|team| (p.id, members_of(team))))
            .collect();
        Ok(Self {
            team_members: members_of(bid.team_id),
            team_organization_id: bid.organization_id,
            order,
            partners,
            partner_members,
            bid,
        })
    }

    fn partner_facts(&self, partner: &bid_partner::Model) -> PartnerFacts<'_> {
        let team = partner.team_id.map(|_| TeamFacts {
            organization_id: partner.organization_id,
            member_ids: self
                .partner_members
                .iter()
                .find(|(id, _)| *id == partner.id)
                .map(|(_, members)| members.as_slice())
                .unwrap_or(&[]),
        });
        PartnerFacts {
            organization_id: partner.organization_id,
            team,
        }
    }

    /// Checks `access` to this bid against the policy.
    fn authorize(&self, actor: &Actor, access: BidAccess) -> AppResult<()> {
        let confirmed: Vec<PartnerFacts<'_>> = self
            .partners
            .iter()
            .filter(|p| p.status == PartnerStatus::Confirmed.as_str())
            .map(|p| self.partner_facts(p))
            .collect();
        let facts = BidFacts {
            order: order_facts(&self.order)?,
            team: TeamFacts {
                organization_id: self.team_organization_id,
                member_ids: &self.team_members,
            },
            confirmed_partners: &confirmed,
        };
        authorize(
            Some(actor),
            match access {
                BidAccess::View => Action::ViewBid(facts),
                BidAccess::Change => Action::ChangeBid(facts),
                BidAccess::Decide => Action::DecideBid(facts),
            },
        )
    }

    fn status(&self) -> AppResult<BidStatus> {
        BidStatus::parse(&self.bid.status).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("stored bid status {:?}", self.bid.status))
        })
    }

    fn view(&self) -> BidView {
        BidView::new(&self.bid, &self.partners)
    }
}

async fn load_context(state: &AppState, id: Uuid) -> AppResult<BidContext> {
    let bid = bids::find(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    BidContext::load(state, bid).await
}

fn illegal(detail: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::IllegalTransition).with_detail(detail)
}

fn deadline_passed() -> AppError {
    AppError::new(ErrorCode::DeadlinePassed)
        .with_detail("投标已截止，不能再提交、修改或撤回 (bidding has closed: no submissions, edits or withdrawals)")
}

/// Resolves each partner to (organisation, team) and refuses unknown ones and the bidder itself.
async fn resolve_partners(
    state: &AppState,
    partners: &[PartnerInput],
    bidding_team: Uuid,
) -> AppResult<Vec<(Uuid, Option<Uuid>, String)>> {
    let mut resolved = Vec::with_capacity(partners.len());
    let mut checker = Checker::new();
    for (i, partner) in partners.iter().enumerate() {
        let field = format!("partners[{i}]");
        match (partner.team_id, partner.organization_id) {
            (Some(team_id), _) => match teams::find(&state.db, team_id).await? {
                Some(_) if team_id == bidding_team => checker.push(
                    &field,
                    "self",
                    "投标团队不能作为自己的合作方 (a team cannot partner with itself)",
                ),
                Some(team) => {
                    resolved.push((team.organization_id, Some(team.id), partner.role.clone()))
                }
                None => checker.push(&field, "unknown", "合作团队不存在 (no such team)"),
            },
            (None, Some(org_id)) => match organizations::find(&state.db, org_id).await? {
                Some(org) => resolved.push((org.id, None, partner.role.clone())),
                None => checker.push(&field, "unknown", "合作机构不存在 (no such organisation)"),
            },
            (None, None) => {} // reported by the bid's own validation
        }
    }
    checker.finish().map_err(AppError::validation)?;
    Ok(resolved)
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/bids", tag = "bids", security(("bearer" = [])),
    params(("id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "重试时使用相同的键不会重复投标 · retrying with the same key bids once")),
    request_body = CreateBidRequest,
    responses((status = 201, body = BidView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    auth: AuthUser,
    key: IdempotencyKey,
    id: web::Path<Uuid>,
    body: JsonBody<CreateBidRequest>,
) -> AppResult<HttpResponse> {
    let JsonBody(request, raw) = body;
    let order_id = *id;
    run_once(&state, auth.user.id, &key, &raw, || {
        submit_bid(&state, &auth, order_id, request)
    })
    .await
}

pub(crate) async fn submit_bid(
    state: &AppState,
    auth: &AuthUser,
    order_id: Uuid,
    body: CreateBidRequest,
) -> AppResult<Created> {
    let order = orders::find(&state.db, order_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let facts = order_facts(&order)?;
    let (team, members) = super::teams::load(state, body.team_id)
        .await
        .map_err(|_| AppError::field("team_id", "unknown", "团队不存在 (no such team)"))?;
    authorize(
        Some(&auth.actor),
        Action::SubmitBid {
            order: facts,
            team: TeamFacts {
                organization_id: team.organization_id,
                member_ids: &members,
            },
        },
    )?;
    if facts.status != OrderStatus::Published {
        return Err(illegal(format!(
            "需求单未在招标中 (the order is {}, not open for bids)",
            facts.status
        )));
    }
    let content = BidInput {
        approach: body.approach,
        price_cny: body.price_cny,
        duration_weeks: body.duration_weeks,
        milestones: body.milestones,
        ip_ownership: body.ip_ownership,
        revenue_split: body.revenue_split.unwrap_or_else(default_revenue_split),
        trl: body.trl,
        partners_all_confirmed: body.partners.is_empty(),
        partners: body.partners,
        consortium: body.consortium,
    }
    .validate()
    .map_err(AppError::validation)?;
    let partners = resolve_partners(state, &content.partners, team.id).await?;

    let txn = state.db.begin().await?;
    let now = bids::database_now(&txn).await?;
    let order = orders::find(&txn, order_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if now >= order.bid_deadline {
        return Err(deadline_passed());
    }
    let existing = bids::of_team_for_order(&txn, order_id, team.id).await?;
    let (bid, before) = match existing {
        // A team that withdrew may bid again before the deadline: the same row comes back.
        Some(old) if old.status == BidStatus::Withdrawn.as_str() => {
            let before = snapshot(&old, &bids::partners_of(&txn, &[old.id]).await?);
            let revived = bids::update_content(
                &txn,
                &old,
                BidStatus::Withdrawn,
                BidStatus::Submitted,
                &content,
                now,
            )
            .await?
            .ok_or_else(|| illegal("投标状态已被他人更改 (the bid changed meanwhile)"))?;
            bids::remove_partners(&txn, revived.id).await?;
            (revived, before)
        }
        Some(_) => {
            return Err(AppError::new(ErrorCode::AlreadyExists).with_detail(
                "本团队已对此需求单投标，请修改原投标 (your team has already bid on this order: edit that bid)",
            ));
        }
        None => {
            let new = bids::NewBid {
                order_id,
                team_id: team.id,
                organization_id: team.organization_id,
                submitted_by: auth.user.id,
                content: &content,
            };
            (bids::insert(&txn, new, now).await?, None)
        }
    };
    for (organization_id, team_id, role) in &partners {
        bids::add_partner(&txn, bid.id, *organization_id, *team_id, role, now).await?;
    }
    let stored_partners = bids::partners_of(&txn, &[bid.id]).await?;
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(team.organization_id),
            actor_id: Some(auth.user.id),
            action: "bid.submit",
            object_type: "bid",
            object_id: bid.id,
            before,
            after: snapshot(&bid, &stored_partners),
        },
        now,
    )
    .await?;
    webhooks::publish(
        &txn,
        WebhookEvent::BidSubmitted,
        serde_json::json!({
            "bid_id": bid.id,
            "order_id": order_id,
            "team_id": bid.team_id,
            "price_cny": bid.price_cny,
            "duration_weeks": bid.duration_weeks,
            "status": bid.status,
        }),
        &Audience {
            teams: vec![bid.team_id],
            organizations: vec![order.organization_id],
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Created::new(&BidView::new(&bid, &stored_partners))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}/bids", tag = "bids", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = BidList), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn list_for_order(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let order = orders::find(&state.db, *id)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(Some(&auth.actor), Action::ViewOrder(order_facts(&order)?))?;
    let mut items = Vec::new();
    for bid in bids::for_order(&state.db, order.id).await? {
        let context = BidContext::load(&state, bid).await?;
        if context.authorize(&auth.actor, BidAccess::View).is_ok() {
            items.push(context.view());
        }
    }
    Ok(HttpResponse::Ok().json(BidList { items }))
}

#[utoipa::path(get, path = "/api/v1/bids/{id}", tag = "bids", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = BidView), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let context = load_context(&state, *id).await?;
    context.authorize(&auth.actor, BidAccess::View)?;
    Ok(HttpResponse::Ok().json(context.view()))
}

#[utoipa::path(patch, path = "/api/v1/bids/{id}", tag = "bids", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateBidRequest,
    responses((status = 200, body = BidView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<UpdateBidRequest>,
) -> AppResult<HttpResponse> {
    let context = load_context(&state, *id).await?;
    context.authorize(&auth.actor, BidAccess::Change)?;
    let status = context.status()?;
    transition(status, BidEvent::Edit).map_err(|e| illegal(e.to_string()))?;
    let body = body.0;
    let bid = &context.bid;
    let stored_milestones: Vec<Milestone> =
        serde_json::from_value(bid.milestones.clone()).unwrap_or_default();
    let stored_split: Vec<RevenueShare> =
        serde_json::from_value(bid.revenue_split.clone()).unwrap_or_default();
    let stored_partners: Vec<PartnerInput> = context
        .partners
        .iter()
        .map(|p| PartnerInput {
            team_id: p.team_id,
            organization_id: p.team_id.is_none().then_some(p.organization_id),
            role: p.role.clone(),
        })
        .collect();
    let partners_replaced = body.partners.is_some();
    let all_confirmed = if partners_replaced {
        body.partners.as_ref().is_some_and(Vec::is_empty)
    } else {
        context
            .partners
            .iter()
            .all(|p| p.status == PartnerStatus::Confirmed.as_str())
    };
    let content = BidInput {
        approach: body.approach.unwrap_or_else(|| bid.approach.clone()),
        price_cny: body.price_cny.unwrap_or(bid.price_cny),
        duration_weeks: body.duration_weeks.unwrap_or(i64::from(bid.duration_weeks)),
        milestones: body.milestones.unwrap_or(stored_milestones),
        ip_ownership: match body.ip_ownership {
            Some(ip) => ip,
            None => IpOwnership::parse(&bid.ip_ownership).ok_or_else(|| {
                AppError::internal(anyhow::anyhow!(
                    "stored IP ownership {:?}",
                    bid.ip_ownership
                ))
            })?,
        },
        revenue_split: body.revenue_split.unwrap_or(stored_split),
        trl: body.trl.unwrap_or(i64::from(bid.trl)),
        partners: body.partners.unwrap_or(stored_partners),
        consortium: body.consortium.flatten(),
        partners_all_confirmed: all_confirmed,
    }
    .validate()
    .map_err(AppError::validation)?;
    let partners = if partners_replaced {
        Some(resolve_partners(&state, &content.partners, bid.team_id).await?)
    } else {
        None
    };
    let before = snapshot(bid, &context.partners);
    let txn = state.db.begin().await?;
    let now = bids::database_now(&txn).await?;
    if now >= context.order.bid_deadline {
        return Err(deadline_passed());
    }
    let updated = bids::update_content(&txn, bid, status, status, &content, now)
        .await?
        .ok_or_else(|| illegal("投标状态已被他人更改 (the bid changed meanwhile)"))?;
    if let Some(partners) = partners {
        bids::remove_partners(&txn, updated.id).await?;
        for (organization_id, team_id, role) in &partners {
            bids::add_partner(&txn, updated.id, *organization_id, *team_id, role, now).await?;
        }
    }
    let stored = bids::partners_of(&txn, &[updated.id]).await?;
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(updated.organization_id),
            actor_id: Some(auth.user.id),
            action: "bid.update",
            object_type: "bid",
            object_id: updated.id,
            before,
            after: snapshot(&updated, &stored),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(BidView::new(&updated, &stored)))
}

/// Applies one status change to a bid: the team's own (withdraw, before the deadline by the
/// database's clock) or the ordering side's (shortlist, decline). The team is told of decisions.
pub(crate) async fn change_status(
    state: &AppState,
    auth: &AuthUser,
    id: Uuid,
    event: BidEvent,
    reason: Option<String>,
) -> AppResult<HttpResponse> {
    let context = load_context(state, id).await?;
    let ordering_side = matches!(event, BidEvent::Shortlist | BidEvent::Decline);
    if ordering_side {
        context.authorize(&auth.actor, BidAccess::Decide)?;
    } else {
        context.authorize(&auth.actor, BidAccess::Change)?;
    }
    let from = context.status()?;
    let to = transition(from, event).map_err(|e| illegal(e.to_string()))?;
    let txn = state.db.begin().await?;
    let now = bids::database_now(&txn).await?;
    if event.needs_open_bidding() && now >= context.order.bid_deadline {
        return Err(deadline_passed());
    }
    let moved = bids::transition(&txn, id, from, to, reason.clone(), now)
        .await?
        .ok_or_else(|| illegal("投标状态已被他人更改 (the bid changed meanwhile)"))?;
    if ordering_side {
        let kind = if event == BidEvent::Decline {
            "bid.declined"
        } else {
            "bid.shortlisted"
        };
        projects::notify(
            &txn,
            moved.team_id,
            kind,
            moved.order_id,
            Some(moved.id),
            reason,
            now,
        )
        .await?;
    }
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(if ordering_side {
                context.order.organization_id
            } else {
                moved.organization_id
            }),
            actor_id: Some(auth.user.id),
            action: match event {
                BidEvent::Withdraw => "bid.withdraw",
                BidEvent::Shortlist => "bid.shortlist",
                _ => "bid.decline",
            },
            object_type: "bid",
            object_id: moved.id,
            before: snapshot(&context.bid, &context.partners),
            after: snapshot(&moved, &context.partners),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(BidView::new(&moved, &context.partners)))
}

#[utoipa::path(post, path = "/api/v1/bids/{id}/withdraw", tag = "bids", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = BidView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn withdraw(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    change_status(&state, &auth, *id, BidEvent::Withdraw, None).await
}

#[utoipa::path(post, path = "/api/v1/bids/{id}/shortlist", tag = "bids", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = BidView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn shortlist(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    change_status(&state, &auth, *id, BidEvent::Shortlist, None).await
}

#[utoipa::path(post, path = "/api/v1/bids/{id}/decline", tag = "bids", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = DeclineRequest,
    responses((status = 200, body = BidView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn decline(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<DeclineRequest>,
) -> AppResult<HttpResponse> {
    let mut checker = Checker::new();
    let reason = checker.text("reason", &body.0.reason, 1, 5_000);
    checker.finish().map_err(AppError::validation)?;
    change_status(&state, &auth, *id, BidEvent::Decline, Some(reason)).await
}

/// Awards one bid: the order moves `published → awarded` by a conditional update, the bid
/// `→ awarded` (a unique index allows one awarded bid per order), every other live bid becomes
/// `not_selected` and its team is told, and the project opens with the bid's milestones — all in
/// one transaction, so two simultaneous awards can never both succeed.
#[utoipa::path(post, path = "/api/v1/orders/{id}/award", tag = "bids", security(("bearer" = [])),
    params(("id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "重试时使用相同的键只授标一次 · retrying with the same key awards once")),
    request_body = AwardRequest,
    responses((status = 201, body = AwardView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn award(
    state: web::Data<AppState>,
    auth: AuthUser,
    key: IdempotencyKey,
    id: web::Path<Uuid>,
    body: JsonBody<AwardRequest>,
) -> AppResult<HttpResponse> {
    let JsonBody(request, raw) = body;
    let order_id = *id;
    run_once(&state, auth.user.id, &key, &raw, || {
        award_bid(&state, &auth, order_id, request.bid_id)
    })
    .await
}

pub(crate) async fn award_bid(
    state: &AppState,
    auth: &AuthUser,
    order_id: Uuid,
    bid_id: Uuid,
) -> AppResult<Created> {
    let order = orders::find(&state.db, order_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(Some(&auth.actor), Action::ViewOrder(order_facts(&order)?))?;
    let unknown_bid = || {
        AppError::field(
            "bid_id",
            "unknown",
            "此需求单没有该投标 (no such bid on this order)",
        )
    };
    let bid = bids::find(&state.db, bid_id)
        .await?
        .filter(|b| b.order_id == order_id)
        .ok_or_else(unknown_bid)?;
    let context = BidContext::load(state, bid).await?;
    context
        .authorize(&auth.actor, BidAccess::Decide)
        .map_err(|e| {
            if e.code == ErrorCode::NotFound {
                unknown_bid()
            } else {
                e
            }
        })?;
    let from = context.status()?;
    transition(from, BidEvent::Award).map_err(|e| illegal(e.to_string()))?;
    let facts: OrderFacts = order_facts(&order)?;
    let next = order_transition(facts.status, LifecycleEvent::Award)
        .map_err(|e| illegal(e.to_string()))?;
    let milestones: Vec<Milestone> =
        serde_json::from_value(context.bid.milestones.clone()).unwrap_or_default();

    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let Some(awarded_order) =
        orders::transition_status(&txn, &order, facts.status, next, None, now).await?
    else {
        txn.rollback().await?;
        return Err(illegal(
            "需求单已授标或已不在招标中 (the order was awarded or closed meanwhile)",
        ));
    };
    let Some(won) = bids::transition(&txn, bid_id, from, BidStatus::Awarded, None, now).await?
    else {
        txn.rollback().await?;
        return Err(illegal("投标状态已被他人更改 (the bid changed meanwhile)"));
    };
    let losers = bid::Entity::find()
        .filter(bid::Column::OrderId.eq(order_id))
        .filter(bid::Column::Id.ne(bid_id))
        .filter(bid::Column::Status.is_in(LIVE.map(BidStatus::as_str)))
        .all(&txn)
        .await?;
    let mut events = Vec::new();
    for loser in &losers {
        let loser_from = BidStatus::parse(&loser.status).unwrap_or(BidStatus::Submitted);
        if let Some(closed) = bids::transition(
            &txn,
            loser.id,
            loser_from,
            BidStatus::NotSelected,
            None,
            now,
        )
        .await?
        {
            projects::notify(
                &txn,
                closed.team_id,
                "bid.not_selected",
                order_id,
                Some(closed.id),
                None,
                now,
            )
            .await?;
            events.push(AuditEntry {
                organization_id: Some(order.organization_id),
                actor_id: Some(auth.user.id),
                action: "bid.not_selected",
                object_type: "bid",
                object_id: closed.id,
                before: Some(serde_json::json!({"status": loser.status})),
                after: Some(serde_json::json!({"status": closed.status})),
            });
        }
    }
    let project = projects::open(&txn, &won, order.organization_id, &milestones, now).await?;
    projects::notify(
        &txn,
        won.team_id,
        "bid.awarded",
        order_id,
        Some(won.id),
        None,
        now,
    )
    .await?;
    events.push(AuditEntry {
        organization_id: Some(order.organization_id),
        actor_id: Some(auth.user.id),
        action: "order.award",
        object_type: "order",
        object_id: order_id,
        before: Some(serde_json::json!({"status": order.status})),
        after: Some(serde_json::json!({"status": awarded_order.status, "bid_id": won.id})),
    });
    events.push(AuditEntry {
        organization_id: Some(order.organization_id),
        actor_id: Some(auth.user.id),
        action: "bid.award",
        object_type: "bid",
        object_id: won.id,
        before: snapshot(&context.bid, &context.partners),
        after: snapshot(&won, &context.partners),
    });
    events.push(AuditEntry {
        organization_id: Some(order.organization_id),
        actor_id: Some(auth.user.id),
        action: "project.open",
        object_type: "project",
        object_id: project.id,
        before: None,
        after: Some(serde_json::json!({"bid_id": won.id, "milestones": milestones.len()})),
    });
    audit::record_all(&txn, events, now).await?;
    webhooks::publish(
        &txn,
        WebhookEvent::OrderAwarded,
        serde_json::json!({
            "order_id": order_id,
            "order_title": order.title,
            "bid_id": won.id,
            "team_id": won.team_id,
            "project_id": project.id,
        }),
        &Audience {
            teams: vec![won.team_id],
            organizations: vec![order.organization_id],
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Created::new(&AwardView {
        order_id,
        bid_id: won.id,
        project_id: project.id,
        not_selected: losers.len(),
    })
}

/// A partner confirms or declines being named on a bid.
async fn answer_invitation(
    state: &AppState,
    auth: &AuthUser,
    bid_id: Uuid,
    partner_id: Uuid,
    answer: PartnerStatus,
) -> AppResult<HttpResponse> {
    let context = load_context(state, bid_id).await?;
    let partner = context
        .partners
        .iter()
        .find(|p| p.id == partner_id)
        .ok_or_else(AppError::not_found)?;
    authorize(
        Some(&auth.actor),
        Action::AnswerPartnerInvitation(context.partner_facts(partner)),
    )?;
    if partner.status != PartnerStatus::Invited.as_str() {
        return Err(illegal(format!("已答复 (already {})", partner.status)));
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let answered = bids::answer_partner(&txn, partner_id, answer, auth.user.id, now)
        .await?
        .ok_or_else(|| illegal("已答复 (already answered)"))?;
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(answered.organization_id),
            actor_id: Some(auth.user.id),
            action: if answer == PartnerStatus::Confirmed {
                "bid.partner_confirm"
            } else {
                "bid.partner_decline"
            },
            object_type: "bid",
            object_id: bid_id,
            before: Some(serde_json::json!({"partner_id": partner_id, "status": partner.status})),
            after: Some(serde_json::json!({"partner_id": partner_id, "status": answered.status})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(PartnerView {
        id: answered.id,
        organization_id: answered.organization_id,
        team_id: answered.team_id,
        role: answered.role,
        status: answered.status,
    }))
}

#[utoipa::path(post, path = "/api/v1/bids/{id}/partners/{partner_id}/confirm", tag = "bids", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("partner_id" = Uuid, Path)),
    responses((status = 200, body = PartnerView), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn confirm_partner(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (bid_id, partner_id) = path.into_inner();
    answer_invitation(&state, &auth, bid_id, partner_id, PartnerStatus::Confirmed).await
}

#[utoipa::path(post, path = "/api/v1/bids/{id}/partners/{partner_id}/decline", tag = "bids", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("partner_id" = Uuid, Path)),
    responses((status = 200, body = PartnerView), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn decline_partner(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (bid_id, partner_id) = path.into_inner();
    answer_invitation(&state, &auth, bid_id, partner_id, PartnerStatus::Declined).await
}

/// Bids the caller's organisations or teams are named on as partners: enough to decide whether to
/// join (order, bidding team, role), not the bid itself until confirmed.
#[utoipa::path(get, path = "/api/v1/me/partner-invitations", tag = "bids", security(("bearer" = [])),
    responses((status = 200, body = Vec<InvitationView>), (status = 401, body = crate::error::Problem)))]
pub async fn invitations(state: web::Data<AppState>, auth: AuthUser) -> AppResult<HttpResponse> {
    use crate::domain::organization::MemberRole;
    let organizations: Vec<Uuid> = auth
        .actor
        .memberships
        .iter()
        .filter(|m| matches!(m.role, MemberRole::Lead | MemberRole::OrgAdmin))
        .map(|m| m.organization_id)
        .collect();
    let my_teams: Vec<Uuid> = team_member::Entity::find()
        .filter(team_member::Column::UserId.eq(auth.user.id))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| m.team_id)
        .collect();
    let mut views = Vec::new();
    for partner in bids::invitations_for(&state.db, &organizations, &my_teams).await? {
        let Some(bid) = bids::find(&state.db, partner.bid_id).await? else {
            continue;
        };
        let order = orders::find(&state.db, bid.order_id).await?;
        let team = teams::find(&state.db, bid.team_id).await?;
        if let (Some(order), Some(team)) = (order, team) {
            views.push(InvitationView {
                partner_id: partner.id,
                bid_id: bid.id,
                order_id: order.id,
                order_title: order.title,
                bidding_team_id: team.id,
                bidding_team_name: team.name,
                role: partner.role,
                status: partner.status,
            });
        }
    }
    Ok(HttpResponse::Ok().json(views))
}
