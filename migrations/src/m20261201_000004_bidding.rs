//! Bidding and awards: sealed bids with milestones, IP and revenue terms, consortium partners,
//! projects run by milestones with ratings, in-app notifications for teams, and the audit log's
//! per-organisation hash chains.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Bids {
    Table,
    Id,
    OrderId,
    TeamId,
    OrganizationId,
    SubmittedBy,
    Status,
    Approach,
    PriceCny,
    DurationWeeks,
    Milestones,
    IpOwnership,
    RevenueSplit,
    Trl,
    DecisionReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum BidPartners {
    Table,
    Id,
    BidId,
    OrganizationId,
    TeamId,
    Role,
    Status,
    RespondedBy,
    RespondedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
    OrderId,
    BidId,
    TeamId,
    OrderingOrganizationId,
    TeamOrganizationId,
    Status,
    EndReason,
    LessonsLearned,
    CreatedAt,
    UpdatedAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum ProjectMilestones {
    Table,
    Id,
    ProjectId,
    Position,
    Title,
    DueWeek,
    AmountCny,
    Status,
    DeliveryNote,
    ReviewComment,
    DeliveredAt,
    AcceptedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProjectRatings {
    Table,
    Id,
    ProjectId,
    Side,
    RatedBy,
    Score,
    Comment,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    TeamId,
    Kind,
    OrderId,
    BidId,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditChains {
    Table,
    ChainKey,
    LastSeq,
    LastHash,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    ChainKey,
    Seq,
    PrevHash,
    Hash,
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
enum Organizations {
    Table,
    Id,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Bids::Table)
                    .col(uuid(Bids::Id).primary_key())
                    .col(uuid(Bids::OrderId))
                    .col(uuid(Bids::TeamId))
                    .col(uuid(Bids::OrganizationId))
                    .col(uuid(Bids::SubmittedBy))
                    .col(string_len(Bids::Status, 20))
                    .col(text(Bids::Approach))
                    .col(big_integer(Bids::PriceCny))
                    .col(integer(Bids::DurationWeeks))
                    .col(json(Bids::Milestones))
                    .col(string_len(Bids::IpOwnership, 32))
                    .col(json(Bids::RevenueSplit))
                    .col(integer(Bids::Trl))
                    .col(text_null(Bids::DecisionReason))
                    .col(timestamp_with_time_zone(Bids::CreatedAt))
                    .col(timestamp_with_time_zone(Bids::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_bids_order",
                        (Bids::Table, Bids::OrderId),
                        (Orders::Table, Orders::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_bids_team",
                        (Bids::Table, Bids::TeamId),
                        (Teams::Table, Teams::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // One bid per team per order: a second submission is a conflict, not a second row.
        manager
            .create_index(
                Index::create()
                    .name("ux_bids_order_team")
                    .table(Bids::Table)
                    .col(Bids::OrderId)
                    .col(Bids::TeamId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // At most one awarded bid per order, whatever the application does.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_bids_one_award ON bids (order_id) WHERE status = 'awarded'",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BidPartners::Table)
                    .col(uuid(BidPartners::Id).primary_key())
                    .col(uuid(BidPartners::BidId))
                    .col(uuid(BidPartners::OrganizationId))
                    .col(uuid_null(BidPartners::TeamId))
                    .col(string_len(BidPartners::Role, 200))
                    .col(string_len(BidPartners::Status, 20))
                    .col(uuid_null(BidPartners::RespondedBy))
                    .col(timestamp_with_time_zone_null(BidPartners::RespondedAt))
                    .col(timestamp_with_time_zone(BidPartners::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_bid_partners_bid",
                        (BidPartners::Table, BidPartners::BidId),
                        (Bids::Table, Bids::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_bid_partners_org",
                        (BidPartners::Table, BidPartners::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_bid_partners_bid")
                    .table(BidPartners::Table)
                    .col(BidPartners::BidId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Projects::Table)
                    .col(uuid(Projects::Id).primary_key())
                    .col(uuid(Projects::OrderId).unique_key())
                    .col(uuid(Projects::BidId).unique_key())
                    .col(uuid(Projects::TeamId))
                    .col(uuid(Projects::OrderingOrganizationId))
                    .col(uuid(Projects::TeamOrganizationId))
                    .col(string_len(Projects::Status, 20))
                    .col(text_null(Projects::EndReason))
                    .col(text_null(Projects::LessonsLearned))
                    .col(timestamp_with_time_zone(Projects::CreatedAt))
                    .col(timestamp_with_time_zone(Projects::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Projects::EndedAt))
                    .foreign_key(&mut fk(
                        "fk_projects_order",
                        (Projects::Table, Projects::OrderId),
                        (Orders::Table, Orders::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_projects_bid",
                        (Projects::Table, Projects::BidId),
                        (Bids::Table, Bids::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProjectMilestones::Table)
                    .col(uuid(ProjectMilestones::Id).primary_key())
                    .col(uuid(ProjectMilestones::ProjectId))
                    .col(integer(ProjectMilestones::Position))
                    .col(string_len(ProjectMilestones::Title, 200))
                    .col(integer(ProjectMilestones::DueWeek))
                    .col(big_integer(ProjectMilestones::AmountCny))
                    .col(string_len(ProjectMilestones::Status, 20))
                    .col(text_null(ProjectMilestones::DeliveryNote))
                    .col(text_null(ProjectMilestones::ReviewComment))
                    .col(timestamp_with_time_zone_null(
                        ProjectMilestones::DeliveredAt,
                    ))
                    .col(timestamp_with_time_zone_null(ProjectMilestones::AcceptedAt))
                    .col(timestamp_with_time_zone(ProjectMilestones::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_project_milestones_project",
                        (ProjectMilestones::Table, ProjectMilestones::ProjectId),
                        (Projects::Table, Projects::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_project_milestones_position")
                    .table(ProjectMilestones::Table)
                    .col(ProjectMilestones::ProjectId)
                    .col(ProjectMilestones::Position)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProjectRatings::Table)
                    .col(uuid(ProjectRatings::Id).primary_key())
                    .col(uuid(ProjectRatings::ProjectId))
                    .col(string_len(ProjectRatings::Side, 20))
                    .col(uuid(ProjectRatings::RatedBy))
                    .col(integer(ProjectRatings::Score))
                    .col(text(ProjectRatings::Comment))
                    .col(timestamp_with_time_zone(ProjectRatings::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_project_ratings_project",
                        (ProjectRatings::Table, ProjectRatings::ProjectId),
                        (Projects::Table, Projects::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // Each side rates the other once.
        manager
            .create_index(
                Index::create()
                    .name("ux_project_ratings_side")
                    .table(ProjectRatings::Table)
                    .col(ProjectRatings::ProjectId)
                    .col(ProjectRatings::Side)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(uuid(Notifications::Id).primary_key())
                    .col(uuid(Notifications::TeamId))
                    .col(string_len(Notifications::Kind, 40))
                    .col(uuid(Notifications::OrderId))
                    .col(uuid_null(Notifications::BidId))
                    .col(text_null(Notifications::Detail))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_notifications_team",
                        (Notifications::Table, Notifications::TeamId),
                        (Teams::Table, Teams::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_team")
                    .table(Notifications::Table)
                    .col(Notifications::TeamId)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await?;

        // The audit log's hash chains: one per organisation (and one for the platform). The head
        // row is what concurrent writers serialise on, and it remembers the last link, so that
        // deleting the newest events is detected too.
        manager
            .create_table(
                Table::create()
                    .table(AuditChains::Table)
                    .col(string_len(AuditChains::ChainKey, 64).primary_key())
                    .col(big_integer(AuditChains::LastSeq))
                    .col(string_len(AuditChains::LastHash, 64))
                    .to_owned(),
            )
            .await?;
        for column in [
            ColumnDef::new(AuditEvents::ChainKey)
                .string_len(64)
                .null()
                .to_owned(),
            ColumnDef::new(AuditEvents::Seq)
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new(AuditEvents::PrevHash)
                .string_len(64)
                .null()
                .to_owned(),
            ColumnDef::new(AuditEvents::Hash)
                .string_len(64)
                .null()
                .to_owned(),
        ] {
            // One column per statement: SQLite adds columns one at a time.
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ux_audit_events_chain_seq")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::ChainKey)
                    .col(AuditEvents::Seq)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ux_audit_events_chain_seq")
                    .table(AuditEvents::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            AuditEvents::Hash,
            AuditEvents::PrevHash,
            AuditEvents::Seq,
            AuditEvents::ChainKey,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            AuditChains::Table.into_iden(),
            Notifications::Table.into_iden(),
            ProjectRatings::Table.into_iden(),
            ProjectMilestones::Table.into_iden(),
            Projects::Table.into_iden(),
            BidPartners::Table.into_iden(),
            Bids::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
