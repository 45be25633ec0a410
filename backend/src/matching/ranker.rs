//! The production ranking path shared by the server and `yigong eval`: candidates from the index by
//! text and concepts, then the marketplace priors and load spreading.

use yigong_search_index::index::TeamIndex;
use yigong_search_index::matcher::{Match, Matcher, OrderQuery};
use yigong_search_index::ranking::{RankingPolicy, TeamStanding};

/// How many candidates the index returns before priors re-rank them.
const CANDIDATE_POOL: usize = 60;

/// The best `limit` available teams for `query`, best first.
pub fn rank_teams(
    matcher: &Matcher,
    index: &TeamIndex,
    query: &OrderQuery,
    policy: &RankingPolicy,
    standing: impl Fn(&str) -> Option<TeamStanding>,
    limit: usize,
) -> tantivy::Result<Vec<Match>> {
    let pool = CANDIDATE_POOL.max(limit.saturating_mul(3));
    let candidates = matcher
        .search(index, query, pool)?
        .into_iter()
        .map(|m| {
            let score = m.score;
            (m, score)
        })
        .collect();
    Ok(policy
        .rerank(candidates, |m: &Match| standing(&m.team_id), limit)
        .into_iter()
        .map(|(mut m, score)| {
            m.score = score;
            m
        })
        .collect())
}
