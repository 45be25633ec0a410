//! Webhook endpoints, the delivery outbox (one row per event and endpoint) and the attempt log.
//! Events are published inside the transaction that made them happen, so an event is delivered
//! if and only if its cause was committed.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::entities::{webhook_attempt, webhook_delivery, webhook_endpoint};
use super::lease::{self, Outbox, PENDING};
use super::string_list;
use crate::domain::webhook::WebhookEvent;

pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

/// An endpoint about to be registered.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub organization_id: Uuid,
    pub team_id: Option<Uuid>,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub secret: String,
    pub description: String,
    pub created_by: Uuid,
}

pub async fn insert_endpoint(
    db: &impl ConnectionTrait,
    new: NewEndpoint,
    now: DateTime<Utc>,
) -> Result<webhook_endpoint::Model, DbErr> {
    let events: Vec<&str> = new.events.iter().map(|e| e.as_str()).collect();
    webhook_endpoint::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(new.organization_id),
        team_id: Set(new.team_id),
        url: Set(new.url),
        events: Set(json!(events)),
        secret: Set(new.secret),
        description: Set(new.description),
        active: Set(true),
        created_by: Set(new.created_by),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn find_endpoint(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<webhook_endpoint::Model>, DbErr> {
    webhook_endpoint::Entity::find_by_id(id).one(db).await
}

/// A team's endpoints (`team_id` set), or an organisation's own (`team_id` none).
pub async fn endpoints_of(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    team_id: Option<Uuid>,
) -> Result<Vec<webhook_endpoint::Model>, DbErr> {
    let owner = match team_id {
        Some(team) => webhook_endpoint::Column::TeamId.eq(team),
        None => webhook_endpoint::Column::TeamId.is_null(),
    };
    webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OrganizationId.eq(organization_id))
        .filter(owner)
        .order_by_asc(webhook_endpoint::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn delete_endpoint(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(webhook_endpoint::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

pub async fn endpoints_by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<webhook_endpoint::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await
}

/// Who hears of an event: endpoints of these teams, and organisation-wide endpoints of these
/// organisations.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    pub teams: Vec<Uuid>,
    pub organizations: Vec<Uuid>,
}

/// Queues `data` as event `kind` for every active endpoint of `audience` subscribed to it;
/// returns the event id.
pub async fn publish(
    db: &impl ConnectionTrait,
    kind: WebhookEvent,
    data: serde_json::Value,
    audience: &Audience,
    now: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    let event_id = Uuid::now_v7();
    if audience.teams.is_empty() && audience.organizations.is_empty() {
        return Ok(event_id);
    }
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Active.eq(true))
        .filter(
            Condition::any()
                .add(webhook_endpoint::Column::TeamId.is_in(audience.teams.clone()))
                .add(
                    Condition::all()
                        .add(webhook_endpoint::Column::TeamId.is_null())
                        .add(
                            webhook_endpoint::Column::OrganizationId
                                .is_in(audience.organizations.clone()),
                        ),
                ),
        )
        .all(db)
        .await?;
    let subscribed: Vec<&webhook_endpoint::Model> = endpoints
        .iter()
        .filter(|e| {
            string_list(&e.events)
                .iter()
                .any(|name| name == kind.as_str())
        })
        .collect();
    if subscribed.is_empty() {
        return Ok(event_id);
    }
    let payload = json!({
        "id": event_id,
        "type": kind.as_str(),
        "created_at": now,
        "data": data,
    })
    .to_string();
    let rows = subscribed
        .iter()
        .map(|endpoint| webhook_delivery::ActiveModel {
            id: Set(Uuid::now_v7()),
            endpoint_id: Set(endpoint.id),
            event_id: Set(event_id),
            event_type: Set(kind.as_str().to_owned()),
            payload: Set(payload.clone()),
            status: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            lease_owner: Set(None),
            lease_until: Set(None),
            last_status_code: Set(None),
            last_error: Set(None),
            delivered_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        });
    webhook_delivery::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(event_id)
}

pub async fn claim(
    db: &impl ConnectionTrait,
    owner: Uuid,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<webhook_delivery::Model>, DbErr> {
    let statement = lease::claim_statement(db, Outbox::Webhooks, owner, now, lease_until, limit);
    webhook_delivery::Entity::find()
        .from_raw_sql(statement)
        .all(db)
        .await
}

/// One attempt's result.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub status: &'static str,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// Logs an attempt and records its outcome on the delivery, if `owner` still holds it.
pub async fn settle(
    db: &impl ConnectionTrait,
    delivery_id: Uuid,
    owner: Uuid,
    outcome: &AttemptOutcome,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let status_code = outcome.status_code.map(i32::from);
    webhook_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        delivery_id: Set(delivery_id),
        attempted_at: Set(now),
        status_code: Set(status_code),
        error: Set(outcome.error.clone()),
        duration_ms: Set(i32::try_from(outcome.duration_ms).unwrap_or(i32::MAX)),
    }
    .insert(db)
    .await?;
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Status,
            Expr::value(outcome.status),
        )
        .col_expr(
            webhook_delivery::Column::LeaseOwner,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(
            webhook_delivery::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            webhook_delivery::Column::LastStatusCode,
            Expr::value(status_code),
        )
        .col_expr(
            webhook_delivery::Column::LastError,
            Expr::value(outcome.error.clone()),
        )
        .col_expr(webhook_delivery::Column::UpdatedAt, Expr::value(now));
    if outcome.status == DELIVERED {
        update = update.col_expr(webhook_delivery::Column::DeliveredAt, Expr::value(now));
    }
    if let Some(next) = outcome.next_attempt_at {
        update = update.col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(next));
    }
    let result = update
        .filter(webhook_delivery::Column::Id.eq(delivery_id))
        .filter(webhook_delivery::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// An endpoint's newest deliveries, each with its attempts (oldest first).
pub async fn deliveries_of(
    db: &impl ConnectionTrait,
    endpoint_id: Uuid,
    limit: u64,
) -> Result<Vec<(webhook_delivery::Model, Vec<webhook_attempt::Model>)>, DbErr> {
    let deliveries = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
        .order_by_desc(webhook_delivery::Column::CreatedAt)
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = deliveries.iter().map(|d| d.id).collect();
    let attempts = if ids.is_empty() {
        Vec::new()
    } else {
        webhook_attempt::Entity::find()
            .filter(webhook_attempt::Column::DeliveryId.is_in(ids))
            .order_by_asc(webhook_attempt::Column::AttemptedAt)
            .order_by_asc(webhook_attempt::Column::Id)
            .all(db)
            .await?
    };
    Ok(deliveries
        .into_iter()
        .map(|delivery| {
            let mine = attempts
                .iter()
                .filter(|a| a.delivery_id == delivery.id)
                .cloned()
                .collect();
            (delivery, mine)
        })
        .collect())
}
