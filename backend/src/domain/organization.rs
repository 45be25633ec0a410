//! Organisations and the roles people hold in them.

use super::string_enum;
use super::validation::{Checker, FieldError};

string_enum!(
    /// What kind of body an organisation is; it decides which roles exist and what it may post.
    OrgKind {
        Hospital => "hospital",
        University => "university",
        Institute => "institute",
        Enterprise => "enterprise",
    }
);

string_enum!(
    /// A person's role in one organisation. Hospitals have clinicians, tech-transfer reviewers
    /// (科研处 / 成果转化办) and admins; labs and enterprises have members, leads and admins.
    MemberRole {
        Clinician => "clinician",
        TtoReviewer => "tto_reviewer",
        Member => "member",
        Lead => "lead",
        OrgAdmin => "org_admin",
    }
);

impl OrgKind {
    /// Hospitals review needs before they leave the building; others publish directly by default.
    pub fn review_required_by_default(self) -> bool {
        self == OrgKind::Hospital
    }

    pub fn allows_role(self, role: MemberRole) -> bool {
        use MemberRole::*;
        match self {
            OrgKind::Hospital => matches!(role, Clinician | TtoReviewer | OrgAdmin),
            _ => matches!(role, Member | Lead | OrgAdmin),
        }
    }

    /// Hospitals and enterprises post needs; enterprises post technical problems "like a hospital".
    pub fn may_post_orders(self) -> bool {
        matches!(self, OrgKind::Hospital | OrgKind::Enterprise)
    }

    /// Labs, institutes and enterprise R&D groups keep capability profiles.
    pub fn may_have_teams(self) -> bool {
        !matches!(self, OrgKind::Hospital)
    }

    /// The roles that review orders and speak for the organisation on them.
    pub fn is_reviewer_role(self, role: MemberRole) -> bool {
        use MemberRole::*;
        match self {
            OrgKind::Hospital => matches!(role, TtoReviewer | OrgAdmin),
            _ => matches!(role, Lead | OrgAdmin),
        }
    }
}

/// A validated new organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization {
    pub name: String,
    pub kind: OrgKind,
    pub city: String,
    pub review_required: bool,
}

impl NewOrganization {
    pub fn parse(
        name: &str,
        kind: OrgKind,
        city: &str,
        review_required: Option<bool>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut checker = Checker::new();
        let name = checker.text("name", name, 2, 200);
        let city = checker.text("city", city, 1, 64);
        checker.finish()?;
        Ok(Self {
            name,
            kind,
            city,
            review_required: review_required.unwrap_or(kind.review_required_by_default()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hospital_roles_and_lab_roles_do_not_mix() {
        assert!(OrgKind::Hospital.allows_role(MemberRole::Clinician));
        assert!(!OrgKind::Hospital.allows_role(MemberRole::Lead));
        assert!(OrgKind::University.allows_role(MemberRole::Lead));
        assert!(!OrgKind::Enterprise.allows_role(MemberRole::TtoReviewer));
    }

    #[test]
    fn hospitals_review_by_default_and_can_opt_out() {
        let reviewed = NewOrganization::parse("某医院", OrgKind::Hospital, "成都", None);
        assert!(reviewed.is_ok_and(|org| org.review_required));
        let direct = NewOrganization::parse("某医院", OrgKind::Hospital, "成都", Some(false));
        assert!(direct.is_ok_and(|org| !org.review_required));
        let lab = NewOrganization::parse("某大学", OrgKind::University, "成都", None);
        assert!(lab.is_ok_and(|org| !org.review_required));
    }
}
