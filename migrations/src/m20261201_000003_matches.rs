//! Matches: teams proposed for orders by the matcher, with score, rank and reasons; dismissals
//! keep their reason for learning later.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Matches {
    Table,
    Id,
    OrderId,
    TeamId,
    Score,
    Rank,
    Reasons,
    Status,
    DismissReason,
    DismissedBy,
    DismissedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Matches::Table)
                    .col(uuid(Matches::Id).primary_key())
                    .col(uuid(Matches::OrderId))
                    .col(uuid(Matches::TeamId))
                    .col(double(Matches::Score))
                    .col(integer(Matches::Rank))
                    .col(json(Matches::Reasons))
                    .col(string_len(Matches::Status, 20).default("proposed"))
                    .col(text_null(Matches::DismissReason))
                    .col(uuid_null(Matches::DismissedBy))
                    .col(timestamp_with_time_zone_null(Matches::DismissedAt))
                    .col(timestamp_with_time_zone(Matches::CreatedAt))
                    .col(timestamp_with_time_zone(Matches::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_matches_order")
                            .from(Matches::Table, Matches::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_matches_team")
                            .from(Matches::Table, Matches::TeamId)
                            .to(Teams::Table, Teams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_matches_dismissed_by")
                            .from(Matches::Table, Matches::DismissedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_matches_order_team")
                    .table(Matches::Table)
                    .col(Matches::OrderId)
                    .col(Matches::TeamId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_matches_team")
                    .table(Matches::Table)
                    .col(Matches::TeamId)
                    .col(Matches::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Matches::Table).to_owned())
            .await
    }
}
