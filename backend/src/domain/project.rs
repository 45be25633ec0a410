//! Projects (项目): an awarded bid run by its milestones. The team delivers a milestone; the
//! ordering side accepts it or sends it back with a comment. A project completes once every
//! milestone is accepted, or is terminated with a recorded reason and lessons learned — a failed
//! R&D project is normal and is recorded, not hidden. Afterwards each side rates the other once.

use super::string_enum;

string_enum!(
    ProjectStatus {
        Active => "active",
        Completed => "completed",
        Terminated => "terminated",
    }
);

string_enum!(
    MilestoneStatus {
        Pending => "pending",
        Delivered => "delivered",
        Accepted => "accepted",
    }
);

string_enum!(
    /// The two sides of a project.
    Side {
        Ordering => "ordering",
        Team => "team",
    }
);

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Ordering => Side::Team,
            Side::Team => Side::Ordering,
        }
    }
}

/// Something that happens to a milestone, and which side may cause it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MilestoneEvent {
    Deliver,
    Accept,
    SendBack,
}

impl MilestoneEvent {
    pub fn name(self) -> &'static str {
        match self {
            MilestoneEvent::Deliver => "deliver",
            MilestoneEvent::Accept => "accept",
            MilestoneEvent::SendBack => "send back",
        }
    }

    pub fn side(self) -> Side {
        match self {
            MilestoneEvent::Deliver => Side::Team,
            MilestoneEvent::Accept | MilestoneEvent::SendBack => Side::Ordering,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectRuleBroken {
    #[error("cannot {} a milestone that is {}", event.name(), from)]
    Milestone {
        from: MilestoneStatus,
        event: MilestoneEvent,
    },
    #[error("the project is {0}, not active")]
    NotActive(ProjectStatus),
    #[error("{0} of the milestones are not accepted yet")]
    MilestonesOpen(usize),
    #[error("a project is rated after it completes or is terminated")]
    NotEnded,
}

/// The milestone lifecycle as one table; only active projects move.
pub fn milestone_transition(
    project: ProjectStatus,
    from: MilestoneStatus,
    event: MilestoneEvent,
) -> Result<MilestoneStatus, ProjectRuleBroken> {
    if project != ProjectStatus::Active {
        return Err(ProjectRuleBroken::NotActive(project));
    }
    use MilestoneEvent::*;
    use MilestoneStatus::*;
    match (from, event) {
        (Pending, Deliver) => Ok(Delivered),
        (Delivered, Accept) => Ok(Accepted),
        (Delivered, SendBack) => Ok(Pending),
        _ => Err(ProjectRuleBroken::Milestone { from, event }),
    }
}

/// A project completes when it is active and every milestone is accepted.
pub fn may_complete(
    project: ProjectStatus,
    milestones: &[MilestoneStatus],
) -> Result<(), ProjectRuleBroken> {
    if project != ProjectStatus::Active {
        return Err(ProjectRuleBroken::NotActive(project));
    }
    let open = milestones
        .iter()
        .filter(|m| **m != MilestoneStatus::Accepted)
        .count();
    if open > 0 {
        return Err(ProjectRuleBroken::MilestonesOpen(open));
    }
    Ok(())
}

/// Either side may end an active project early.
pub fn may_terminate(project: ProjectStatus) -> Result<(), ProjectRuleBroken> {
    if project == ProjectStatus::Active {
        Ok(())
    } else {
        Err(ProjectRuleBroken::NotActive(project))
    }
}

/// Ratings come after the end, whichever way it ended.
pub fn may_rate(project: ProjectStatus) -> Result<(), ProjectRuleBroken> {
    if project == ProjectStatus::Active {
        Err(ProjectRuleBroken::NotEnded)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MilestoneEvent::*;
    use MilestoneStatus::*;

    #[test]
    fn milestones_go_pending_delivered_accepted_or_back() {
        let active = ProjectStatus::Active;
        assert_eq!(
            milestone_transition(active, Pending, Deliver),
            Ok(Delivered)
        );
        assert_eq!(
            milestone_transition(active, Delivered, Accept),
            Ok(Accepted)
        );
        assert_eq!(
            milestone_transition(active, Delivered, SendBack),
            Ok(Pending)
        );
        for (from, event) in [
            (Pending, Accept),
            (Pending, SendBack),
            (Accepted, Deliver),
            (Accepted, SendBack),
            (Delivered, Deliver),
        ] {
            assert!(
                milestone_transition(active, from, event).is_err(),
                "{from} + {}",
                event.name()
            );
        }
        assert_eq!(
            milestone_transition(ProjectStatus::Terminated, Pending, Deliver),
            Err(ProjectRuleBroken::NotActive(ProjectStatus::Terminated))
        );
    }

    #[test]
    fn a_project_completes_only_with_every_milestone_accepted() {
        assert_eq!(
            may_complete(ProjectStatus::Active, &[Accepted, Delivered]),
            Err(ProjectRuleBroken::MilestonesOpen(1))
        );
        assert!(may_complete(ProjectStatus::Active, &[Accepted, Accepted]).is_ok());
        assert!(may_complete(ProjectStatus::Completed, &[Accepted]).is_err());
    }

    #[test]
    fn ratings_wait_for_the_end_and_termination_needs_an_active_project() {
        assert!(may_rate(ProjectStatus::Active).is_err());
        assert!(may_rate(ProjectStatus::Terminated).is_ok());
        assert!(may_terminate(ProjectStatus::Active).is_ok());
        assert!(may_terminate(ProjectStatus::Completed).is_err());
    }
}
