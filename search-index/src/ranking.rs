//! Re-ranking after text relevance: teams that cannot take work are left out, unverified
//! organisations rank a little lower, and load spreading makes a team that already holds many open
//! proposals yield places to comparable teams.

/// What the marketplace knows about a candidate team beyond its profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamStanding {
    /// Accepting work and below capacity.
    pub available: bool,
    pub verified: bool,
    /// Proposals the team holds for orders still open.
    pub open_proposals: u32,
}

/// How strongly each prior moves a score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankingPolicy {
    /// Score factor for teams of unverified organisations.
    pub unverified_factor: f32,
    /// Open proposals a team may hold before load spreading touches it.
    pub free_proposals: u32,
    /// Score reduction per open proposal beyond the free ones.
    pub load_penalty: f32,
    /// The largest reduction load spreading may apply, so a strong match is never buried.
    pub max_load_reduction: f32,
}

impl Default for RankingPolicy {
    fn default() -> Self {
        Self {
            unverified_factor: 0.9,
            free_proposals: 3,
            load_penalty: 0.02,
            max_load_reduction: 0.2,
        }
    }
}

impl RankingPolicy {
    /// No priors at all: pure text relevance (for comparison in evaluation).
    pub fn relevance_only() -> Self {
        Self {
            unverified_factor: 1.0,
            free_proposals: 0,
            load_penalty: 0.0,
            max_load_reduction: 0.0,
        }
    }

    /// The factor applied to a team's relevance score.
    pub fn factor(&self, standing: &TeamStanding) -> f32 {
        let verification = if standing.verified {
            1.0
        } else {
            self.unverified_factor
        };
        let excess = standing.open_proposals.saturating_sub(self.free_proposals) as f32;
        let load = (excess * self.load_penalty).min(self.max_load_reduction);
        verification * (1.0 - load)
    }

    /// Leaves out unavailable teams, applies the priors and keeps the best `limit`, best first.
    /// `standing` answers `None` for teams it does not know; they are left out too.
    pub fn rerank<T>(
        &self,
        candidates: Vec<(T, f32)>,
        standing: impl Fn(&T) -> Option<TeamStanding>,
        limit: usize,
    ) -> Vec<(T, f32)> {
        let mut ranked: Vec<(T, f32)> = candidates
            .into_iter()
            .filter_map(|(team, score)| {
                let standing = standing(&team)?;
                standing
                    .available
                    .then(|| (team, score * self.factor(&standing)))
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked.truncate(limit);
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(verified: bool, open_proposals: u32) -> TeamStanding {
        TeamStanding {
            available: true,
            verified,
            open_proposals,
        }
    }

    #[test]
    fn unavailable_teams_are_left_out_and_unverified_rank_lower() {
        let policy = RankingPolicy::default();
        let ranked = policy.rerank(
            vec![("busy", 10.0), ("unverified", 9.9), ("verified", 9.5)],
            |team| match *team {
                "busy" => Some(TeamStanding {
                    available: false,
                    ..standing(true, 0)
                }),
                "unverified" => Some(standing(false, 0)),
                _ => Some(standing(true, 0)),
            },
            10,
        );
        let order: Vec<_> = ranked.iter().map(|(t, _)| *t).collect();
        assert_eq!(order, ["verified", "unverified"]);
    }

    #[test]
    fn a_loaded_team_yields_to_a_comparable_one_but_not_to_a_weak_one() {
        let policy = RankingPolicy::default();
        let loaded = |team: &&str| Some(standing(true, if *team == "star" { 20 } else { 0 }));
        let close = policy.rerank(vec![("star", 10.0), ("peer", 9.0)], loaded, 1);
        assert_eq!(close[0].0, "peer");
        let far = policy.rerank(vec![("star", 10.0), ("weak", 5.0)], loaded, 1);
        assert_eq!(far[0].0, "star");
    }
}
