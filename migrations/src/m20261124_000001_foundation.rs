//! The foundation: organisations, users and their sessions, memberships, teams, orders and the
//! append-only audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Kind,
    Name,
    City,
    Verified,
    ReviewRequired,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    PasswordHash,
    IsPlatformAdmin,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    UserId,
    OrganizationId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
    OrganizationId,
    Name,
    Summary,
    Capabilities,
    Keywords,
    Equipment,
    Disciplines,
    City,
    Language,
    Capacity,
    AcceptingWork,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TeamMembers {
    Table,
    TeamId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    OrganizationId,
    AuthorId,
    Title,
    ClinicalDescription,
    EngineeringBrief,
    Category,
    Department,
    City,
    BudgetMinCny,
    BudgetMaxCny,
    BidDeadline,
    ExpectedDurationMonths,
    RegulatoryClass,
    IpPreference,
    RevenueSplit,
    ConfidentialDetails,
    Status,
    ReviewComment,
    PublishedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    ActorId,
    Action,
    ObjectType,
    ObjectId,
    OccurredAt,
    Before,
    After,
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
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(pk_uuid(Organizations::Id))
                    .col(string_len(Organizations::Kind, 16))
                    .col(string_len_uniq(Organizations::Name, 200))
                    .col(string_len(Organizations::City, 64))
                    .col(boolean(Organizations::Verified).default(false))
                    .col(boolean(Organizations::ReviewRequired))
                    .col(timestamp_with_time_zone(Organizations::CreatedAt))
                    .col(timestamp_with_time_zone(Organizations::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    .col(string_len_uniq(Users::Email, 254))
                    .col(string_len(Users::DisplayName, 100))
                    .col(string_len(Users::PasswordHash, 200))
                    .col(boolean(Users::IsPlatformAdmin).default(false))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(pk_uuid(Memberships::Id))
                    .col(uuid(Memberships::UserId))
                    .col(uuid(Memberships::OrganizationId))
                    .col(string_len(Memberships::Role, 16))
                    .col(timestamp_with_time_zone(Memberships::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_memberships_user",
                        (Memberships::Table, Memberships::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_memberships_organization",
                        (Memberships::Table, Memberships::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_memberships_user_organization")
                    .table(Memberships::Table)
                    .col(Memberships::UserId)
                    .col(Memberships::OrganizationId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(pk_uuid(Sessions::Id))
                    .col(uuid(Sessions::UserId))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                    .col(string_len_null(Sessions::RevokedReason, 32))
                    .foreign_key(&mut fk(
                        "fk_sessions_user",
                        (Sessions::Table, Sessions::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(pk_uuid(RefreshTokens::Id))
                    .col(uuid(RefreshTokens::SessionId))
                    .col(string_len_uniq(RefreshTokens::TokenHash, 64))
                    .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                    .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                    .foreign_key(&mut fk(
                        "fk_refresh_tokens_session",
                        (RefreshTokens::Table, RefreshTokens::SessionId),
                        (Sessions::Table, Sessions::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Teams::Table)
                    .col(pk_uuid(Teams::Id))
                    .col(uuid(Teams::OrganizationId))
                    .col(string_len(Teams::Name, 200))
                    .col(string_len(Teams::Summary, 500))
                    .col(text(Teams::Capabilities))
                    .col(json(Teams::Keywords))
                    .col(json(Teams::Equipment))
                    .col(json(Teams::Disciplines))
                    .col(string_len(Teams::City, 64))
                    .col(string_len(Teams::Language, 8))
                    .col(integer(Teams::Capacity))
                    .col(boolean(Teams::AcceptingWork))
                    .col(big_integer(Teams::Version).default(1))
                    .col(timestamp_with_time_zone(Teams::CreatedAt))
                    .col(timestamp_with_time_zone(Teams::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_teams_organization",
                        (Teams::Table, Teams::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TeamMembers::Table)
                    .col(uuid(TeamMembers::TeamId))
                    .col(uuid(TeamMembers::UserId))
                    .col(timestamp_with_time_zone(TeamMembers::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(TeamMembers::TeamId)
                            .col(TeamMembers::UserId),
                    )
                    .foreign_key(&mut fk(
                        "fk_team_members_team",
                        (TeamMembers::Table, TeamMembers::TeamId),
                        (Teams::Table, Teams::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_team_members_user",
                        (TeamMembers::Table, TeamMembers::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(pk_uuid(Orders::Id))
                    .col(uuid(Orders::OrganizationId))
                    .col(uuid(Orders::AuthorId))
                    .col(string_len(Orders::Title, 200))
                    .col(text(Orders::ClinicalDescription))
                    .col(text_null(Orders::EngineeringBrief))
                    .col(string_len(Orders::Category, 32))
                    .col(string_len(Orders::Department, 100))
                    .col(string_len(Orders::City, 64))
                    .col(big_integer(Orders::BudgetMinCny))
                    .col(big_integer(Orders::BudgetMaxCny))
                    .col(timestamp_with_time_zone(Orders::BidDeadline))
                    .col(integer(Orders::ExpectedDurationMonths))
                    .col(string_len(Orders::RegulatoryClass, 8))
                    .col(string_len(Orders::IpPreference, 16))
                    .col(json(Orders::RevenueSplit))
                    .col(text_null(Orders::ConfidentialDetails))
                    .col(string_len(Orders::Status, 16))
                    .col(text_null(Orders::ReviewComment))
                    .col(timestamp_with_time_zone_null(Orders::PublishedAt))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_orders_organization",
                        (Orders::Table, Orders::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_orders_author",
                        (Orders::Table, Orders::AuthorId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_orders_status")
                    .table(Orders::Table)
                    .col(Orders::Status)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(big_pk_auto(AuditEvents::Id))
                    .col(uuid_null(AuditEvents::ActorId))
                    .col(string_len(AuditEvents::Action, 64))
                    .col(string_len(AuditEvents::ObjectType, 32))
                    .col(uuid(AuditEvents::ObjectId))
                    .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                    .col(json_null(AuditEvents::Before))
                    .col(json_null(AuditEvents::After))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_events_object")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::ObjectType)
                    .col(AuditEvents::ObjectId)
                    .to_owned(),
            )
            .await?;
        forbid_audit_rewrites(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        allow_audit_rewrites(manager).await?;
        for table in [
            AuditEvents::Table.into_iden(),
            Orders::Table.into_iden(),
            TeamMembers::Table.into_iden(),
            Teams::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            Memberships::Table.into_iden(),
            Users::Table.into_iden(),
            Organizations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The audit log is append-only: the database itself refuses UPDATE and DELETE on it, so no code
/// path (and no hand-typed SQL) can rewrite history.
async fn forbid_audit_rewrites(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            for op in ["UPDATE", "DELETE"] {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER audit_events_no_{lower} BEFORE {op} ON audit_events \
                     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;",
                    lower = op.to_lowercase()
                ))
                .await?;
            }
        }
        DbBackend::Postgres => {
            db.execute_unprepared(
                "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END; $$;",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER audit_events_no_rewrite BEFORE UPDATE OR DELETE ON audit_events \
                 FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();",
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}

async fn allow_audit_rewrites(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            db.execute_unprepared("DROP TRIGGER IF EXISTS audit_events_no_update;")
                .await?;
            db.execute_unprepared("DROP TRIGGER IF EXISTS audit_events_no_delete;")
                .await?;
        }
        DbBackend::Postgres => {
            db.execute_unprepared(
                "DROP TRIGGER IF EXISTS audit_events_no_rewrite ON audit_events;",
            )
            .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS audit_events_append_only();")
                .await?;
        }
        _ => {}
    }
    Ok(())
}
