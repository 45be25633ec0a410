//! Digest preferences, the mail outbox and its items, and suppressed addresses.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Set};
use std::collections::HashSet;
use uuid::Uuid;

use super::entities::{
    digest_preference, email_suppression, notification, outbox_mail, outbox_mail_item, team_match,
    team_member, user,
};
use super::lease::{self, Outbox, PENDING};
use crate::domain::digest::DigestPreferences;

pub const DIGEST: &str = "digest";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
pub const SUPPRESSED: &str = "suppressed";
/// A period in which the member had nothing new: recorded, never sent.
pub const NOTHING_NEW: &str = "nothing_new";
/// Item kinds.
pub const MATCH_ITEM: &str = "match";
pub const DECISION_ITEM: &str = "decision";

pub async fn preferences(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Option<digest_preference::Model>, DbErr> {
    digest_preference::Entity::find_by_id(user_id).one(db).await
}

pub async fn all_preferences(
    db: &impl ConnectionTrait,
) -> Result<Vec<digest_preference::Model>, DbErr> {
    digest_preference::Entity::find().all(db).await
}

/// Creates or replaces a member's preferences.
pub async fn save_preferences(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    prefs: &DigestPreferences,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = digest_preference::ActiveModel {
        user_id: Set(user_id),
        frequency: Set(prefs.frequency.as_str().to_owned()),
        language: Set(prefs.language.as_str().to_owned()),
        send_hour: Set(i32::from(prefs.send_hour)),
        timezone: Set(prefs.timezone.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    digest_preference::Entity::insert(row)
        .on_conflict(
            OnConflict::column(digest_preference::Column::UserId)
                .update_columns([
                    digest_preference::Column::Frequency,
                    digest_preference::Column::Language,
                    digest_preference::Column::SendHour,
                    digest_preference::Column::Timezone,
                    digest_preference::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Every (team, member) pair.
pub async fn team_memberships(db: &impl ConnectionTrait) -> Result<Vec<(Uuid, Uuid)>, DbErr> {
    Ok(team_member::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.team_id, m.user_id))
        .collect())
}

/// Whether `user_id` belongs to any team.
pub async fn is_on_a_team(db: &impl ConnectionTrait, user_id: Uuid) -> Result<bool, DbErr> {
    Ok(team_member::Entity::find()
        .filter(team_member::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .is_some())
}

pub async fn users_by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<user::Model>, DbErr> {
    let mut users = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        users.extend(
            user::Entity::find()
                .filter(user::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    Ok(users)
}

/// (user, period) pairs that already have a digest among `period_keys`.
pub async fn digested_periods(
    db: &impl ConnectionTrait,
    period_keys: &[String],
) -> Result<HashSet<(Uuid, String)>, DbErr> {
    if period_keys.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<(Uuid, String)> = outbox_mail::Entity::find()
        .select_only()
        .column(outbox_mail::Column::UserId)
        .column(outbox_mail::Column::PeriodKey)
        .filter(outbox_mail::Column::Kind.eq(DIGEST))
        .filter(outbox_mail::Column::PeriodKey.is_in(period_keys.to_vec()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Proposals still standing that were made since `since`.
pub async fn proposals_since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<team_match::Model>, DbErr> {
    team_match::Entity::find()
        .filter(team_match::Column::CreatedAt.gte(since))
        .filter(team_match::Column::Status.eq(super::matches::PROPOSED))
        .all(db)
        .await
}

/// Team notifications (decisions on bids) since `since`.
pub async fn decisions_since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<notification::Model>, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::CreatedAt.gte(since))
        .all(db)
        .await
}

/// What digests composed since `since` already carried: (user, match) and (user, notification).
pub async fn digested_items(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<(HashSet<(Uuid, Uuid)>, HashSet<(Uuid, Uuid)>), DbErr> {
    let rows: Vec<(Uuid, Option<Uuid>, Option<Uuid>)> = outbox_mail_item::Entity::find()
        .select_only()
        .column(outbox_mail_item::Column::UserId)
        .column(outbox_mail_item::Column::MatchId)
        .column(outbox_mail_item::Column::NotificationId)
        .filter(
            outbox_mail_item::Column::MailId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(outbox_mail::Column::Id)
                    .from(outbox_mail::Entity)
                    .and_where(outbox_mail::Column::CreatedAt.gte(since))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(db)
        .await?;
    let mut matches = HashSet::new();
    let mut decisions = HashSet::new();
    for (user, match_id, notification_id) in rows {
        if let Some(id) = match_id {
            matches.insert((user, id));
        }
        if let Some(id) = notification_id {
            decisions.insert((user, id));
        }
    }
    Ok((matches, decisions))
}

/// A composed digest on its way into the outbox.
#[derive(Debug, Clone)]
pub struct NewMail {
    pub id: Uuid,
    pub user_id: Uuid,
    pub period_key: String,
    pub recipient: String,
    pub language: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub match_ids: Vec<Uuid>,
    pub notification_ids: Vec<Uuid>,
}

/// Writes one digest and its items; `false` when the member already has one for the period
/// (another composer was first), in which case nothing is written.
pub async fn insert_digest(
    db: &impl ConnectionTrait,
    mail: &NewMail,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let items = mail.match_ids.len() + mail.notification_ids.len();
    let inserted = insert_period_row(db, mail, PENDING, items, now).await?;
    if inserted == 0 {
        return Ok(false);
    }
    let matches = mail
        .match_ids
        .iter()
        .map(|id| (MATCH_ITEM, Some(*id), None));
    let decisions = mail
        .notification_ids
        .iter()
        .map(|id| (DECISION_ITEM, None, Some(*id)));
    let rows: Vec<outbox_mail_item::ActiveModel> = matches
        .chain(decisions)
        .enumerate()
        .map(
            |(position, (kind, match_id, notification_id))| outbox_mail_item::ActiveModel {
                id: Set(Uuid::now_v7()),
                mail_id: Set(mail.id),
                user_id: Set(mail.user_id),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                item_kind: Set(kind.to_owned()),
                match_id: Set(match_id),
                notification_id: Set(notification_id),
            },
        )
        .collect();
    for chunk in rows.chunks(200) {
        outbox_mail_item::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(true)
}

/// Records that `user_id` had nothing new in `period_key` (so no digest goes out later in that
/// period); does nothing if the period already has its row.
pub async fn insert_quiet_period(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    email: &str,
    period_key: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let quiet = NewMail {
        id: Uuid::now_v7(),
        user_id,
        period_key: period_key.to_owned(),
        recipient: email.to_owned(),
        language: String::new(),
        subject: String::new(),
        text_body: String::new(),
        html_body: String::new(),
        match_ids: Vec::new(),
        notification_ids: Vec::new(),
    };
    insert_period_row(db, &quiet, NOTHING_NEW, 0, now).await?;
    Ok(())
}

/// Inserts a member's row for a period unless the period has one; returns the rows written.
async fn insert_period_row(
    db: &impl ConnectionTrait,
    mail: &NewMail,
    status: &str,
    items: usize,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let row = outbox_mail::ActiveModel {
        id: Set(mail.id),
        user_id: Set(mail.user_id),
        kind: Set(DIGEST.to_owned()),
        period_key: Set(mail.period_key.clone()),
        recipient: Set(mail.recipient.clone()),
        language: Set(mail.language.clone()),
        subject: Set(mail.subject.clone()),
        text_body: Set(mail.text_body.clone()),
        html_body: Set(mail.html_body.clone()),
        item_count: Set(i32::try_from(items).unwrap_or(i32::MAX)),
        status: Set(status.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_owner: Set(None),
        lease_until: Set(None),
        last_error: Set(None),
        sent_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    outbox_mail::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                outbox_mail::Column::UserId,
                outbox_mail::Column::Kind,
                outbox_mail::Column::PeriodKey,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await
}

/// Forgets quiet periods recorded before `before`.
pub async fn prune_quiet_periods(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(outbox_mail::Entity::delete_many()
        .filter(outbox_mail::Column::Status.eq(NOTHING_NEW))
        .filter(outbox_mail::Column::CreatedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

/// Claims up to `limit` mails that are due, for `owner`, until `lease_until`.
pub async fn claim(
    db: &impl ConnectionTrait,
    owner: Uuid,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<outbox_mail::Model>, DbErr> {
    let statement = lease::claim_statement(db, Outbox::Mail, owner, now, lease_until, limit);
    outbox_mail::Entity::find()
        .from_raw_sql(statement)
        .all(db)
        .await
}

/// Records the outcome of a claimed mail, if `owner` still holds it: `status` is pending (try
/// again at `next_attempt_at`), sent, failed or suppressed.
pub async fn settle(
    db: &impl ConnectionTrait,
    id: Uuid,
    owner: Uuid,
    status: &str,
    next_attempt_at: Option<DateTime<Utc>>,
    error: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = outbox_mail::Entity::update_many()
        .col_expr(outbox_mail::Column::Status, Expr::value(status))
        .col_expr(
            outbox_mail::Column::LeaseOwner,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(
            outbox_mail::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(outbox_mail::Column::LastError, Expr::value(error))
        .col_expr(outbox_mail::Column::UpdatedAt, Expr::value(now));
    if status == SENT {
        update = update.col_expr(outbox_mail::Column::SentAt, Expr::value(now));
    }
    if let Some(next) = next_attempt_at {
        update = update.col_expr(outbox_mail::Column::NextAttemptAt, Expr::value(next));
    }
    let result = update
        .filter(outbox_mail::Column::Id.eq(id))
        .filter(outbox_mail::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// How many mails are in each status.
pub async fn status_counts(db: &impl ConnectionTrait) -> Result<Vec<(String, i64)>, DbErr> {
    outbox_mail::Entity::find()
        .select_only()
        .column(outbox_mail::Column::Status)
        .column_as(outbox_mail::Column::Id.count(), "n")
        .group_by(outbox_mail::Column::Status)
        .into_tuple()
        .all(db)
        .await
}

/// The earliest lease still running on a pending mail (a sender may be at work, or dead).
pub async fn earliest_running_lease(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let leases: Vec<Option<DateTime<Utc>>> = outbox_mail::Entity::find()
        .select_only()
        .column(outbox_mail::Column::LeaseUntil)
        .filter(outbox_mail::Column::Status.eq(PENDING))
        .filter(outbox_mail::Column::LeaseUntil.gt(now))
        .into_tuple()
        .all(db)
        .await?;
    Ok(leases.into_iter().flatten().min())
}

pub async fn suppressed_among(
    db: &impl ConnectionTrait,
    emails: &[String],
) -> Result<HashSet<String>, DbErr> {
    let mut found = HashSet::new();
    for chunk in emails.chunks(500) {
        let rows: Vec<String> = email_suppression::Entity::find()
            .select_only()
            .column(email_suppression::Column::Email)
            .filter(email_suppression::Column::Email.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Stops all mail to `email` (the server said the address does not exist).
pub async fn suppress(
    db: &impl ConnectionTrait,
    email: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    email_suppression::Entity::insert(email_suppression::ActiveModel {
        email: Set(email.to_owned()),
        reason: Set(reason.to_owned()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(email_suppression::Column::Email)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}
