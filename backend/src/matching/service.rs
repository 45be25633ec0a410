//! The matching service: owns the matcher and the on-disk index, keeps the index in step with the
//! database (incremental updates, start-up reconciliation, full rebuilds) and stores proposals
//! for orders when they are published and for teams when their profile changes.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use uuid::Uuid;
use yigong_search_index::index::{CommitLoop, TeamDocument, TeamIndex};
use yigong_search_index::matcher::{Match, Matcher, Reason};
use yigong_search_index::ranking::{RankingPolicy, TeamStanding};

use super::ranker::{candidates, rerank};
use crate::store::entities::{order, team};
use crate::store::matches::{self, NewMatch};
use crate::store::{orders, organizations, string_list, teams};

/// Index changes become visible within this interval (one commit per interval at most).
const COMMIT_INTERVAL: Duration = Duration::from_millis(500);
const REINDEX_BATCH: u64 = 500;
/// Start-up reconciliation that re-indexes at least this many teams merges the index afterwards.
const COMPACT_AFTER_REINDEXED: usize = 1_000;

/// What a reconciliation or rebuild did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub indexed: usize,
    pub removed: usize,
    /// Every team was re-tagged because the index was tagged with another lexicon.
    pub retagged: bool,
}

pub struct MatchingService {
    matcher: Arc<Matcher>,
    index: Arc<TeamIndex>,
    policy: RankingPolicy,
    limit: usize,
    /// The index holds teams tagged with another lexicon (or other tagging rules) than the
    /// matcher's, until the next reconciliation re-tags them all.
    tagged_differently: AtomicBool,
    _commits: CommitLoop,
}

impl std::fmt::Debug for MatchingService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatchingService")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// The index's view of a team row.
pub fn team_document(matcher: &Matcher, team: &team::Model) -> TeamDocument {
    let mut document = TeamDocument {
        team_id: team.id.to_string(),
        version: u64::try_from(team.version).unwrap_or_default(),
        name: team.name.clone(),
        summary: team.summary.clone(),
        capabilities: team.capabilities.clone(),
        keywords: string_list(&team.keywords),
        equipment: string_list(&team.equipment),
        disciplines: string_list(&team.disciplines),
        institution: String::new(),
        city: team.city.clone(),
        language: team.language.clone(),
        concept_ids: Vec::new(),
        core_concept_ids: Vec::new(),
    };
    matcher.tag(&mut document);
    document
}

/// The order text the matcher reads: the clinical description and the office's engineering brief.
fn order_body(order: &order::Model) -> String {
    match &order.engineering_brief {
        Some(brief) => format!("{}\n{brief}", order.clinical_description),
        None => order.clinical_description.clone(),
    }
}

/// Reasons as stored in the `matches.reasons` column.
pub fn reasons_json(reasons: &[Reason]) -> serde_json::Value {
    reasons
        .iter()
        .map(|reason| match reason {
            Reason::Concept { need, capability } => {
                serde_json::json!({"type": "concept", "need": need, "capability": capability})
            }
            Reason::Term { word } => serde_json::json!({"type": "term", "word": word}),
        })
        .collect()
}

/// Reasons read back from the `matches.reasons` column (entries it cannot read are skipped).
pub fn reasons_from_json(value: &serde_json::Value) -> Vec<Reason> {
    let field = |entry: &serde_json::Value, name: &str| {
        entry.get(name).and_then(|v| v.as_str()).map(str::to_owned)
    };
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| match entry.get("type").and_then(|t| t.as_str()) {
            Some("concept") => Some(Reason::Concept {
                need: field(entry, "need")?,
                capability: field(entry, "capability")?,
            }),
            Some("term") => Some(Reason::Term {
                word: field(entry, "word")?,
            }),
            _ => None,
        })
        .collect()
}

impl MatchingService {
    /// Opens (or creates) the index in `dir` and starts the commit loop.
    pub fn open(dir: &Path, matcher: Arc<Matcher>, limit: usize) -> anyhow::Result<Self> {
        let index = Arc::new(
            TeamIndex::open_or_create(dir, matcher.analyzer().clone())
                .with_context(|| format!("opening the search index in {}", dir.display()))?,
        );
        let tagging = matcher.tagging_fingerprint();
        let tagged_differently = index.num_docs() > 0
            && index
                .committed_label()
                .context("reading the index")?
                .as_deref()
                != Some(tagging.as_str());
        index.label_commits(&tagging);
        let commits = CommitLoop::start(index.clone(), COMMIT_INTERVAL, |error| {
            tracing::error!(%error, "committing the search index failed; retrying");
        })
        .context("starting the index commit loop")?;
        Ok(Self {
            matcher,
            index,
            policy: RankingPolicy::default(),
            limit,
            tagged_differently: AtomicBool::new(tagged_differently),
            _commits: commits,
        })
    }

    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    pub fn index(&self) -> &TeamIndex {
        &self.index
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Queues the team's current profile for the index (visible within the commit interval).
    pub fn index_team(&self, team: &team::Model) -> anyhow::Result<()> {
        self.index
            .upsert(&team_document(&self.matcher, team))
            .context("indexing a team")
    }

    /// Waits until the index shows `version` of the team (or a later one), up to `timeout`.
    pub async fn wait_until_indexed(&self, team_id: Uuid, version: i64, timeout: Duration) -> bool {
        let wanted = u64::try_from(version).unwrap_or_default();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self
                .index
                .version_of(&team_id.to_string())
                .ok()
                .flatten()
                .is_some_and(|v| v >= wanted)
            {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Re-indexes teams whose indexed version differs from the database, and removes teams the
    /// database no longer has. Heals a crash between a database commit and an index commit. After
    /// an upgrade that changed the lexicon, re-tags every team.
    pub async fn reconcile(&self, db: &DatabaseConnection) -> anyhow::Result<SyncReport> {
        let retag = self.tagged_differently.load(Ordering::Acquire);
        let indexed = self.index.indexed_versions().context("reading the index")?;
        let current = teams::versions(db).await?;
        let stale: Vec<Uuid> = current
            .iter()
            .filter(|(id, version)| {
                retag
                    || indexed.get(&id.to_string()).copied()
                        != Some(u64::try_from(*version).unwrap_or_default())
            })
            .map(|(id, _)| *id)
            .collect();
        let known: HashSet<String> = current.iter().map(|(id, _)| id.to_string()).collect();
        let mut report = SyncReport {
            retagged: retag,
            ..SyncReport::default()
        };
        for gone in indexed.keys().filter(|id| !known.contains(*id)) {
            self.index.delete(gone);
            report.removed += 1;
        }
        for chunk in stale.chunks(REINDEX_BATCH as usize) {
            for team in teams::by_ids(db, chunk).await? {
                self.index_team(&team)?;
                report.indexed += 1;
            }
        }
        self.index.commit().context("committing the index")?;
        if report.indexed >= COMPACT_AFTER_REINDEXED {
            // Mostly a rebuild (after a lexicon upgrade, say): merge as `rebuild` does. Merging
            // only makes searches faster, so a failure is reported and start-up goes on.
            if let Err(error) = self.index.compact() {
                tracing::warn!(%error, "merging the index failed; searches stay correct");
            }
        }
        self.tagged_differently.store(false, Ordering::Release);
        Ok(report)
    }

    /// Rebuilds the whole index from the database, calling `progress(done, total)` as it goes.
    pub async fn rebuild(
        &self,
        db: &DatabaseConnection,
        mut progress: impl FnMut(usize, usize),
    ) -> anyhow::Result<SyncReport> {
        let total = usize::try_from(teams::count(db).await?).unwrap_or(usize::MAX);
        self.index.clear().context("clearing the index")?;
        let mut report = SyncReport::default();
        let mut after = None;
        loop {
            let batch = teams::batch_after(db, after, REINDEX_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = Some(last.id);
            for team in &batch {
                self.index_team(team)?;
                report.indexed += 1;
            }
            progress(report.indexed, total.max(report.indexed));
        }
        // A rebuilt index is merged into one segment: the fastest to search.
        self.index.compact().context("merging the index")?;
        self.tagged_differently.store(false, Ordering::Release);
        Ok(report)
    }

    /// Ranks available teams for `order` with the marketplace's priors.
    pub async fn rank_order(
        &self,
        db: &impl ConnectionTrait,
        order: &order::Model,
        limit: usize,
    ) -> anyhow::Result<Vec<Match>> {
        let query = self.matcher.order_query(&order.title, &order_body(order));
        let found =
            candidates(&self.matcher, &self.index, &query, limit).context("searching the index")?;
        let ids: Vec<Uuid> = found
            .iter()
            .filter_map(|m| m.team_id.parse().ok())
            .collect();
        let standings = self.standings(db, &ids).await?;
        rerank(
            &self.matcher,
            &self.index,
            &query,
            found,
            &self.policy,
            |team| standings.get(team).copied(),
            limit,
        )
        .context("reading the shared words")
    }

    async fn standings(
        &self,
        db: &impl ConnectionTrait,
        ids: &[Uuid],
    ) -> anyhow::Result<HashMap<String, TeamStanding>> {
        let teams = teams::by_ids(db, ids).await?;
        let orgs: Vec<Uuid> = teams.iter().map(|t| t.organization_id).collect();
        let verified: HashSet<Uuid> = organizations::verified_among(db, &orgs)
            .await?
            .into_iter()
            .collect();
        let open: HashMap<Uuid, i64> = matches::open_counts(db, ids).await?.into_iter().collect();
        Ok(teams
            .iter()
            .map(|team| {
                let standing = TeamStanding {
                    // Projects arrive with bidding; until then capacity 0 means "no new work".
                    available: team.accepting_work && team.capacity > 0,
                    verified: verified.contains(&team.organization_id),
                    open_proposals: u32::try_from(open.get(&team.id).copied().unwrap_or(0))
                        .unwrap_or(u32::MAX),
                };
                (team.id.to_string(), standing)
            })
            .collect())
    }

    /// Proposes the order's top teams; returns how many proposals it holds afterwards.
    pub async fn propose_for_order(
        &self,
        db: &DatabaseConnection,
        order: &order::Model,
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let ranked = self.rank_order(db, order, self.limit).await?;
        let proposals: Vec<NewMatch> = ranked
            .iter()
            .enumerate()
            .filter_map(|(rank, m)| {
                Some(NewMatch {
                    order_id: order.id,
                    team_id: m.team_id.parse().ok()?,
                    score: f64::from(m.score),
                    rank: i32::try_from(rank + 1).ok()?,
                    reasons: reasons_json(&m.reasons),
                })
            })
            .collect();
        // The proposals and their `match.proposed` events commit together.
        let txn = db.begin().await?;
        matches::insert_new(&txn, &proposals, now).await?;
        txn.commit().await?;
        Ok(matches::for_order(db, order.id).await?.len())
    }

    /// Proposes teams for every published order (after a bulk load such as the demo data).
    pub async fn propose_for_open_orders(
        &self,
        db: &DatabaseConnection,
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let mut proposed = 0;
        for order_id in orders::published_ids(db).await? {
            if let Some(order) = orders::find(db, order_id).await? {
                proposed += self.propose_for_order(db, &order, now).await?;
            }
        }
        Ok(proposed)
    }

    /// Matches a new or changed team against every published order and adds the proposals where
    /// it now ranks in the top list. Returns the orders it was proposed for.
    pub async fn propose_for_team(
        &self,
        db: &DatabaseConnection,
        team_id: Uuid,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Uuid>> {
        let mut proposed = Vec::new();
        for order_id in orders::published_ids(db).await? {
            let Some(order) = orders::find(db, order_id).await? else {
                continue;
            };
            let ranked = self.rank_order(db, &order, self.limit).await?;
            let wanted = team_id.to_string();
            if let Some((rank, found)) =
                ranked.iter().enumerate().find(|(_, m)| m.team_id == wanted)
            {
                let proposal = NewMatch {
                    order_id,
                    team_id,
                    score: f64::from(found.score),
                    rank: i32::try_from(rank + 1).unwrap_or(i32::MAX),
                    reasons: reasons_json(&found.reasons),
                };
                let txn = db.begin().await?;
                matches::insert_new(&txn, &[proposal], now).await?;
                txn.commit().await?;
                proposed.push(order_id);
            }
        }
        Ok(proposed)
    }
}
