//! Organisations and memberships.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use uuid::Uuid;

use super::entities::{membership, organization, user};
use crate::domain::organization::{MemberRole, NewOrganization, OrgKind};
use crate::domain::policy::ActorMembership;

pub async fn insert(
    db: &impl ConnectionTrait,
    new: &NewOrganization,
    now: DateTime<Utc>,
) -> Result<organization::Model, DbErr> {
    organization::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(new.kind.as_str().to_owned()),
        name: Set(new.name.clone()),
        city: Set(new.city.clone()),
        verified: Set(false),
        review_required: Set(new.review_required),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<organization::Model>, DbErr> {
    organization::Entity::find_by_id(id).one(db).await
}

pub async fn list(
    db: &impl ConnectionTrait,
    kind: Option<OrgKind>,
) -> Result<Vec<organization::Model>, DbErr> {
    let mut query = organization::Entity::find().order_by_asc(organization::Column::Name);
    if let Some(kind) = kind {
        query = query.filter(organization::Column::Kind.eq(kind.as_str()));
    }
    query.all(db).await
}

pub async fn set_verified(
    db: &impl ConnectionTrait,
    org: organization::Model,
    now: DateTime<Utc>,
) -> Result<organization::Model, DbErr> {
    let mut active: organization::ActiveModel = org.into();
    active.verified = Set(true);
    active.updated_at = Set(now);
    active.update(db).await
}

pub async fn add_member(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    user_id: Uuid,
    role: MemberRole,
    now: DateTime<Utc>,
) -> Result<membership::Model, DbErr> {
    membership::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        organization_id: Set(organization_id),
        role: Set(role.as_str().to_owned()),
        created_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn members(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<Vec<(membership::Model, user::Model)>, DbErr> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .order_by_asc(membership::Column::CreatedAt)
        .all(db)
        .await?;
    let user_ids: Vec<Uuid> = memberships.iter().map(|m| m.user_id).collect();
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?;
    Ok(memberships
        .into_iter()
        .filter_map(|m| {
            let user = users.iter().find(|u| u.id == m.user_id)?.clone();
            Some((m, user))
        })
        .collect())
}

/// A user's memberships with each organisation's kind, as the policy wants them.
pub async fn memberships_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<(ActorMembership, organization::Model)>, DbErr> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .order_by_asc(membership::Column::CreatedAt)
        .all(db)
        .await?;
    let org_ids: Vec<Uuid> = memberships.iter().map(|m| m.organization_id).collect();
    let orgs = organization::Entity::find()
        .filter(organization::Column::Id.is_in(org_ids))
        .all(db)
        .await?;
    Ok(memberships
        .into_iter()
        .filter_map(|m| {
            let org = orgs.iter().find(|o| o.id == m.organization_id)?.clone();
            let actor_membership = ActorMembership {
                organization_id: org.id,
                kind: OrgKind::parse(&org.kind)?,
                role: MemberRole::parse(&m.role)?,
            };
            Some((actor_membership, org))
        })
        .collect())
}

/// Which of `ids` are verified organisations.
pub async fn verified_among(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Uuid>, DbErr> {
    use sea_orm::QuerySelect;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .filter(organization::Column::Id.is_in(ids.to_vec()))
        .filter(organization::Column::Verified.eq(true))
        .into_tuple()
        .all(db)
        .await
}

/// Organisations by id.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<organization::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await
}
