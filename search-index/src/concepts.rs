//! Finds the lexicon's concepts in text: every surface form is analysed with the same analyzer as
//! the text, and a concept is mentioned where its form's words appear in a row. Longer forms win
//! over shorter ones starting at the same word ("组织粘合剂" over "粘合剂").

use std::collections::HashMap;

use crate::analyzer::{AnalyzedToken, Analyzer};
use crate::lexicon::{ConceptIndex, Lexicon};

/// A concept found in text, with the words that named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub concept: ConceptIndex,
    pub surface: String,
}

#[derive(Debug, Clone)]
struct FormPattern {
    rest: Vec<String>,
    concept: ConceptIndex,
}

/// Surface forms keyed by their first analysed word.
#[derive(Debug, Clone, Default)]
pub struct ConceptRecognizer {
    by_first_word: HashMap<String, Vec<FormPattern>>,
}

impl ConceptRecognizer {
    pub fn new(lexicon: &Lexicon, analyzer: &Analyzer) -> Self {
        let mut by_first_word: HashMap<String, Vec<FormPattern>> = HashMap::new();
        for (concept, entry) in lexicon.concepts().iter().enumerate() {
            for form in entry.surface_forms() {
                let mut words = analyzer.analyze(form).into_iter().map(|t| t.text);
                let Some(first) = words.next() else { continue };
                let patterns = by_first_word.entry(first).or_default();
                let rest: Vec<String> = words.collect();
                if !patterns
                    .iter()
                    .any(|p| p.concept == concept && p.rest == rest)
                {
                    patterns.push(FormPattern { rest, concept });
                }
            }
        }
        Self { by_first_word }
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
            for pattern in matching.iter().filter(|p| p.rest.len() == longest) {
                if !mentions
                    .iter()
                    .any(|m: &Mention| m.concept == pattern.concept)
                {
                    mentions.push(Mention {
                        concept: pattern.concept,
                        surface: surface.clone(),
                    });
                }
            }
            start += longest + 1;
        }
        mentions
    }
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
}
