//! Telling people: digest preferences, the mail outbox with its items and suppressed addresses,
//! and webhook endpoints with their delivery outbox and attempt log. Both outboxes are claimed
//! with a lease (`lease_owner`, `lease_until`), so a crashed sender's work is picked up again.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DigestPreferences {
    Table,
    UserId,
    Frequency,
    Language,
    SendHour,
    Timezone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OutboxMails {
    Table,
    Id,
    UserId,
    Kind,
    PeriodKey,
    Recipient,
    Language,
    Subject,
    TextBody,
    HtmlBody,
    ItemCount,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseOwner,
    LeaseUntil,
    LastError,
    SentAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OutboxMailItems {
    Table,
    Id,
    MailId,
    UserId,
    Position,
    ItemKind,
    MatchId,
    NotificationId,
}

#[derive(DeriveIden)]
enum EmailSuppressions {
    Table,
    Email,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    OrganizationId,
    TeamId,
    Url,
    Events,
    Secret,
    Description,
    Active,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    EventId,
    EventType,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseOwner,
    LeaseUntil,
    LastStatusCode,
    LastError,
    DeliveredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    AttemptedAt,
    StatusCode,
    Error,
    DurationMs,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
}

fn cascade(
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

fn index(
    name: &str,
    table: impl IntoIden,
    columns: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(Alias::new(*column));
    }
    if unique {
        statement.unique();
    }
    statement.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DigestPreferences::Table)
                    .col(uuid(DigestPreferences::UserId).primary_key())
                    .col(string_len(DigestPreferences::Frequency, 10))
                    .col(string_len(DigestPreferences::Language, 8))
                    .col(integer(DigestPreferences::SendHour))
                    .col(string_len(DigestPreferences::Timezone, 40))
                    .col(timestamp_with_time_zone(DigestPreferences::CreatedAt))
                    .col(timestamp_with_time_zone(DigestPreferences::UpdatedAt))
                    .foreign_key(&mut cascade(
                        "fk_digest_preferences_user",
                        (DigestPreferences::Table, DigestPreferences::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OutboxMails::Table)
                    .col(uuid(OutboxMails::Id).primary_key())
                    .col(uuid(OutboxMails::UserId))
                    .col(string_len(OutboxMails::Kind, 20))
                    .col(string_len(OutboxMails::PeriodKey, 20))
                    .col(string_len(OutboxMails::Recipient, 320))
                    .col(string_len(OutboxMails::Language, 8))
                    .col(text(OutboxMails::Subject))
                    .col(text(OutboxMails::TextBody))
                    .col(text(OutboxMails::HtmlBody))
                    .col(integer(OutboxMails::ItemCount))
                    .col(string_len(OutboxMails::Status, 12))
                    .col(integer(OutboxMails::Attempts).default(0))
                    .col(timestamp_with_time_zone(OutboxMails::NextAttemptAt))
                    .col(uuid_null(OutboxMails::LeaseOwner))
                    .col(timestamp_with_time_zone_null(OutboxMails::LeaseUntil))
                    .col(text_null(OutboxMails::LastError))
                    .col(timestamp_with_time_zone_null(OutboxMails::SentAt))
                    .col(timestamp_with_time_zone(OutboxMails::CreatedAt))
                    .col(timestamp_with_time_zone(OutboxMails::UpdatedAt))
                    .foreign_key(&mut cascade(
                        "fk_outbox_mails_user",
                        (OutboxMails::Table, OutboxMails::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // At most one digest per member and period, whoever composes it.
        manager
            .create_index(index(
                "ux_outbox_mails_user_period",
                OutboxMails::Table,
                &["user_id", "kind", "period_key"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_outbox_mails_due",
                OutboxMails::Table,
                &["status", "next_attempt_at"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OutboxMailItems::Table)
                    .col(uuid(OutboxMailItems::Id).primary_key())
                    .col(uuid(OutboxMailItems::MailId))
                    .col(uuid(OutboxMailItems::UserId))
                    .col(integer(OutboxMailItems::Position))
                    .col(string_len(OutboxMailItems::ItemKind, 12))
                    .col(uuid_null(OutboxMailItems::MatchId))
                    .col(uuid_null(OutboxMailItems::NotificationId))
                    .foreign_key(&mut cascade(
                        "fk_outbox_mail_items_mail",
                        (OutboxMailItems::Table, OutboxMailItems::MailId),
                        (OutboxMails::Table, OutboxMails::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // Each match and each decision reaches a member in one digest only.
        manager
            .create_index(index(
                "ux_outbox_mail_items_user_match",
                OutboxMailItems::Table,
                &["user_id", "match_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ux_outbox_mail_items_user_notification",
                OutboxMailItems::Table,
                &["user_id", "notification_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_outbox_mail_items_mail",
                OutboxMailItems::Table,
                &["mail_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailSuppressions::Table)
                    .col(string_len(EmailSuppressions::Email, 320).primary_key())
                    .col(text(EmailSuppressions::Reason))
                    .col(timestamp_with_time_zone(EmailSuppressions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(uuid(WebhookEndpoints::Id).primary_key())
                    .col(uuid(WebhookEndpoints::OrganizationId))
                    .col(uuid_null(WebhookEndpoints::TeamId))
                    .col(text(WebhookEndpoints::Url))
                    .col(json(WebhookEndpoints::Events))
                    .col(string_len(WebhookEndpoints::Secret, 100))
                    .col(text(WebhookEndpoints::Description))
                    .col(boolean(WebhookEndpoints::Active))
                    .col(uuid(WebhookEndpoints::CreatedBy))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                    .foreign_key(&mut cascade(
                        "fk_webhook_endpoints_organization",
                        (WebhookEndpoints::Table, WebhookEndpoints::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_webhook_endpoints_team",
                        (WebhookEndpoints::Table, WebhookEndpoints::TeamId),
                        (Teams::Table, Teams::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_webhook_endpoints_owner",
                WebhookEndpoints::Table,
                &["organization_id", "team_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(uuid(WebhookDeliveries::Id).primary_key())
                    .col(uuid(WebhookDeliveries::EndpointId))
                    .col(uuid(WebhookDeliveries::EventId))
                    .col(string_len(WebhookDeliveries::EventType, 40))
                    .col(text(WebhookDeliveries::Payload))
                    .col(string_len(WebhookDeliveries::Status, 12))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(uuid_null(WebhookDeliveries::LeaseOwner))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::LeaseUntil))
                    .col(integer_null(WebhookDeliveries::LastStatusCode))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::UpdatedAt))
                    .foreign_key(&mut cascade(
                        "fk_webhook_deliveries_endpoint",
                        (WebhookDeliveries::Table, WebhookDeliveries::EndpointId),
                        (WebhookEndpoints::Table, WebhookEndpoints::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_webhook_deliveries_endpoint_event",
                WebhookDeliveries::Table,
                &["endpoint_id", "event_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_webhook_deliveries_due",
                WebhookDeliveries::Table,
                &["status", "next_attempt_at"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .col(uuid(WebhookAttempts::Id).primary_key())
                    .col(uuid(WebhookAttempts::DeliveryId))
                    .col(timestamp_with_time_zone(WebhookAttempts::AttemptedAt))
                    .col(integer_null(WebhookAttempts::StatusCode))
                    .col(text_null(WebhookAttempts::Error))
                    .col(integer(WebhookAttempts::DurationMs))
                    .foreign_key(&mut cascade(
                        "fk_webhook_attempts_delivery",
                        (WebhookAttempts::Table, WebhookAttempts::DeliveryId),
                        (WebhookDeliveries::Table, WebhookDeliveries::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_webhook_attempts_delivery",
                WebhookAttempts::Table,
                &["delivery_id"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
            EmailSuppressions::Table.into_iden(),
            OutboxMailItems::Table.into_iden(),
            OutboxMails::Table.into_iden(),
            DigestPreferences::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
