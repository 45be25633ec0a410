//! Projects, their milestones and ratings, and teams' in-app notifications.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::{bid, notification, project, project_milestone, project_rating};
use crate::domain::bid::Milestone;
use crate::domain::project::{MilestoneStatus, ProjectStatus, Side};

/// Opens the project for an awarded bid, with the bid's milestones in order.
pub async fn open(
    db: &impl ConnectionTrait,
    bid: &bid::Model,
    ordering_organization_id: Uuid,
    milestones: &[Milestone],
    now: DateTime<Utc>,
) -> Result<project::Model, DbErr> {
    let project = project::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(bid.order_id),
        bid_id: Set(bid.id),
        team_id: Set(bid.team_id),
        ordering_organization_id: Set(ordering_organization_id),
        team_organization_id: Set(bid.organization_id),
        status: Set(ProjectStatus::Active.as_str().to_owned()),
        end_reason: Set(None),
        lessons_learned: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ended_at: Set(None),
    }
    .insert(db)
    .await?;
    for (position, milestone) in milestones.iter().enumerate() {
        project_milestone::ActiveModel {
            id: Set(Uuid::now_v7()),
            project_id: Set(project.id),
            position: Set(i32::try_from(position + 1).unwrap_or(i32::MAX)),
            title: Set(milestone.title.clone()),
            due_week: Set(i32::try_from(milestone.due_week).unwrap_or(i32::MAX)),
            amount_cny: Set(milestone.amount_cny),
            status: Set(MilestoneStatus::Pending.as_str().to_owned()),
            delivery_note: Set(None),
            review_comment: Set(None),
            delivered_at: Set(None),
            accepted_at: Set(None),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    Ok(project)
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<project::Model>, DbErr> {
    project::Entity::find_by_id(id).one(db).await
}

pub async fn of_order(
    db: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Option<project::Model>, DbErr> {
    project::Entity::find()
        .filter(project::Column::OrderId.eq(order_id))
        .one(db)
        .await
}

pub async fn milestones(
    db: &impl ConnectionTrait,
    project_id: Uuid,
) -> Result<Vec<project_milestone::Model>, DbErr> {
    project_milestone::Entity::find()
        .filter(project_milestone::Column::ProjectId.eq(project_id))
        .order_by_asc(project_milestone::Column::Position)
        .all(db)
        .await
}

pub async fn ratings(
    db: &impl ConnectionTrait,
    project_id: Uuid,
) -> Result<Vec<project_rating::Model>, DbErr> {
    project_rating::Entity::find()
        .filter(project_rating::Column::ProjectId.eq(project_id))
        .order_by_asc(project_rating::Column::CreatedAt)
        .all(db)
        .await
}

/// Moves a milestone from `from` to `to`, with the note or comment that came with it; `None` if
/// it was no longer in `from`.
pub async fn move_milestone(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: MilestoneStatus,
    to: MilestoneStatus,
    text: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<project_milestone::Model>, DbErr> {
    let mut update = project_milestone::Entity::update_many()
        .col_expr(project_milestone::Column::Status, Expr::value(to.as_str()))
        .col_expr(project_milestone::Column::UpdatedAt, Expr::value(now));
    update = match to {
        MilestoneStatus::Delivered => update
            .col_expr(project_milestone::Column::DeliveryNote, Expr::value(text))
            .col_expr(project_milestone::Column::DeliveredAt, Expr::value(now)),
        MilestoneStatus::Accepted => update
            .col_expr(project_milestone::Column::ReviewComment, Expr::value(text))
            .col_expr(project_milestone::Column::AcceptedAt, Expr::value(now)),
        MilestoneStatus::Pending => {
            update.col_expr(project_milestone::Column::ReviewComment, Expr::value(text))
        }
    };
    let result = update
        .filter(project_milestone::Column::Id.eq(id))
        .filter(project_milestone::Column::Status.eq(from.as_str()))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    project_milestone::Entity::find_by_id(id).one(db).await
}

/// Ends an active project; `None` if it was no longer active.
pub async fn end(
    db: &impl ConnectionTrait,
    id: Uuid,
    to: ProjectStatus,
    reason: Option<String>,
    lessons: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<project::Model>, DbErr> {
    let result = project::Entity::update_many()
        .col_expr(project::Column::Status, Expr::value(to.as_str()))
        .col_expr(project::Column::EndReason, Expr::value(reason))
        .col_expr(project::Column::LessonsLearned, Expr::value(lessons))
        .col_expr(project::Column::EndedAt, Expr::value(now))
        .col_expr(project::Column::UpdatedAt, Expr::value(now))
        .filter(project::Column::Id.eq(id))
        .filter(project::Column::Status.eq(ProjectStatus::Active.as_str()))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    find(db, id).await
}

pub async fn rate(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    side: Side,
    by: Uuid,
    score: i32,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<project_rating::Model, DbErr> {
    project_rating::ActiveModel {
        id: Set(Uuid::now_v7()),
        project_id: Set(project_id),
        side: Set(side.as_str().to_owned()),
        rated_by: Set(by),
        score: Set(score),
        comment: Set(comment.to_owned()),
        created_at: Set(now),
    }
    .insert(db)
    .await
}

/// Tells a team something in the app (a decision on its bid, say).
pub async fn notify(
    db: &impl ConnectionTrait,
    team_id: Uuid,
    kind: &str,
    order_id: Uuid,
    bid_id: Option<Uuid>,
    detail: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    notification::ActiveModel {
        id: Set(Uuid::now_v7()),
        team_id: Set(team_id),
        kind: Set(kind.to_owned()),
        order_id: Set(order_id),
        bid_id: Set(bid_id),
        detail: Set(detail.clone()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    if let Some(decision) = kind.strip_prefix("bid.") {
        let data = serde_json::json!({
            "order_id": order_id,
            "bid_id": bid_id,
            "team_id": team_id,
            "decision": decision,
            "reason": detail,
        });
        let audience = super::webhooks::Audience {
            teams: vec![team_id],
            organizations: Vec::new(),
        };
        super::webhooks::publish(
            db,
            crate::domain::webhook::WebhookEvent::BidDecided,
            data,
            &audience,
            now,
        )
        .await?;
    }
    Ok(())
}

/// A team's notifications, newest first.
pub async fn notifications(
    db: &impl ConnectionTrait,
    team_id: Uuid,
    limit: u64,
) -> Result<Vec<notification::Model>, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::TeamId.eq(team_id))
        .order_by_desc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
