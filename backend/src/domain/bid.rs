//! Bids (投标): a team's offer to take on an order — approach, price, milestones, IP ownership,
//! revenue split, technology readiness and partners. Bids are sealed: who may see one is decided
//! in `policy`. The lifecycle is one table ([`transition`]); the deadline is checked by the
//! caller against the database's clock inside the writing transaction.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::string_enum;
use super::validation::{Checker, FieldError};

string_enum!(
    /// Where a bid stands.
    BidStatus {
        Submitted => "submitted",
        Shortlisted => "shortlisted",
        Declined => "declined",
        Withdrawn => "withdrawn",
        NotSelected => "not_selected",
        Awarded => "awarded",
    }
);

string_enum!(
    /// Who will own the IP the project creates.
    IpOwnership {
        OrderingSide => "ordering_side",
        Team => "team",
        Joint => "joint",
        ToBeNegotiated => "to_be_negotiated",
    }
);

string_enum!(
    /// A partner's answer to being named on a bid.
    PartnerStatus {
        Invited => "invited",
        Confirmed => "confirmed",
        Declined => "declined",
    }
);

/// Something that happens to a bid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BidEvent {
    /// The team changes its offer.
    Edit,
    Withdraw,
    Shortlist,
    /// The ordering side turns it down, with a reason the team sees.
    Decline,
    Award,
    /// Another bid on the same order was awarded.
    OtherAwarded,
}

impl BidEvent {
    pub fn name(self) -> &'static str {
        match self {
            BidEvent::Edit => "edit",
            BidEvent::Withdraw => "withdraw",
            BidEvent::Shortlist => "shortlist",
            BidEvent::Decline => "decline",
            BidEvent::Award => "award",
            BidEvent::OtherAwarded => "close",
        }
    }

    /// Events the team itself causes; they are only possible before the bid deadline.
    pub fn needs_open_bidding(self) -> bool {
        matches!(self, BidEvent::Edit | BidEvent::Withdraw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a bid that is {}", event.name(), from)]
pub struct IllegalBidTransition {
    pub from: BidStatus,
    pub event: BidEvent,
}

/// The bid lifecycle as one table.
pub fn transition(from: BidStatus, event: BidEvent) -> Result<BidStatus, IllegalBidTransition> {
    use BidEvent::*;
    use BidStatus::*;
    let to = match (from, event) {
        (Submitted | Shortlisted, Edit) => from,
        (Submitted | Shortlisted, Withdraw) => Withdrawn,
        (Submitted, Shortlist) => Shortlisted,
        (Submitted | Shortlisted, Decline) => Declined,
        (Submitted | Shortlisted, Award) => Awarded,
        (Submitted | Shortlisted, OtherAwarded) => NotSelected,
        _ => return Err(IllegalBidTransition { from, event }),
    };
    Ok(to)
}

/// Bids still in the running for the award.
pub const LIVE: [BidStatus; 2] = [BidStatus::Submitted, BidStatus::Shortlisted];

/// One payment step of the bid: what is delivered, by which week, for how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// Week after the award, 1 to the bid's duration.
    pub due_week: i64,
    /// Integer CNY; the milestones add up to the price.
    pub amount_cny: i64,
}

/// A named party's share of the revenue, in whole percent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevenueShare {
    /// e.g. 团队 (team), 科室 (department), 医院 (hospital), 合作企业 (partner).
    #[schema(min_length = 1, max_length = 100)]
    pub party: String,
    pub percent: i64,
}

/// The common Chinese hospital rule: team 70% / department 10% / hospital 20%.
pub fn default_revenue_split() -> Vec<RevenueShare> {
    [
        ("团队 team", 70),
        ("科室 department", 10),
        ("医院 hospital", 20),
    ]
    .into_iter()
    .map(|(party, percent)| RevenueShare {
        party: party.to_owned(),
        percent,
    })
    .collect()
}

/// A partner named on a bid: another team, or an organisation (an enterprise that will
/// manufacture, say). Each partner confirms before the bid shows as a consortium bid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerInput {
    /// A partner team (its organisation is implied).
    pub team_id: Option<Uuid>,
    /// A partner organisation, when the partner is not one team (an enterprise).
    pub organization_id: Option<Uuid>,
    /// What the partner does, e.g. 生产制造 (manufacturing).
    #[schema(min_length = 1, max_length = 200)]
    pub role: String,
}

pub const MAX_PRICE_CNY: i64 = 10_000_000_000;
pub const MAX_DURATION_WEEKS: i64 = 520;
pub const MAX_MILESTONES: usize = 24;
pub const MAX_PARTIES: usize = 10;
pub const MAX_PARTNERS: usize = 5;

/// Every field of a bid as the team typed it (a PATCH is merged onto the stored bid first).
#[derive(Debug, Clone)]
pub struct BidInput {
    pub approach: String,
    pub price_cny: i64,
    pub duration_weeks: i64,
    pub milestones: Vec<Milestone>,
    pub ip_ownership: IpOwnership,
    pub revenue_split: Vec<RevenueShare>,
    pub trl: i64,
    pub partners: Vec<PartnerInput>,
    /// The client's claim that this is a consortium bid; only true once every partner confirmed.
    pub consortium: Option<bool>,
    /// Whether every partner in `partners` has confirmed (known to the caller from the store).
    pub partners_all_confirmed: bool,
}

/// A validated bid's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidContent {
    pub approach: String,
    pub price_cny: i64,
    pub duration_weeks: i32,
    pub milestones: Vec<Milestone>,
    pub ip_ownership: IpOwnership,
    pub revenue_split: Vec<RevenueShare>,
    pub trl: i32,
    pub partners: Vec<PartnerInput>,
}

impl BidInput {
    pub fn validate(self) -> Result<BidContent, Vec<FieldError>> {
        let mut c = Checker::new();
        let approach = c.text("approach", &self.approach, 10, 20_000);
        let price = c.range_i64("price_cny", self.price_cny, 0, MAX_PRICE_CNY);
        let weeks = c.range_i64("duration_weeks", self.duration_weeks, 1, MAX_DURATION_WEEKS);
        let trl = c.range_i64("trl", self.trl, 1, 9);
        let milestones = check_milestones(&mut c, self.milestones, self.price_cny, weeks);
        let revenue_split = check_revenue_split(&mut c, self.revenue_split);
        let partners = check_partners(&mut c, self.partners);
        if self.consortium == Some(true) && (partners.is_empty() || !self.partners_all_confirmed) {
            c.push(
                "consortium",
                "partners_unconfirmed",
                "合作方全部确认后才能作为联合体投标 (a consortium bid needs every partner to confirm first)",
            );
        }
        c.finish()?;
        Ok(BidContent {
            approach,
            price_cny: price,
            duration_weeks: i32::try_from(weeks).unwrap_or(i32::MAX),
            milestones,
            ip_ownership: self.ip_ownership,
            revenue_split,
            trl: i32::try_from(trl).unwrap_or(0),
            partners,
        })
    }
}

fn check_milestones(
    c: &mut Checker,
    milestones: Vec<Milestone>,
    price: i64,
    weeks: i64,
) -> Vec<Milestone> {
    if milestones.is_empty() || milestones.len() > MAX_MILESTONES {
        c.push(
            "milestones",
            "count",
            format!("须有 1 到 {MAX_MILESTONES} 个里程碑 (1 to {MAX_MILESTONES} milestones)"),
        );
        return milestones;
    }
    let mut total: i64 = 0;
    let mut checked = Vec::with_capacity(milestones.len());
    for (i, milestone) in milestones.into_iter().enumerate() {
        let field = |name: &str| format!("milestones[{i}].{name}");
        let title = c.text(&field("title"), &milestone.title, 1, 200);
        let due_week = c.range_i64(&field("due_week"), milestone.due_week, 1, weeks.max(1));
        let amount = c.range_i64(&field("amount_cny"), milestone.amount_cny, 0, MAX_PRICE_CNY);
        total = total.saturating_add(amount);
        checked.push(Milestone {
            title,
            due_week,
            amount_cny: amount,
        });
    }
    if total != price {
        c.push(
            "milestones",
            "invalid_sum",
            format!("里程碑金额之和 {total} 须等于报价 {price} (milestone amounts must add up to the price)"),
        );
    }
    checked
}

fn check_revenue_split(c: &mut Checker, shares: Vec<RevenueShare>) -> Vec<RevenueShare> {
    if shares.is_empty() || shares.len() > MAX_PARTIES {
        c.push(
            "revenue_split",
            "count",
            format!("须有 1 到 {MAX_PARTIES} 个分配方 (1 to {MAX_PARTIES} parties)"),
        );
        return shares;
    }
    let mut total: i64 = 0;
    let mut names = std::collections::HashSet::new();
    let mut checked = Vec::with_capacity(shares.len());
    for (i, share) in shares.into_iter().enumerate() {
        let party = c.text(&format!("revenue_split[{i}].party"), &share.party, 1, 100);
        let percent = c.range_i64(
            &format!("revenue_split[{i}].percent"),
            share.percent,
            0,
            100,
        );
        if !names.insert(party.clone()) {
            c.push(
                &format!("revenue_split[{i}].party"),
                "duplicate",
                "分配方名称重复 (each party once)",
            );
        }
        total = total.saturating_add(percent);
        checked.push(RevenueShare { party, percent });
    }
    if total != 100 {
        c.push(
            "revenue_split",
            "invalid_sum",
            format!("各方比例之和为 {total}，须为 100 (shares must add up to 100)"),
        );
    }
    checked
}

fn check_partners(c: &mut Checker, partners: Vec<PartnerInput>) -> Vec<PartnerInput> {
    if partners.len() > MAX_PARTNERS {
        c.push(
            "partners",
            "count",
            format!("最多 {MAX_PARTNERS} 个合作方 (at most {MAX_PARTNERS} partners)"),
        );
        return partners;
    }
    let mut checked = Vec::with_capacity(partners.len());
    let mut seen = std::collections::HashSet::new();
    for (i, partner) in partners.into_iter().enumerate() {
        let role = c.text(&format!("partners[{i}].role"), &partner.role, 1, 200);
        match (partner.team_id, partner.organization_id) {
            (Some(_), None) | (None, Some(_)) => {}
            _ => c.push(
                &format!("partners[{i}]"),
                "one_of",
                "须给出 team_id 或 organization_id 之一 (give a team_id or an organization_id)",
            ),
        }
        if !seen.insert((partner.team_id, partner.organization_id)) {
            c.push(
                &format!("partners[{i}]"),
                "duplicate",
                "合作方重复 (each partner once)",
            );
        }
        checked.push(PartnerInput { role, ..partner });
    }
    checked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> BidInput {
        BidInput {
            approach: "快速交联的多糖水凝胶止血材料，动物实验验证。".into(),
            price_cny: 300_000,
            duration_weeks: 52,
            milestones: vec![
                Milestone {
                    title: "配方筛选".into(),
                    due_week: 12,
                    amount_cny: 100_000,
                },
                Milestone {
                    title: "动物实验".into(),
                    due_week: 40,
                    amount_cny: 200_000,
                },
            ],
            ip_ownership: IpOwnership::Joint,
            revenue_split: default_revenue_split(),
            trl: 4,
            partners: Vec::new(),
            consortium: None,
            partners_all_confirmed: true,
        }
    }

    #[test]
    fn a_sound_bid_validates() {
        assert!(input().validate().is_ok());
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        type Mutation = Box<dyn Fn(&mut BidInput)>;
        let cases: Vec<(&str, &str, Mutation)> = vec![
            (
                "milestones",
                "invalid_sum",
                Box::new(|b| b.milestones[0].amount_cny = 1),
            ),
            (
                "revenue_split",
                "invalid_sum",
                Box::new(|b| b.revenue_split[0].percent = 60),
            ),
            ("trl", "out_of_range", Box::new(|b| b.trl = 0)),
            ("trl", "out_of_range", Box::new(|b| b.trl = 10)),
            ("price_cny", "out_of_range", Box::new(|b| b.price_cny = -1)),
            (
                "milestones[1].due_week",
                "out_of_range",
                Box::new(|b| b.milestones[1].due_week = 53),
            ),
            (
                "consortium",
                "partners_unconfirmed",
                Box::new(|b| {
                    b.partners = vec![PartnerInput {
                        team_id: None,
                        organization_id: Some(Uuid::nil()),
                        role: "生产".into(),
                    }];
                    b.partners_all_confirmed = false;
                    b.consortium = Some(true);
                }),
            ),
            ("milestones", "count", Box::new(|b| b.milestones.clear())),
        ];
        for (field, code, mutate) in cases {
            let mut bid = input();
            mutate(&mut bid);
            let errors = bid.validate().err().unwrap_or_default();
            assert!(
                errors.iter().any(|e| e.field == field && e.code == code),
                "{field}/{code}: {errors:?}"
            );
        }
    }

    #[test]
    fn only_live_bids_move_and_awarded_bids_are_final() {
        use BidEvent::*;
        use BidStatus::*;
        assert_eq!(transition(Submitted, Shortlist), Ok(Shortlisted));
        assert_eq!(transition(Shortlisted, Award), Ok(Awarded));
        assert_eq!(transition(Submitted, OtherAwarded), Ok(NotSelected));
        for from in [Declined, Withdrawn, NotSelected, Awarded] {
            for event in [Edit, Withdraw, Shortlist, Decline, Award, OtherAwarded] {
                assert!(
                    transition(from, event).is_err(),
                    "{from} + {}",
                    event.name()
                );
            }
        }
        assert!(transition(Shortlisted, Shortlist).is_err());
    }
}
