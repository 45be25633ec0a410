//! `yigong eval`: ranks the teams of an evaluation set for each of its orders with the production
//! analyzer, lexicon, matcher and ranking policy, in a fresh temporary index, and reports nDCG@10,
//! Recall@10 and MRR overall, per language and per tag. Orders are replayed in file order with load
//! spreading, as the server would propose them, and the exposure Gini is reported with and without it.
//! No database, no server.

pub(crate) mod metrics;
pub(crate) mod set;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use yigong_search_index::index::TeamIndex;
use yigong_search_index::matcher::Matcher;
use yigong_search_index::ranking::{RankingPolicy, TeamStanding};

use crate::matching::ranker::rank_teams;
pub use set::EvalSet;

const CUTOFF: usize = 10;
const WRITTEN_RANKING: usize = 20;

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Scores {
    pub orders: usize,
    pub ndcg_at_10: f64,
    pub recall_at_10: f64,
    pub mrr: f64,
}

#[derive(Debug, Serialize)]
pub struct RankedOrder {
    pub id: String,
    pub ranking: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub orders: Vec<RankedOrder>,
    pub metrics: Metrics,
}

#[derive(Debug, Serialize)]
pub struct Metrics {
    pub overall: Scores,
    pub by_language: BTreeMap<String, Scores>,
    pub by_tag: BTreeMap<String, Scores>,
    /// Gini of top-10 exposure over all teams, with load spreading (as served).
    pub exposure_gini: f64,
    /// The same replay ranked by relevance alone, for comparison.
    pub relevance_only: Scores,
    pub relevance_only_exposure_gini: f64,
}

struct Replay {
    rankings: Vec<RankedOrder>,
    exposure_gini: f64,
}

fn replay(
    set: &EvalSet,
    matcher: &Matcher,
    index: &TeamIndex,
    policy: &RankingPolicy,
) -> anyhow::Result<Replay> {
    let mut exposure: HashMap<String, u32> = set.teams.iter().map(|t| (t.id.clone(), 0)).collect();
    let mut rankings = Vec::with_capacity(set.orders.len());
    for order in &set.orders {
        let query = matcher.order_query(&order.title, &order.body());
        let ranked = rank_teams(
            matcher,
            index,
            &query,
            policy,
            |team| {
                Some(TeamStanding {
                    available: true,
                    verified: true,
                    open_proposals: exposure.get(team).copied().unwrap_or(0),
                })
            },
            WRITTEN_RANKING,
        )
        .context("searching the index")?;
        let ranking: Vec<String> = ranked.into_iter().map(|m| m.team_id).collect();
        for team in ranking.iter().take(CUTOFF) {
            *exposure.entry(team.clone()).or_default() += 1;
        }
        rankings.push(RankedOrder {
            id: order.id.clone(),
            ranking,
        });
    }
    let counts: Vec<u64> = exposure.values().map(|c| u64::from(*c)).collect();
    Ok(Replay {
        rankings,
        exposure_gini: metrics::gini(&counts),
    })
}

fn score<'a>(set: &EvalSet, orders: impl Iterator<Item = &'a RankedOrder>) -> Scores {
    let mut scores = Scores::default();
    for order in orders {
        let judgments = set.judgments(&order.id);
        scores.orders += 1;
        scores.ndcg_at_10 += metrics::ndcg_at(&order.ranking, &judgments, CUTOFF);
        scores.recall_at_10 += metrics::recall_at(&order.ranking, &judgments, CUTOFF);
        scores.mrr += metrics::reciprocal_rank(&order.ranking, &judgments);
    }
    if scores.orders > 0 {
        let n = scores.orders as f64;
        scores.ndcg_at_10 /= n;
        scores.recall_at_10 /= n;
        scores.mrr /= n;
    }
    scores
}

/// Evaluates `set` with `matcher`; the index lives in a temporary directory removed afterwards.
pub fn evaluate(set: &EvalSet, matcher: &Matcher) -> anyhow::Result<Report> {
    let dir = tempfile::tempdir().context("creating a temporary index directory")?;
    let index = TeamIndex::open_or_create(dir.path(), matcher.analyzer().clone())
        .context("creating the temporary index")?;
    for team in &set.teams {
        let mut document = team.document();
        matcher.tag(&mut document);
        index.upsert(&document).context("indexing a team")?;
    }
    index.commit().context("committing the temporary index")?;

    let served = replay(set, matcher, &index, &RankingPolicy::default())?;
    let baseline = replay(set, matcher, &index, &RankingPolicy::relevance_only())?;
    let by_id: HashMap<&str, &RankedOrder> =
        served.rankings.iter().map(|o| (o.id.as_str(), o)).collect();
    let mut by_language = BTreeMap::new();
    let mut languages: Vec<&str> = set.orders.iter().map(|o| o.lang.as_str()).collect();
    languages.sort_unstable();
    languages.dedup();
    for language in languages {
        let orders = set
            .orders
            .iter()
            .filter(|o| o.lang == language)
            .filter_map(|o| by_id.get(o.id.as_str()).copied());
        by_language.insert(language.to_owned(), score(set, orders));
    }
    let by_tag = set
        .tags
        .iter()
        .map(|(tag, ids)| {
            let orders = ids.iter().filter_map(|id| by_id.get(id.as_str()).copied());
            (tag.clone(), score(set, orders))
        })
        .collect();
    Ok(Report {
        metrics: Metrics {
            overall: score(set, served.rankings.iter()),
            by_language,
            by_tag,
            exposure_gini: served.exposure_gini,
            relevance_only: score(set, baseline.rankings.iter()),
            relevance_only_exposure_gini: baseline.exposure_gini,
        },
        orders: served.rankings,
    })
}

/// The report as a table for a terminal.
pub fn print(report: &Report) {
    let row = |name: &str, s: &Scores| {
        println!(
            "{name:<28} {:>6} {:>9.4} {:>11.4} {:>8.4}",
            s.orders, s.ndcg_at_10, s.recall_at_10, s.mrr
        );
    };
    println!(
        "{:<28} {:>6} {:>9} {:>11} {:>8}",
        "评测 · slice", "orders", "nDCG@10", "Recall@10", "MRR"
    );
    let m = &report.metrics;
    row("overall", &m.overall);
    for (language, scores) in &m.by_language {
        row(&format!("lang={language}"), scores);
    }
    for (tag, scores) in &m.by_tag {
        row(&format!("tag={tag}"), scores);
    }
    row("relevance only (no spreading)", &m.relevance_only);
    println!(
        "top-10 exposure Gini: {:.4} with load spreading, {:.4} without; nDCG@10 change {:+.4}",
        m.exposure_gini,
        m.relevance_only_exposure_gini,
        m.overall.ndcg_at_10 - m.relevance_only.ndcg_at_10
    );
}

/// For lexicon reviewers: what the matcher recognised in each order, and how the judged teams fared.
fn explain(set: &EvalSet, matcher: &Matcher, report: &Report) -> anyhow::Result<()> {
    let lexicon = matcher.lexicon();
    let teams: HashMap<&str, &set::EvalTeam> =
        set.teams.iter().map(|t| (t.id.as_str(), t)).collect();
    for (order, ranked) in set.orders.iter().zip(&report.orders) {
        let judgments = set.judgments(&order.id);
        let query = matcher.order_query(&order.title, &order.body());
        let named: Vec<String> = query
            .mentions
            .iter()
            .map(|m| format!("{}({})", lexicon.get(m.concept).id, m.surface))
            .collect();
        println!(
            "\n== {} {} ndcg={:.3}",
            order.id,
            order.title,
            metrics::ndcg_at(&ranked.ranking, &judgments, CUTOFF)
        );
        println!("   concepts: {}", named.join(" "));
        let mut judged: Vec<(&String, &u32)> = judgments.iter().collect();
        judged.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (team, grade) in judged {
            let rank = ranked
                .ranking
                .iter()
                .position(|t| t == team)
                .map_or("-".to_owned(), |r| (r + 1).to_string());
            let mut document = teams
                .get(team.as_str())
                .map(|t| t.document())
                .unwrap_or_default();
            matcher.tag(&mut document);
            println!(
                "   g{grade} rank {rank:>2} {team} {} [{}]",
                document.name,
                document.concept_ids.join(" ")
            );
            let (strength, bridges) = matcher.bridges(&query, &document.concept_ids);
            let bridges: Vec<String> = bridges.iter().map(|b| matcher.describe(b, "en")).collect();
            println!("      bridge {strength:.2}: {}", bridges.join("; "));
        }
        for team in ranked.ranking.iter().take(5) {
            if judgments.contains_key(team) {
                continue;
            }
            let mut document = teams
                .get(team.as_str())
                .map(|t| t.document())
                .unwrap_or_default();
            matcher.tag(&mut document);
            let (strength, bridges) = matcher.bridges(&query, &document.concept_ids);
            let bridges: Vec<String> = bridges.iter().map(|b| matcher.describe(b, "en")).collect();
            println!(
                "   x  top {team} {} bridge {strength:.2}: {}",
                document.name,
                bridges.join("; ")
            );
        }
        let top: Vec<String> = ranked
            .ranking
            .iter()
            .take(CUTOFF)
            .map(|t| format!("{t}:{}", judgments.get(t).unwrap_or(&0)))
            .collect();
        println!("   top10: {}", top.join(" "));
    }
    Ok(())
}

/// Runs the whole command: load, evaluate, print, write `out`.
pub fn run(
    set_dir: &Path,
    out: &Path,
    matcher: &Matcher,
    show_explanations: bool,
) -> anyhow::Result<Report> {
    let set = EvalSet::load(set_dir)?;
    let report = evaluate(&set, matcher)?;
    if show_explanations {
        explain(&set, matcher, &report)?;
    }
    print(&report);
    let json = serde_json::to_vec_pretty(&report)?;
    std::fs::write(out, json).with_context(|| format!("writing {}", out.display()))?;
    Ok(report)
}
