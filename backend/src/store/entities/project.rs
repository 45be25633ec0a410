use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub bid_id: Uuid,
    pub team_id: Uuid,
    pub ordering_organization_id: Uuid,
    pub team_organization_id: Uuid,
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub end_reason: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub lessons_learned: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
