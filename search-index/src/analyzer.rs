//! One analyzer for mixed Chinese and English text, used at index time and query time alike:
//! Chinese is cut into words by jieba (one mode everywhere), English is lower-cased and stemmed,
//! stop words of both languages are dropped, and identifiers stay whole (`PEEK`, `Ti6Al4V`, `3D`,
//! `3.6.3`). Positions count every word, stop words included, so phrase queries line up.

use jieba_rs::Jieba;
use std::sync::Arc;

/// One analysed word and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzedToken {
    pub text: String,
    /// Byte offsets into the original text.
    pub offset_from: usize,
    pub offset_to: usize,
    pub position: usize,
}

/// Words that carry no meaning for matching.
const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "for", "from", "has",
    "have", "in", "into", "is", "it", "its", "of", "on", "or", "our", "that", "the", "their",
    "then", "there", "these", "this", "to", "was", "we", "were", "which", "will", "with", "within",
    "without",
];

const CHINESE_STOP_WORDS: &[&str] = &[
    "的", "了", "和", "与", "及", "或", "在", "是", "对", "等", "中", "为", "以", "并", "且", "也",
    "就", "都", "而", "把", "被", "让", "将", "其", "之", "这", "那", "有", "我们", "我", "你",
    "他", "她", "它", "一个", "一种", "进行", "可以", "能够", "需要", "希望", "问题", "目前",
    "通过", "使用",
];

/// Splits, normalises and stems text. Cheap to clone: the dictionary is shared.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Arc<Jieba>,
    stemmer: frostem::Stemmer,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Analyzer")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Han,
    Latin,
    Other,
}

/// Full-width ASCII (ＰＥＥＫ, ３Ｄ) reads as its half-width twin.
fn half_width(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    }
}

/// Whether `c` is a Chinese character (the segmenter's script).
pub(crate) fn is_han(c: char) -> bool {
    script(c) == Script::Han
}

fn script(c: char) -> Script {
    let c = half_width(c);
    if c.is_ascii_alphanumeric() || (c.is_alphabetic() && (c as u32) < 0x2E80) {
        Script::Latin
    } else if matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
    {
        Script::Han
    } else {
        Script::Other
    }
}

impl Analyzer {
    /// An analyzer whose Chinese dictionary also knows `extra_words` (medical and engineering
    /// terms the general dictionary lacks, so 水凝胶 or 外骨骼 stay whole).
    pub fn new<'a>(extra_words: impl IntoIterator<Item = &'a str>) -> Self {
        let mut jieba = Jieba::new();
        for word in extra_words {
            let word = word.trim();
            if word.chars().any(|c| script(c) == Script::Han) && !word.contains(char::is_whitespace)
            {
                // A high frequency makes the segmenter prefer the whole term over its parts.
                jieba.add_word(word, Some(200_000), None);
            }
        }
        Self {
            jieba: Arc::new(jieba),
            stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
        }
    }

    /// The analysed words of `text`, in order.
    pub fn analyze(&self, text: &str) -> Vec<AnalyzedToken> {
        let mut tokens = Vec::new();
        let mut position = 0;
        let mut run_start = 0;
        let mut run_script = Script::Other;
        for (index, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            let current = script(c);
            let joins_latin = run_script == Script::Latin && is_inner_connector(text, index);
            if current != run_script && !joins_latin {
                if run_script != Script::Other {
                    self.emit_run(
                        text,
                        run_start,
                        index,
                        run_script,
                        &mut position,
                        &mut tokens,
                    );
                }
                run_start = index;
                run_script = current;
            }
        }
        tokens
    }

    fn emit_run(
        &self,
        text: &str,
        start: usize,
        end: usize,
        script: Script,
        position: &mut usize,
        out: &mut Vec<AnalyzedToken>,
    ) {
        let run = &text[start..end];
        match script {
            Script::Han => {
                for word in self.jieba.cut(run, true) {
                    let text = word.word.to_owned();
                    if !CHINESE_STOP_WORDS.contains(&text.as_str()) {
                        out.push(AnalyzedToken {
                            text,
                            offset_from: start + word.byte_start,
                            offset_to: start + word.byte_end,
                            position: *position,
                        });
                    }
                    *position += 1;
                }
            }
            Script::Latin => {
                if let Some(text) = self.normalise_latin(run) {
                    out.push(AnalyzedToken {
                        text,
                        offset_from: start,
                        offset_to: end,
                        position: *position,
                    });
                }
                *position += 1;
            }
            Script::Other => {}
        }
    }

    /// Lower-cases a Latin word; stems plain English words, leaves identifiers and acronyms whole.
    fn normalise_latin(&self, word: &str) -> Option<String> {
        let half: String = word.chars().map(half_width).collect();
        let lower = half.to_lowercase();
        if ENGLISH_STOP_WORDS.contains(&lower.as_str()) {
            return None;
        }
        let plain_word = half.chars().all(char::is_alphabetic);
        let acronym = half.chars().count() <= 5 && half.chars().all(|c| c.is_uppercase());
        if plain_word && !acronym && lower.chars().count() > 3 {
            Some(self.stemmer.stem(&lower).into_owned())
        } else {
            Some(lower)
        }
    }
}

/// A `.` between two digits (`3.6.3`, `2.5`) keeps a model number or dose in one piece.
fn is_inner_connector(text: &str, index: usize) -> bool {
    let bytes = text.as_bytes();
    bytes.get(index) == Some(&b'.')
        && index > 0
        && bytes.get(index - 1).is_some_and(u8::is_ascii_digit)
        && bytes.get(index + 1).is_some_and(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(analyzer: &Analyzer, text: &str) -> Vec<String> {
        analyzer.analyze(text).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn chinese_is_cut_into_words_and_lexicon_terms_stay_whole() {
        let analyzer = Analyzer::new(["水凝胶", "外骨骼", "微流控"]);
        let tokens = words(&analyzer, "快速交联的多糖水凝胶和软体外骨骼，微流控芯片");
        for term in ["水凝胶", "外骨骼", "微流控"] {
            assert!(tokens.contains(&term.to_owned()), "{term} in {tokens:?}");
        }
        assert!(
            !tokens.contains(&"的".to_owned()),
            "stop words are dropped: {tokens:?}"
        );
    }

    #[test]
    fn english_is_lower_cased_and_stemmed() {
        let analyzer = Analyzer::new([]);
        assert_eq!(
            words(
                &analyzer,
                "Rapidly cross-linking Hydrogels for the bleeding"
            ),
            ["rapid", "cross", "link", "hydrogel", "bleed"]
        );
    }

    #[test]
    fn identifiers_stay_whole() {
        let analyzer = Analyzer::new([]);
        assert_eq!(
            words(
                &analyzer,
                "PEEK and Ti6Al4V implants, 3D printed, CT, ISO 13485, firmware 3.6.3"
            ),
            [
                "peek", "ti6al4v", "implant", "3d", "print", "ct", "iso", "13485", "firmwar",
                "3.6.3"
            ]
        );
    }

    #[test]
    fn mixed_and_full_width_text_is_split_by_script() {
        let analyzer = Analyzer::new(["打印"]);
        assert_eq!(words(&analyzer, "３Ｄ打印PEEK"), ["3d", "打印", "peek"]);
    }

    #[test]
    fn positions_count_stop_words_and_offsets_point_into_the_text() {
        let analyzer = Analyzer::new([]);
        let text = "tissue and adhesive";
        let tokens = analyzer.analyze(text);
        assert_eq!(
            tokens.iter().map(|t| t.position).collect::<Vec<_>>(),
            [0, 2]
        );
        assert_eq!(
            &text[tokens[1].offset_from..tokens[1].offset_to],
            "adhesive"
        );
    }

    #[test]
    fn any_string_analyses_without_panicking() {
        let analyzer = Analyzer::new([]);
        for text in [
            "",
            "   ",
            "...",
            "\u{0}\u{FFFF}",
            "🙂🙂",
            "a.b.c",
            "1.",
            ".5",
            "ＡＢＣ　ｄｅｆ",
            "\u{2F800}字",
        ] {
            let _ = analyzer.analyze(text);
        }
    }
}
