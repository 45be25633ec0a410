//! Projects (项目): an awarded bid run by milestones. The team delivers, the ordering side
//! accepts or sends back with a comment; the project completes or is terminated with a reason and
//! lessons learned; afterwards each side rates the other. Also the teams' in-app notifications.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::authorize;
use super::json::JsonBody;
use super::orders::facts as order_facts;
use crate::auth::extract::AuthUser;
use crate::domain::policy::{Action, ProjectFacts, TeamFacts, project_sides};
use crate::domain::project::{
    MilestoneEvent, MilestoneStatus, ProjectStatus, Side, may_complete, may_rate, may_terminate,
    milestone_transition,
};
use crate::domain::validation::Checker;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;
use crate::store::audit::{self, AuditEntry};
use crate::store::entities::{order, project, project_milestone, project_rating};
use crate::store::{orders, projects};

#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneView {
    pub id: Uuid,
    pub position: i32,
    pub title: String,
    pub due_week: i32,
    pub amount_cny: i64,
    #[schema(value_type = MilestoneStatus)]
    pub status: String,
    pub delivery_note: Option<String>,
    /// The ordering side's comment when it accepted or sent the milestone back.
    pub review_comment: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatingView {
    /// The side that gave the rating.
    #[schema(value_type = Side)]
    pub side: String,
    pub score: i32,
    pub comment: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub bid_id: Uuid,
    pub team_id: Uuid,
    #[schema(value_type = ProjectStatus)]
    pub status: String,
    /// Why it ended early, when terminated.
    pub end_reason: Option<String>,
    pub lessons_learned: Option<String>,
    pub milestones: Vec<MilestoneView>,
    pub ratings: Vec<RatingView>,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneNote {
    /// What was delivered, or the ordering side's comment (required when sending back).
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminateRequest {
    #[schema(min_length = 1, max_length = 5000)]
    pub reason: String,
    #[schema(min_length = 1, max_length = 10000)]
    pub lessons_learned: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    #[schema(minimum = 1, maximum = 5)]
    pub score: i64,
    #[schema(max_length = 5000)]
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: Uuid,
    /// `bid.shortlisted`, `bid.declined`, `bid.not_selected` or `bid.awarded`.
    pub kind: String,
    pub order_id: Uuid,
    pub bid_id: Option<Uuid>,
    /// The ordering side's reason, for a declined bid.
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A project with what the policy needs about it.
struct ProjectContext {
    project: project::Model,
    order: order::Model,
    team_members: Vec<Uuid>,
}

impl ProjectContext {
    async fn load(state: &AppState, id: Uuid) -> AppResult<Self> {
        let project = projects::find(&state.db, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let order = orders::find(&state.db, project.order_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let (_, team_members) = super::teams::load(state, project.team_id).await?;
        Ok(Self {
            project,
            order,
            team_members,
        })
    }

    fn facts(&self) -> AppResult<ProjectFacts<'_>> {
        Ok(ProjectFacts {
            order: order_facts(&self.order)?,
            team: TeamFacts {
                organization_id: self.project.team_organization_id,
                member_ids: &self.team_members,
            },
        })
    }

    fn status(&self) -> AppResult<ProjectStatus> {
        ProjectStatus::parse(&self.project.status).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "stored project status {:?}",
                self.project.status
            ))
        })
    }

    fn chain(&self, side: Side) -> Uuid {
        match side {
            Side::Ordering => self.project.ordering_organization_id,
            Side::Team => self.project.team_organization_id,
        }
    }
}

fn rule_broken(error: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::IllegalTransition).with_detail(error.to_string())
}

async fn view(state: &AppState, project: &project::Model) -> AppResult<ProjectView> {
    let milestones = projects::milestones(&state.db, project.id).await?;
    let ratings = projects::ratings(&state.db, project.id).await?;
    Ok(ProjectView {
        id: project.id,
        order_id: project.order_id,
        bid_id: project.bid_id,
        team_id: project.team_id,
        status: project.status.clone(),
        end_reason: project.end_reason.clone(),
        lessons_learned: project.lessons_learned.clone(),
        milestones: milestones.iter().map(milestone_view).collect(),
        ratings: ratings.iter().map(rating_view).collect(),
        created_at: project.created_at,
        ended_at: project.ended_at,
    })
}

fn milestone_view(m: &project_milestone::Model) -> MilestoneView {
    MilestoneView {
        id: m.id,
        position: m.position,
        title: m.title.clone(),
        due_week: m.due_week,
        amount_cny: m.amount_cny,
        status: m.status.clone(),
        delivery_note: m.delivery_note.clone(),
        review_comment: m.review_comment.clone(),
        delivered_at: m.delivered_at,
        accepted_at: m.accepted_at,
    }
}

fn rating_view(r: &project_rating::Model) -> RatingView {
    RatingView {
        side: r.side.clone(),
        score: r.score,
        comment: r.comment.clone(),
        created_at: r.created_at,
    }
}

#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ProjectView), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let context = ProjectContext::load(&state, *id).await?;
    authorize(Some(&auth.actor), Action::ViewProject(context.facts()?))?;
    Ok(HttpResponse::Ok().json(view(&state, &context.project).await?))
}

pub(crate) async fn move_milestone(
    state: &AppState,
    auth: &AuthUser,
    project_id: Uuid,
    milestone_id: Uuid,
    event: MilestoneEvent,
    comment: Option<String>,
) -> AppResult<HttpResponse> {
    let context = ProjectContext::load(state, project_id).await?;
    authorize(
        Some(&auth.actor),
        Action::ActOnProject(context.facts()?, event.side()),
    )?;
    let milestones = projects::milestones(&state.db, project_id).await?;
    let milestone = milestones
        .iter()
        .find(|m| m.id == milestone_id)
        .ok_or_else(AppError::not_found)?;
    let from = MilestoneStatus::parse(&milestone.status).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "stored milestone status {:?}",
            milestone.status
        ))
    })?;
    let to = milestone_transition(context.status()?, from, event).map_err(rule_broken)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let moved = projects::move_milestone(&txn, milestone_id, from, to, comment, now)
        .await?
        .ok_or_else(|| rule_broken("里程碑状态已被他人更改 (the milestone changed meanwhile)"))?;
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(context.chain(event.side())),
            actor_id: Some(auth.user.id),
            action: match event {
                MilestoneEvent::Deliver => "milestone.deliver",
                MilestoneEvent::Accept => "milestone.accept",
                MilestoneEvent::SendBack => "milestone.send_back",
            },
            object_type: "milestone",
            object_id: moved.id,
            before: serde_json::to_value(milestone_view(milestone)).ok(),
            after: serde_json::to_value(milestone_view(&moved)).ok(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(milestone_view(&moved)))
}

fn note(body: Option<JsonBody<MilestoneNote>>, required: bool) -> AppResult<Option<String>> {
    let comment = body.and_then(|b| b.0.comment);
    let mut checker = Checker::new();
    let comment = checker.optional_text("comment", comment.as_deref(), 5_000);
    if required && comment.is_none() {
        checker.push(
            "comment",
            "required",
            "退回时须说明原因 (say what should change)",
        );
    }
    checker.finish().map_err(AppError::validation)?;
    Ok(comment)
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/milestones/{milestone_id}/deliver", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("milestone_id" = Uuid, Path)), request_body(content = Option<MilestoneNote>),
    responses((status = 200, body = MilestoneView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn deliver(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
    body: Option<JsonBody<MilestoneNote>>,
) -> AppResult<HttpResponse> {
    let (project, milestone) = path.into_inner();
    let comment = note(body, false)?;
    move_milestone(
        &state,
        &auth,
        project,
        milestone,
        MilestoneEvent::Deliver,
        comment,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/milestones/{milestone_id}/accept", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("milestone_id" = Uuid, Path)), request_body(content = Option<MilestoneNote>),
    responses((status = 200, body = MilestoneView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn accept(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
    body: Option<JsonBody<MilestoneNote>>,
) -> AppResult<HttpResponse> {
    let (project, milestone) = path.into_inner();
    let comment = note(body, false)?;
    move_milestone(
        &state,
        &auth,
        project,
        milestone,
        MilestoneEvent::Accept,
        comment,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/milestones/{milestone_id}/reject", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("milestone_id" = Uuid, Path)), request_body = MilestoneNote,
    responses((status = 200, body = MilestoneView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn reject(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
    body: Option<JsonBody<MilestoneNote>>,
) -> AppResult<HttpResponse> {
    let (project, milestone) = path.into_inner();
    let comment = note(body, true)?;
    move_milestone(
        &state,
        &auth,
        project,
        milestone,
        MilestoneEvent::SendBack,
        comment,
    )
    .await
}

async fn end_project(
    state: &AppState,
    auth: &AuthUser,
    id: Uuid,
    to: ProjectStatus,
    reason: Option<String>,
    lessons: Option<String>,
) -> AppResult<HttpResponse> {
    let context = ProjectContext::load(state, id).await?;
    let facts = context.facts()?;
    authorize(Some(&auth.actor), Action::ViewProject(facts))?;
    let sides = project_sides(&auth.actor, facts);
    let side = match to {
        ProjectStatus::Completed => {
            authorize(
                Some(&auth.actor),
                Action::ActOnProject(facts, Side::Ordering),
            )?;
            let milestones = projects::milestones(&state.db, id).await?;
            let statuses: Vec<MilestoneStatus> = milestones
                .iter()
                .filter_map(|m| MilestoneStatus::parse(&m.status))
                .collect();
            may_complete(context.status()?, &statuses).map_err(rule_broken)?;
            Side::Ordering
        }
        _ => {
            let side = *sides
                .first()
                .ok_or_else(|| AppError::new(ErrorCode::Forbidden))?;
            may_terminate(context.status()?).map_err(rule_broken)?;
            side
        }
    };
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let ended = projects::end(&txn, id, to, reason, lessons, now)
        .await?
        .ok_or_else(|| rule_broken("项目状态已被他人更改 (the project changed meanwhile)"))?;
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(context.chain(side)),
            actor_id: Some(auth.user.id),
            action: if to == ProjectStatus::Completed {
                "project.complete"
            } else {
                "project.terminate"
            },
            object_type: "project",
            object_id: id,
            before: Some(serde_json::json!({"status": context.project.status})),
            after: Some(serde_json::json!({
                "status": ended.status,
                "end_reason": ended.end_reason,
                "lessons_learned": ended.lessons_learned,
            })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(view(state, &ended).await?))
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/complete", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ProjectView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn complete(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    end_project(&state, &auth, *id, ProjectStatus::Completed, None, None).await
}

/// Ends the project early. A failed R&D project is normal: the reason and the lessons learned
/// are recorded and stay visible to both sides.
#[utoipa::path(post, path = "/api/v1/projects/{id}/terminate", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = TerminateRequest,
    responses((status = 200, body = ProjectView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn terminate(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<TerminateRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    let mut checker = Checker::new();
    let reason = checker.text("reason", &body.reason, 1, 5_000);
    let lessons = checker.text("lessons_learned", &body.lessons_learned, 1, 10_000);
    checker.finish().map_err(AppError::validation)?;
    end_project(
        &state,
        &auth,
        *id,
        ProjectStatus::Terminated,
        Some(reason),
        Some(lessons),
    )
    .await
}

/// Each side rates the other once, after the project completed or was terminated.
#[utoipa::path(post, path = "/api/v1/projects/{id}/ratings", tag = "projects", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RatingRequest,
    responses((status = 201, body = RatingView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn rate(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<RatingRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    let mut checker = Checker::new();
    let score = checker.range_i64("score", body.score, 1, 5);
    let comment = checker
        .optional_text("comment", body.comment.as_deref(), 5_000)
        .unwrap_or_default();
    checker.finish().map_err(AppError::validation)?;
    let context = ProjectContext::load(&state, *id).await?;
    let facts = context.facts()?;
    authorize(Some(&auth.actor), Action::ViewProject(facts))?;
    let side = *project_sides(&auth.actor, facts)
        .first()
        .ok_or_else(|| AppError::new(ErrorCode::Forbidden))?;
    may_rate(context.status()?).map_err(rule_broken)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let rating = projects::rate(
        &txn,
        *id,
        side,
        auth.user.id,
        i32::try_from(score).unwrap_or(1),
        &comment,
        now,
    )
    .await
    .map_err(|e| {
        AppError::from(e).with_detail("这一方已评价过 (this side has already rated the project)")
    })?;
    audit::record(
        &txn,
        AuditEntry {
            organization_id: Some(context.chain(side)),
            actor_id: Some(auth.user.id),
            action: "project.rate",
            object_type: "project",
            object_id: *id,
            before: None,
            after: serde_json::to_value(rating_view(&rating)).ok(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(rating_view(&rating)))
}

/// What the team has been told: decisions on its bids, newest first.
#[utoipa::path(get, path = "/api/v1/teams/{id}/notifications", tag = "teams", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<NotificationView>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn team_notifications(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let (team, members) = super::teams::load(&state, *id).await?;
    authorize(
        Some(&auth.actor),
        Action::ViewTeamMatches(TeamFacts {
            organization_id: team.organization_id,
            member_ids: &members,
        }),
    )?;
    let items: Vec<NotificationView> = projects::notifications(&state.db, team.id, 100)
        .await?
        .into_iter()
        .map(|n| NotificationView {
            id: n.id,
            kind: n.kind,
            order_id: n.order_id,
            bid_id: n.bid_id,
            detail: n.detail,
            created_at: n.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

/// A project as `auth` may see it, with the sides they act for (for the web pages).
pub(crate) async fn view_for(
    state: &AppState,
    auth: &AuthUser,
    id: Uuid,
) -> AppResult<(ProjectView, Vec<crate::domain::project::Side>)> {
    let context = ProjectContext::load(state, id).await?;
    let facts = context.facts()?;
    authorize(Some(&auth.actor), Action::ViewProject(facts))?;
    let sides = project_sides(&auth.actor, facts);
    Ok((view(state, &context.project).await?, sides))
}
