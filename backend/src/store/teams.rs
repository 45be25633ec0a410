//! Team capability profiles and their members.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::entities::{team, team_member};
use super::page::{Page, PageRequest};
use crate::domain::team::{TeamLanguage, TeamProfile};

fn apply_profile(active: &mut team::ActiveModel, profile: &TeamProfile) {
    active.name = Set(profile.name.clone());
    active.summary = Set(profile.summary.clone());
    active.capabilities = Set(profile.capabilities.clone());
    active.keywords = Set(json!(profile.keywords));
    active.equipment = Set(json!(profile.equipment));
    active.disciplines = Set(json!(profile.disciplines));
    active.city = Set(profile.city.clone());
    active.language = Set(profile.language.as_str().to_owned());
    active.capacity = Set(profile.capacity);
    active.accepting_work = Set(profile.accepting_work);
}

pub async fn insert(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    profile: &TeamProfile,
    now: DateTime<Utc>,
) -> Result<team::Model, DbErr> {
    let mut active = team::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply_profile(&mut active, profile);
    active.insert(db).await
}

/// Replaces the profile and bumps its version (the index uses it to find stale documents).
pub async fn update(
    db: &impl ConnectionTrait,
    team: team::Model,
    profile: &TeamProfile,
    now: DateTime<Utc>,
) -> Result<team::Model, DbErr> {
    let version = team.version + 1;
    let mut active: team::ActiveModel = team.into();
    apply_profile(&mut active, profile);
    active.version = Set(version);
    active.updated_at = Set(now);
    active.update(db).await
}

pub async fn add_member(
    db: &impl ConnectionTrait,
    team_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    team_member::ActiveModel {
        team_id: Set(team_id),
        user_id: Set(user_id),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<team::Model>, DbErr> {
    team::Entity::find_by_id(id).one(db).await
}

/// Member user ids of each of `team_ids`, in the order they joined.
pub async fn member_ids(
    db: &impl ConnectionTrait,
    team_ids: &[Uuid],
) -> Result<Vec<(Uuid, Uuid)>, DbErr> {
    let rows = team_member::Entity::find()
        .filter(team_member::Column::TeamId.is_in(team_ids.to_vec()))
        .order_by_asc(team_member::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.team_id, row.user_id))
        .collect())
}

/// Filters for browsing teams.
#[derive(Debug, Clone, Default)]
pub struct TeamFilter {
    pub organization_id: Option<Uuid>,
    pub city: Option<String>,
    pub language: Option<TeamLanguage>,
    pub accepting_work: Option<bool>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    filter: &TeamFilter,
    page: PageRequest,
) -> Result<Page<team::Model>, DbErr> {
    let mut query = team::Entity::find();
    if let Some(org) = filter.organization_id {
        query = query.filter(team::Column::OrganizationId.eq(org));
    }
    if let Some(city) = &filter.city {
        query = query.filter(team::Column::City.eq(city.as_str()));
    }
    if let Some(language) = filter.language {
        query = query.filter(team::Column::Language.eq(language.as_str()));
    }
    if let Some(accepting) = filter.accepting_work {
        query = query.filter(team::Column::AcceptingWork.eq(accepting));
    }
    if let Some(after) = page.after {
        query = query.filter(team::Column::Id.lt(after));
    }
    let rows = query
        .order_by_desc(team::Column::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    Ok(Page::from_overfetch(rows, page.limit, |t| t.id))
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    team::Entity::find().count(db).await
}

/// Every team's id and profile version, for reconciling the search index.
pub async fn versions(db: &impl ConnectionTrait) -> Result<Vec<(Uuid, i64)>, DbErr> {
    team::Entity::find()
        .select_only()
        .column(team::Column::Id)
        .column(team::Column::Version)
        .into_tuple()
        .all(db)
        .await
}

/// Up to `limit` teams with ids above `after`, in id order (for walking the whole table).
pub async fn batch_after(
    db: &impl ConnectionTrait,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<team::Model>, DbErr> {
    let mut query = team::Entity::find();
    if let Some(after) = after {
        query = query.filter(team::Column::Id.gt(after));
    }
    query
        .order_by_asc(team::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Teams by id.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<team::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    team::Entity::find()
        .filter(team::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await
}

/// Teams `user_id` speaks for: those they belong to, and every team of the organisations they
/// lead or administer (`organizations`).
pub async fn spoken_for(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    organizations: &[Uuid],
) -> Result<Vec<team::Model>, DbErr> {
    use sea_orm::Condition;
    use sea_orm::sea_query::Query;
    team::Entity::find()
        .filter(
            Condition::any()
                .add(team::Column::OrganizationId.is_in(organizations.to_vec()))
                .add(
                    team::Column::Id.in_subquery(
                        Query::select()
                            .column(team_member::Column::TeamId)
                            .from(team_member::Entity)
                            .and_where(team_member::Column::UserId.eq(user_id))
                            .to_owned(),
                    ),
                ),
        )
        .order_by_asc(team::Column::Name)
        .all(db)
        .await
}
