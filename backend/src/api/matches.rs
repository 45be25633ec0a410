//! Matches: the teams proposed for an order, the orders proposed to a team, dismissing a proposal,
//! and searching team profiles by hand with the same analyzer and lexicon.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use yigong_search_index::matcher::{Matcher, Reason};

use super::authorize;
use super::json::JsonBody;
use super::language::ReaderLanguage;
use super::orders::facts as order_facts_of;
use super::teams::load as load_team;
use crate::auth::extract::AuthUser;
use crate::domain::policy::{Action, TeamFacts};
use crate::domain::validation::Checker;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::matching::service::reasons_from_json;
use crate::state::AppState;
use crate::store::audit::{self, AuditEntry};
use crate::store::entities::{order, team, team_match};
use crate::store::{matches, orders, teams};
use sea_orm::TransactionTrait;

/// A lexicon concept named in a reason, in both languages.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConceptLabel {
    pub id: String,
    pub zh: String,
    pub en: String,
}

/// One reason for a match: a concept bridge (`need` → `capability`) or a shared word, with a
/// sentence in the reader's language.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonView {
    /// `concept` or `term`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub need: Option<ConceptLabel>,
    pub capability: Option<ConceptLabel>,
    pub word: Option<String>,
    /// The reason as a sentence (zh-CN unless the reader asked for English).
    pub text: String,
}

fn label(matcher: &Matcher, id: &str) -> ConceptLabel {
    let concept = matcher.lexicon().by_id(id);
    ConceptLabel {
        id: id.to_owned(),
        zh: concept.map_or(id.to_owned(), |c| c.label("zh").to_owned()),
        en: concept.map_or(id.to_owned(), |c| c.label("en").to_owned()),
    }
}

pub fn reason_views(matcher: &Matcher, reasons: &[Reason], language: &str) -> Vec<ReasonView> {
    reasons
        .iter()
        .map(|reason| {
            let text = matcher.describe(reason, language);
            match reason {
                Reason::Concept { need, capability } => ReasonView {
                    kind: "concept",
                    need: Some(label(matcher, need)),
                    capability: Some(label(matcher, capability)),
                    word: None,
                    text,
                },
                Reason::Term { word } => ReasonView {
                    kind: "term",
                    need: None,
                    capability: None,
                    word: Some(word.clone()),
                    text,
                },
            }
        })
        .collect()
}

/// A team proposed for an order (what the ordering side sees).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposedTeam {
    /// The match id (for dismissing).
    pub id: Uuid,
    pub team_id: Uuid,
    pub team_name: String,
    pub organization_id: Uuid,
    pub city: String,
    pub score: f64,
    pub rank: i32,
    /// `proposed` or `dismissed`.
    pub status: String,
    pub reasons: Vec<ReasonView>,
    pub created_at: DateTime<Utc>,
}

/// An order proposed to a team (what the team sees).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposedOrder {
    /// The match id (for dismissing).
    pub id: Uuid,
    pub order_id: Uuid,
    pub order_title: String,
    pub organization_id: Uuid,
    pub category: String,
    pub city: String,
    pub budget_min_cny: i64,
    pub budget_max_cny: i64,
    pub bid_deadline: DateTime<Utc>,
    pub order_status: String,
    pub score: f64,
    pub rank: i32,
    pub status: String,
    pub reasons: Vec<ReasonView>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProposedTeams {
    pub items: Vec<ProposedTeam>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProposedOrders {
    pub items: Vec<ProposedOrder>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissRequest {
    /// Why this proposal does not fit (kept to improve matching).
    #[schema(min_length = 2, max_length = 2000)]
    pub reason: String,
}

/// A dismissed proposal.
#[derive(Debug, Serialize, ToSchema)]
pub struct DismissedMatch {
    pub id: Uuid,
    pub order_id: Uuid,
    pub team_id: Uuid,
    pub status: String,
    pub dismiss_reason: Option<String>,
    pub dismissed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TeamSearchQuery {
    /// What to look for, in Chinese or English (1–500 characters).
    pub q: String,
    /// 1 to 50, default 20.
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u64>,
    /// `zh-CN` or `en` for the reasons (default: Accept-Language, else zh-CN).
    pub lang: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LanguageQuery {
    /// `zh-CN` or `en` for the reasons (default: Accept-Language, else zh-CN).
    pub lang: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamSearchHit {
    pub team_id: Uuid,
    pub name: String,
    pub summary: String,
    pub city: String,
    pub accepting_work: bool,
    pub score: f64,
    pub reasons: Vec<ReasonView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamSearchResults {
    pub items: Vec<TeamSearchHit>,
}

fn reasons_of(state: &AppState, row: &team_match::Model, language: &str) -> Vec<ReasonView> {
    reason_views(
        state.matching.matcher(),
        &reasons_from_json(&row.reasons),
        language,
    )
}

/// The teams proposed for an order, best first, with the reasons (the ordering organisation only).
#[utoipa::path(get, path = "/api/v1/orders/{id}/matches", tag = "matches", security(("bearer" = [])),
    params(("id" = Uuid, Path), LanguageQuery),
    responses((status = 200, body = ProposedTeams), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn for_order(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    _query: web::Query<LanguageQuery>,
    language: ReaderLanguage,
) -> AppResult<HttpResponse> {
    let order = orders::find(&state.db, *id)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(
        Some(&auth.actor),
        Action::ViewOrderMatches(order_facts_of(&order)?),
    )?;
    let rows = matches::for_order(&state.db, order.id).await?;
    let team_ids: Vec<Uuid> = rows.iter().map(|r| r.team_id).collect();
    let teams: HashMap<Uuid, team::Model> = teams::by_ids(&state.db, &team_ids)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let items = rows
        .iter()
        .filter_map(|row| {
            let team = teams.get(&row.team_id)?;
            Some(ProposedTeam {
                id: row.id,
                team_id: team.id,
                team_name: team.name.clone(),
                organization_id: team.organization_id,
                city: team.city.clone(),
                score: row.score,
                rank: row.rank,
                status: row.status.clone(),
                reasons: reasons_of(&state, row, language.0),
                created_at: row.created_at,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(ProposedTeams { items }))
}

/// The orders proposed to a team, newest first, with the reasons (the team's people only).
#[utoipa::path(get, path = "/api/v1/teams/{id}/matches", tag = "matches", security(("bearer" = [])),
    params(("id" = Uuid, Path), LanguageQuery),
    responses((status = 200, body = ProposedOrders), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn for_team(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    _query: web::Query<LanguageQuery>,
    language: ReaderLanguage,
) -> AppResult<HttpResponse> {
    let (team, members) = load_team(&state, *id).await?;
    authorize(
        Some(&auth.actor),
        Action::ViewTeamMatches(TeamFacts {
            organization_id: team.organization_id,
            member_ids: &members,
        }),
    )?;
    let rows = matches::for_team(&state.db, team.id).await?;
    let order_ids: Vec<Uuid> = rows.iter().map(|r| r.order_id).collect();
    let orders: HashMap<Uuid, order::Model> = orders::by_ids(&state.db, &order_ids)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let items = rows
        .iter()
        .filter_map(|row| {
            let order = orders.get(&row.order_id)?;
            Some(ProposedOrder {
                id: row.id,
                order_id: order.id,
                order_title: order.title.clone(),
                organization_id: order.organization_id,
                category: order.category.clone(),
                city: order.city.clone(),
                budget_min_cny: order.budget_min_cny,
                budget_max_cny: order.budget_max_cny,
                bid_deadline: order.bid_deadline,
                order_status: order.status.clone(),
                score: row.score,
                rank: row.rank,
                status: row.status.clone(),
                reasons: reasons_of(&state, row, language.0),
                created_at: row.created_at,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(ProposedOrders { items }))
}

/// Sets a proposal aside with a reason (kept for learning). Either side of the match may.
#[utoipa::path(post, path = "/api/v1/matches/{id}/dismiss", tag = "matches", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = DismissRequest,
    responses((status = 200, body = DismissedMatch), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn dismiss(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<DismissRequest>,
) -> AppResult<HttpResponse> {
    let mut checker = Checker::new();
    let reason = checker.text("reason", &body.0.reason, 2, 2000);
    checker.finish().map_err(AppError::validation)?;
    let found = matches::find(&state.db, *id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let order = orders::find(&state.db, found.order_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (team, members) = load_team(&state, found.team_id).await?;
    authorize(
        Some(&auth.actor),
        Action::DismissMatch {
            order: order_facts_of(&order)?,
            team: TeamFacts {
                organization_id: team.organization_id,
                member_ids: &members,
            },
        },
    )
    .map_err(|error| {
        // Someone outside the match learns nothing about it.
        if error.code == ErrorCode::Forbidden {
            AppError::not_found()
        } else {
            error
        }
    })?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let Some(dismissed) = matches::dismiss(&txn, found.id, auth.user.id, &reason, now).await?
    else {
        txn.rollback().await?;
        return Err(AppError::new(ErrorCode::IllegalTransition)
            .with_detail("该推荐已被搁置 (this proposal was already dismissed)"));
    };
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(order.organization_id),
            actor_id: Some(auth.user.id),
            action: "match.dismiss",
            object_type: "match",
            object_id: dismissed.id,
            before: Some(serde_json::json!({"status": found.status})),
            after: Some(serde_json::json!({"status": dismissed.status, "reason": reason})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(DismissedMatch {
        id: dismissed.id,
        order_id: dismissed.order_id,
        team_id: dismissed.team_id,
        status: dismissed.status,
        dismiss_reason: dismissed.dismiss_reason,
        dismissed_at: dismissed.dismissed_at,
    }))
}

/// Searches team profiles by hand: the same analyzer and concept bridging as the matcher, no
/// marketplace priors. Any text is a valid query.
#[utoipa::path(get, path = "/api/v1/teams/search", tag = "teams",
    params(TeamSearchQuery),
    responses((status = 200, body = TeamSearchResults), (status = 400, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn search(
    state: web::Data<AppState>,
    query: web::Query<TeamSearchQuery>,
    language: ReaderLanguage,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let mut checker = Checker::new();
    let text = checker.text("q", &query.q, 1, 500);
    let limit = checker.range_i64(
        "limit",
        i64::try_from(query.limit.unwrap_or(20)).unwrap_or(i64::MAX),
        1,
        50,
    );
    checker.finish().map_err(AppError::validation)?;
    let matcher = state.matching.matcher();
    let order_query = matcher.order_query(&text, "");
    let found = matcher
        .search(
            state.matching.index(),
            &order_query,
            usize::try_from(limit).unwrap_or(20),
        )
        .map_err(|e| AppError::internal(e.into()))?;
    let ids: Vec<Uuid> = found
        .iter()
        .filter_map(|m| m.team_id.parse().ok())
        .collect();
    let rows: HashMap<Uuid, team::Model> = teams::by_ids(&state.db, &ids)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let items = found
        .iter()
        .filter_map(|m| {
            let team = rows.get(&m.team_id.parse().ok()?)?;
            Some(TeamSearchHit {
                team_id: team.id,
                name: team.name.clone(),
                summary: team.summary.clone(),
                city: team.city.clone(),
                accepting_work: team.accepting_work,
                score: f64::from(m.score),
                reasons: reason_views(matcher, &m.reasons, language.0),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(TeamSearchResults { items }))
}
