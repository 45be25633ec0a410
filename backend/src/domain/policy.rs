//! Who may do what to which object: the one place that answers it. Every handler asks
//! [`authorize`] before it acts. Objects a person may not even know about (another
//! organisation's drafts, member lists, confidential details) are denied as `NotFound`, so the
//! API never confirms they exist.

use uuid::Uuid;

use super::order::OrderStatus;
use super::organization::{MemberRole, OrgKind};
use super::project::Side;

/// The person asking, with what the policy needs to know about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Uuid,
    pub platform_admin: bool,
    pub memberships: Vec<ActorMembership>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActorMembership {
    pub organization_id: Uuid,
    pub kind: OrgKind,
    pub role: MemberRole,
}

impl Actor {
    pub fn membership(&self, organization_id: Uuid) -> Option<ActorMembership> {
        self.memberships
            .iter()
            .copied()
            .find(|m| m.organization_id == organization_id)
    }

    fn is_member(&self, organization_id: Uuid) -> bool {
        self.membership(organization_id).is_some()
    }

    fn has_role(&self, organization_id: Uuid, role: MemberRole) -> bool {
        self.membership(organization_id)
            .is_some_and(|m| m.role == role)
    }

    /// Reviews and speaks for the organisation on its orders (科研处 / 成果转化办, or an admin).
    pub fn is_reviewer_of(&self, organization_id: Uuid) -> bool {
        self.membership(organization_id)
            .is_some_and(|m| m.kind.is_reviewer_role(m.role))
    }
}

/// The facts about an order that decide who may touch it.
#[derive(Debug, Clone, Copy)]
pub struct OrderFacts {
    pub organization_id: Uuid,
    pub author_id: Uuid,
    pub status: OrderStatus,
}

/// The facts about a team that decide who may change it.
#[derive(Debug, Clone, Copy)]
pub struct TeamFacts<'a> {
    pub organization_id: Uuid,
    pub member_ids: &'a [Uuid],
}

/// A partner named on a bid: an organisation, or one team of it.
#[derive(Debug, Clone, Copy)]
pub struct PartnerFacts<'a> {
    pub organization_id: Uuid,
    pub team: Option<TeamFacts<'a>>,
}

/// The facts about a bid that decide who may see or touch it. Bids are sealed: besides the
/// bidding team, only its confirmed partners, the ordering organisation and platform admins see
/// one.
#[derive(Debug, Clone, Copy)]
pub struct BidFacts<'a> {
    pub order: OrderFacts,
    pub team: TeamFacts<'a>,
    pub confirmed_partners: &'a [PartnerFacts<'a>],
}

/// The facts about a project: the order it came from and the team running it.
#[derive(Debug, Clone, Copy)]
pub struct ProjectFacts<'a> {
    pub order: OrderFacts,
    pub team: TeamFacts<'a>,
}

/// Everything a person can ask to do.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    CreateOrganization,
    ListOrgMembers {
        organization_id: Uuid,
    },
    AddOrgMember {
        organization_id: Uuid,
    },
    VerifyOrganization,
    CreateTeam {
        organization_id: Uuid,
        kind: OrgKind,
    },
    UpdateTeam(TeamFacts<'a>),
    CreateOrder {
        organization_id: Uuid,
        kind: OrgKind,
    },
    ViewOrder(OrderFacts),
    ViewConfidentialDetails(OrderFacts),
    EditOrder(OrderFacts),
    EditEngineeringBrief(OrderFacts),
    SubmitOrder(OrderFacts),
    ReviewOrder(OrderFacts),
    CancelOrder(OrderFacts),
    CloseOrder(OrderFacts),
    /// The teams proposed for an order.
    ViewOrderMatches(OrderFacts),
    /// The orders proposed to a team.
    ViewTeamMatches(TeamFacts<'a>),
    /// Set a proposal aside: either side of the match may.
    DismissMatch {
        order: OrderFacts,
        team: TeamFacts<'a>,
    },
    /// Bid for an order on a team's behalf.
    SubmitBid {
        order: OrderFacts,
        team: TeamFacts<'a>,
    },
    ViewBid(BidFacts<'a>),
    /// Edit or withdraw: the bidding team's own business.
    ChangeBid(BidFacts<'a>),
    /// Shortlist, decline or award: the ordering side decides.
    DecideBid(BidFacts<'a>),
    /// Confirm or decline being named as a partner.
    AnswerPartnerInvitation(PartnerFacts<'a>),
    ViewProject(ProjectFacts<'a>),
    /// Deliver milestones (team side); accept, send back and complete (ordering side);
    /// terminate and rate (either side, for itself).
    ActOnProject(ProjectFacts<'a>, Side),
    /// Register, list and remove an organisation's own webhooks: its admins and its
    /// tech-transfer office. A team's webhooks are managed by those who speak for the team
    /// (`UpdateTeam`).
    ManageOrganizationWebhooks {
        organization_id: Uuid,
    },
}

/// Why an action is refused, and how the refusal is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Not signed in.
    Unauthenticated,
    /// The object is visible, the action is not allowed.
    Forbidden,
    /// The object is none of the actor's business: answer as if it did not exist.
    NotFound,
}

/// May `actor` do `action`? `None` is an anonymous visitor.
pub fn authorize(actor: Option<&Actor>, action: Action<'_>) -> Result<(), Denied> {
    // The only thing an anonymous visitor may do is look at public orders.
    let Some(actor) = actor else {
        return match action {
            Action::ViewOrder(order) if order.status.is_public() => Ok(()),
            Action::ViewOrder(_) | Action::ViewConfidentialDetails(_) => Err(Denied::NotFound),
            _ => Err(Denied::Unauthenticated),
        };
    };
    let allow = |ok: bool| if ok { Ok(()) } else { Err(Denied::Forbidden) };
    match action {
        Action::CreateOrganization => Ok(()),
        Action::ListOrgMembers { organization_id } => {
            if actor.platform_admin || actor.is_member(organization_id) {
                Ok(())
            } else {
                Err(Denied::NotFound)
            }
        }
        Action::AddOrgMember { organization_id } => {
            if actor.platform_admin || actor.has_role(organization_id, MemberRole::OrgAdmin) {
                Ok(())
            } else if actor.is_member(organization_id) {
                Err(Denied::Forbidden)
            } else {
                Err(Denied::NotFound)
            }
        }
        Action::VerifyOrganization => allow(actor.platform_admin),
        Action::CreateTeam {
            organization_id,
            kind,
        } => allow(
            kind.may_have_teams()
                && (actor.has_role(organization_id, MemberRole::Lead)
                    || actor.has_role(organization_id, MemberRole::OrgAdmin)),
        ),
        Action::UpdateTeam(team) => allow(speaks_for_team(actor, team)),
        Action::CreateOrder {
            organization_id,
            kind,
        } => allow(kind.may_post_orders() && actor.is_member(organization_id)),
        Action::ViewOrder(order) => view_order(actor, order),
        Action::ViewConfidentialDetails(order) => {
            view_order(actor, order)?;
            if actor.is_member(order.organization_id) {
                Ok(())
            } else {
                Err(Denied::NotFound)
            }
        }
        Action::EditOrder(order) | Action::CancelOrder(order) | Action::CloseOrder(order) => {
            view_order(actor, order)?;
            allow(actor.user_id == order.author_id || actor.is_reviewer_of(order.organization_id))
        }
        Action::EditEngineeringBrief(order) | Action::ReviewOrder(order) => {
            view_order(actor, order)?;
            allow(actor.is_reviewer_of(order.organization_id))
        }
        Action::SubmitOrder(order) => {
            view_order(actor, order)?;
            allow(
                actor.user_id == order.author_id
                    || actor.has_role(order.organization_id, MemberRole::OrgAdmin),
            )
        }
        Action::ViewOrderMatches(order) => {
            view_order(actor, order)?;
            allow(actor.platform_admin || actor.is_member(order.organization_id))
        }
        Action::ViewTeamMatches(team) => {
            allow(actor.platform_admin || speaks_for_team(actor, team))
        }
        Action::DismissMatch { order, team } => allow(
            actor.platform_admin
                || speaks_for_team(actor, team)
                || actor.is_member(order.organization_id),
        ),
        Action::SubmitBid { order, team } => {
            view_order(actor, order)?;
            allow(speaks_for_team(actor, team))
        }
        Action::ViewBid(bid) => {
            if sees_bid(actor, bid) {
                Ok(())
            } else {
                Err(Denied::NotFound)
            }
        }
        Action::ChangeBid(bid) => {
            sees_bid_or_not_found(actor, bid)?;
            allow(speaks_for_team(actor, bid.team))
        }
        Action::DecideBid(bid) => {
            sees_bid_or_not_found(actor, bid)?;
            allow(decides_for_order(actor, bid.order))
        }
        Action::AnswerPartnerInvitation(partner) => {
            if speaks_for_partner(actor, partner) {
                Ok(())
            } else {
                Err(Denied::NotFound)
            }
        }
        Action::ViewProject(project) => {
            if sees_project(actor, project) {
                Ok(())
            } else {
                Err(Denied::NotFound)
            }
        }
        Action::ManageOrganizationWebhooks { organization_id } => {
            if actor.has_role(organization_id, MemberRole::OrgAdmin)
                || actor.is_reviewer_of(organization_id)
            {
                Ok(())
            } else if actor.is_member(organization_id) {
                Err(Denied::Forbidden)
            } else {
                Err(Denied::NotFound)
            }
        }
        Action::ActOnProject(project, side) => {
            if !sees_project(actor, project) {
                return Err(Denied::NotFound);
            }
            allow(match side {
                Side::Team => speaks_for_team(actor, project.team),
                Side::Ordering => decides_for_order(actor, project.order),
            })
        }
    }
}

/// The sides of a project `actor` may act for (team side first).
pub fn project_sides(actor: &Actor, project: ProjectFacts<'_>) -> Vec<Side> {
    let mut sides = Vec::new();
    if speaks_for_team(actor, project.team) {
        sides.push(Side::Team);
    }
    if decides_for_order(actor, project.order) {
        sides.push(Side::Ordering);
    }
    sides
}

/// The order's author and the organisation's tech-transfer office decide on bids and projects.
pub fn decides_for_order(actor: &Actor, order: OrderFacts) -> bool {
    actor.user_id == order.author_id || actor.is_reviewer_of(order.organization_id)
}

fn sees_bid(actor: &Actor, bid: BidFacts<'_>) -> bool {
    actor.platform_admin
        || actor.is_member(bid.order.organization_id)
        || speaks_for_team(actor, bid.team)
        || bid
            .confirmed_partners
            .iter()
            .any(|partner| speaks_for_partner(actor, *partner))
}

fn sees_bid_or_not_found(actor: &Actor, bid: BidFacts<'_>) -> Result<(), Denied> {
    if sees_bid(actor, bid) {
        Ok(())
    } else {
        Err(Denied::NotFound)
    }
}

fn sees_project(actor: &Actor, project: ProjectFacts<'_>) -> bool {
    actor.platform_admin
        || actor.is_member(project.order.organization_id)
        || speaks_for_team(actor, project.team)
}

/// A partner team is spoken for as any team; a partner organisation by its leads and admins.
fn speaks_for_partner(actor: &Actor, partner: PartnerFacts<'_>) -> bool {
    match partner.team {
        Some(team) => speaks_for_team(actor, team),
        None => {
            actor.has_role(partner.organization_id, MemberRole::Lead)
                || actor.has_role(partner.organization_id, MemberRole::OrgAdmin)
        }
    }
}

/// A team's members, and its organisation's leads and admins, act for the team.
fn speaks_for_team(actor: &Actor, team: TeamFacts<'_>) -> bool {
    team.member_ids.contains(&actor.user_id)
        || actor.has_role(team.organization_id, MemberRole::Lead)
        || actor.has_role(team.organization_id, MemberRole::OrgAdmin)
}

/// Public orders are everyone's; inside the organisation, drafts are the author's and the
/// reviewers' until submitted; platform admins see all.
fn view_order(actor: &Actor, order: OrderFacts) -> Result<(), Denied> {
    let visible = order.status.is_public()
        || actor.platform_admin
        || (actor.is_member(order.organization_id)
            && (order.status != OrderStatus::Draft
                || actor.user_id == order.author_id
                || actor.is_reviewer_of(order.organization_id)));
    if visible {
        Ok(())
    } else {
        Err(Denied::NotFound)
    }
}

/// What an actor may see in order lists, for the store to turn into a query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderListScope {
    /// Sees every order (platform admin).
    pub everything: bool,
    /// Organisations whose non-draft orders the actor sees.
    pub member_of: Vec<Uuid>,
    /// Organisations whose drafts the actor sees too (reviewers and admins).
    pub reviewer_of: Vec<Uuid>,
    /// Drafts by this author are visible.
    pub author_id: Option<Uuid>,
}

/// The list counterpart of [`authorize`] with [`Action::ViewOrder`]: same rule, as a scope.
pub fn order_list_scope(actor: Option<&Actor>) -> OrderListScope {
    let Some(actor) = actor else {
        return OrderListScope::default();
    };
    OrderListScope {
        everything: actor.platform_admin,
        member_of: actor
            .memberships
            .iter()
            .map(|m| m.organization_id)
            .collect(),
        reviewer_of: actor
            .memberships
            .iter()
            .filter(|m| m.kind.is_reviewer_role(m.role))
            .map(|m| m.organization_id)
            .collect(),
        author_id: Some(actor.user_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(org: Uuid, kind: OrgKind, role: MemberRole) -> Actor {
        Actor {
            user_id: Uuid::new_v4(),
            platform_admin: false,
            memberships: vec![ActorMembership {
                organization_id: org,
                kind,
                role,
            }],
        }
    }

    #[test]
    fn another_organisations_draft_is_not_found() {
        let hospital = Uuid::new_v4();
        let stranger = actor(Uuid::new_v4(), OrgKind::Hospital, MemberRole::OrgAdmin);
        let draft = OrderFacts {
            organization_id: hospital,
            author_id: Uuid::new_v4(),
            status: OrderStatus::Draft,
        };
        assert_eq!(
            authorize(Some(&stranger), Action::ViewOrder(draft)),
            Err(Denied::NotFound)
        );
        assert_eq!(
            authorize(Some(&stranger), Action::CancelOrder(draft)),
            Err(Denied::NotFound)
        );
        assert_eq!(
            authorize(None, Action::ViewOrder(draft)),
            Err(Denied::NotFound)
        );
    }

    #[test]
    fn a_clinician_cannot_review_but_the_tech_transfer_office_can() {
        let hospital = Uuid::new_v4();
        let clinician = actor(hospital, OrgKind::Hospital, MemberRole::Clinician);
        let reviewer = actor(hospital, OrgKind::Hospital, MemberRole::TtoReviewer);
        let order = OrderFacts {
            organization_id: hospital,
            author_id: clinician.user_id,
            status: OrderStatus::InReview,
        };
        assert_eq!(
            authorize(Some(&clinician), Action::ReviewOrder(order)),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            authorize(Some(&reviewer), Action::ReviewOrder(order)),
            Ok(())
        );
    }

    #[test]
    fn confidential_details_stay_inside_the_ordering_organisation() {
        let hospital = Uuid::new_v4();
        let lab = actor(Uuid::new_v4(), OrgKind::University, MemberRole::Lead);
        let order = OrderFacts {
            organization_id: hospital,
            author_id: Uuid::new_v4(),
            status: OrderStatus::Published,
        };
        assert_eq!(authorize(Some(&lab), Action::ViewOrder(order)), Ok(()));
        assert_eq!(
            authorize(Some(&lab), Action::ViewConfidentialDetails(order)),
            Err(Denied::NotFound)
        );
    }
}
