//! Accounts.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

use super::entities::user;
use crate::domain::user::Email;

pub async fn insert(
    db: &impl ConnectionTrait,
    email: &Email,
    display_name: &str,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<user::Model, DbErr> {
    user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.as_str().to_owned()),
        display_name: Set(display_name.to_owned()),
        password_hash: Set(password_hash),
        is_platform_admin: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id).one(db).await
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await
}

pub async fn set_password_hash(
    db: &impl ConnectionTrait,
    user: user::Model,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<user::Model, DbErr> {
    let mut active: user::ActiveModel = user.into();
    active.password_hash = Set(password_hash);
    active.updated_at = Set(now);
    active.update(db).await
}

pub async fn make_platform_admin(
    db: &impl ConnectionTrait,
    user: user::Model,
    now: DateTime<Utc>,
) -> Result<user::Model, DbErr> {
    let mut active: user::ActiveModel = user.into();
    active.is_platform_admin = Set(true);
    active.updated_at = Set(now);
    active.update(db).await
}
