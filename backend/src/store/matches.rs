//! Proposed matches between orders and teams.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use super::entities::{order, team_match};
use super::webhooks::Audience;
use crate::domain::webhook::WebhookEvent;

pub const PROPOSED: &str = "proposed";
pub const DISMISSED: &str = "dismissed";

/// A proposal about to be stored.
#[derive(Debug, Clone)]
pub struct NewMatch {
    pub order_id: Uuid,
    pub team_id: Uuid,
    pub score: f64,
    pub rank: i32,
    pub reasons: serde_json::Value,
}

/// Stores proposals; a pair already proposed (or dismissed) is left as it is. Each new proposal
/// is published as `match.proposed` to the team and its organisation.
pub async fn insert_new(
    db: &impl ConnectionTrait,
    proposals: &[NewMatch],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if proposals.is_empty() {
        return Ok(());
    }
    let existing: HashSet<(Uuid, Uuid)> = team_match::Entity::find()
        .select_only()
        .column(team_match::Column::OrderId)
        .column(team_match::Column::TeamId)
        .filter(
            team_match::Column::OrderId
                .is_in(proposals.iter().map(|p| p.order_id).collect::<HashSet<_>>()),
        )
        .filter(
            team_match::Column::TeamId
                .is_in(proposals.iter().map(|p| p.team_id).collect::<HashSet<_>>()),
        )
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let fresh: Vec<(Uuid, &NewMatch)> = proposals
        .iter()
        .filter(|p| !existing.contains(&(p.order_id, p.team_id)))
        .map(|p| (Uuid::now_v7(), p))
        .collect();
    if fresh.is_empty() {
        return Ok(());
    }
    let rows = fresh.iter().map(|(id, p)| team_match::ActiveModel {
        id: Set(*id),
        order_id: Set(p.order_id),
        team_id: Set(p.team_id),
        score: Set(p.score),
        rank: Set(p.rank),
        reasons: Set(p.reasons.clone()),
        status: Set(PROPOSED.to_owned()),
        dismiss_reason: Set(None),
        dismissed_by: Set(None),
        dismissed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    });
    team_match::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([team_match::Column::OrderId, team_match::Column::TeamId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    publish_proposals(db, &fresh, now).await
}

async fn publish_proposals(
    db: &impl ConnectionTrait,
    fresh: &[(Uuid, &NewMatch)],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let team_ids: Vec<Uuid> = fresh.iter().map(|(_, p)| p.team_id).collect();
    let organization_of: HashMap<Uuid, Uuid> = super::teams::by_ids(db, &team_ids)
        .await?
        .into_iter()
        .map(|t| (t.id, t.organization_id))
        .collect();
    let order_ids: Vec<Uuid> = fresh.iter().map(|(_, p)| p.order_id).collect();
    let titles: HashMap<Uuid, String> = super::orders::by_ids(db, &order_ids)
        .await?
        .into_iter()
        .map(|o| (o.id, o.title))
        .collect();
    for (id, proposal) in fresh {
        let audience = Audience {
            teams: vec![proposal.team_id],
            organizations: organization_of
                .get(&proposal.team_id)
                .copied()
                .into_iter()
                .collect(),
        };
        let data = json!({
            "match_id": id,
            "order_id": proposal.order_id,
            "order_title": titles.get(&proposal.order_id),
            "team_id": proposal.team_id,
            "rank": proposal.rank,
            "score": proposal.score,
        });
        super::webhooks::publish(db, WebhookEvent::MatchProposed, data, &audience, now).await?;
    }
    Ok(())
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<team_match::Model>, DbErr> {
    team_match::Entity::find_by_id(id).one(db).await
}

/// The order's proposals, best first.
pub async fn for_order(
    db: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Vec<team_match::Model>, DbErr> {
    team_match::Entity::find()
        .filter(team_match::Column::OrderId.eq(order_id))
        .order_by_asc(team_match::Column::Rank)
        .order_by_desc(team_match::Column::Score)
        .all(db)
        .await
}

/// The team's proposals, newest first.
pub async fn for_team(
    db: &impl ConnectionTrait,
    team_id: Uuid,
) -> Result<Vec<team_match::Model>, DbErr> {
    team_match::Entity::find()
        .filter(team_match::Column::TeamId.eq(team_id))
        .order_by_desc(team_match::Column::CreatedAt)
        .order_by_desc(team_match::Column::Id)
        .all(db)
        .await
}

/// Marks a proposal dismissed, keeping the reason; `None` when it was already dismissed.
pub async fn dismiss(
    db: &impl ConnectionTrait,
    id: Uuid,
    by: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<team_match::Model>, DbErr> {
    let result = team_match::Entity::update_many()
        .col_expr(team_match::Column::Status, Expr::value(DISMISSED))
        .col_expr(team_match::Column::DismissReason, Expr::value(reason))
        .col_expr(team_match::Column::DismissedBy, Expr::value(by))
        .col_expr(team_match::Column::DismissedAt, Expr::value(now))
        .col_expr(team_match::Column::UpdatedAt, Expr::value(now))
        .filter(team_match::Column::Id.eq(id))
        .filter(team_match::Column::Status.eq(PROPOSED))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Ok(None);
    }
    find(db, id).await
}

#[derive(Debug, FromQueryResult)]
struct TeamCount {
    team_id: Uuid,
    open: i64,
}

/// How many proposals each of `teams` holds for orders still published.
pub async fn open_counts(
    db: &impl ConnectionTrait,
    teams: &[Uuid],
) -> Result<Vec<(Uuid, i64)>, DbErr> {
    if teams.is_empty() {
        return Ok(Vec::new());
    }
    let rows = team_match::Entity::find()
        .select_only()
        .column(team_match::Column::TeamId)
        .column_as(team_match::Column::Id.count(), "open")
        .filter(team_match::Column::TeamId.is_in(teams.to_vec()))
        .filter(team_match::Column::Status.eq(PROPOSED))
        .filter(
            team_match::Column::OrderId.in_subquery(
                Query::select()
                    .column(order::Column::Id)
                    .from(order::Entity)
                    .and_where(order::Column::Status.eq("published"))
                    .to_owned(),
            ),
        )
        .group_by(team_match::Column::TeamId)
        .into_model::<TeamCount>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.team_id, r.open)).collect())
}
