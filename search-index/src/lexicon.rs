//! The bilingual concept lexicon: concepts of the medical-engineering field with Chinese and English
//! surface forms, and relations from clinical problems to the engineering capabilities that address
//! them. The data lives in `search-index/lexicon/*.toml` so a domain expert can extend it without
//! touching code; this module parses and checks it.

use std::collections::HashMap;

use serde::Deserialize;

/// The lexicon files compiled into the binary, by name.
const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "materials_implants.toml",
        include_str!("../lexicon/materials_implants.toml"),
    ),
    (
        "robotics_rehab_devices.toml",
        include_str!("../lexicon/robotics_rehab_devices.toml"),
    ),
    (
        "imaging_ai_software.toml",
        include_str!("../lexicon/imaging_ai_software.toml"),
    ),
    (
        "sensors_diagnostics_neuro.toml",
        include_str!("../lexicon/sensors_diagnostics_neuro.toml"),
    ),
    (
        "clinical_needs.toml",
        include_str!("../lexicon/clinical_needs.toml"),
    ),
    (
        "clinical_needs_surgical_extra.toml",
        include_str!("../lexicon/clinical_needs_surgical_extra.toml"),
    ),
    (
        "clinical_needs_medical_extra.toml",
        include_str!("../lexicon/clinical_needs_medical_extra.toml"),
    ),
    (
        "clinical_needs_nursing_home_extra.toml",
        include_str!("../lexicon/clinical_needs_nursing_home_extra.toml"),
    ),
    (
        "clinical_needs_more_extra.toml",
        include_str!("../lexicon/clinical_needs_more_extra.toml"),
    ),
    (
        "engineering_materials_devices_extra.toml",
        include_str!("../lexicon/engineering_materials_devices_extra.toml"),
    ),
    (
        "engineering_sensing_imaging_software_extra.toml",
        include_str!("../lexicon/engineering_sensing_imaging_software_extra.toml"),
    ),
    (
        "engineering_more_extra.toml",
        include_str!("../lexicon/engineering_more_extra.toml"),
    ),
    (
        "application_fields.toml",
        include_str!("../lexicon/application_fields.toml"),
    ),
];

/// Whether a concept names a clinical problem, an engineering capability, or an industry outside
/// healthcare that a team may work for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConceptKind {
    Clinical,
    Engineering,
    /// A team naming one builds, at least partly, for another industry (agriculture, aerospace…).
    OutsideHealthcare,
}

/// One concept as written in a lexicon file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concept {
    pub id: String,
    pub kind: ConceptKind,
    pub zh: Vec<String>,
    pub en: Vec<String>,
    /// Engineering capabilities that solve this problem (or realise this broad capability).
    #[serde(default)]
    pub addressed_by: Vec<String>,
    /// Close associations, followed with a lower weight.
    #[serde(default)]
    pub related: Vec<String>,
    /// The same link as `addressed_by`, written on the capability's side: this concept addresses
    /// the concepts listed (it is appended to their `addressed_by` lists when the lexicon loads).
    #[serde(default)]
    pub addresses: Vec<String>,
}

impl Concept {
    /// The name to show a reader of `language` ("zh" or "en").
    pub fn label(&self, language: &str) -> &str {
        let forms = if language.starts_with("en") {
            &self.en
        } else {
            &self.zh
        };
        forms
            .first()
            .or_else(|| self.zh.first())
            .map_or(self.id.as_str(), String::as_str)
    }

    pub fn surface_forms(&self) -> impl Iterator<Item = &str> {
        self.zh.iter().chain(&self.en).map(String::as_str)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LexiconFile {
    #[serde(default)]
    concept: Vec<Concept>,
}

/// What is wrong with a lexicon file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LexiconError {
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: concept id {id:?} must be snake_case ASCII")]
    BadId { file: String, id: String },
    #[error("concept {id:?} is defined twice")]
    Duplicate { id: String },
    #[error("concept {id:?} needs at least one Chinese and one English surface form")]
    MissingForms { id: String },
    #[error("concept {id:?} refers to unknown concept {reference:?}")]
    UnknownReference { id: String, reference: String },
    #[error("concept {id:?} links to or from a field outside healthcare ({reference:?})")]
    LinkedOutsideHealthcare { id: String, reference: String },
}

/// Index of a concept inside its lexicon.
pub type ConceptIndex = usize;

/// All concepts, looked up by id.
#[derive(Debug, Clone)]
pub struct Lexicon {
    concepts: Vec<Concept>,
    by_id: HashMap<String, ConceptIndex>,
    /// For each concept, the concepts that list it as `related` (the link read backwards).
    related_from: Vec<Vec<ConceptIndex>>,
    /// For each concept, how many links of any kind point at it.
    in_degree: Vec<usize>,
    /// A hash of the files' names and contents: it changes whenever the lexicon does.
    fingerprint: u64,
}

/// 64-bit FNV-1a: a hash whose value never depends on the Rust version.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

fn well_formed_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Lexicon {
    /// The lexicon shipped with Yigong.
    pub fn builtin() -> Result<Self, LexiconError> {
        Self::parse(BUILTIN_FILES.iter().copied())
    }

    /// Parses and checks lexicon files given as `(name, contents)`.
    pub fn parse<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, LexiconError> {
        let mut concepts = Vec::new();
        let mut by_id = HashMap::new();
        let mut fingerprint = Fnv1a::default();
        for (name, contents) in files {
            fingerprint.write(name.as_bytes());
            fingerprint.write(&[0]);
            fingerprint.write(contents.as_bytes());
            fingerprint.write(&[0]);
            let file: LexiconFile =
                toml::from_str(contents).map_err(|error| LexiconError::Syntax {
                    file: name.to_owned(),
                    message: error.to_string(),
                })?;
            for concept in file.concept {
                if !well_formed_id(&concept.id) {
                    return Err(LexiconError::BadId {
                        file: name.to_owned(),
                        id: concept.id,
                    });
                }
                let has_forms = |forms: &[String]| forms.iter().any(|f| !f.trim().is_empty());
                if !has_forms(&concept.zh) || !has_forms(&concept.en) {
                    return Err(LexiconError::MissingForms { id: concept.id });
                }
                if by_id.insert(concept.id.clone(), concepts.len()).is_some() {
                    return Err(LexiconError::Duplicate { id: concept.id });
                }
                concepts.push(concept);
            }
        }
        for concept in &concepts {
            for reference in concept
                .addressed_by
                .iter()
                .chain(&concept.related)
                .chain(&concept.addresses)
            {
                let Some(target) = by_id.get(reference) else {
                    return Err(LexiconError::UnknownReference {
                        id: concept.id.clone(),
                        reference: reference.clone(),
                    });
                };
                let outside = ConceptKind::OutsideHealthcare;
                if concept.kind == outside || concepts[*target].kind == outside {
                    return Err(LexiconError::LinkedOutsideHealthcare {
                        id: concept.id.clone(),
                        reference: reference.clone(),
                    });
                }
            }
        }
        // Links written on the capability's side join the end of the need's list (after the ones
        // its own entry ranks).
        let written_backwards: Vec<(ConceptIndex, String)> = concepts
            .iter()
            .flat_map(|c| {
                c.addresses
                    .iter()
                    .map(|target| (by_id[target], c.id.clone()))
            })
            .collect();
        for (target, capability) in written_backwards {
            if !concepts[target].addressed_by.contains(&capability) {
                concepts[target].addressed_by.push(capability);
            }
        }
        let mut related_from = vec![Vec::new(); concepts.len()];
        let mut in_degree = vec![0; concepts.len()];
        for (index, concept) in concepts.iter().enumerate() {
            for reference in &concept.related {
                if let Some(&target) = by_id.get(reference) {
                    related_from[target].push(index);
                    in_degree[target] += 1;
                }
            }
            for reference in &concept.addressed_by {
                if let Some(&target) = by_id.get(reference) {
                    in_degree[target] += 1;
                }
            }
        }
        Ok(Self {
            concepts,
            by_id,
            related_from,
            in_degree,
            fingerprint: fingerprint.0,
        })
    }

    /// Changes whenever any lexicon file does (stable across builds and platforms), so that
    /// teams tagged with an older lexicon can be told apart.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    pub fn len(&self) -> usize {
        self.concepts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty()
    }

    pub fn concepts(&self) -> &[Concept] {
        &self.concepts
    }

    pub fn get(&self, index: ConceptIndex) -> &Concept {
        &self.concepts[index]
    }

    pub fn index_of(&self, id: &str) -> Option<ConceptIndex> {
        self.by_id.get(id).copied()
    }

    pub fn by_id(&self, id: &str) -> Option<&Concept> {
        self.index_of(id).map(|index| &self.concepts[index])
    }

    /// How specific a concept is within the lexicon: high for a capability few problems lead to
    /// (swallowing-sound sensing), low for one almost every problem leads to (machine learning).
    pub fn specificity(&self, index: ConceptIndex) -> f32 {
        let total = self.concepts.len() as f32;
        (1.0 + total / (1.0 + self.in_degree[index] as f32)).ln()
    }

    /// Every Chinese surface form, for the segmenter's dictionary.
    pub fn chinese_words(&self) -> impl Iterator<Item = &str> {
        self.concepts
            .iter()
            .flat_map(|c| c.zh.iter().map(String::as_str))
    }

    pub(crate) fn addressed_by(&self, index: ConceptIndex) -> impl Iterator<Item = ConceptIndex> {
        self.references(&self.concepts[index].addressed_by)
    }

    /// Concepts linked by `related`, in either direction.
    pub(crate) fn related(&self, index: ConceptIndex) -> impl Iterator<Item = ConceptIndex> {
        self.references(&self.concepts[index].related)
            .chain(self.related_from[index].iter().copied())
    }

    fn references<'a>(&'a self, ids: &'a [String]) -> impl Iterator<Item = ConceptIndex> + 'a {
        ids.iter().filter_map(|id| self.index_of(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_lexicon_is_well_formed_and_large_enough() {
        let lexicon = Lexicon::builtin().unwrap();
        assert!(lexicon.len() >= 400, "only {} concepts", lexicon.len());
        let clinical = lexicon
            .concepts()
            .iter()
            .filter(|c| c.kind == ConceptKind::Clinical)
            .collect::<Vec<_>>();
        assert!(
            clinical.len() >= 100,
            "only {} clinical concepts",
            clinical.len()
        );
        let unbridged: Vec<_> = clinical
            .iter()
            .filter(|c| c.addressed_by.is_empty())
            .map(|c| c.id.as_str())
            .collect();
        assert!(
            unbridged.len() * 10 <= clinical.len(),
            "clinical concepts without addressed_by: {unbridged:?}"
        );
    }

    #[test]
    fn every_file_in_the_lexicon_directory_is_compiled_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lexicon");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut compiled: Vec<String> =
            BUILTIN_FILES.iter().map(|(n, _)| (*n).to_owned()).collect();
        compiled.sort();
        assert_eq!(on_disk, compiled, "add new lexicon files to BUILTIN_FILES");
    }

    #[test]
    fn problems_are_reported_with_the_concept_that_has_them() {
        let parse = |text: &'static str| Lexicon::parse([("t.toml", text)]).unwrap_err();
        assert!(matches!(
            parse(
                "[[concept]]\nid = \"Bad Id\"\nkind = \"clinical\"\nzh = [\"渗血\"]\nen = [\"oozing\"]"
            ),
            LexiconError::BadId { .. }
        ));
        assert_eq!(
            parse("[[concept]]\nid = \"a\"\nkind = \"clinical\"\nzh = [\"渗血\"]\nen = []"),
            LexiconError::MissingForms { id: "a".into() }
        );
        assert_eq!(
            parse(
                "[[concept]]\nid = \"a\"\nkind = \"clinical\"\nzh = [\"渗血\"]\nen = [\"oozing\"]\naddressed_by = [\"b\"]"
            ),
            LexiconError::UnknownReference {
                id: "a".into(),
                reference: "b".into()
            }
        );
        assert!(matches!(
            parse("[[concept]]\nid = \"a\"\nkind = \"neither\"\nzh = [\"x\"]\nen = [\"x\"]"),
            LexiconError::Syntax { .. }
        ));
        assert_eq!(
            parse(concat!(
                "[[concept]]\nid = \"a\"\nkind = \"clinical\"\nzh = [\"渗血\"]\nen = [\"oozing\"]\naddressed_by = [\"b\"]\n",
                "[[concept]]\nid = \"b\"\nkind = \"outside_healthcare\"\nzh = [\"农业\"]\nen = [\"agriculture\"]"
            )),
            LexiconError::LinkedOutsideHealthcare {
                id: "a".into(),
                reference: "b".into()
            }
        );
    }

    #[test]
    fn a_link_written_on_the_capability_side_joins_the_end_of_the_need_list() {
        let lexicon = Lexicon::parse([(
            "t.toml",
            concat!(
                "[[concept]]\nid = \"oozing\"\nkind = \"clinical\"\nzh = [\"渗血\"]\nen = [\"oozing\"]\naddressed_by = [\"hydrogel\"]\n",
                "[[concept]]\nid = \"hydrogel\"\nkind = \"engineering\"\nzh = [\"水凝胶\"]\nen = [\"hydrogel\"]\n",
                "[[concept]]\nid = \"sealant\"\nkind = \"engineering\"\nzh = [\"密封胶\"]\nen = [\"sealant\"]\naddresses = [\"oozing\"]",
            ),
        )])
        .unwrap();
        let oozing = lexicon.index_of("oozing").unwrap();
        let ids: Vec<&str> = lexicon
            .addressed_by(oozing)
            .map(|c| lexicon.get(c).id.as_str())
            .collect();
        assert_eq!(ids, ["hydrogel", "sealant"]);
        assert!(matches!(
            Lexicon::parse([(
                "t.toml",
                "[[concept]]\nid = \"a\"\nkind = \"engineering\"\nzh = [\"x\"]\nen = [\"x\"]\naddresses = [\"nowhere\"]"
            )]),
            Err(LexiconError::UnknownReference { .. })
        ));
    }

    #[test]
    fn the_fingerprint_follows_the_contents() {
        let one = "[[concept]]\nid = \"hydrogel\"\nkind = \"engineering\"\nzh = [\"水凝胶\"]\nen = [\"hydrogel\"]";
        let two = "[[concept]]\nid = \"hydrogel\"\nkind = \"engineering\"\nzh = [\"水凝胶\"]\nen = [\"hydrogels\"]";
        let fingerprint = |text| Lexicon::parse([("t.toml", text)]).unwrap().fingerprint();
        assert_eq!(fingerprint(one), fingerprint(one));
        assert_ne!(fingerprint(one), fingerprint(two));
        // FNV-1a of the bytes, so the value is the same on every build.
        assert_eq!(
            Lexicon::parse([]).unwrap().fingerprint(),
            0xcbf2_9ce4_8422_2325
        );
    }

    #[test]
    fn labels_follow_the_reader_language() {
        let lexicon = Lexicon::parse([(
            "t.toml",
            "[[concept]]\nid = \"hydrogel\"\nkind = \"engineering\"\nzh = [\"水凝胶\"]\nen = [\"hydrogel\"]",
        )])
        .unwrap();
        let concept = lexicon.by_id("hydrogel").unwrap();
        assert_eq!(concept.label("zh-CN"), "水凝胶");
        assert_eq!(concept.label("en"), "hydrogel");
    }
}
