use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "matches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub team_id: Uuid,
    pub score: f64,
    pub rank: i32,
    pub reasons: Json,
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub dismiss_reason: Option<String>,
    pub dismissed_by: Option<Uuid>,
    pub dismissed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
