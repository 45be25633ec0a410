//! The team index on disk: one tantivy document per team, analysed with the mixed analyzer, with
//! field weights applied at query time. Queries are built from analysed terms and concept ids only:
//! raw user text never reaches tantivy's query parser, so no input can make a query fail.
//!
//! Writes are cheap and buffered; [`TeamIndex::commit_if_dirty`] makes them durable and visible.
//! [`CommitLoop`] calls it at most once per interval from a background thread, so a burst of
//! profile edits costs one commit, never one per document.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

use crate::analyzer::Analyzer;

const TOKENIZER: &str = "yigong_mixed";
const WRITER_MEMORY_BYTES: usize = 100_000_000;
/// Query words kept after dropping the common ones (see `most_telling_terms`).
const MAX_QUERY_TERMS: usize = 48;
/// How often [`TeamIndex::compact`] tries again while background merges hold its segments.
const COMPACT_ATTEMPTS: u32 = 100;
/// A word in more than this share of profiles is too common to search for...
const COMMON_TERM_SHARE: f32 = 0.1;
/// ...once the index holds enough profiles for the share to mean something.
const COMMON_TERM_MIN_DOCS: f32 = 200.0;

/// A team profile as the index sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamDocument {
    pub team_id: String,
    /// The database version of the profile this document was built from.
    pub version: u64,
    pub name: String,
    pub summary: String,
    pub capabilities: String,
    pub keywords: Vec<String>,
    pub equipment: Vec<String>,
    pub disciplines: Vec<String>,
    pub institution: String,
    pub city: String,
    pub language: String,
    pub concept_ids: Vec<String>,
    /// The concepts its name, summary or keywords name: what the team is about, not only what its
    /// longer description mentions.
    pub core_concept_ids: Vec<String>,
}

impl TeamDocument {
    /// The text that says what the team is about: name, summary and keywords.
    pub fn core_text(&self) -> String {
        let mut parts = vec![self.name.as_str(), self.summary.as_str()];
        parts.extend(self.keywords.iter().map(String::as_str));
        parts.join("\n")
    }

    /// The rest of the profile: capabilities, equipment and disciplines.
    pub fn detail_text(&self) -> String {
        let mut parts = vec![self.capabilities.as_str()];
        parts.extend(self.equipment.iter().map(String::as_str));
        parts.extend(self.disciplines.iter().map(String::as_str));
        parts.join("\n")
    }

    /// All the profile's searchable text.
    pub fn full_text(&self) -> String {
        format!("{}\n{}", self.core_text(), self.detail_text())
    }
}

/// Marks a core concept in the concept field (`core:hydrogel`); never a lexicon id, which is
/// snake_case.
const CORE_MARK: &str = "core:";

/// The searchable text fields and how much a match in each counts.
const TEXT_FIELDS: [(&str, f32); 7] = [
    ("name", 2.0),
    ("keywords", 2.5),
    ("capabilities", 1.5),
    ("summary", 1.5),
    ("equipment", 1.0),
    ("disciplines", 1.0),
    ("institution", 0.5),
];

/// What to look for: analysed terms and concept ids, each with a weight.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexQuery {
    pub terms: Vec<(String, f32)>,
    pub concepts: Vec<(String, f32)>,
}

/// One team found for a query, with the query's terms and concepts it contained.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub team_id: String,
    pub score: f32,
    pub matched_terms: Vec<String>,
    pub matched_concepts: Vec<String>,
    /// Which of them the team's name, summary or keywords name.
    pub core_concepts: Vec<String>,
}

#[derive(Clone)]
struct MixedTokenizer(Analyzer);

struct PreparedTokens {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for PreparedTokens {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for MixedTokenizer {
    type TokenStream<'a> = PreparedTokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PreparedTokens {
        let tokens = self
            .0
            .analyze(text)
            .into_iter()
            .map(|t| Token {
                offset_from: t.offset_from,
                offset_to: t.offset_to,
                position: t.position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        PreparedTokens { tokens, next: 0 }
    }
}

/// The index, its writer and a reader that follows commits. Shared behind an `Arc`: every method
/// takes `&self`.
pub struct TeamIndex {
    analyzer: Analyzer,
    writer: Mutex<IndexWriter>,
    dirty: AtomicBool,
    reader: IndexReader,
    team_id: Field,
    version: Field,
    concept_ids: Field,
    language: Field,
    words: Field,
    text_fields: Vec<(Field, &'static str, f32)>,
    /// Written with every commit (see [`TeamIndex::label_commits`]).
    commit_label: Mutex<Option<String>>,
}

impl std::fmt::Debug for TeamIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TeamIndex")
    }
}

fn schema() -> Schema {
    let mut builder = Schema::builder();
    builder.add_text_field("team_id", STRING | STORED);
    builder.add_u64_field("version", INDEXED | STORED | FAST);
    builder.add_text_field("concept_ids", STRING | STORED);
    builder.add_text_field("language", STRING | STORED);
    // The profile's analysed words, stored (not indexed) so reasons need no re-analysis.
    builder.add_text_field("words", STORED);
    // Searched, not stored: matching reads only ids, concepts and `words` back, and a lean
    // document store keeps reading candidates cheap.
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    for (name, _) in TEXT_FIELDS {
        builder.add_text_field(name, text.clone());
    }
    builder.build()
}

impl TeamIndex {
    /// Opens the index in `dir`, creating it when the directory holds none. An index written with
    /// another schema (by an older release) is discarded and started afresh: the index is derived
    /// state, and the caller's reconciliation refills it from the database.
    pub fn open_or_create(dir: &Path, analyzer: Analyzer) -> tantivy::Result<Self> {
        let index = match Self::open_dir(dir) {
            Err(tantivy::TantivyError::SchemaError(reason)) => {
                tracing::warn!(%reason, dir = %dir.display(), "index schema changed; rebuilding the index");
                std::fs::remove_dir_all(dir)?;
                Self::open_dir(dir)?
            }
            opened => opened?,
        };
        Self::from_index(index, analyzer)
    }

    fn open_dir(dir: &Path) -> tantivy::Result<Index> {
        std::fs::create_dir_all(dir)?;
        let directory = tantivy::directory::MmapDirectory::open(dir)?;
        Index::open_or_create(directory, schema())
    }

    /// An index held in memory only (evaluation and benchmarks of the matcher itself).
    pub fn in_memory(analyzer: Analyzer) -> tantivy::Result<Self> {
        Self::from_index(Index::create_in_ram(schema()), analyzer)
    }

    fn from_index(index: Index, analyzer: Analyzer) -> tantivy::Result<Self> {
        index.tokenizers().register(
            TOKENIZER,
            TextAnalyzer::from(MixedTokenizer(analyzer.clone())),
        );
        let schema = index.schema();
        let field = |name: &str| schema.get_field(name);
        let text_fields = TEXT_FIELDS
            .iter()
            .map(|(name, boost)| Ok((field(name)?, *name, *boost)))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Self {
            writer: Mutex::new(index.writer(WRITER_MEMORY_BYTES)?),
            dirty: AtomicBool::new(false),
            reader: index
                .reader_builder()
                .reload_policy(ReloadPolicy::Manual)
                .try_into()?,
            team_id: field("team_id")?,
            version: field("version")?,
            concept_ids: field("concept_ids")?,
            language: field("language")?,
            words: field("words")?,
            text_fields,
            commit_label: Mutex::new(None),
            analyzer,
        })
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        // A panic while holding the lock leaves the writer usable: tantivy keeps its own state.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the team's document (visible after the next commit).
    pub fn upsert(&self, team: &TeamDocument) -> tantivy::Result<()> {
        let mut document = doc!(
            self.team_id => team.team_id.as_str(),
            self.version => team.version,
            self.language => team.language.as_str(),
        );
        for concept in &team.concept_ids {
            document.add_text(self.concept_ids, concept);
        }
        for concept in &team.core_concept_ids {
            document.add_text(self.concept_ids, format!("{CORE_MARK}{concept}"));
        }
        let values: [(&str, String); 7] = [
            ("name", team.name.clone()),
            ("keywords", team.keywords.join("；")),
            ("capabilities", team.capabilities.clone()),
            ("summary", team.summary.clone()),
            ("equipment", team.equipment.join("；")),
            ("disciplines", team.disciplines.join("；")),
            ("institution", team.institution.clone()),
        ];
        let mut words = BTreeSet::new();
        for (field, name, _) in &self.text_fields {
            if let Some((_, value)) = values.iter().find(|(n, _)| n == name) {
                document.add_text(*field, value);
                words.extend(self.analyzer.analyze(value).into_iter().map(|t| t.text));
            }
        }
        let words: Vec<String> = words.into_iter().collect();
        document.add_text(self.words, words.join(" "));
        let writer = self.writer();
        writer.delete_term(Term::from_field_text(self.team_id, &team.team_id));
        writer.add_document(document)?;
        self.dirty.store(true, Ordering::Release);
        Ok(())
    }

    pub fn delete(&self, team_id: &str) {
        self.writer()
            .delete_term(Term::from_field_text(self.team_id, team_id));
        self.dirty.store(true, Ordering::Release);
    }

    /// Makes every change so far durable and visible to new searches.
    pub fn commit(&self) -> tantivy::Result<()> {
        let mut writer = self.writer();
        self.dirty.store(false, Ordering::Release);
        self.commit_labelled(&mut writer)?;
        drop(writer);
        self.reader.reload()
    }

    fn commit_labelled(&self, writer: &mut IndexWriter) -> tantivy::Result<()> {
        let label = self
            .commit_label
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut prepared = writer.prepare_commit()?;
        if let Some(label) = label {
            prepared.set_payload(&label);
        }
        prepared.commit()?;
        Ok(())
    }

    /// Every commit from now on records `label` (say, how its documents were tagged), for
    /// [`TeamIndex::committed_label`] to read back after a restart.
    pub fn label_commits(&self, label: &str) {
        *self
            .commit_label
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(label.to_owned());
    }

    /// The label of the last commit on disk, if it had one.
    pub fn committed_label(&self) -> tantivy::Result<Option<String>> {
        Ok(self.writer().index().load_metas()?.payload)
    }

    /// Merges every segment into one, purging deleted documents, so that term statistics are
    /// exactly those of the live profiles (as after a rebuild). Tantivy also merges in the
    /// background; this makes it happen now.
    pub fn compact(&self) -> tantivy::Result<()> {
        let mut writer = self.writer();
        self.commit_labelled(&mut writer)?;
        for attempt in 1.. {
            self.reader.reload()?;
            let segments = writer.index().searchable_segment_ids()?;
            let fragmented = segments.len() > 1
                || self
                    .reader
                    .searcher()
                    .segment_readers()
                    .iter()
                    .any(|s| s.num_deleted_docs() > 0);
            if !fragmented {
                break;
            }
            match writer.merge(&segments).wait() {
                Ok(_) => break,
                // A background merge took some of these segments first: wait for it, then
                // merge what it left.
                Err(tantivy::TantivyError::InvalidArgument(_)) if attempt < COMPACT_ATTEMPTS => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(error) => return Err(error),
            }
        }
        self.commit_labelled(&mut writer)?;
        drop(writer);
        self.reader.reload()
    }

    /// Commits when anything changed since the last commit; says whether it did.
    pub fn commit_if_dirty(&self) -> tantivy::Result<bool> {
        if self.dirty.load(Ordering::Acquire) {
            self.commit()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The profile version of every indexed team, to compare with the database.
    pub fn indexed_versions(&self) -> tantivy::Result<HashMap<String, u64>> {
        let searcher = self.reader.searcher();
        let mut versions = HashMap::new();
        for segment in searcher.segment_readers() {
            let store = segment.get_store_reader(64)?;
            for doc_id in 0..segment.max_doc() {
                if segment.is_deleted(doc_id) {
                    continue;
                }
                let document: TantivyDocument = store.get(doc_id)?;
                let team_id = document
                    .get_first(self.team_id)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned();
                let version = document
                    .get_first(self.version)
                    .and_then(|v| v.as_u64())
                    .unwrap_or_default();
                versions.insert(team_id, version);
            }
        }
        Ok(versions)
    }

    /// The stored document of one team, if the index holds it.
    fn document_of(&self, team_id: &str) -> tantivy::Result<Option<TantivyDocument>> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.team_id, team_id),
            IndexRecordOption::Basic,
        );
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        top.first()
            .map(|(_, address)| searcher.doc(*address))
            .transpose()
    }

    /// The indexed profile version of one team, if the index holds it.
    pub fn version_of(&self, team_id: &str) -> tantivy::Result<Option<u64>> {
        Ok(self
            .document_of(team_id)?
            .and_then(|document| document.get_first(self.version).and_then(|v| v.as_u64())))
    }

    /// Removes every document (before a full rebuild).
    pub fn clear(&self) -> tantivy::Result<()> {
        self.writer().delete_all_documents()?;
        self.dirty.store(true, Ordering::Release);
        Ok(())
    }

    /// Convenience search: every analysed word of `text` and every concept with weight 1.
    pub fn search(
        &self,
        text: &str,
        concepts: &[String],
        limit: usize,
    ) -> tantivy::Result<Vec<Hit>> {
        let query = IndexQuery {
            terms: self
                .analyzer
                .analyze(text)
                .into_iter()
                .map(|t| (t.text, 1.0))
                .collect(),
            concepts: concepts.iter().map(|c| (c.clone(), 1.0)).collect(),
        };
        self.search_query(&query, limit)
    }

    /// The best `limit` teams for weighted terms and concepts, each with every concept it carries
    /// (in `matched_concepts`). `matched_terms` is left empty: see [`TeamIndex::matched_terms`].
    pub fn search_query(&self, query: &IndexQuery, limit: usize) -> tantivy::Result<Vec<Hit>> {
        let searcher = self.reader.searcher();
        self.top_addresses(&searcher, query, limit)?
            .into_iter()
            .map(|(score, address)| self.hit_at(&searcher, score, address))
            .collect()
    }

    /// The union of the best `limit` teams for the order's words and the best `limit` for its
    /// concepts, text hits first with their text score, then teams found by concepts only (score
    /// 0). The two searches run side by side, and each team's document is read once.
    pub fn search_text_and_concepts(
        &self,
        by_text: &IndexQuery,
        by_concept: &IndexQuery,
        limit: usize,
    ) -> tantivy::Result<Vec<Hit>> {
        let searcher = self.reader.searcher();
        let (text_top, concept_top) = std::thread::scope(|scope| {
            let text = scope.spawn(|| self.top_addresses(&searcher, by_text, limit));
            let concept = self.top_addresses(&searcher, by_concept, limit);
            let text = text
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (text, concept)
        });
        let mut seen = BTreeSet::new();
        let mut hits = Vec::new();
        let concept_only = concept_top?.into_iter().map(|(_, address)| (0.0, address));
        for (score, address) in text_top?.into_iter().chain(concept_only) {
            if seen.insert((address.segment_ord, address.doc_id)) {
                hits.push(self.hit_at(&searcher, score, address)?);
            }
        }
        Ok(hits)
    }

    /// The addresses and scores of the best `limit` documents for `query`.
    fn top_addresses(
        &self,
        searcher: &tantivy::Searcher,
        query: &IndexQuery,
        limit: usize,
    ) -> tantivy::Result<Vec<(f32, tantivy::DocAddress)>> {
        let mut term_weights: HashMap<&str, f32> = HashMap::new();
        for (term, weight) in &query.terms {
            let entry = term_weights.entry(term.as_str()).or_insert(0.0);
            *entry = entry.max(*weight);
        }
        let term_weights = self.most_telling_terms(searcher, term_weights)?;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (term, weight) in &term_weights {
            for (field, _, boost) in &self.text_fields {
                let query = TermQuery::new(
                    Term::from_field_text(*field, term),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), boost * weight)),
                ));
            }
        }
        for (concept, weight) in &query.concepts {
            let query = TermQuery::new(
                Term::from_field_text(self.concept_ids, concept),
                IndexRecordOption::Basic,
            );
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(query), *weight)),
            ));
        }
        if clauses.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )
    }

    /// The team stored at `address`, with every concept it carries.
    fn hit_at(
        &self,
        searcher: &tantivy::Searcher,
        score: f32,
        address: tantivy::DocAddress,
    ) -> tantivy::Result<Hit> {
        let document: TantivyDocument = searcher.doc(address)?;
        let team_id = document
            .get_first(self.team_id)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned();
        let mut matched_concepts = Vec::new();
        let mut core_concepts = Vec::new();
        for concept in document
            .get_all(self.concept_ids)
            .filter_map(|v| v.as_str())
        {
            match concept.strip_prefix(CORE_MARK) {
                Some(core) => core_concepts.push(core.to_owned()),
                None => matched_concepts.push(concept.to_owned()),
            }
        }
        Ok(Hit {
            team_id,
            score,
            matched_terms: Vec::new(),
            matched_concepts,
            core_concepts,
        })
    }

    /// Keeps the query words that can tell teams apart: words in more than a tenth of all
    /// profiles add little but cost long posting lists, and of the rest the strongest
    /// (weight × idf) [`MAX_QUERY_TERMS`] are kept.
    fn most_telling_terms<'q>(
        &self,
        searcher: &tantivy::Searcher,
        weights: HashMap<&'q str, f32>,
    ) -> tantivy::Result<Vec<(&'q str, f32)>> {
        let total = searcher.num_docs().max(1) as f32;
        let field = self
            .text_fields
            .iter()
            .find(|(_, name, _)| *name == "capabilities")
            .map(|(field, _, _)| *field);
        let mut ranked = Vec::with_capacity(weights.len());
        for (term, weight) in weights {
            let frequency = match field {
                Some(field) => searcher.doc_freq(&Term::from_field_text(field, term))? as f32,
                None => 0.0,
            };
            if total >= COMMON_TERM_MIN_DOCS && frequency / total > COMMON_TERM_SHARE {
                continue;
            }
            let idf = (1.0 + (total - frequency + 0.5) / (frequency + 0.5)).ln();
            ranked.push((term, weight, weight * idf));
        }
        ranked.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(b.0)));
        ranked.truncate(MAX_QUERY_TERMS);
        Ok(ranked
            .into_iter()
            .map(|(term, weight, _)| (term, weight))
            .collect())
    }

    /// Which of `terms` occur in the team's profile (for reasons; costs one analysis of it).
    pub fn matched_terms(&self, team_id: &str, terms: &[String]) -> tantivy::Result<Vec<String>> {
        let Some(document) = self.document_of(team_id)? else {
            return Ok(Vec::new());
        };
        let present: BTreeSet<&str> = document
            .get_first(self.words)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .split(' ')
            .collect();
        let mut matched: Vec<String> = terms
            .iter()
            .filter(|t| present.contains(String::as_str(t)))
            .cloned()
            .collect();
        matched.sort();
        matched.dedup();
        Ok(matched)
    }

    /// Inverse document frequency of each concept among indexed teams (BM25's formula).
    pub fn concept_idf(&self, concepts: &[&str]) -> tantivy::Result<HashMap<String, f32>> {
        let searcher = self.reader.searcher();
        let total = searcher.num_docs() as f32;
        let mut idf = HashMap::with_capacity(concepts.len());
        for concept in concepts {
            let frequency =
                searcher.doc_freq(&Term::from_field_text(self.concept_ids, concept))? as f32;
            let value = (1.0 + (total - frequency + 0.5) / (frequency + 0.5)).ln();
            idf.insert((*concept).to_owned(), value);
        }
        Ok(idf)
    }

    /// Convenience for tests and tools: the hits of `search` with their matched words filled in.
    pub fn search_with_terms(
        &self,
        text: &str,
        concepts: &[String],
        limit: usize,
    ) -> tantivy::Result<Vec<Hit>> {
        let terms: Vec<String> = self
            .analyzer
            .analyze(text)
            .into_iter()
            .map(|t| t.text)
            .collect();
        let mut hits = self.search(text, concepts, limit)?;
        for hit in &mut hits {
            hit.matched_terms = self.matched_terms(&hit.team_id, &terms)?;
        }
        Ok(hits)
    }
}

/// A background thread that commits the index at most once per interval while there are changes.
/// Dropping it stops the thread after a final commit.
pub struct CommitLoop {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for CommitLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CommitLoop")
    }
}

impl CommitLoop {
    /// Starts committing `index` every `interval` when it has changes. Failures are passed to
    /// `on_error` and retried at the next tick.
    pub fn start(
        index: Arc<TeamIndex>,
        interval: Duration,
        on_error: impl Fn(&tantivy::TantivyError) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("index-commit".into())
            .spawn(move || {
                loop {
                    let finished = !matches!(
                        stopped.recv_timeout(interval),
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout)
                    );
                    if let Err(error) = index.commit_if_dirty() {
                        on_error(&error);
                    }
                    if finished {
                        break;
                    }
                }
            })?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for CommitLoop {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(id: &str, name: &str, capabilities: &str, concepts: &[&str]) -> TeamDocument {
        TeamDocument {
            team_id: id.to_owned(),
            name: name.to_owned(),
            capabilities: capabilities.to_owned(),
            language: "zh".to_owned(),
            concept_ids: concepts.iter().map(|c| (*c).to_owned()).collect(),
            ..Default::default()
        }
    }

    fn index(dir: &Path) -> TeamIndex {
        TeamIndex::open_or_create(dir, Analyzer::new(["水凝胶", "外骨骼"])).unwrap()
    }

    #[test]
    fn chinese_and_english_queries_find_the_right_team_with_reasons() {
        let dir = tempfile::tempdir().unwrap();
        let index = index(dir.path());
        index
            .upsert(&team(
                "hydrogel",
                "生物材料课题组",
                "快速交联的多糖水凝胶, tissue adhesive, 可降解",
                &["haemostasis"],
            ))
            .unwrap();
        index
            .upsert(&team(
                "robot",
                "Surgical Robotics Lab",
                "continuum robots with force sensing",
                &[],
            ))
            .unwrap();
        index.commit().unwrap();

        let hits = index
            .search_with_terms("需要可降解的水凝胶", &[], 10)
            .unwrap();
        assert_eq!(hits[0].team_id, "hydrogel");
        assert!(
            hits[0].matched_terms.contains(&"水凝胶".to_owned()),
            "{hits:?}"
        );

        let hits = index
            .search("Tissue adhesives for bleeding", &[], 10)
            .unwrap();
        assert_eq!(hits[0].team_id, "hydrogel", "stemmed English matches");

        let hits = index
            .search("术中渗血", &["haemostasis".to_owned()], 10)
            .unwrap();
        assert_eq!(
            hits.first().map(|h| h.team_id.as_str()),
            Some("hydrogel"),
            "a concept bridges the vocabulary gap"
        );
        assert_eq!(hits[0].matched_concepts, ["haemostasis"]);
    }

    #[test]
    fn upsert_replaces_delete_removes_and_the_index_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let index = index(dir.path());
            index.upsert(&team("t1", "影像组", "CT 分割", &[])).unwrap();
            index
                .upsert(&team("t1", "影像组", "MRI 分割", &[]))
                .unwrap();
            index
                .upsert(&team("t2", "外骨骼组", "软体外骨骼", &[]))
                .unwrap();
            index.commit().unwrap();
            assert_eq!(index.num_docs(), 2);
            assert!(
                index.search("CT", &[], 10).unwrap().is_empty(),
                "the old version is gone"
            );
            index.delete("t2");
            index.commit().unwrap();
        }
        let reopened = index(dir.path());
        assert_eq!(reopened.num_docs(), 1);
        assert_eq!(reopened.search("MRI", &[], 10).unwrap()[0].team_id, "t1");
    }

    #[test]
    fn the_commit_label_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let index = index(dir.path());
            assert_eq!(index.committed_label().unwrap(), None);
            index.label_commits("tagging-1");
            index.upsert(&team("t1", "Lab", "MRI", &[])).unwrap();
            index.commit().unwrap();
            index.compact().unwrap();
        }
        let reopened = index(dir.path());
        assert_eq!(
            reopened.committed_label().unwrap().as_deref(),
            Some("tagging-1")
        );
    }

    #[test]
    fn an_index_written_with_another_schema_is_started_afresh() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut builder = Schema::builder();
            builder.add_text_field("team_id", STRING | STORED);
            let old = Index::create_in_dir(dir.path(), builder.build()).unwrap();
            let mut writer: IndexWriter = old.writer(WRITER_MEMORY_BYTES).unwrap();
            writer
                .add_document(doc!(old.schema().get_field("team_id").unwrap() => "old"))
                .unwrap();
            writer.commit().unwrap();
        }
        let index = index(dir.path());
        assert_eq!(index.num_docs(), 0, "the old documents are gone");
        index.upsert(&team("t1", "Lab", "MRI", &[])).unwrap();
        index.commit().unwrap();
        assert_eq!(index.search("MRI", &[], 10).unwrap()[0].team_id, "t1");
    }

    #[test]
    fn any_query_text_is_safe() {
        let dir = tempfile::tempdir().unwrap();
        let index = index(dir.path());
        index.upsert(&team("t1", "组", "能力", &[])).unwrap();
        index.commit().unwrap();
        for text in [
            "",
            "AND OR NOT",
            "title:(\"",
            "*?~^2",
            "\u{0}",
            "[1 TO 2]",
            &"长".repeat(10_000),
        ] {
            assert!(index.search(text, &[], 10).is_ok(), "{text:?}");
        }
    }

    #[test]
    fn the_commit_loop_makes_changes_visible_within_the_interval_with_one_commit_per_burst() {
        let dir = tempfile::tempdir().unwrap();
        let index = Arc::new(index(dir.path()));
        let _loop = CommitLoop::start(index.clone(), Duration::from_millis(300), |_| {}).unwrap();
        for n in 0..50 {
            index
                .upsert(&TeamDocument {
                    version: n,
                    ..team(&format!("t{n}"), "外骨骼组", "软体外骨骼", &[])
                })
                .unwrap();
        }
        assert_eq!(index.num_docs(), 0, "nothing is visible before a commit");
        let started = std::time::Instant::now();
        while index.num_docs() < 50 {
            assert!(
                started.elapsed() < Duration::from_millis(1500),
                "changes not visible within 1.5 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let versions = index.indexed_versions().unwrap();
        assert_eq!(versions.len(), 50);
        assert_eq!(versions["t7"], 7);
        assert!(
            !index.commit_if_dirty().unwrap(),
            "the loop already committed"
        );
    }

    #[test]
    fn positions_make_phrase_queries_work() {
        use tantivy::query::PhraseQuery;
        let dir = tempfile::tempdir().unwrap();
        let index = index(dir.path());
        index
            .upsert(&team(
                "phrase",
                "组",
                "a tissue adhesive for the liver",
                &[],
            ))
            .unwrap();
        index
            .upsert(&team(
                "apart",
                "组",
                "adhesive tapes for tissue culture",
                &[],
            ))
            .unwrap();
        index.commit().unwrap();
        let field = index
            .text_fields
            .iter()
            .find(|(_, n, _)| *n == "capabilities")
            .unwrap()
            .0;
        let phrase = PhraseQuery::new(vec![
            Term::from_field_text(field, "tissu"),
            Term::from_field_text(field, "adhes"),
        ]);
        let searcher = index.reader.searcher();
        let top = searcher
            .search(&phrase, &TopDocs::with_limit(5).order_by_score())
            .unwrap();
        assert_eq!(top.len(), 1, "only the document with the words in a row");
        let document: TantivyDocument = searcher.doc(top[0].1).unwrap();
        assert_eq!(
            document.get_first(index.team_id).and_then(|v| v.as_str()),
            Some("phrase")
        );
    }
}
