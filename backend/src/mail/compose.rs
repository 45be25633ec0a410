//! Composing digests: for every member whose period has come, the proposals made to their teams
//! and the decisions on their teams' bids that no earlier digest carried. Nothing new, no mail.
//! Composing only writes the outbox; sending is the sender's job.

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use super::message::single_line;
use super::unsubscribe::UnsubscribeTokens;
use crate::domain::digest::{DigestPreferences, lookback_start};
use crate::domain::order::OrderStatus;
use crate::matching::service::reasons_from_json;
use crate::store::entities::{digest_preference, notification, order, team_match};
use crate::store::{mail, orders, organizations, teams};
use crate::templates::Templates;
use yigong_search_index::matcher::Matcher;

/// What composing needs besides the database.
#[derive(Debug, Clone, Copy)]
pub struct Composer<'a> {
    pub templates: &'a Templates,
    pub matcher: &'a Matcher,
    pub unsubscribe: &'a UnsubscribeTokens,
    /// Where links point, without a trailing slash.
    pub base_url: &'a str,
}

/// What one composing pass found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ComposeReport {
    /// Members on a team whose digests are not off.
    pub subscribed: usize,
    /// Their send hour has not come yet in this period.
    pub not_due: usize,
    /// They already have this period's digest.
    pub already_composed: usize,
    /// Their address is suppressed.
    pub suppressed: usize,
    /// Nothing new for them.
    pub nothing_new: usize,
    /// Digests written to the outbox (or, on a dry run, that would be).
    pub composed: usize,
}

/// A digest as planned, before it is written.
pub type PlannedDigest = mail::NewMail;

/// What a pass would write: digests, and the periods of members who had nothing new (recorded
/// too, so a digest goes out at the member's hour or not at all that period).
#[derive(Debug, Default)]
pub struct Plan {
    pub digests: Vec<PlannedDigest>,
    /// (member, address, period)
    pub quiet: Vec<(Uuid, String, String)>,
}

pub fn preferences_of(
    row: Option<&digest_preference::Model>,
    on_a_team: bool,
) -> DigestPreferences {
    row.and_then(|row| {
        DigestPreferences::parse(
            &row.frequency,
            &row.language,
            i64::from(row.send_hour),
            &row.timezone,
        )
        .ok()
    })
    .unwrap_or_else(|| DigestPreferences::default_for(on_a_team))
}

struct Recipient {
    user_id: Uuid,
    prefs: DigestPreferences,
    period_key: String,
    teams: Vec<Uuid>,
}

/// Works out every digest due at `now` (all subscribed members when `ignore_hour`).
pub async fn plan(
    db: &DatabaseConnection,
    composer: Composer<'_>,
    now: DateTime<Utc>,
    ignore_hour: bool,
) -> anyhow::Result<(Plan, ComposeReport)> {
    let mut report = ComposeReport::default();
    let mut teams_of: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (team_id, user_id) in mail::team_memberships(db).await? {
        teams_of.entry(user_id).or_default().push(team_id);
    }
    let saved: HashMap<Uuid, digest_preference::Model> = mail::all_preferences(db)
        .await?
        .into_iter()
        .map(|row| (row.user_id, row))
        .collect();
    let mut recipients = Vec::new();
    for (user_id, teams) in teams_of {
        let prefs = preferences_of(saved.get(&user_id), true);
        let Some(period) = prefs.period(now) else {
            continue;
        };
        report.subscribed += 1;
        if !period.due && !ignore_hour {
            report.not_due += 1;
            continue;
        }
        recipients.push(Recipient {
            user_id,
            prefs,
            period_key: period.key,
            teams,
        });
    }
    let keys: Vec<String> = recipients
        .iter()
        .map(|r| r.period_key.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let done = mail::digested_periods(db, &keys).await?;
    recipients.retain(|r| !done.contains(&(r.user_id, r.period_key.clone())));
    report.already_composed = report.subscribed - report.not_due - recipients.len();
    if recipients.is_empty() {
        return Ok((Plan::default(), report));
    }

    let user_ids: Vec<Uuid> = recipients.iter().map(|r| r.user_id).collect();
    let users: HashMap<Uuid, (String, String)> = mail::users_by_ids(db, &user_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, (u.email, u.display_name)))
        .collect();
    let emails: Vec<String> = users.values().map(|(email, _)| email.clone()).collect();
    let suppressed = mail::suppressed_among(db, &emails).await?;

    let facts = Facts::load(db, now).await?;
    let mut planned = Plan::default();
    for recipient in &recipients {
        let Some((email, name)) = users.get(&recipient.user_id) else {
            continue;
        };
        if suppressed.contains(email) {
            report.suppressed += 1;
            continue;
        }
        let news = facts.news_for(recipient.user_id, &recipient.teams);
        if news.is_empty() {
            report.nothing_new += 1;
            planned.quiet.push((
                recipient.user_id,
                email.clone(),
                recipient.period_key.clone(),
            ));
            continue;
        }
        planned
            .digests
            .push(render(composer, &facts, recipient, email, name, news)?);
    }
    report.composed = planned.digests.len();
    Ok((planned, report))
}

/// Writes planned digests, each with its items, many to a transaction; returns how many were
/// new (a digest another composer wrote first is skipped whole).
pub async fn write(
    db: &DatabaseConnection,
    planned: &Plan,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut written = 0;
    for batch in planned.digests.chunks(100) {
        let txn = db.begin().await?;
        for digest in batch {
            if mail::insert_digest(&txn, digest, now).await? {
                written += 1;
            }
        }
        txn.commit().await?;
    }
    for batch in planned.quiet.chunks(500) {
        let txn = db.begin().await?;
        for (user_id, email, period_key) in batch {
            mail::insert_quiet_period(&txn, *user_id, email, period_key, now).await?;
        }
        txn.commit().await?;
    }
    mail::prune_quiet_periods(db, now - chrono::Duration::days(QUIET_PERIODS_KEPT_DAYS)).await?;
    Ok(written)
}

/// How long the records of periods with nothing to send are kept.
const QUIET_PERIODS_KEPT_DAYS: i64 = 35;

/// Plans and writes in one go.
pub async fn compose_due(
    db: &DatabaseConnection,
    composer: Composer<'_>,
    now: DateTime<Utc>,
    ignore_hour: bool,
) -> anyhow::Result<ComposeReport> {
    let (planned, mut report) = plan(db, composer, now, ignore_hour).await?;
    report.composed = write(db, &planned, now).await?;
    Ok(report)
}

/// Everything recent, loaded once for all recipients.
struct Facts {
    proposals_by_team: HashMap<Uuid, Vec<team_match::Model>>,
    decisions_by_team: HashMap<Uuid, Vec<notification::Model>>,
    digested_matches: HashSet<(Uuid, Uuid)>,
    digested_decisions: HashSet<(Uuid, Uuid)>,
    orders: HashMap<Uuid, order::Model>,
    organization_names: HashMap<Uuid, String>,
    team_names: HashMap<Uuid, String>,
}

struct News<'a> {
    matches: Vec<&'a team_match::Model>,
    decisions: Vec<&'a notification::Model>,
}

impl News<'_> {
    fn is_empty(&self) -> bool {
        self.matches.is_empty() && self.decisions.is_empty()
    }
}

impl Facts {
    async fn load(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<Self> {
        let since = lookback_start(now);
        let proposals = mail::proposals_since(db, since).await?;
        let decisions = mail::decisions_since(db, since).await?;
        let (digested_matches, digested_decisions) = mail::digested_items(db, since).await?;
        let order_ids: Vec<Uuid> = proposals
            .iter()
            .map(|m| m.order_id)
            .chain(decisions.iter().map(|n| n.order_id))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut orders = HashMap::new();
        for chunk in order_ids.chunks(500) {
            orders.extend(
                orders::by_ids(db, chunk)
                    .await?
                    .into_iter()
                    .map(|o| (o.id, o)),
            );
        }
        let org_ids: Vec<Uuid> = orders
            .values()
            .map(|o: &order::Model| o.organization_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let organization_names = organizations::by_ids(db, &org_ids)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let team_ids: Vec<Uuid> = proposals
            .iter()
            .map(|m| m.team_id)
            .chain(decisions.iter().map(|n| n.team_id))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut team_names = HashMap::new();
        for chunk in team_ids.chunks(500) {
            team_names.extend(
                teams::by_ids(db, chunk)
                    .await?
                    .into_iter()
                    .map(|t| (t.id, t.name)),
            );
        }
        let mut proposals_by_team: HashMap<Uuid, Vec<team_match::Model>> = HashMap::new();
        for proposal in proposals {
            let open = orders
                .get(&proposal.order_id)
                .is_some_and(|o| o.status == OrderStatus::Published.as_str());
            if open {
                proposals_by_team
                    .entry(proposal.team_id)
                    .or_default()
                    .push(proposal);
            }
        }
        for list in proposals_by_team.values_mut() {
            list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.rank.cmp(&b.rank)));
        }
        let mut decisions_by_team: HashMap<Uuid, Vec<notification::Model>> = HashMap::new();
        for decision in decisions {
            decisions_by_team
                .entry(decision.team_id)
                .or_default()
                .push(decision);
        }
        for list in decisions_by_team.values_mut() {
            list.sort_by_key(|n| std::cmp::Reverse(n.created_at));
        }
        Ok(Self {
            proposals_by_team,
            decisions_by_team,
            digested_matches,
            digested_decisions,
            orders,
            organization_names,
            team_names,
        })
    }

    fn news_for(&self, user_id: Uuid, teams: &[Uuid]) -> News<'_> {
        let matches = teams
            .iter()
            .flat_map(|team| self.proposals_by_team.get(team).into_iter().flatten())
            .filter(|m| !self.digested_matches.contains(&(user_id, m.id)))
            .collect();
        let decisions = teams
            .iter()
            .flat_map(|team| self.decisions_by_team.get(team).into_iter().flatten())
            .filter(|n| !self.digested_decisions.contains(&(user_id, n.id)))
            .collect();
        News { matches, decisions }
    }

    fn order_title(&self, order_id: Uuid) -> String {
        self.orders
            .get(&order_id)
            .map(|o| single_line(&o.title))
            .unwrap_or_default()
    }

    fn team_name(&self, team_id: Uuid) -> String {
        self.team_names.get(&team_id).cloned().unwrap_or_default()
    }
}

#[derive(Serialize)]
struct MatchLine {
    order_title: String,
    team: String,
    hospital: String,
    category: String,
    budget: String,
    deadline: String,
    reasons: Vec<String>,
    link: String,
}

#[derive(Serialize)]
struct DecisionLine {
    headline: String,
    order_title: String,
    team: String,
    detail: Option<String>,
    link: String,
}

#[derive(Serialize)]
struct DigestContext<'a> {
    lang: &'static str,
    t: &'a crate::templates::Strings,
    subject: &'a str,
    greeting: String,
    matches: Vec<MatchLine>,
    decisions: Vec<DecisionLine>,
    unsubscribe_link: String,
}

/// `1234567` → `1,234,567`.
fn grouped(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if amount < 0 { format!("-{out}") } else { out }
}

fn render(
    composer: Composer<'_>,
    facts: &Facts,
    recipient: &Recipient,
    email: &str,
    name: &str,
    news: News<'_>,
) -> anyhow::Result<PlannedDigest> {
    let language = recipient.prefs.language;
    let templates = composer.templates;
    let t = |key: &str, args: &[(&str, &str)]| templates.text(language, key, args);
    let order_link = |order_id: Uuid| format!("{}/orders/{order_id}", composer.base_url);
    let matches: Vec<MatchLine> = news
        .matches
        .iter()
        .filter_map(|m| {
            let order = facts.orders.get(&m.order_id)?;
            Some(MatchLine {
                order_title: single_line(&order.title),
                team: facts.team_name(m.team_id),
                hospital: facts
                    .organization_names
                    .get(&order.organization_id)
                    .cloned()
                    .unwrap_or_default(),
                category: t(&format!("category.{}", order.category), &[]),
                budget: t(
                    "digest.budget_range",
                    &[
                        ("min", &grouped(order.budget_min_cny)),
                        ("max", &grouped(order.budget_max_cny)),
                    ],
                ),
                deadline: recipient.prefs.local_time(order.bid_deadline),
                reasons: reasons_from_json(&m.reasons)
                    .iter()
                    .map(|reason| {
                        composer
                            .matcher
                            .describe(reason, language.reason_language())
                    })
                    .collect(),
                link: order_link(order.id),
            })
        })
        .collect();
    let decisions: Vec<DecisionLine> = news
        .decisions
        .iter()
        .map(|n| DecisionLine {
            headline: t(&format!("decision.{}", n.kind), &[]),
            order_title: facts.order_title(n.order_id),
            team: facts.team_name(n.team_id),
            detail: n
                .detail
                .as_deref()
                .map(single_line)
                .filter(|d| !d.is_empty()),
            link: order_link(n.order_id),
        })
        .collect();
    let count = matches.len() + decisions.len();
    let first = matches
        .first()
        .map(|m| m.order_title.clone())
        .or_else(|| decisions.first().map(|d| d.order_title.clone()))
        .unwrap_or_default();
    let subject_key = if count > 1 {
        "digest.subject_more"
    } else {
        "digest.subject"
    };
    let subject = single_line(&t(
        subject_key,
        &[("count", &count.to_string()), ("first", &first)],
    ));
    let unsubscribe_link = format!(
        "{}/unsubscribe/{}",
        composer.base_url,
        composer.unsubscribe.issue(recipient.user_id)
    );
    let context = DigestContext {
        lang: language.as_str(),
        t: templates.strings(language),
        subject: &subject,
        greeting: t("digest.greeting", &[("name", &single_line(name))]),
        matches,
        decisions,
        unsubscribe_link,
    };
    let text_body = templates.render("mail/digest.txt", &context)?;
    let html_body = templates.render("mail/digest.html", &context)?;
    Ok(mail::NewMail {
        id: Uuid::now_v7(),
        user_id: recipient.user_id,
        period_key: recipient.period_key.clone(),
        recipient: email.to_owned(),
        language: language.as_str().to_owned(),
        subject,
        text_body,
        html_body,
        match_ids: news.matches.iter().map(|m| m.id).collect(),
        notification_ids: news.decisions.iter().map(|n| n.id).collect(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(super::grouped(500_000), "500,000");
        assert_eq!(super::grouped(999), "999");
        assert_eq!(super::grouped(1_234_567), "1,234,567");
    }
}
