use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub author_id: Uuid,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub clinical_description: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub engineering_brief: Option<String>,
    pub category: String,
    pub department: String,
    pub city: String,
    pub budget_min_cny: i64,
    pub budget_max_cny: i64,
    pub bid_deadline: DateTimeUtc,
    pub expected_duration_months: i32,
    pub regulatory_class: String,
    pub ip_preference: String,
    pub revenue_split: Json,
    #[sea_orm(column_type = "Text", nullable)]
    pub confidential_details: Option<String>,
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub review_comment: Option<String>,
    pub published_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
