//! The production ranking path shared by the server and `yigong eval`: candidates from the index by
//! text and concepts, then the marketplace priors and load spreading.

use yigong_search_index::index::TeamIndex;
use yigong_search_index::matcher::{Match, Matcher, OrderQuery};
use yigong_search_index::ranking::{RankingPolicy, TeamStanding};

/// How many candidates the index returns before priors re-rank them.
const CANDIDATE_POOL: usize = 60;

/// The teams worth re-ranking for a final list of `limit`, best first by relevance alone.
pub fn candidates(
    matcher: &Matcher,
    index: &TeamIndex,
    query: &OrderQuery,
    limit: usize,
) -> tantivy::Result<Vec<Match>> {
    matcher.candidates(index, query, CANDIDATE_POOL.max(limit.saturating_mul(3)))
}

/// Applies the priors to `candidates`, keeps the best `limit` available teams and adds the words
/// each shares with the order to its reasons (done for the final list only: it reads each
/// team's stored document).
pub fn rerank(
    matcher: &Matcher,
    index: &TeamIndex,
    query: &OrderQuery,
    candidates: Vec<Match>,
    policy: &RankingPolicy,
    standing: impl Fn(&str) -> Option<TeamStanding>,
    limit: usize,
) -> tantivy::Result<Vec<Match>> {
    let scored = candidates
        .into_iter()
        .map(|m| {
            let score = m.score;
            (m, score)
        })
        .collect();
    let mut ranked: Vec<Match> = policy
        .rerank(scored, |m: &Match| standing(&m.team_id), limit)
        .into_iter()
        .map(|(mut m, score)| {
            m.score = score;
            m
        })
        .collect();
    matcher.add_term_reasons(index, query, &mut ranked)?;
    Ok(ranked)
}

/// The best `limit` available teams for `query`, best first: [`candidates`] then [`rerank`].
pub fn rank_teams(
    matcher: &Matcher,
    index: &TeamIndex,
    query: &OrderQuery,
    policy: &RankingPolicy,
    standing: impl Fn(&str) -> Option<TeamStanding>,
    limit: usize,
) -> tantivy::Result<Vec<Match>> {
    let found = candidates(matcher, index, query, limit)?;
    rerank(matcher, index, query, found, policy, standing, limit)
}
