use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "bids")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub team_id: Uuid,
    pub organization_id: Uuid,
    pub submitted_by: Uuid,
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub approach: String,
    pub price_cny: i64,
    pub duration_weeks: i32,
    pub milestones: Json,
    pub ip_ownership: String,
    pub revenue_split: Json,
    pub trl: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub decision_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
