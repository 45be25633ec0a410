//! Idempotency keys: claimed before the work, completed with the response after it, released if
//! the work failed so the client may try again.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, SqlErr,
};
use uuid::Uuid;

use super::entities::idempotency_key;

/// What a key says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First use: go ahead, then complete or release.
    Fresh,
    /// Done before: answer with the stored response.
    Replay { status: u16, body: String },
    /// Another request with this key is still running.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

pub async fn claim(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Claim, DbErr> {
    let inserted = idempotency_key::ActiveModel {
        user_id: Set(user_id),
        idempotency_key: Set(key.to_owned()),
        request_fingerprint: Set(fingerprint.to_owned()),
        response_status: Set(None),
        response_body: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => Ok(Claim::Fresh),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            let Some(existing) = idempotency_key::Entity::find_by_id((user_id, key.to_owned()))
                .one(db)
                .await?
            else {
                // Released between our insert and this read: the client may simply retry.
                return Ok(Claim::InProgress);
            };
            Ok(
                match (
                    existing.request_fingerprint == fingerprint,
                    existing.response_status,
                    existing.response_body,
                ) {
                    (false, _, _) => Claim::Mismatch,
                    (true, Some(status), Some(body)) => Claim::Replay {
                        status: u16::try_from(status).unwrap_or(200),
                        body,
                    },
                    (true, _, _) => Claim::InProgress,
                },
            )
        }
        Err(err) => Err(err),
    }
}

pub async fn complete(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), DbErr> {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::ResponseStatus,
            Expr::value(i32::from(status)),
        )
        .col_expr(idempotency_key::Column::ResponseBody, Expr::value(body))
        .filter(idempotency_key::Column::UserId.eq(user_id))
        .filter(idempotency_key::Column::IdempotencyKey.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn release(db: &impl ConnectionTrait, user_id: Uuid, key: &str) -> Result<(), DbErr> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::UserId.eq(user_id))
        .filter(idempotency_key::Column::IdempotencyKey.eq(key))
        .exec(db)
        .await?;
    Ok(())
}
