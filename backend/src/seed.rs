//! The demo data set (`yigong seed --demo`, `yigong serve --demo`): hospitals, universities, an
//! institute and an enterprise with their people, teams and orders, written for this project in
//! Chinese and English. Every record passes the same domain validation as API input.

use anyhow::{Context, anyhow, bail};
use chrono::{Duration, Utc};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, TransactionTrait};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

use crate::auth::password;
use crate::clock::Clock;
use crate::domain::order::{
    IpPreference, LifecycleEvent, OrderCategory, OrderInput, OrderStatus, RegulatoryClass,
    RevenueSplit, transition,
};
use crate::domain::organization::{MemberRole, NewOrganization, OrgKind};
use crate::domain::team::{TeamInput, TeamLanguage};
use crate::domain::user::{Email, Password};
use crate::store::audit::{self, AuditEntry};
use crate::store::entities::organization;
use crate::store::{orders, organizations, teams, users};

/// Every demo account signs in with this password (shown in the README; demo use only).
pub const DEMO_PASSWORD: &str = "yigong-demo-2026";

const DEMO_JSON: &str = include_str!("seed/demo.json");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoData {
    organizations: Vec<DemoOrganization>,
    users: Vec<DemoUser>,
    teams: Vec<DemoTeam>,
    orders: Vec<DemoOrder>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoOrganization {
    key: String,
    name: String,
    kind: OrgKind,
    city: String,
    verified: bool,
    review_required: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoUser {
    email: String,
    display_name: String,
    memberships: Vec<DemoMembership>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoMembership {
    org: String,
    role: MemberRole,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoTeam {
    org: String,
    name: String,
    summary: String,
    capabilities: String,
    keywords: Vec<String>,
    equipment: Vec<String>,
    disciplines: Vec<String>,
    city: String,
    language: TeamLanguage,
    capacity: i64,
    accepting_work: bool,
    members: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoOrder {
    org: String,
    author: String,
    title: String,
    clinical_description: String,
    engineering_brief: Option<String>,
    category: OrderCategory,
    department: String,
    city: String,
    budget_min_cny: i64,
    budget_max_cny: i64,
    bid_deadline_days: i64,
    expected_duration_months: i64,
    regulatory_class: RegulatoryClass,
    ip_preference: IpPreference,
    revenue_split: RevenueSplit,
    confidential_details: Option<String>,
    status: OrderStatus,
}

/// What a seeding run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedSummary {
    pub organizations: usize,
    pub users: usize,
    pub teams: usize,
    pub orders: usize,
    /// True when the database already had data and nothing was loaded.
    pub skipped: bool,
}

/// The lifecycle path from draft to a demo order's target status.
fn path_to(status: OrderStatus, review_required: bool) -> anyhow::Result<Vec<LifecycleEvent>> {
    use LifecycleEvent::*;
    let submit = Submit { review_required };
    let publish: Vec<LifecycleEvent> = if review_required {
        vec![submit, Approve]
    } else {
        vec![submit]
    };
    Ok(match status {
        OrderStatus::Draft => vec![],
        OrderStatus::InReview if review_required => vec![submit],
        OrderStatus::Published => publish,
        OrderStatus::Closed => [publish, vec![Close]].concat(),
        OrderStatus::Cancelled => vec![Cancel],
        OrderStatus::InReview => bail!("an organisation without review has no in_review orders"),
        OrderStatus::Awarded => bail!("demo orders are awarded through bids, not seeded"),
    })
}

/// Loads the demo data unless the database already holds organisations.
pub async fn load_demo(db: &DatabaseConnection, clock: &dyn Clock) -> anyhow::Result<SeedSummary> {
    if organization::Entity::find().count(db).await? > 0 {
        return Ok(SeedSummary {
            skipped: true,
            ..Default::default()
        });
    }
    let data: DemoData = serde_json::from_str(DEMO_JSON).context("parsing the demo data")?;
    let now = clock.now();
    let password = Password::parse("password", DEMO_PASSWORD).map_err(|e| anyhow!(e.message))?;
    let password_hash = password::hash(&password)?;
    let txn = db.begin().await?;

    let mut orgs: HashMap<&str, organization::Model> = HashMap::new();
    for demo in &data.organizations {
        let new = NewOrganization::parse(
            &demo.name,
            demo.kind,
            &demo.city,
            Some(demo.review_required),
        )
        .map_err(|e| anyhow!("demo organisation {}: {e:?}", demo.key))?;
        let mut org = organizations::insert(&txn, &new, now).await?;
        if demo.verified {
            org = organizations::set_verified(&txn, org, now).await?;
        }
        orgs.insert(demo.key.as_str(), org);
    }
    let org = |key: &str| {
        orgs.get(key)
            .ok_or_else(|| anyhow!("demo data names unknown organisation {key}"))
    };

    let mut people: HashMap<String, Uuid> = HashMap::new();
    for demo in &data.users {
        let email = Email::parse(&demo.email)
            .map_err(|e| anyhow!("demo user {}: {}", demo.email, e.message))?;
        let user =
            users::insert(&txn, &email, &demo.display_name, password_hash.clone(), now).await?;
        for membership in &demo.memberships {
            let org = org(&membership.org)?;
            if !OrgKind::parse(&org.kind).is_some_and(|kind| kind.allows_role(membership.role)) {
                bail!(
                    "demo user {} cannot be {} of {}",
                    demo.email,
                    membership.role,
                    org.name
                );
            }
            organizations::add_member(&txn, org.id, user.id, membership.role, now).await?;
        }
        people.insert(email.as_str().to_owned(), user.id);
    }
    let person = |email: &str| {
        people
            .get(&email.to_lowercase())
            .copied()
            .ok_or_else(|| anyhow!("demo data names unknown user {email}"))
    };

    for demo in &data.teams {
        let org = org(&demo.org)?;
        let profile = TeamInput {
            name: demo.name.clone(),
            summary: demo.summary.clone(),
            capabilities: demo.capabilities.clone(),
            keywords: demo.keywords.clone(),
            equipment: demo.equipment.clone(),
            disciplines: demo.disciplines.clone(),
            city: demo.city.clone(),
            language: demo.language,
            capacity: demo.capacity,
            accepting_work: demo.accepting_work,
        }
        .validate()
        .map_err(|e| anyhow!("demo team {}: {e:?}", demo.name))?;
        let team = teams::insert(&txn, org.id, &profile, now).await?;
        for member in &demo.members {
            teams::add_member(&txn, team.id, person(member)?, now).await?;
        }
    }

    for demo in &data.orders {
        let org = org(&demo.org)?;
        let content = OrderInput {
            title: demo.title.clone(),
            clinical_description: demo.clinical_description.clone(),
            engineering_brief: demo.engineering_brief.clone(),
            category: demo.category,
            department: demo.department.clone(),
            city: demo.city.clone(),
            budget_min_cny: demo.budget_min_cny,
            budget_max_cny: demo.budget_max_cny,
            bid_deadline: now + Duration::days(demo.bid_deadline_days),
            bid_deadline_is_new: true,
            expected_duration_months: demo.expected_duration_months,
            regulatory_class: demo.regulatory_class,
            ip_preference: demo.ip_preference,
            revenue_split: demo.revenue_split,
            confidential_details: demo.confidential_details.clone(),
        }
        .validate(now)
        .map_err(|e| anyhow!("demo order {}: {e:?}", demo.title))?;
        let mut order = orders::insert(&txn, org.id, person(&demo.author)?, &content, now).await?;
        for event in path_to(demo.status, org.review_required)? {
            let from = OrderStatus::parse(&order.status).ok_or_else(|| anyhow!("bad status"))?;
            let to = transition(from, event)?;
            order = orders::transition_status(&txn, &order, from, to, None, now)
                .await?
                .ok_or_else(|| anyhow!("demo order {} moved unexpectedly", demo.title))?;
        }
    }

    audit::record(
        &txn,
        AuditEntry {
            organization_id: None,
            actor_id: None,
            action: "demo.seed",
            object_type: "platform",
            object_id: Uuid::nil(),
            before: None,
            after: Some(serde_json::json!({
                "organizations": data.organizations.len(),
                "users": data.users.len(),
                "teams": data.teams.len(),
                "orders": data.orders.len(),
                "at": Utc::now(),
            })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(SeedSummary {
        organizations: data.organizations.len(),
        users: data.users.len(),
        teams: data.teams.len(),
        orders: data.orders.len(),
        skipped: false,
    })
}
