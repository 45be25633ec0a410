//! Orders (需求单).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::entities::order;
use super::page::{Page, PageRequest};
use crate::domain::order::{OrderCategory, OrderContent, OrderStatus};
use crate::domain::policy::OrderListScope;

fn apply_content(active: &mut order::ActiveModel, content: &OrderContent) {
    active.title = Set(content.title.clone());
    active.clinical_description = Set(content.clinical_description.clone());
    active.engineering_brief = Set(content.engineering_brief.clone());
    active.category = Set(content.category.as_str().to_owned());
    active.department = Set(content.department.clone());
    active.city = Set(content.city.clone());
    active.budget_min_cny = Set(content.budget_min_cny);
    active.budget_max_cny = Set(content.budget_max_cny);
    active.bid_deadline = Set(content.bid_deadline);
    active.expected_duration_months = Set(content.expected_duration_months);
    active.regulatory_class = Set(content.regulatory_class.as_str().to_owned());
    active.ip_preference = Set(content.ip_preference.as_str().to_owned());
    active.revenue_split = Set(json!(content.revenue_split));
    active.confidential_details = Set(content.confidential_details.clone());
}

pub async fn insert(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    author_id: Uuid,
    content: &OrderContent,
    now: DateTime<Utc>,
) -> Result<order::Model, DbErr> {
    let mut active = order::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization_id),
        author_id: Set(author_id),
        status: Set(OrderStatus::Draft.as_str().to_owned()),
        review_comment: Set(None),
        published_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply_content(&mut active, content);
    active.insert(db).await
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<order::Model>, DbErr> {
    order::Entity::find_by_id(id).one(db).await
}

pub async fn update_content(
    db: &impl ConnectionTrait,
    order: order::Model,
    content: &OrderContent,
    now: DateTime<Utc>,
) -> Result<order::Model, DbErr> {
    let mut active: order::ActiveModel = order.into();
    apply_content(&mut active, content);
    active.updated_at = Set(now);
    active.update(db).await
}

/// Moves the order from `from` to `to`, keeping the review comment that came with it. Returns
/// `None` when the order was no longer in `from` (another request moved it first).
pub async fn transition_status(
    db: &impl ConnectionTrait,
    order: &order::Model,
    from: OrderStatus,
    to: OrderStatus,
    review_comment: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<order::Model>, DbErr> {
    let mut update = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(to.as_str()))
        .col_expr(order::Column::UpdatedAt, Expr::value(now));
    if let Some(comment) = review_comment {
        update = update.col_expr(order::Column::ReviewComment, Expr::value(comment));
    }
    if to == OrderStatus::Published && order.published_at.is_none() {
        update = update.col_expr(order::Column::PublishedAt, Expr::value(now));
    }
    let result = update
        .filter(order::Column::Id.eq(order.id))
        .filter(order::Column::Status.eq(from.as_str()))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    find(db, order.id).await
}

/// Filters for order lists.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub organization_id: Option<Uuid>,
    pub category: Option<OrderCategory>,
    pub city: Option<String>,
    pub department: Option<String>,
}

/// The orders `scope` may see that match `filter`, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &OrderListScope,
    filter: &OrderFilter,
    page: PageRequest,
) -> Result<Page<order::Model>, DbErr> {
    let mut query = order::Entity::find();
    if !scope.everything {
        let public: Vec<&str> = OrderStatus::ALL
            .iter()
            .filter(|s| s.is_public())
            .map(|s| s.as_str())
            .collect();
        let mut visible = Condition::any().add(order::Column::Status.is_in(public));
        if !scope.member_of.is_empty() {
            visible = visible.add(
                Condition::all()
                    .add(order::Column::OrganizationId.is_in(scope.member_of.clone()))
                    .add(order::Column::Status.ne(OrderStatus::Draft.as_str())),
            );
        }
        if !scope.reviewer_of.is_empty() {
            visible = visible.add(order::Column::OrganizationId.is_in(scope.reviewer_of.clone()));
        }
        if let Some(author) = scope.author_id {
            visible = visible.add(order::Column::AuthorId.eq(author));
        }
        query = query.filter(visible);
    }
    if let Some(status) = filter.status {
        query = query.filter(order::Column::Status.eq(status.as_str()));
    }
    if let Some(org) = filter.organization_id {
        query = query.filter(order::Column::OrganizationId.eq(org));
    }
    if let Some(category) = filter.category {
        query = query.filter(order::Column::Category.eq(category.as_str()));
    }
    if let Some(city) = &filter.city {
        query = query.filter(order::Column::City.eq(city.as_str()));
    }
    if let Some(department) = &filter.department {
        query = query.filter(order::Column::Department.eq(department.as_str()));
    }
    if let Some(after) = page.after {
        query = query.filter(order::Column::Id.lt(after));
    }
    let rows = query
        .order_by_desc(order::Column::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    Ok(Page::from_overfetch(rows, page.limit, |o| o.id))
}

/// Ids of every published order (open for proposals and bids).
pub async fn published_ids(db: &impl ConnectionTrait) -> Result<Vec<Uuid>, DbErr> {
    order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .filter(order::Column::Status.eq(OrderStatus::Published.as_str()))
        .order_by_asc(order::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// Orders by id.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<order::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    order::Entity::find()
        .filter(order::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await
}

/// Orders waiting for review in `organizations`, oldest first.
pub async fn in_review_of(
    db: &impl ConnectionTrait,
    organizations: &[Uuid],
) -> Result<Vec<order::Model>, DbErr> {
    if organizations.is_empty() {
        return Ok(Vec::new());
    }
    order::Entity::find()
        .filter(order::Column::OrganizationId.is_in(organizations.to_vec()))
        .filter(order::Column::Status.eq(OrderStatus::InReview.as_str()))
        .order_by_asc(order::Column::UpdatedAt)
        .all(db)
        .await
}
