//! The matcher: tags team profiles with concepts, expands an order through the lexicon's relations
//! (clinical problem → engineering capabilities → concrete techniques), searches the index with the
//! order's words and the expanded concepts, and explains every hit in the reader's language.

use std::collections::{HashMap, HashSet};

use crate::analyzer::Analyzer;
use crate::concepts::{ConceptRecognizer, Mention};
use crate::index::{Hit, IndexQuery, TeamDocument, TeamIndex};
use crate::lexicon::{ConceptIndex, Lexicon, LexiconError};

/// How much a concept reached through each kind of step counts, relative to one named directly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExpansionWeights {
    pub concept_boost: f32,
    pub mentioned: f32,
    /// Factor per `addressed_by` step.
    pub addressed_by: f32,
    /// Factor per `related` step.
    pub related: f32,
    /// Concepts reached with less weight than this are not followed.
    pub floor: f32,
    pub title_terms: f32,
    pub body_terms: f32,
}

impl Default for ExpansionWeights {
    fn default() -> Self {
        Self {
            concept_boost: 8.0,
            mentioned: 1.0,
            addressed_by: 0.8,
            related: 0.5,
            floor: 0.3,
            title_terms: 1.5,
            body_terms: 1.0,
        }
    }
}

impl ExpansionWeights {
    /// These weights with `name=value` pairs (comma separated) applied, for tuning experiments.
    pub fn with_overrides(mut self, overrides: &str) -> Result<Self, String> {
        for pair in overrides
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not name=value"))?;
            let value: f32 = value
                .trim()
                .parse()
                .map_err(|_| format!("{value:?} is not a number"))?;
            let slot = match name.trim() {
                "concept_boost" => &mut self.concept_boost,
                "mentioned" => &mut self.mentioned,
                "addressed_by" => &mut self.addressed_by,
                "related" => &mut self.related,
                "floor" => &mut self.floor,
                "title_terms" => &mut self.title_terms,
                "body_terms" => &mut self.body_terms,
                other => return Err(format!("unknown weight {other:?}")),
            };
            *slot = value;
        }
        Ok(self)
    }
}

/// A concept the order leads to, and the concept the order named that led there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expansion {
    pub concept: ConceptIndex,
    pub from: ConceptIndex,
    pub weight: f32,
}

/// An order turned into a query, remembering how each concept and word got there.
#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    pub mentions: Vec<Mention>,
    pub expansions: Vec<Expansion>,
    pub index_query: IndexQuery,
    /// The order's own spelling of each analysed word, for reasons a person can read.
    surfaces: HashMap<String, String>,
}

/// Why a team was proposed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The order names `need`; the team offers `capability` (the same concept or one that addresses it).
    Concept { need: String, capability: String },
    /// A word both texts use.
    Term { word: String },
}

/// A team for an order, with the reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub team_id: String,
    pub score: f32,
    pub reasons: Vec<Reason>,
}

/// Words that appear in almost every clinical need and say nothing about who can solve it.
const CLINICAL_FILLER: &[&str] = &[
    "患者",
    "病人",
    "临床",
    "医生",
    "医院",
    "科室",
    "护士",
    "现有",
    "方案",
    "需求",
    "研发",
    "开发",
    "实现",
    "提供",
    "要求",
    "效果",
    "方法",
    "技术",
    "情况",
    "工作",
    "相关",
    "国内",
    "产品",
    "用于",
    "较",
    "存在",
    "造成",
    "导致",
    "常",
    "多",
    "少",
    "大",
    "小",
    "高",
    "低",
    "难",
    "一",
    "不",
    "后",
    "前",
    "时",
    "上",
    "下",
    "能",
    "会",
    "要",
    "个",
    "次",
    "人",
    "无",
    "可",
    "patient",
    "clinic",
    "clinician",
    "hospit",
    "need",
    "current",
    "use",
    "develop",
    "solut",
    "would",
    "like",
    "want",
    "often",
    "also",
    "more",
    "less",
    "veri",
    "make",
];

/// Tags, expands, searches and explains. Built once; cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct Matcher {
    lexicon: Lexicon,
    analyzer: Analyzer,
    recognizer: ConceptRecognizer,
    weights: ExpansionWeights,
}

impl Matcher {
    pub fn new(lexicon: Lexicon) -> Self {
        let analyzer = Analyzer::new(lexicon.chinese_words());
        let recognizer = ConceptRecognizer::new(&lexicon, &analyzer);
        Self {
            lexicon,
            analyzer,
            recognizer,
            weights: ExpansionWeights::default(),
        }
    }

    /// The matcher with the lexicon shipped in `search-index/lexicon/`.
    pub fn builtin() -> Result<Self, LexiconError> {
        Lexicon::builtin().map(Self::new)
    }

    pub fn weights(&self) -> ExpansionWeights {
        self.weights
    }

    pub fn with_weights(mut self, weights: ExpansionWeights) -> Self {
        self.weights = weights;
        self
    }

    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// The analyzer to open the index with: it knows the lexicon's Chinese words.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The concepts named in `text`.
    pub fn recognise(&self, text: &str) -> Vec<Mention> {
        self.recognizer
            .recognise(text, &self.analyzer.analyze(text))
    }

    /// Fills in the team's concept ids from its profile text.
    pub fn tag(&self, team: &mut TeamDocument) {
        let mut ids: Vec<String> = self
            .recognise(&team.full_text())
            .into_iter()
            .map(|m| self.lexicon.get(m.concept).id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        team.concept_ids = ids;
    }

    /// The query for an order: its words (the title's count more) and its concepts, expanded.
    pub fn order_query(&self, title: &str, body: &str) -> OrderQuery {
        let mut surfaces = HashMap::new();
        let mut terms = Vec::new();
        let mut mentions = Vec::new();
        for (text, weight) in [
            (title, self.weights.title_terms),
            (body, self.weights.body_terms),
        ] {
            let tokens = self.analyzer.analyze(text);
            for mention in self.recognizer.recognise(text, &tokens) {
                if !mentions
                    .iter()
                    .any(|m: &Mention| m.concept == mention.concept)
                {
                    mentions.push(mention);
                }
            }
            for token in tokens {
                if CLINICAL_FILLER.contains(&token.text.as_str()) {
                    continue;
                }
                if let Some(surface) = text.get(token.offset_from..token.offset_to) {
                    surfaces
                        .entry(token.text.clone())
                        .or_insert_with(|| surface.to_owned());
                }
                terms.push((token.text, weight));
            }
        }
        let expansions = self.expand(&mentions);
        let concepts = expansions
            .iter()
            .map(|e| {
                (
                    self.lexicon.get(e.concept).id.clone(),
                    e.weight * self.weights.concept_boost,
                )
            })
            .collect();
        OrderQuery {
            mentions,
            expansions,
            index_query: IndexQuery { terms, concepts },
            surfaces,
        }
    }

    /// Every concept reachable from the mentioned ones, with the best weight and its source: a
    /// walk along `addressed_by` and `related` links whose weight decays with every step.
    fn expand(&self, mentions: &[Mention]) -> Vec<Expansion> {
        let w = self.weights;
        let mut best: HashMap<ConceptIndex, Expansion> = HashMap::new();
        let mut frontier: Vec<Expansion> = mentions
            .iter()
            .map(|m| Expansion {
                concept: m.concept,
                from: m.concept,
                weight: w.mentioned,
            })
            .collect();
        while let Some(step) = frontier.pop() {
            match best.get(&step.concept) {
                Some(known) if known.weight >= step.weight => continue,
                _ => {}
            }
            best.insert(step.concept, step);
            let next = |concept: ConceptIndex, factor: f32| Expansion {
                concept,
                from: step.from,
                weight: step.weight * factor,
            };
            for capability in self.lexicon.addressed_by(step.concept) {
                frontier.push(next(capability, w.addressed_by));
            }
            for related in self.lexicon.related(step.concept) {
                frontier.push(next(related, w.related));
            }
            frontier.retain(|e| e.weight >= w.floor);
        }
        let mut expansions: Vec<Expansion> = best.into_values().collect();
        expansions.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then(a.concept.cmp(&b.concept))
        });
        expansions
    }

    /// Searches `index` for the order's best `limit` teams, with reasons.
    pub fn search(
        &self,
        index: &TeamIndex,
        query: &OrderQuery,
        limit: usize,
    ) -> tantivy::Result<Vec<Match>> {
        Ok(index
            .search_query(&query.index_query, limit)?
            .into_iter()
            .map(|hit| self.explain(query, hit))
            .collect())
    }

    fn explain(&self, query: &OrderQuery, hit: Hit) -> Match {
        let matched: HashSet<&str> = hit.matched_concepts.iter().map(String::as_str).collect();
        let mut reasons: Vec<Reason> = Vec::new();
        for expansion in &query.expansions {
            let capability = &self.lexicon.get(expansion.concept).id;
            if matched.contains(capability.as_str()) {
                let reason = Reason::Concept {
                    need: self.lexicon.get(expansion.from).id.clone(),
                    capability: capability.clone(),
                };
                if !reasons.contains(&reason) {
                    reasons.push(reason);
                }
            }
        }
        reasons.truncate(5);
        let concept_words: HashSet<String> = reasons
            .iter()
            .flat_map(|r| match r {
                Reason::Concept { need, capability } => [need.clone(), capability.clone()],
                Reason::Term { .. } => [String::new(), String::new()],
            })
            .filter_map(|id| self.lexicon.by_id(&id))
            .flat_map(|c| c.surface_forms().map(str::to_lowercase).collect::<Vec<_>>())
            .collect();
        let mut words: Vec<&String> = hit
            .matched_terms
            .iter()
            .filter(|t| t.chars().count() > 1)
            .collect();
        words.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
        for term in words.into_iter().take(5) {
            let word = query.surfaces.get(term).unwrap_or(term).clone();
            if !concept_words.contains(&word.to_lowercase()) {
                reasons.push(Reason::Term { word });
            }
        }
        Match {
            team_id: hit.team_id,
            score: hit.score,
            reasons,
        }
    }

    /// A reason as a sentence in `language` ("zh-CN" or "en").
    pub fn describe(&self, reason: &Reason, language: &str) -> String {
        let english = language.starts_with("en");
        let label = |id: &str| {
            self.lexicon
                .by_id(id)
                .map_or(id.to_owned(), |c| c.label(language).to_owned())
        };
        match (reason, english) {
            (Reason::Concept { need, capability }, false) if need == capability => {
                format!("需求与团队都涉及「{}」", label(need))
            }
            (Reason::Concept { need, capability }, true) if need == capability => {
                format!("both the need and the team concern “{}”", label(need))
            }
            (Reason::Concept { need, capability }, false) => {
                format!("需求「{}」→ 团队能力「{}」", label(need), label(capability))
            }
            (Reason::Concept { need, capability }, true) => {
                format!(
                    "need “{}” → team capability “{}”",
                    label(need),
                    label(capability)
                )
            }
            (Reason::Term { word }, false) => format!("共同关键词「{word}」"),
            (Reason::Term { word }, true) => format!("shared keyword “{word}”"),
        }
    }
}
