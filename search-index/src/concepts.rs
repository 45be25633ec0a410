//! Finds the lexicon's concepts in text: every surface form is analysed with the same analyzer as
//! the text, and a concept is mentioned where its form's words appear in a row. Longer forms win
//! over shorter ones starting at the same word ("组织粘合剂" over "粘合剂").
//!
//! Chinese writers split a term with modifiers ("胶布或系带固定" for 胶布固定, "气囊压力持续监测"
//! for 气囊压力监测), so a Chinese form of several words is also found when its words appear in
//! order within one clause with at most [`MAX_INSERTED_WORDS`] other words between them. English
//! forms must match word for word: "pressure sensors for injury prevention" is not a pressure injury.

use std::collections::HashMap;

use crate::analyzer::{AnalyzedToken, Analyzer, is_han};
use crate::lexicon::{ConceptIndex, Lexicon};

/// A concept found in text, with the words that named it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    pub concept: ConceptIndex,
    /// The words of its first mention.
    pub surface: String,
    /// How many times the text names it, each time divided among the concepts the same words
    /// name ("腹膜透析" names both peritoneal dialysis and its peritonitis: ½ each). A split form
    /// counts once.
    pub strength: f32,
}

/// Words a Chinese form's words may have between them and still name it.
const MAX_INSERTED_WORDS: usize = 2;
/// Characters that end a clause: a split form is not looked for across them.
const CLAUSE_BREAKS: &[char] = &[
    '。', '；', '，', '、', '！', '？', '：', '.', ';', ',', '!', '?', ':', '\n', '(', ')', '（',
    '）',
];

/// Letters in which a text's word and the form's word (as written) may differ at the end and
/// still be the same word: stemming rightly joins "tests" and "testing", but also "oxygen" and
/// "oxygenator" or "usable" and "usability", which name other things.
const MAX_DIFFERING_ENDING: usize = 3;

#[derive(Debug, Clone)]
struct FormPattern {
    rest: Vec<String>,
    concept: ConceptIndex,
    /// The form's words as written, lower-cased (first word included), for each spelling.
    spellings: Vec<Vec<String>>,
}

/// A Chinese form of several words, looked for split by inserted words.
#[derive(Debug, Clone)]
struct SplitForm {
    words: Vec<String>,
    concept: ConceptIndex,
}

/// Surface forms keyed by their first analysed word.
#[derive(Debug, Clone, Default)]
pub struct ConceptRecognizer {
    by_first_word: HashMap<String, Vec<FormPattern>>,
    split_by_first_word: HashMap<String, Vec<SplitForm>>,
}

impl ConceptRecognizer {
    pub fn new(lexicon: &Lexicon, analyzer: &Analyzer) -> Self {
        let mut by_first_word: HashMap<String, Vec<FormPattern>> = HashMap::new();
        let mut split_by_first_word: HashMap<String, Vec<SplitForm>> = HashMap::new();
        // The analyzer keeps every lexicon form whole; the general dictionary shows its parts.
        let general = Analyzer::new([]);
        for (concept, entry) in lexicon.concepts().iter().enumerate() {
            for form in &entry.zh {
                let words = split_words(form, &general, analyzer);
                if words.len() < 2 || !words.iter().all(|w| w.chars().all(is_han)) {
                    continue;
                }
                let forms = split_by_first_word.entry(words[0].clone()).or_default();
                if !forms
                    .iter()
                    .any(|f| f.concept == concept && f.words == words)
                {
                    forms.push(SplitForm { words, concept });
                }
            }
            for form in entry.surface_forms() {
                let tokens = analyzer.analyze(form);
                let spelling: Vec<String> = tokens
                    .iter()
                    .map(|t| {
                        form.get(t.offset_from..t.offset_to)
                            .unwrap_or_default()
                            .to_lowercase()
                    })
                    .collect();
                let mut words = tokens.into_iter().map(|t| t.text);
                let Some(first) = words.next() else { continue };
                let patterns = by_first_word.entry(first).or_default();
                let rest: Vec<String> = words.collect();
                if let Some(same) = patterns
                    .iter_mut()
                    .find(|p| p.concept == concept && p.rest == rest)
                {
                    same.spellings.push(spelling);
                } else {
                    patterns.push(FormPattern {
                        rest,
                        concept,
                        spellings: vec![spelling],
                    });
                }
            }
        }
        Self {
            by_first_word,
            split_by_first_word,
        }
    }

    /// The concepts mentioned in already-analysed `tokens` of `text`, in order of appearance.
    pub fn recognise(&self, text: &str, tokens: &[AnalyzedToken]) -> Vec<Mention> {
        let mut mentions = Vec::new();
        let mut start = 0;
        while start < tokens.len() {
            let Some(patterns) = self.by_first_word.get(&tokens[start].text) else {
                start += 1;
                continue;
            };
            let following = &tokens[start + 1..];
            let matching: Vec<&FormPattern> = patterns
                .iter()
                .filter(|p| {
                    p.rest.len() <= following.len()
                        && p.rest.iter().zip(following).all(|(w, t)| *w == t.text)
                        && p.spellings.iter().any(|spelling| {
                            tokens[start..=start + p.rest.len()]
                                .iter()
                                .zip(spelling)
                                .all(|(t, word)| same_word(text, t, word))
                        })
                })
                .collect();
            let Some(longest) = matching.iter().map(|p| p.rest.len()).max() else {
                start += 1;
                continue;
            };
            let end = &tokens[start + longest];
            let surface = text
                .get(tokens[start].offset_from..end.offset_to)
                .unwrap_or_default()
                .to_owned();
            let mut named: Vec<ConceptIndex> = matching
                .iter()
                .filter(|p| p.rest.len() == longest)
                .map(|p| p.concept)
                .collect();
            named.sort_unstable();
            named.dedup();
            let share = 1.0 / named.len() as f32;
            for concept in named {
                match mentions
                    .iter_mut()
                    .find(|m: &&mut Mention| m.concept == concept)
                {
                    Some(earlier) => earlier.strength += share,
                    None => mentions.push(Mention {
                        concept,
                        surface: surface.clone(),
                        strength: share,
                    }),
                }
            }
            start += longest + 1;
        }
        self.recognise_split(text, tokens, &mut mentions);
        mentions
    }

    /// Adds the Chinese forms whose words appear in order within a clause, split by at most
    /// [`MAX_INSERTED_WORDS`] words each time.
    fn recognise_split(&self, text: &str, tokens: &[AnalyzedToken], mentions: &mut Vec<Mention>) {
        let clause_of = clause_numbers(text, tokens);
        for (start, token) in tokens.iter().enumerate() {
            let Some(forms) = self.split_by_first_word.get(&token.text) else {
                continue;
            };
            for form in forms {
                if mentions.iter().any(|m| m.concept == form.concept) {
                    continue;
                }
                let mut at = start;
                let mut found = true;
                for word in &form.words[1..] {
                    let next = (at + 1..tokens.len())
                        .take(MAX_INSERTED_WORDS + 1)
                        .take_while(|&i| clause_of[i] == clause_of[start])
                        .find(|&i| tokens[i].text == *word);
                    match next {
                        Some(i) => at = i,
                        None => {
                            found = false;
                            break;
                        }
                    }
                }
                if found {
                    mentions.push(Mention {
                        concept: form.concept,
                        surface: text
                            .get(token.offset_from..tokens[at].offset_to)
                            .unwrap_or_default()
                            .to_owned(),
                        strength: 1.0,
                    });
                }
            }
        }
    }
}

/// Whether the text's word is the form's word, give or take an ending (tests, testing), rather
/// than another word the stemmer made equal to it (oxygen, oxygenator).
fn same_word(text: &str, token: &AnalyzedToken, form_word: &str) -> bool {
    let written = text
        .get(token.offset_from..token.offset_to)
        .unwrap_or_default()
        .to_lowercase();
    let common = written
        .chars()
        .zip(form_word.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let longer = written.chars().count().max(form_word.chars().count());
    common + MAX_DIFFERING_ENDING >= longer
}

/// The words of a Chinese form as they appear in running text: cut with the general dictionary,
/// then adjacent pieces joined again wherever `analyzer` keeps the joined piece as one word
/// (气管插管 stays one word in "气管插管固定").
fn split_words(form: &str, general: &Analyzer, analyzer: &Analyzer) -> Vec<String> {
    let pieces: Vec<String> = general.analyze(form).into_iter().map(|t| t.text).collect();
    let mut words = Vec::new();
    let mut start = 0;
    while start < pieces.len() {
        let end = (start + 1..=pieces.len())
            .rev()
            .find(|&end| {
                end == start + 1 || {
                    let joined = pieces[start..end].concat();
                    let analysed = analyzer.analyze(&joined);
                    analysed.len() == 1 && analysed[0].text == joined && end - start < pieces.len()
                }
            })
            .unwrap_or(start + 1);
        words.push(pieces[start..end].concat());
        start = end;
    }
    words
}

/// For each token, the number of the clause it is in (clauses end at [`CLAUSE_BREAKS`]).
fn clause_numbers(text: &str, tokens: &[AnalyzedToken]) -> Vec<usize> {
    let mut clause = 0;
    let mut previous_end = 0;
    tokens
        .iter()
        .map(|token| {
            let between = text
                .get(previous_end.min(token.offset_from)..token.offset_from)
                .unwrap_or_default();
            if between.contains(CLAUSE_BREAKS) {
                clause += 1;
            }
            previous_end = token.offset_to;
            clause
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> Lexicon {
        Lexicon::parse([(
            "t.toml",
            r#"
[[concept]]
id = "tissue_adhesive"
kind = "engineering"
zh = ["组织粘合剂", "医用胶"]
en = ["tissue adhesive", "surgical glue"]

[[concept]]
id = "adhesive"
kind = "engineering"
zh = ["粘合剂"]
en = ["adhesive"]

[[concept]]
id = "pressure_injury"
kind = "clinical"
zh = ["压力性损伤", "压疮", "褥疮"]
en = ["pressure injury", "pressure ulcer", "bedsore"]

[[concept]]
id = "usability"
kind = "engineering"
zh = ["可用性工程"]
en = ["usability"]

[[concept]]
id = "tape_free_securement"
kind = "clinical"
zh = ["胶布固定"]
en = ["tape securement"]
"#,
        )])
        .unwrap()
    }

    fn ids(text: &str) -> Vec<String> {
        let lexicon = lexicon();
        let analyzer = Analyzer::new(lexicon.chinese_words());
        let recognizer = ConceptRecognizer::new(&lexicon, &analyzer);
        recognizer
            .recognise(text, &analyzer.analyze(text))
            .into_iter()
            .map(|m| lexicon.get(m.concept).id.clone())
            .collect()
    }

    #[test]
    fn forms_are_found_in_chinese_english_and_mixed_text() {
        assert_eq!(ids("长期卧床患者容易发生褥疮"), ["pressure_injury"]);
        assert_eq!(
            ids("Bedsores and Pressure Ulcers in the ICU"),
            ["pressure_injury"]
        );
        assert_eq!(ids("研发tissue adhesives用于止血"), ["tissue_adhesive"]);
    }

    #[test]
    fn the_longest_form_wins_and_unrelated_text_mentions_nothing() {
        assert_eq!(ids("一种新型组织粘合剂"), ["tissue_adhesive"]);
        assert_eq!(ids("工业粘合剂"), ["adhesive"]);
        assert!(ids("pressure sensors for injury prevention").is_empty());
    }

    #[test]
    fn words_naming_two_concepts_count_half_towards_each() {
        let lexicon = Lexicon::parse([(
            "t.toml",
            concat!(
                "[[concept]]\nid = \"pd\"\nkind = \"engineering\"\nzh = [\"腹膜透析\"]\nen = [\"peritoneal dialysis\"]\n",
                "[[concept]]\nid = \"pd_peritonitis\"\nkind = \"clinical\"\nzh = [\"腹膜透析\", \"腹透相关腹膜炎\"]\nen = [\"PD peritonitis\"]",
            ),
        )])
        .unwrap();
        let analyzer = Analyzer::new(lexicon.chinese_words());
        let recognizer = ConceptRecognizer::new(&lexicon, &analyzer);
        let text = "居家腹膜透析患者的腹透相关腹膜炎，腹膜透析液浑浊";
        let strengths: Vec<(String, f32)> = recognizer
            .recognise(text, &analyzer.analyze(text))
            .into_iter()
            .map(|m| (lexicon.get(m.concept).id.clone(), m.strength))
            .collect();
        assert_eq!(
            strengths,
            [("pd".to_owned(), 1.0), ("pd_peritonitis".to_owned(), 2.0)]
        );
    }

    #[test]
    fn a_shorter_word_the_stemmer_joins_to_a_form_does_not_name_it() {
        assert_eq!(ids("Tissue Adhesives"), ["tissue_adhesive"]);
        assert_eq!(ids("bedsores"), ["pressure_injury"]);
        assert_eq!(ids("usability testing"), ["usability"]);
        // "usable" stems like "usability" but names no engineering discipline.
        assert!(ids("usable at home").is_empty());
    }

    #[test]
    fn a_chinese_form_split_by_a_few_words_in_one_clause_is_found() {
        assert_eq!(ids("目前用胶布固定"), ["tape_free_securement"]);
        assert_eq!(ids("主要用胶布或系带固定"), ["tape_free_securement"]);
        assert_eq!(ids("免胶布稳妥固定"), ["tape_free_securement"]);
        // Too far apart, or in another clause: not the same term.
        assert!(ids("胶布撕脱造成皮肤损伤和口唇压伤，导管固定困难").is_empty());
        assert!(ids("胶布，固定").is_empty());
        // English forms are matched word for word only.
        assert!(ids("tape over wound securement").is_empty());
    }
}
