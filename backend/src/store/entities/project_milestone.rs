use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "project_milestones")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub position: i32,
    pub title: String,
    pub due_week: i32,
    pub amount_cny: i64,
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub delivery_note: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub review_comment: Option<String>,
    pub delivered_at: Option<DateTimeUtc>,
    pub accepted_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
