//! The matcher: tags team profiles with concepts, expands an order through the lexicon's relations
//! (clinical problem → engineering capabilities → concrete techniques), searches the index with the
//! order's words and the expanded concepts, and explains every hit in the reader's language.

use std::collections::{HashMap, HashSet};

use crate::analyzer::Analyzer;
use crate::concepts::{ConceptRecognizer, Mention};
use crate::index::{Hit, IndexQuery, TeamDocument, TeamIndex};
use crate::lexicon::{ConceptIndex, ConceptKind, Lexicon, LexiconError};

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
    /// Weight of the words of expanded concepts' surface forms, relative to the concept's weight.
    pub expansion_terms: f32,
    /// When above 0, text relevance is divided by the best candidate's and scaled by this, so
    /// that long Chinese texts and short English ones weigh the same against concepts.
    pub text_scale: f32,
    /// Extra weight of concepts named in the order's title (the heart of the need).
    pub title_concepts: f32,
    /// Exponent of a concept's specificity in the lexicon graph (0 ignores it).
    pub specificity: f32,
    /// Factor for a team matching through a clinical concept (the setting) rather than an
    /// engineering capability.
    pub clinical_context: f32,
    /// How much a team's further capabilities for one aspect of the need add to its best one.
    pub aspect_breadth: f32,
    /// Lexicon entries list a need's capabilities most direct first: the k-th (from 0) of them
    /// counts `1 / (1 + k × link_order)` of the first.
    pub link_order: f32,
    /// A concept named n times starts with `1 + repetition × ln n` times the weight of one named
    /// once: what a need keeps coming back to is its heart, a setting named once is context. (Words
    /// that name k concepts count 1/k towards each.)
    pub repetition: f32,
    /// How far a team's concept score is divided by its number of concepts relative to the
    /// candidates' average (0: not at all; 1: fully), as BM25 normalises by length: a profile
    /// naming many capabilities has more chances to touch every aspect of a need.
    pub concept_length_norm: f32,
    /// Factor for a team that names an industry outside healthcare it works for (an agricultural
    /// picking-robot lab for a hand-rehabilitation need).
    pub outside_healthcare: f32,
    /// Factor for a capability the team's name, summary or keywords name (its focus), against
    /// one only its longer description mentions.
    pub core_concepts: f32,
}

impl Default for ExpansionWeights {
    fn default() -> Self {
        Self {
            concept_boost: 8.0,
            mentioned: 1.0,
            addressed_by: 0.7,
            related: 0.5,
            floor: 0.3,
            title_terms: 1.5,
            body_terms: 1.0,
            expansion_terms: 0.15,
            text_scale: 20.0,
            title_concepts: 2.0,
            specificity: 0.0,
            clinical_context: 1.0,
            aspect_breadth: 0.35,
            link_order: 0.06,
            repetition: 1.0,
            concept_length_norm: 0.2,
            outside_healthcare: 0.7,
            core_concepts: 1.3,
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
                "expansion_terms" => &mut self.expansion_terms,
                "text_scale" => &mut self.text_scale,
                "title_concepts" => &mut self.title_concepts,
                "specificity" => &mut self.specificity,
                "clinical_context" => &mut self.clinical_context,
                "aspect_breadth" => &mut self.aspect_breadth,
                "link_order" => &mut self.link_order,
                "repetition" => &mut self.repetition,
                "concept_length_norm" => &mut self.concept_length_norm,
                "outside_healthcare" => &mut self.outside_healthcare,
                "core_concepts" => &mut self.core_concepts,
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

/// How a team answers one concept the order names.
#[derive(Debug, Clone, Copy)]
struct Aspect {
    /// The concept the order names.
    need: ConceptIndex,
    /// The team's best concept for it.
    capability: ConceptIndex,
    value: f32,
}

/// A team for an order, with the reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub team_id: String,
    pub score: f32,
    pub reasons: Vec<Reason>,
}

/// Bump when the way text is analysed or concepts are recognised changes, so that indexes tagged
/// the old way are re-tagged at start-up.
const TAGGING_RULES: u32 = 3;

/// Candidates each index query returns before concept scoring.
const MIN_CANDIDATES: usize = 30;
const MAX_CONCEPT_REASONS: usize = 5;
const MAX_TERM_REASONS: usize = 5;
/// Words borrowed from expanded concepts' surface forms, strongest first.
const MAX_EXPANSION_WORDS: usize = 40;

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
    /// The analysed words of each concept's surface forms, computed once.
    form_words: Vec<Vec<String>>,
    /// For each concept, every concept its links lead to with the weight (computed once).
    reach: Vec<Vec<(ConceptIndex, f32)>>,
    weights: ExpansionWeights,
}

impl Matcher {
    pub fn new(lexicon: Lexicon) -> Self {
        let analyzer = Analyzer::new(lexicon.chinese_words());
        let recognizer = ConceptRecognizer::new(&lexicon, &analyzer);
        let form_words = lexicon
            .concepts()
            .iter()
            .map(|concept| {
                let mut words: Vec<String> = concept
                    .surface_forms()
                    .flat_map(|form| analyzer.analyze(form))
                    .map(|t| t.text)
                    .filter(|w| !CLINICAL_FILLER.contains(&w.as_str()))
                    .collect();
                words.sort();
                words.dedup();
                words
            })
            .collect();
        let weights = ExpansionWeights::default();
        let reach = Self::all_reach(&lexicon, &weights);
        Self {
            lexicon,
            analyzer,
            recognizer,
            form_words,
            reach,
            weights,
        }
    }

    /// Names how teams are tagged: the lexicon's fingerprint and the recogniser's rules. An index
    /// whose documents were tagged under another name must be re-tagged.
    pub fn tagging_fingerprint(&self) -> String {
        format!(
            "tagging-{TAGGING_RULES}-{:016x}",
            self.lexicon.fingerprint()
        )
    }

    /// The matcher with the lexicon shipped in `search-index/lexicon/`.
    pub fn builtin() -> Result<Self, LexiconError> {
        Lexicon::builtin().map(Self::new)
    }

    pub fn weights(&self) -> ExpansionWeights {
        self.weights
    }

    pub fn with_weights(mut self, weights: ExpansionWeights) -> Self {
        self.reach = Self::all_reach(&self.lexicon, &weights);
        self.weights = weights;
        self
    }

    fn all_reach(lexicon: &Lexicon, weights: &ExpansionWeights) -> Vec<Vec<(ConceptIndex, f32)>> {
        (0..lexicon.len())
            .map(|concept| Self::reach(lexicon, weights, concept))
            .collect()
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

    /// Fills in the team's concept ids from its profile text, and which of them its name,
    /// summary or keywords name (each part of the profile is read once).
    pub fn tag(&self, team: &mut TeamDocument) {
        let ids_in = |text: &str| -> Vec<String> {
            let mut ids: Vec<String> = self
                .recognise(text)
                .into_iter()
                .map(|m| self.lexicon.get(m.concept).id.clone())
                .collect();
            ids.sort();
            ids.dedup();
            ids
        };
        let core = ids_in(&team.core_text());
        let mut ids = ids_in(&team.detail_text());
        ids.extend(core.iter().cloned());
        ids.sort();
        ids.dedup();
        team.concept_ids = ids;
        team.core_concept_ids = core;
    }

    /// The query for an order: its words (the title's count more) and its concepts, expanded.
    pub fn order_query(&self, title: &str, body: &str) -> OrderQuery {
        let mut surfaces = HashMap::new();
        let mut terms = Vec::new();
        let mut mentions = Vec::new();
        let mut in_title = HashSet::new();
        for (text, weight, is_title) in [
            (title, self.weights.title_terms, true),
            (body, self.weights.body_terms, false),
        ] {
            let tokens = self.analyzer.analyze(text);
            for mention in self.recognizer.recognise(text, &tokens) {
                if is_title {
                    in_title.insert(mention.concept);
                }
                match mentions
                    .iter_mut()
                    .find(|m: &&mut Mention| m.concept == mention.concept)
                {
                    Some(earlier) => earlier.strength += mention.strength,
                    None => mentions.push(mention),
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
        let expansions = self.expand(&mentions, &in_title);
        if self.weights.expansion_terms > 0.0 {
            let mut expansion_words: HashMap<&str, f32> = HashMap::new();
            for expansion in &expansions {
                let weight = expansion.weight * self.weights.expansion_terms;
                for word in &self.form_words[expansion.concept] {
                    let entry = expansion_words.entry(word.as_str()).or_insert(0.0);
                    *entry = entry.max(weight);
                }
            }
            let mut ranked: Vec<(&str, f32)> = expansion_words.into_iter().collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
            ranked.truncate(MAX_EXPANSION_WORDS);
            terms.extend(ranked.into_iter().map(|(w, weight)| (w.to_owned(), weight)));
        }
        let mut strongest: HashMap<ConceptIndex, f32> = HashMap::new();
        for expansion in &expansions {
            let entry = strongest.entry(expansion.concept).or_insert(0.0);
            *entry = entry.max(expansion.weight);
        }
        let mut concepts: Vec<(String, f32)> = strongest
            .into_iter()
            .map(|(concept, weight)| (self.lexicon.get(concept).id.clone(), weight))
            .collect();
        concepts.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        OrderQuery {
            mentions,
            expansions,
            index_query: IndexQuery { terms, concepts },
            surfaces,
        }
    }

    /// Every concept reachable from `from` with its best weight (starting at 1): a walk along
    /// `addressed_by` and `related` links whose weight decays with every step, down to the floor.
    fn reach(
        lexicon: &Lexicon,
        weights: &ExpansionWeights,
        from: ConceptIndex,
    ) -> Vec<(ConceptIndex, f32)> {
        let mut best = vec![0.0_f32; lexicon.len()];
        let mut stack = vec![(from, 1.0_f32)];
        best[from] = 1.0;
        while let Some((concept, weight)) = stack.pop() {
            if weight < best[concept] {
                continue;
            }
            let steps = lexicon
                .addressed_by(concept)
                .enumerate()
                .map(|(k, next)| {
                    let order = 1.0 / (1.0 + k as f32 * weights.link_order);
                    (next, weight * weights.addressed_by * order)
                })
                .chain(
                    lexicon
                        .related(concept)
                        .map(|next| (next, weight * weights.related)),
                );
            for (next, next_weight) in steps {
                if next_weight >= weights.floor && next_weight > best[next] {
                    best[next] = next_weight;
                    stack.push((next, next_weight));
                }
            }
        }
        best.into_iter()
            .enumerate()
            .filter(|(_, weight)| *weight > 0.0)
            .collect()
    }

    /// The expansions of each mentioned concept, scaled by how prominently it was named.
    fn expand(&self, mentions: &[Mention], in_title: &HashSet<ConceptIndex>) -> Vec<Expansion> {
        let w = self.weights;
        let mut expansions = Vec::new();
        for mention in mentions {
            let prominence = if in_title.contains(&mention.concept) {
                w.title_concepts
            } else {
                1.0
            };
            // Named once, a concept starts at `mentioned` (less when the words were ambiguous);
            // named again and again, it gains logarithmically.
            let certainty = mention.strength.min(1.0);
            let repetition = 1.0 + w.repetition * mention.strength.max(1.0).ln();
            let start = w.mentioned * prominence * certainty * repetition;
            expansions.extend(self.reach[mention.concept].iter().map(|(concept, weight)| {
                Expansion {
                    concept: *concept,
                    from: mention.concept,
                    weight: weight * start,
                }
            }));
        }
        expansions.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then(a.from.cmp(&b.from))
                .then(a.concept.cmp(&b.concept))
        });
        expansions
    }

    /// Searches `index` for the order's best `limit` teams, with reasons: [`Matcher::candidates`]
    /// then [`Matcher::add_term_reasons`].
    pub fn search(
        &self,
        index: &TeamIndex,
        query: &OrderQuery,
        limit: usize,
    ) -> tantivy::Result<Vec<Match>> {
        let mut found = self.candidates(index, query, limit)?;
        self.add_term_reasons(index, query, &mut found)?;
        Ok(found)
    }

    /// The order's best `limit` teams with their concept reasons (shared words are added by
    /// [`Matcher::add_term_reasons`], once the final list is known).
    ///
    /// Candidates come from two index queries (the order's words; its expanded concepts). Each
    /// candidate's score is its text relevance plus, for every concept the order names, the best
    /// concept the team carries that it leads to (weight × idf, more where the team's name,
    /// summary or keywords name it): each aspect of the need counts once, and the sum is
    /// normalised by the team's number of concepts, so a team tagged with many loosely related
    /// concepts does not outrank one that answers the need squarely. Teams working for an
    /// industry outside healthcare are discounted.
    pub fn candidates(
        &self,
        index: &TeamIndex,
        query: &OrderQuery,
        limit: usize,
    ) -> tantivy::Result<Vec<Match>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let pool = limit.max(MIN_CANDIDATES);
        let by_text = IndexQuery {
            terms: query.index_query.terms.clone(),
            concepts: Vec::new(),
        };
        let by_concept = IndexQuery {
            terms: Vec::new(),
            concepts: query.index_query.concepts.clone(),
        };
        let concept_ids: Vec<&str> = query
            .index_query
            .concepts
            .iter()
            .map(|(c, _)| c.as_str())
            .collect();
        // Keyed by team; the score kept is text relevance (0 for teams found by concepts only).
        let candidates: HashMap<String, Hit> = index
            .search_text_and_concepts(&by_text, &by_concept, pool)?
            .into_iter()
            .map(|hit| (hit.team_id.clone(), hit))
            .collect();
        let idf = index.concept_idf(&concept_ids)?;
        let best_text = candidates
            .values()
            .map(|hit| hit.score)
            .fold(0.0_f32, f32::max);
        let text_factor = if self.weights.text_scale > 0.0 && best_text > 0.0 {
            self.weights.text_scale / best_text
        } else {
            1.0
        };
        let mean_concepts = (candidates
            .values()
            .map(|hit| hit.matched_concepts.len())
            .sum::<usize>() as f32
            / candidates.len().max(1) as f32)
            .max(1.0);
        let b = self.weights.concept_length_norm;
        let mut scored: Vec<Match> = candidates
            .into_iter()
            .map(|(team_id, hit)| {
                let concepts = &hit.matched_concepts;
                let (concept_score, reasons) =
                    self.combine(self.aspects(query, concepts, &hit.core_concepts, &idf));
                let length = concepts.len().max(1) as f32 / mean_concepts;
                let concept_score = concept_score / (1.0 - b + b * length);
                let field_factor = if self.works_outside_healthcare(concepts) {
                    self.weights.outside_healthcare
                } else {
                    1.0
                };
                let score = field_factor
                    * (hit.score * text_factor + self.weights.concept_boost * concept_score);
                Match {
                    team_id,
                    score,
                    reasons,
                }
            })
            .collect();
        scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.team_id.cmp(&b.team_id)));
        scored.truncate(limit);
        Ok(scored)
    }

    /// Adds to each match the words its team shares with the order (costs one stored-document
    /// read per match, so it is done for the final list only).
    pub fn add_term_reasons(
        &self,
        index: &TeamIndex,
        query: &OrderQuery,
        matches: &mut [Match],
    ) -> tantivy::Result<()> {
        let terms: Vec<String> = query
            .index_query
            .terms
            .iter()
            .map(|(t, _)| t.clone())
            .collect();
        for found in matches {
            let matched = index.matched_terms(&found.team_id, &terms)?;
            self.push_term_reasons(query, &matched, &mut found.reasons);
        }
        Ok(())
    }

    /// The concept bridges between an order and a team's concepts, strongest first, with the
    /// unweighted (idf 1) strength of each: for reviewing the lexicon.
    pub fn bridges(&self, query: &OrderQuery, team_concepts: &[String]) -> (f32, Vec<Reason>) {
        let idf: HashMap<String, f32> = team_concepts.iter().map(|c| (c.clone(), 1.0)).collect();
        self.combine(self.aspects(query, team_concepts, &[], &idf))
    }

    /// For each concept the order names (each aspect of the need), the best of the team's
    /// concepts it leads to, plus a little for the team's further concepts on the same aspect.
    fn aspects(
        &self,
        query: &OrderQuery,
        team_concepts: &[String],
        core: &[String],
        idf: &HashMap<String, f32>,
    ) -> Vec<Aspect> {
        let carried: HashSet<&str> = team_concepts.iter().map(String::as_str).collect();
        let core: HashSet<&str> = core.iter().map(String::as_str).collect();
        let mut best: HashMap<ConceptIndex, (f32, ConceptIndex)> = HashMap::new();
        let mut others: HashMap<ConceptIndex, f32> = HashMap::new();
        for expansion in &query.expansions {
            let id = self.lexicon.get(expansion.concept).id.as_str();
            if !carried.contains(id) {
                continue;
            }
            let mut specificity = self
                .lexicon
                .specificity(expansion.concept)
                .powf(self.weights.specificity);
            if self.lexicon.get(expansion.concept).kind == ConceptKind::Clinical {
                // A team naming the same clinical setting is context, not a capability.
                specificity *= self.weights.clinical_context;
            }
            let focus = if core.contains(id) {
                self.weights.core_concepts
            } else {
                1.0
            };
            let value =
                expansion.weight * specificity * focus * idf.get(id).copied().unwrap_or(0.0);
            *others.entry(expansion.from).or_insert(0.0) += value;
            let entry = best
                .entry(expansion.from)
                .or_insert((0.0, expansion.concept));
            if value > entry.0 {
                *entry = (value, expansion.concept);
            }
        }
        best.into_iter()
            .filter(|(_, (value, _))| *value > 0.0)
            .map(|(need, (value, capability))| {
                let rest = others.get(&need).copied().unwrap_or(0.0) - value;
                Aspect {
                    need,
                    capability,
                    value: value + self.weights.aspect_breadth * rest.max(0.0),
                }
            })
            .collect()
    }

    /// Whether the team names an industry outside healthcare that it works for.
    fn works_outside_healthcare(&self, team_concepts: &[String]) -> bool {
        team_concepts.iter().any(|id| {
            self.lexicon
                .by_id(id)
                .is_some_and(|c| c.kind == ConceptKind::OutsideHealthcare)
        })
    }

    /// The concept score of a team's aspects, and the strongest as reasons.
    fn combine(&self, mut aspects: Vec<Aspect>) -> (f32, Vec<Reason>) {
        aspects.sort_by(|a, b| b.value.total_cmp(&a.value).then(a.need.cmp(&b.need)));
        let total = aspects.iter().map(|a| a.value).sum();
        let reasons = aspects
            .iter()
            .take(MAX_CONCEPT_REASONS)
            .map(|a| Reason::Concept {
                need: self.lexicon.get(a.need).id.clone(),
                capability: self.lexicon.get(a.capability).id.clone(),
            })
            .collect();
        (total, reasons)
    }

    fn push_term_reasons(&self, query: &OrderQuery, matched: &[String], reasons: &mut Vec<Reason>) {
        let concept_words: HashSet<String> = reasons
            .iter()
            .flat_map(|r| match r {
                Reason::Concept { need, capability } => vec![need.clone(), capability.clone()],
                Reason::Term { .. } => Vec::new(),
            })
            .filter_map(|id| self.lexicon.by_id(&id))
            .flat_map(|c| c.surface_forms().map(str::to_lowercase).collect::<Vec<_>>())
            .collect();
        let mut words: Vec<&String> = matched
            .iter()
            .filter(|t| t.chars().count() > 1 && query.surfaces.contains_key(*t))
            .collect();
        words.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
        for term in words.into_iter().take(MAX_TERM_REASONS) {
            let word = query.surfaces.get(term).unwrap_or(term).clone();
            if !concept_words.contains(&word.to_lowercase()) {
                reasons.push(Reason::Term { word });
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    const LEXICON: &str = r#"
[[concept]]
id = "neonatal_jaundice"
kind = "clinical"
zh = ["新生儿黄疸"]
en = ["neonatal jaundice"]
addressed_by = ["optical_spectroscopy", "mobile_health_app"]

[[concept]]
id = "bilirubin_testing"
kind = "clinical"
zh = ["胆红素检测"]
en = ["bilirubin testing"]
addressed_by = ["optical_spectroscopy"]

[[concept]]
id = "home_care"
kind = "clinical"
zh = ["居家照护"]
en = ["home care"]
addressed_by = ["mobile_health_app"]

[[concept]]
id = "optical_spectroscopy"
kind = "engineering"
zh = ["光谱检测"]
en = ["optical spectroscopy"]

[[concept]]
id = "mobile_health_app"
kind = "engineering"
zh = ["移动健康应用"]
en = ["mobile health app"]
"#;

    fn lexicon() -> Lexicon {
        Lexicon::parse([("t.toml", LEXICON)]).unwrap()
    }

    fn team(id: &str, summary: &str, capabilities: &str) -> TeamDocument {
        TeamDocument {
            team_id: id.to_owned(),
            summary: summary.to_owned(),
            capabilities: capabilities.to_owned(),
            ..Default::default()
        }
    }

    /// Team ids best first for an order, under the default weights with `weights` applied.
    fn rank(weights: &str, teams: &[TeamDocument], order: &str) -> Vec<String> {
        let weights = ExpansionWeights::default().with_overrides(weights).unwrap();
        let matcher = Matcher::new(lexicon()).with_weights(weights);
        let index = TeamIndex::in_memory(matcher.analyzer().clone()).unwrap();
        for team in teams {
            let mut team = team.clone();
            matcher.tag(&mut team);
            index.upsert(&team).unwrap();
        }
        index.commit().unwrap();
        let query = matcher.order_query(order, "");
        let found = matcher.search(&index, &query, 10).unwrap();
        found.into_iter().map(|m| m.team_id).collect()
    }

    /// [`rank`] with two teams: "app" and "optics".
    fn ranking(weights: &str, order: &str) -> Vec<String> {
        let teams = [
            team("app", "", "移动健康应用"),
            team("optics", "", "光谱检测"),
        ];
        rank(weights, &teams, order)
    }

    #[test]
    fn the_capability_a_need_lists_first_ranks_first() {
        assert_eq!(ranking("link_order=0.5", "新生儿黄疸"), ["optics", "app"]);
        // Without the order rule the two links weigh the same and the team id breaks the tie.
        assert_eq!(ranking("link_order=0", "新生儿黄疸"), ["app", "optics"]);
    }

    #[test]
    fn what_the_need_keeps_coming_back_to_weighs_most() {
        let order = "胆红素检测用于居家照护：居家照护人手少，居家照护质量差";
        assert_eq!(ranking("repetition=1", order), ["app", "optics"]);
        // Named once each, the two aspects weigh the same and the team id breaks the tie.
        assert_eq!(
            ranking("repetition=0", "胆红素检测与居家照护"),
            ["app", "optics"]
        );
        assert_eq!(
            ranking(
                "repetition=1",
                "胆红素检测：胆红素检测难，胆红素检测贵；居家照护"
            ),
            ["optics", "app"]
        );
    }

    #[test]
    fn a_capability_the_team_is_about_outweighs_one_it_mentions() {
        let teams = [
            team("a_mentions", "", "光谱检测"),
            team("b_about", "光谱检测", ""),
        ];
        let matcher = Matcher::new(lexicon());
        for team in &teams {
            let mut tagged = team.clone();
            matcher.tag(&mut tagged);
            assert_eq!(tagged.concept_ids, ["optical_spectroscopy"]);
        }
        let order = "新生儿黄疸";
        assert_eq!(
            rank("core_concepts=1.3", &teams, order),
            ["b_about", "a_mentions"]
        );
        // Counted alike, the two teams tie and the team id decides.
        assert_eq!(
            rank("core_concepts=1", &teams, order),
            ["a_mentions", "b_about"]
        );
    }

    #[test]
    fn weight_overrides_are_checked() {
        let weights = ExpansionWeights::default();
        assert!(
            weights
                .with_overrides("link_order=0.2, floor = 0.4")
                .is_ok()
        );
        assert!(weights.with_overrides("no_such_weight=1").is_err());
        assert!(weights.with_overrides("floor").is_err());
        assert!(weights.with_overrides("floor=high").is_err());
    }
}
