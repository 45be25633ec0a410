//! The team index on disk: one tantivy document per team, analysed with the mixed analyzer, with
//! field weights applied at query time. Queries are built from analysed terms only: raw user text
//! never reaches tantivy's query parser, so no input can make a query fail.

use std::collections::BTreeSet;
use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

use crate::analyzer::Analyzer;

const TOKENIZER: &str = "yigong_mixed";
const WRITER_MEMORY_BYTES: usize = 50_000_000;

/// A team profile as the index sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamDocument {
    pub team_id: String,
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
}

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

/// One team found for a query, with the query's words it contained.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub team_id: String,
    pub score: f32,
    pub matched_terms: Vec<String>,
    pub matched_concepts: Vec<String>,
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

/// The index, its writer and a reader that follows commits.
pub struct TeamIndex {
    analyzer: Analyzer,
    writer: IndexWriter,
    reader: IndexReader,
    team_id: Field,
    concept_ids: Field,
    language: Field,
    text_fields: Vec<(Field, &'static str, f32)>,
}

impl std::fmt::Debug for TeamIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TeamIndex")
    }
}

fn schema() -> Schema {
    let mut builder = Schema::builder();
    builder.add_text_field("team_id", STRING | STORED);
    builder.add_text_field("concept_ids", STRING | STORED);
    builder.add_text_field("language", STRING | STORED);
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    for (name, _) in TEXT_FIELDS {
        builder.add_text_field(name, text.clone());
    }
    builder.build()
}

impl TeamIndex {
    /// Opens the index in `dir`, creating it when the directory holds none.
    pub fn open_or_create(dir: &Path, analyzer: Analyzer) -> tantivy::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let directory = tantivy::directory::MmapDirectory::open(dir)?;
        let index = Index::open_or_create(directory, schema())?;
        Self::from_index(index, analyzer)
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
            writer: index.writer(WRITER_MEMORY_BYTES)?,
            reader: index
                .reader_builder()
                .reload_policy(ReloadPolicy::OnCommitWithDelay)
                .try_into()?,
            team_id: field("team_id")?,
            concept_ids: field("concept_ids")?,
            language: field("language")?,
            text_fields,
            analyzer,
        })
    }

    /// Replaces the team's document (visible after the next commit).
    pub fn upsert(&mut self, team: &TeamDocument) -> tantivy::Result<()> {
        self.delete(&team.team_id);
        let mut document = doc!(
            self.team_id => team.team_id.as_str(),
            self.language => team.language.as_str(),
        );
        for concept in &team.concept_ids {
            document.add_text(self.concept_ids, concept);
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
        for (field, name, _) in &self.text_fields {
            if let Some((_, value)) = values.iter().find(|(n, _)| n == name) {
                document.add_text(*field, value);
            }
        }
        self.writer.add_document(document)?;
        Ok(())
    }

    pub fn delete(&mut self, team_id: &str) {
        self.writer
            .delete_term(Term::from_field_text(self.team_id, team_id));
    }

    /// Makes every change so far durable and visible to new searches.
    pub fn commit(&mut self) -> tantivy::Result<()> {
        self.writer.commit()?;
        self.reader.reload()
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The best `limit` teams for `text` and `concepts`, each with the words and concepts that matched.
    pub fn search(
        &self,
        text: &str,
        concepts: &[String],
        limit: usize,
    ) -> tantivy::Result<Vec<Hit>> {
        let terms: BTreeSet<String> = self
            .analyzer
            .analyze(text)
            .into_iter()
            .map(|t| t.text)
            .collect();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in &terms {
            for (field, _, boost) in &self.text_fields {
                let query = TermQuery::new(
                    Term::from_field_text(*field, term),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), *boost)),
                ));
            }
        }
        for concept in concepts {
            let query = TermQuery::new(
                Term::from_field_text(self.concept_ids, concept),
                IndexRecordOption::Basic,
            );
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(query), 3.0)),
            ));
        }
        if clauses.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let document: TantivyDocument = searcher.doc(address)?;
            let stored = |field: Field| -> Vec<String> {
                document
                    .get_all(field)
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            };
            let mut present = BTreeSet::new();
            for (field, _, _) in &self.text_fields {
                for value in stored(*field) {
                    present.extend(self.analyzer.analyze(&value).into_iter().map(|t| t.text));
                }
            }
            let team_concepts = stored(self.concept_ids);
            hits.push(Hit {
                team_id: stored(self.team_id).into_iter().next().unwrap_or_default(),
                score,
                matched_terms: terms
                    .iter()
                    .filter(|t| present.contains(*t))
                    .cloned()
                    .collect(),
                matched_concepts: concepts
                    .iter()
                    .filter(|c| team_concepts.contains(c))
                    .cloned()
                    .collect(),
            });
        }
        Ok(hits)
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
        let mut index = index(dir.path());
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

        let hits = index.search("需要可降解的水凝胶", &[], 10).unwrap();
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
            let mut index = index(dir.path());
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
    fn any_query_text_is_safe() {
        let dir = tempfile::tempdir().unwrap();
        let mut index = index(dir.path());
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
}
