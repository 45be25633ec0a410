//! Orders (需求单): a clinical need on its way from a clinician's words to a published call for
//! bids. The lifecycle is `draft → in_review → published → closed`, with `in_review → draft` when
//! the tech-transfer office asks for changes, `draft | in_review | published → cancelled`, and
//! `published → awarded` when the ordering side awards one bid.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::string_enum;
use super::validation::{Checker, FieldError};

string_enum!(
    /// Where an order stands in its lifecycle.
    OrderStatus {
        Draft => "draft",
        InReview => "in_review",
        Published => "published",
        Awarded => "awarded",
        Closed => "closed",
        Cancelled => "cancelled",
    }
);

string_enum!(
    /// The broad field a need belongs to, for browsing and filters.
    OrderCategory {
        MedicalDevice => "medical_device",
        Diagnostics => "diagnostics",
        SoftwareAi => "software_ai",
        Materials => "materials",
        Rehabilitation => "rehabilitation",
        Imaging => "imaging",
        SurgicalRobotics => "surgical_robotics",
        DrugDelivery => "drug_delivery",
        Other => "other",
    }
);

string_enum!(
    /// NMPA medical-device class the result is expected to need (none, I, II, III).
    RegulatoryClass {
        NotRegulated => "none",
        ClassI => "I",
        ClassII => "II",
        ClassIII => "III",
    }
);

string_enum!(
    /// Who the ordering side proposes should own the resulting IP.
    IpPreference {
        HospitalOwns => "hospital_owns",
        TeamOwns => "team_owns",
        Joint => "joint",
        Negotiable => "negotiable",
    }
);

impl OrderStatus {
    /// Published, awarded and closed orders are public; the rest belong to the ordering
    /// organisation.
    pub fn is_public(self) -> bool {
        matches!(
            self,
            OrderStatus::Published | OrderStatus::Awarded | OrderStatus::Closed
        )
    }
}

/// Something that moves an order from one status to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleEvent {
    /// The author submits; organisations that need no review publish at once.
    Submit {
        review_required: bool,
    },
    Approve,
    RequestChanges,
    Cancel,
    Close,
    /// One bid is awarded: bidding ends and a project begins.
    Award,
}

impl LifecycleEvent {
    pub fn name(self) -> &'static str {
        match self {
            LifecycleEvent::Submit { .. } => "submit",
            LifecycleEvent::Approve => "approve",
            LifecycleEvent::RequestChanges => "request_changes",
            LifecycleEvent::Cancel => "cancel",
            LifecycleEvent::Close => "close",
            LifecycleEvent::Award => "award",
        }
    }
}

/// An event that the current status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} an order that is {}", event.name(), from)]
pub struct IllegalTransition {
    pub from: OrderStatus,
    pub event: LifecycleEvent,
}

/// The lifecycle as one table: the status after `event`, or why not.
pub fn transition(
    from: OrderStatus,
    event: LifecycleEvent,
) -> Result<OrderStatus, IllegalTransition> {
    use LifecycleEvent::*;
    use OrderStatus::*;
    let to = match (from, event) {
        (
            Draft,
            Submit {
                review_required: true,
            },
        ) => InReview,
        (
            Draft,
            Submit {
                review_required: false,
            },
        ) => Published,
        (InReview, Approve) => Published,
        (InReview, RequestChanges) => Draft,
        (Draft | InReview | Published, Cancel) => Cancelled,
        (Published, Close) => Closed,
        (Published, Award) => Awarded,
        _ => return Err(IllegalTransition { from, event }),
    };
    Ok(to)
}

/// Whether an order's content may still change: the author edits drafts; the tech-transfer
/// office may also edit (and add its engineering brief) while reviewing.
pub fn editable(status: OrderStatus, by_reviewer: bool) -> bool {
    match status {
        OrderStatus::Draft => true,
        OrderStatus::InReview => by_reviewer,
        _ => false,
    }
}

/// An order cannot go out with a deadline that has already passed.
pub fn deadline_allows_publishing(deadline: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    deadline > now
}

/// How the revenue from the result is proposed to be shared, in whole percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevenueSplit {
    /// The engineering team's share.
    pub team: i64,
    /// The clinical department's share.
    pub department: i64,
    /// The hospital's (ordering organisation's) share.
    pub hospital: i64,
}

impl Default for RevenueSplit {
    /// A common Chinese university/hospital arrangement: team 70% / department 10% / hospital 20%.
    fn default() -> Self {
        Self {
            team: 70,
            department: 10,
            hospital: 20,
        }
    }
}

impl RevenueSplit {
    fn check(&self, checker: &mut Checker) {
        for (field, value) in [
            ("revenue_split.team", self.team),
            ("revenue_split.department", self.department),
            ("revenue_split.hospital", self.hospital),
        ] {
            checker.range_i64(field, value, 0, 100);
        }
        if self.team + self.department + self.hospital != 100 {
            checker.push(
                "revenue_split",
                "invalid_sum",
                "各方比例之和须为 100 (shares must add up to 100)",
            );
        }
    }
}

/// Every field of an order as the user typed it, before validation (a PATCH is merged onto the
/// stored order first, so creation and update share one set of rules).
#[derive(Debug, Clone)]
pub struct OrderInput {
    pub title: String,
    pub clinical_description: String,
    pub engineering_brief: Option<String>,
    pub category: OrderCategory,
    pub department: String,
    pub city: String,
    pub budget_min_cny: i64,
    pub budget_max_cny: i64,
    pub bid_deadline: DateTime<Utc>,
    /// Only a deadline the user has just set must lie in the future; an untouched one is checked
    /// when the order is submitted or approved.
    pub bid_deadline_is_new: bool,
    pub expected_duration_months: i64,
    pub regulatory_class: RegulatoryClass,
    pub ip_preference: IpPreference,
    pub revenue_split: RevenueSplit,
    pub confidential_details: Option<String>,
}

/// A validated order's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderContent {
    pub title: String,
    pub clinical_description: String,
    pub engineering_brief: Option<String>,
    pub category: OrderCategory,
    pub department: String,
    pub city: String,
    pub budget_min_cny: i64,
    pub budget_max_cny: i64,
    pub bid_deadline: DateTime<Utc>,
    pub expected_duration_months: i32,
    pub regulatory_class: RegulatoryClass,
    pub ip_preference: IpPreference,
    pub revenue_split: RevenueSplit,
    pub confidential_details: Option<String>,
}

/// Budgets above this (10 billion CNY) are typos, not research projects.
pub const MAX_BUDGET_CNY: i64 = 10_000_000_000;
pub const MAX_DEADLINE_AHEAD_DAYS: i64 = 730;

impl OrderInput {
    pub fn validate(self, now: DateTime<Utc>) -> Result<OrderContent, Vec<FieldError>> {
        let mut c = Checker::new();
        let title = c.text("title", &self.title, 4, 120);
        let clinical_description = c.text(
            "clinical_description",
            &self.clinical_description,
            10,
            10_000,
        );
        let engineering_brief = c.optional_text(
            "engineering_brief",
            self.engineering_brief.as_deref(),
            10_000,
        );
        let department = c.text("department", &self.department, 0, 100);
        let city = c.text("city", &self.city, 0, 64);
        let budget_min_cny = c.range_i64("budget_min_cny", self.budget_min_cny, 0, MAX_BUDGET_CNY);
        let budget_max_cny = c.range_i64("budget_max_cny", self.budget_max_cny, 0, MAX_BUDGET_CNY);
        if budget_min_cny > budget_max_cny {
            c.push(
                "budget_max_cny",
                "inverted_range",
                "预算上限不能低于下限 (maximum budget is below the minimum)",
            );
        }
        if self.bid_deadline_is_new {
            if self.bid_deadline <= now {
                c.push(
                    "bid_deadline",
                    "in_past",
                    "投标截止时间须在将来 (deadline must be in the future)",
                );
            } else if self.bid_deadline > now + Duration::days(MAX_DEADLINE_AHEAD_DAYS) {
                c.push(
                    "bid_deadline",
                    "too_far",
                    "投标截止时间不能超过两年 (deadline at most two years ahead)",
                );
            }
        }
        let months = c.range_i64(
            "expected_duration_months",
            self.expected_duration_months,
            1,
            120,
        );
        self.revenue_split.check(&mut c);
        let confidential_details = c.optional_text(
            "confidential_details",
            self.confidential_details.as_deref(),
            10_000,
        );
        c.finish()?;
        Ok(OrderContent {
            title,
            clinical_description,
            engineering_brief,
            category: self.category,
            department,
            city,
            budget_min_cny,
            budget_max_cny,
            bid_deadline: self.bid_deadline,
            expected_duration_months: i32::try_from(months).unwrap_or(i32::MAX),
            regulatory_class: self.regulatory_class,
            ip_preference: self.ip_preference,
            revenue_split: self.revenue_split,
            confidential_details,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LifecycleEvent::*;
    use OrderStatus::*;

    const ALL_EVENTS: [LifecycleEvent; 7] = [
        Submit {
            review_required: true,
        },
        Submit {
            review_required: false,
        },
        Approve,
        RequestChanges,
        Cancel,
        Close,
        Award,
    ];

    #[test]
    fn the_lifecycle_allows_exactly_the_documented_transitions() {
        let allowed = [
            (
                Draft,
                Submit {
                    review_required: true,
                },
                InReview,
            ),
            (
                Draft,
                Submit {
                    review_required: false,
                },
                Published,
            ),
            (InReview, Approve, Published),
            (InReview, RequestChanges, Draft),
            (Draft, Cancel, Cancelled),
            (InReview, Cancel, Cancelled),
            (Published, Cancel, Cancelled),
            (Published, Close, Closed),
            (Published, Award, Awarded),
        ];
        for &from in OrderStatus::ALL {
            for event in ALL_EVENTS {
                let expected = allowed
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                assert_eq!(
                    transition(from, event).ok(),
                    expected,
                    "{from} + {}",
                    event.name()
                );
            }
        }
    }

    #[test]
    fn reviewers_may_edit_during_review_authors_may_not() {
        assert!(editable(Draft, false));
        assert!(editable(InReview, true));
        assert!(!editable(InReview, false));
        assert!(!editable(Published, true));
    }

    fn input(now: DateTime<Utc>) -> OrderInput {
        OrderInput {
            title: "术中出血控制".into(),
            clinical_description: "肝切除断面弥漫性渗血，压迫止血效果差。".into(),
            engineering_brief: None,
            category: OrderCategory::Materials,
            department: "肝胆外科".into(),
            city: "成都".into(),
            budget_min_cny: 100_000,
            budget_max_cny: 500_000,
            bid_deadline: now + Duration::days(30),
            bid_deadline_is_new: true,
            expected_duration_months: 12,
            regulatory_class: RegulatoryClass::ClassIII,
            ip_preference: IpPreference::Joint,
            revenue_split: RevenueSplit::default(),
            confidential_details: None,
        }
    }

    #[test]
    fn a_sound_order_validates() {
        let now = Utc::now();
        assert!(input(now).validate(now).is_ok());
    }

    #[test]
    fn bad_budgets_deadlines_and_splits_are_named() {
        let now = Utc::now();
        type Mutation = Box<dyn Fn(&mut OrderInput)>;
        let cases: Vec<(&str, Mutation)> = vec![
            ("budget_min_cny", Box::new(|o| o.budget_min_cny = -1)),
            ("budget_max_cny", Box::new(|o| o.budget_max_cny = 50_000)),
            (
                "bid_deadline",
                Box::new(move |o| o.bid_deadline = now - Duration::hours(1)),
            ),
            ("revenue_split", Box::new(|o| o.revenue_split.team = 80)),
            (
                "expected_duration_months",
                Box::new(|o| o.expected_duration_months = 0),
            ),
            ("title", Box::new(|o| o.title = "x".repeat(121))),
        ];
        for (field, mutate) in cases {
            let mut order = input(now);
            mutate(&mut order);
            let errors = order.validate(now).err().unwrap_or_default();
            assert!(
                errors.iter().any(|e| e.field == field),
                "{field}: {errors:?}"
            );
        }
    }

    #[test]
    fn an_untouched_past_deadline_does_not_block_editing() {
        let now = Utc::now();
        let mut order = input(now);
        order.bid_deadline = now - Duration::days(1);
        order.bid_deadline_is_new = false;
        assert!(order.validate(now).is_ok());
    }
}
