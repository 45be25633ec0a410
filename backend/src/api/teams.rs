//! Team capability profiles: create, read, update, browse.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::idempotency::{Created, IdempotencyKey, run_once};
use super::json::JsonBody;
use super::organizations::load as load_organization;
use super::{authorize, page_request};
use crate::auth::extract::AuthUser;
use crate::domain::organization::OrgKind;
use crate::domain::policy::{Action, TeamFacts};
use crate::domain::team::{TeamInput, TeamLanguage};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::audit::{self, AuditEntry};
use crate::store::entities::team;
use crate::store::string_list;
use crate::store::teams::{self, TeamFilter};

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamView {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub summary: String,
    pub capabilities: String,
    pub keywords: Vec<String>,
    pub equipment: Vec<String>,
    pub disciplines: Vec<String>,
    pub city: String,
    #[schema(value_type = TeamLanguage)]
    pub language: String,
    /// How many projects the team can run at once.
    pub capacity: i32,
    pub accepting_work: bool,
    /// User ids of the team's members.
    pub member_ids: Vec<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TeamView {
    fn new(team: &team::Model, member_ids: Vec<Uuid>) -> Self {
        Self {
            id: team.id,
            organization_id: team.organization_id,
            name: team.name.clone(),
            summary: team.summary.clone(),
            capabilities: team.capabilities.clone(),
            keywords: string_list(&team.keywords),
            equipment: string_list(&team.equipment),
            disciplines: string_list(&team.disciplines),
            city: team.city.clone(),
            language: team.language.clone(),
            capacity: team.capacity,
            accepting_work: team.accepting_work,
            member_ids,
            version: team.version,
            created_at: team.created_at,
            updated_at: team.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamPage {
    pub items: Vec<TeamView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeamRequest {
    pub organization_id: Uuid,
    #[schema(min_length = 2, max_length = 200)]
    pub name: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub capabilities: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub equipment: Vec<String>,
    #[serde(default)]
    pub disciplines: Vec<String>,
    /// Defaults to the organisation's city.
    pub city: Option<String>,
    /// Defaults to `zh`.
    pub language: Option<TeamLanguage>,
    /// Defaults to 2.
    #[schema(minimum = 0, maximum = 50)]
    pub capacity: Option<i64>,
    /// Defaults to true.
    pub accepting_work: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeamRequest {
    pub name: Option<String>,
    pub summary: Option<String>,
    pub capabilities: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub equipment: Option<Vec<String>>,
    pub disciplines: Option<Vec<String>>,
    pub city: Option<String>,
    pub language: Option<TeamLanguage>,
    pub capacity: Option<i64>,
    pub accepting_work: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TeamListQuery {
    pub organization_id: Option<Uuid>,
    pub city: Option<String>,
    pub language: Option<TeamLanguage>,
    pub accepting_work: Option<bool>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

pub(super) async fn load(state: &AppState, id: Uuid) -> AppResult<(team::Model, Vec<Uuid>)> {
    let team = teams::find(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let members = teams::member_ids(&state.db, &[team.id]).await?;
    Ok((team, members.into_iter().map(|(_, user)| user).collect()))
}

fn snapshot(view: &TeamView) -> Option<serde_json::Value> {
    serde_json::to_value(view).ok()
}

/// Creates a team profile in one of the caller's labs; the caller becomes its first member.
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "重试时使用相同的键不会重复创建 · retrying with the same key creates nothing twice")),
    request_body = CreateTeamRequest,
    responses((status = 201, body = TeamView), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    auth: AuthUser,
    key: IdempotencyKey,
    body: JsonBody<CreateTeamRequest>,
) -> AppResult<HttpResponse> {
    let JsonBody(request, raw) = body;
    run_once(&state, auth.user.id, &key, &raw, || {
        create_team(&state, &auth, request)
    })
    .await
}

async fn create_team(
    state: &AppState,
    auth: &AuthUser,
    body: CreateTeamRequest,
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
    let kind = OrgKind::parse(&org.kind).unwrap_or(OrgKind::Hospital);
    authorize(
        Some(&auth.actor),
        Action::CreateTeam {
            organization_id: org.id,
            kind,
        },
    )?;
    let profile = TeamInput {
        name: body.name,
        summary: body.summary,
        capabilities: body.capabilities,
        keywords: body.keywords,
        equipment: body.equipment,
        disciplines: body.disciplines,
        city: body.city.unwrap_or_else(|| org.city.clone()),
        language: body.language.unwrap_or(TeamLanguage::Chinese),
        capacity: body.capacity.unwrap_or(2),
        accepting_work: body.accepting_work.unwrap_or(true),
    }
    .validate()
    .map_err(AppError::validation)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let team = teams::insert(&txn, org.id, &profile, now).await?;
    teams::add_member(&txn, team.id, auth.user.id, now).await?;
    let view = TeamView::new(&team, vec![auth.user.id]);
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(team.organization_id),
            actor_id: Some(auth.user.id),
            action: "team.create",
            object_type: "team",
            object_id: team.id,
            before: None,
            after: snapshot(&view),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    after_profile_change(state, &team);
    Created::new(&view)
}

/// Puts the new profile in the index and, once it is searchable, proposes the team for the
/// published orders it now fits. Runs after the response: nothing here can undo the change, and a
/// crash before the index commit is healed by the start-up reconciliation.
fn after_profile_change(state: &AppState, team: &team::Model) {
    if let Err(error) = state.matching.index_team(team) {
        tracing::error!(team = %team.id, error = format!("{error:#}"), "indexing the team failed");
        return;
    }
    let state = state.clone();
    let (team_id, version) = (team.id, team.version);
    tokio::spawn(async move {
        let matching = &state.matching;
        if !matching
            .wait_until_indexed(team_id, version, std::time::Duration::from_secs(10))
            .await
        {
            tracing::warn!(team = %team_id, "the index did not show the new profile in time");
            return;
        }
        let now = state.clock.now();
        match matching.propose_for_team(&state.db, team_id, now).await {
            Ok(orders) => {
                tracing::debug!(team = %team_id, proposed = orders.len(), "team matched against open orders")
            }
            Err(error) => {
                tracing::error!(team = %team_id, error = format!("{error:#}"), "matching the team failed")
            }
        }
    });
}

#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "teams",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = TeamView), (status = 404, body = crate::error::Problem)))]
pub async fn get(state: web::Data<AppState>, id: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let (team, members) = load(&state, *id).await?;
    Ok(HttpResponse::Ok().json(TeamView::new(&team, members)))
}

#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "teams", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateTeamRequest,
    responses((status = 200, body = TeamView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<UpdateTeamRequest>,
) -> AppResult<HttpResponse> {
    let view = update_team(&state, &auth, *id, body.0).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Changes a team profile (the API's and the profile page's one way to do it).
pub(crate) async fn update_team(
    state: &AppState,
    auth: &AuthUser,
    id: Uuid,
    body: UpdateTeamRequest,
) -> AppResult<TeamView> {
    let (team, members) = load(state, id).await?;
    authorize(
        Some(&auth.actor),
        Action::UpdateTeam(TeamFacts {
            organization_id: team.organization_id,
            member_ids: &members,
        }),
    )?;
    let language = match body.language {
        Some(language) => language,
        None => TeamLanguage::parse(&team.language).unwrap_or(TeamLanguage::Chinese),
    };
    let profile = TeamInput {
        name: body.name.unwrap_or_else(|| team.name.clone()),
        summary: body.summary.unwrap_or_else(|| team.summary.clone()),
        capabilities: body
            .capabilities
            .unwrap_or_else(|| team.capabilities.clone()),
        keywords: body.keywords.unwrap_or_else(|| string_list(&team.keywords)),
        equipment: body
            .equipment
            .unwrap_or_else(|| string_list(&team.equipment)),
        disciplines: body
            .disciplines
            .unwrap_or_else(|| string_list(&team.disciplines)),
        city: body.city.unwrap_or_else(|| team.city.clone()),
        language,
        capacity: body.capacity.unwrap_or(i64::from(team.capacity)),
        accepting_work: body.accepting_work.unwrap_or(team.accepting_work),
    }
    .validate()
    .map_err(AppError::validation)?;
    let now = state.clock.now();
    let before = snapshot(&TeamView::new(&team, members.clone()));
    let txn = state.db.begin().await?;
    let team = teams::update(&txn, team, &profile, now).await?;
    let view = TeamView::new(&team, members);
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(team.organization_id),
            actor_id: Some(auth.user.id),
            action: "team.update",
            object_type: "team",
            object_id: team.id,
            before,
            after: snapshot(&view),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    after_profile_change(state, &team);
    Ok(view)
}

#[utoipa::path(get, path = "/api/v1/teams", tag = "teams",
    params(TeamListQuery),
    responses((status = 200, body = TeamPage), (status = 400, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<TeamListQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let page = page_request(query.limit, query.cursor.as_deref())?;
    let filter = TeamFilter {
        organization_id: query.organization_id,
        city: query.city,
        language: query.language,
        accepting_work: query.accepting_work,
    };
    let page = teams::list(&state.db, &filter, page).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|t| t.id).collect();
    let members = teams::member_ids(&state.db, &ids).await?;
    let page = page.map(|team| {
        let member_ids = members
            .iter()
            .filter(|(t, _)| *t == team.id)
            .map(|(_, u)| *u)
            .collect();
        TeamView::new(&team, member_ids)
    });
    Ok(HttpResponse::Ok().json(TeamPage {
        items: page.items,
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}
