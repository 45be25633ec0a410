//! Bids, their partners, and the database clock that bid deadlines are checked against.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, Set, Statement,
};
use serde_json::json;
use uuid::Uuid;

use super::entities::{bid, bid_partner};
use crate::domain::bid::{BidContent, BidStatus, PartnerStatus};

/// The database's own clock, read inside the caller's transaction: bid deadlines are decided by
/// it, so no application server's clock can let a late edit through.
pub async fn database_now(db: &impl ConnectionTrait) -> Result<DateTime<Utc>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        }
        _ => "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
    };
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .ok_or_else(|| DbErr::Custom("the database returned no time".to_owned()))?;
    let text: String = row.try_get_by_index(0)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| DbErr::Custom(format!("database time {text:?}: {e}")))
}

fn apply_content(active: &mut bid::ActiveModel, content: &BidContent) {
    active.approach = Set(content.approach.clone());
    active.price_cny = Set(content.price_cny);
    active.duration_weeks = Set(content.duration_weeks);
    active.milestones = Set(json!(content.milestones));
    active.ip_ownership = Set(content.ip_ownership.as_str().to_owned());
    active.revenue_split = Set(json!(content.revenue_split));
    active.trl = Set(content.trl);
}

pub struct NewBid<'a> {
    pub order_id: Uuid,
    pub team_id: Uuid,
    pub organization_id: Uuid,
    pub submitted_by: Uuid,
    pub content: &'a BidContent,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewBid<'_>,
    now: DateTime<Utc>,
) -> Result<bid::Model, DbErr> {
    let mut active = bid::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(new.order_id),
        team_id: Set(new.team_id),
        organization_id: Set(new.organization_id),
        submitted_by: Set(new.submitted_by),
        status: Set(BidStatus::Submitted.as_str().to_owned()),
        decision_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply_content(&mut active, new.content);
    active.insert(db).await
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<bid::Model>, DbErr> {
    bid::Entity::find_by_id(id).one(db).await
}

pub async fn of_team_for_order(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    team_id: Uuid,
) -> Result<Option<bid::Model>, DbErr> {
    bid::Entity::find()
        .filter(bid::Column::OrderId.eq(order_id))
        .filter(bid::Column::TeamId.eq(team_id))
        .one(db)
        .await
}

pub async fn for_order(
    db: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Vec<bid::Model>, DbErr> {
    bid::Entity::find()
        .filter(bid::Column::OrderId.eq(order_id))
        .order_by_asc(bid::Column::Id)
        .all(db)
        .await
}

/// Replaces the content (and, for a withdrawn bid coming back, the status) if the bid is still
/// in `from`. `None` when another request moved it first.
pub async fn update_content(
    db: &impl ConnectionTrait,
    bid: &bid::Model,
    from: BidStatus,
    to: BidStatus,
    content: &BidContent,
    now: DateTime<Utc>,
) -> Result<Option<bid::Model>, DbErr> {
    let result = bid::Entity::update_many()
        .col_expr(bid::Column::Approach, Expr::value(content.approach.clone()))
        .col_expr(bid::Column::PriceCny, Expr::value(content.price_cny))
        .col_expr(
            bid::Column::DurationWeeks,
            Expr::value(content.duration_weeks),
        )
        .col_expr(
            bid::Column::Milestones,
            Expr::value(json!(content.milestones)),
        )
        .col_expr(
            bid::Column::IpOwnership,
            Expr::value(content.ip_ownership.as_str()),
        )
        .col_expr(
            bid::Column::RevenueSplit,
            Expr::value(json!(content.revenue_split)),
        )
        .col_expr(bid::Column::Trl, Expr::value(content.trl))
        .col_expr(bid::Column::Status, Expr::value(to.as_str()))
        .col_expr(bid::Column::UpdatedAt, Expr::value(now))
        .filter(bid::Column::Id.eq(bid.id))
        .filter(bid::Column::Status.eq(from.as_str()))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    find(db, bid.id).await
}

/// Moves one bid from `from` to `to` (with the decision's reason); `None` if it was no longer in
/// `from`.
pub async fn transition(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: BidStatus,
    to: BidStatus,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<bid::Model>, DbErr> {
    let mut update = bid::Entity::update_many()
        .col_expr(bid::Column::Status, Expr::value(to.as_str()))
        .col_expr(bid::Column::UpdatedAt, Expr::value(now));
    if let Some(reason) = reason {
        update = update.col_expr(bid::Column::DecisionReason, Expr::value(reason));
    }
    let result = update
        .filter(bid::Column::Id.eq(id))
        .filter(bid::Column::Status.eq(from.as_str()))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    find(db, id).await
}

/// The partners named on these bids.
pub async fn partners_of(
    db: &impl ConnectionTrait,
    bid_ids: &[Uuid],
) -> Result<Vec<bid_partner::Model>, DbErr> {
    if bid_ids.is_empty() {
        return Ok(Vec::new());
    }
    bid_partner::Entity::find()
        .filter(bid_partner::Column::BidId.is_in(bid_ids.to_vec()))
        .order_by_asc(bid_partner::Column::CreatedAt)
        .order_by_asc(bid_partner::Column::Id)
        .all(db)
        .await
}

pub async fn find_partner(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<bid_partner::Model>, DbErr> {
    bid_partner::Entity::find_by_id(id).one(db).await
}

/// Names a partner on a bid; it starts as invited.
pub async fn add_partner(
    db: &impl ConnectionTrait,
    bid_id: Uuid,
    organization_id: Uuid,
    team_id: Option<Uuid>,
    role: &str,
    now: DateTime<Utc>,
) -> Result<bid_partner::Model, DbErr> {
    bid_partner::ActiveModel {
        id: Set(Uuid::now_v7()),
        bid_id: Set(bid_id),
        organization_id: Set(organization_id),
        team_id: Set(team_id),
        role: Set(role.to_owned()),
        status: Set(PartnerStatus::Invited.as_str().to_owned()),
        responded_by: Set(None),
        responded_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn remove_partners(db: &impl ConnectionTrait, bid_id: Uuid) -> Result<(), DbErr> {
    bid_partner::Entity::delete_many()
        .filter(bid_partner::Column::BidId.eq(bid_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a partner's answer if it has not answered yet; `None` otherwise.
pub async fn answer_partner(
    db: &impl ConnectionTrait,
    id: Uuid,
    answer: PartnerStatus,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<bid_partner::Model>, DbErr> {
    let result = bid_partner::Entity::update_many()
        .col_expr(bid_partner::Column::Status, Expr::value(answer.as_str()))
        .col_expr(bid_partner::Column::RespondedBy, Expr::value(by))
        .col_expr(bid_partner::Column::RespondedAt, Expr::value(now))
        .filter(bid_partner::Column::Id.eq(id))
        .filter(bid_partner::Column::Status.eq(PartnerStatus::Invited.as_str()))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    find_partner(db, id).await
}

/// Partner invitations addressed to any of these organisations or teams.
pub async fn invitations_for(
    db: &impl ConnectionTrait,
    organization_ids: &[Uuid],
    team_ids: &[Uuid],
) -> Result<Vec<bid_partner::Model>, DbErr> {
    use sea_orm::sea_query::Condition;
    let mut addressed = Condition::any();
    if !organization_ids.is_empty() {
        addressed = addressed.add(
            Condition::all()
                .add(bid_partner::Column::OrganizationId.is_in(organization_ids.to_vec()))
                .add(bid_partner::Column::TeamId.is_null()),
        );
    }
    if !team_ids.is_empty() {
        addressed = addressed.add(bid_partner::Column::TeamId.is_in(team_ids.to_vec()));
    }
    if organization_ids.is_empty() && team_ids.is_empty() {
        return Ok(Vec::new());
    }
    bid_partner::Entity::find()
        .filter(addressed)
        .order_by_desc(bid_partner::Column::Id)
        .all(db)
        .await
}

/// The bids of `teams`, newest first.
pub async fn of_teams(db: &impl ConnectionTrait, teams: &[Uuid]) -> Result<Vec<bid::Model>, DbErr> {
    if teams.is_empty() {
        return Ok(Vec::new());
    }
    bid::Entity::find()
        .filter(bid::Column::TeamId.is_in(teams.to_vec()))
        .order_by_desc(bid::Column::UpdatedAt)
        .all(db)
        .await
}
