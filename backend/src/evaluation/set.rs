//! An evaluation set on disk: `teams.jsonl`, `orders.jsonl`, `qrels.tsv` and tags from `README.md`
//! lines of the form `TAG NAME: id id …`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;
use yigong_search_index::index::TeamDocument;

use super::metrics::Judgments;

#[derive(Debug, Deserialize)]
pub struct EvalTeam {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub institution: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub capabilities: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub equipment: Vec<String>,
    #[serde(default)]
    pub disciplines: Vec<String>,
    #[serde(default)]
    pub lang: String,
}

impl EvalTeam {
    pub fn document(&self) -> TeamDocument {
        TeamDocument {
            team_id: self.id.clone(),
            version: 1,
            name: self.name.clone(),
            summary: self.summary.clone(),
            capabilities: self.capabilities.clone(),
            keywords: self.keywords.clone(),
            equipment: self.equipment.clone(),
            disciplines: self.disciplines.clone(),
            institution: self.institution.clone(),
            city: self.city.clone(),
            language: self.lang.clone(),
            concept_ids: Vec::new(),
            core_concept_ids: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct EvalOrder {
    pub id: String,
    pub title: String,
    pub description: String,
    /// The tech-transfer office's engineering brief, when the set has one.
    #[serde(default)]
    pub brief: Option<String>,
    #[serde(default)]
    pub lang: String,
}

impl EvalOrder {
    pub fn body(&self) -> String {
        match &self.brief {
            Some(brief) => format!("{}\n{brief}", self.description),
            None => self.description.clone(),
        }
    }
}

#[derive(Debug)]
pub struct EvalSet {
    pub teams: Vec<EvalTeam>,
    pub orders: Vec<EvalOrder>,
    qrels: HashMap<String, Judgments>,
    pub tags: BTreeMap<String, Vec<String>>,
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Vec<T>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line)
                .with_context(|| format!("{} line {}: not a valid record", path.display(), n + 1))
        })
        .collect()
}

impl EvalSet {
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let teams: Vec<EvalTeam> = read_jsonl(&dir.join("teams.jsonl"))?;
        let orders: Vec<EvalOrder> = read_jsonl(&dir.join("orders.jsonl"))?;
        let qrels_path = dir.join("qrels.tsv");
        let qrels_text = std::fs::read_to_string(&qrels_path)
            .with_context(|| format!("reading {}", qrels_path.display()))?;
        let mut qrels: HashMap<String, Judgments> = HashMap::new();
        for (n, line) in qrels_text.lines().enumerate() {
            let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
            match fields.as_slice() {
                [""] => {}
                [order, team, grade] => {
                    let Ok(grade) = grade.parse::<u32>() else {
                        if n == 0 {
                            continue; // a header line
                        }
                        bail!("qrels.tsv line {}: grade {grade:?} is not a number", n + 1);
                    };
                    qrels
                        .entry((*order).to_owned())
                        .or_default()
                        .insert((*team).to_owned(), grade);
                }
                _ => bail!("qrels.tsv line {}: expected order, team, grade", n + 1),
            }
        }
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
        let tags = readme
            .lines()
            .filter_map(|line| line.trim().strip_prefix("TAG "))
            .filter_map(|rest| rest.split_once(':'))
            .map(|(name, ids)| {
                (
                    name.trim().to_owned(),
                    ids.split_whitespace().map(str::to_owned).collect(),
                )
            })
            .collect();
        Ok(Self {
            teams,
            orders,
            qrels,
            tags,
        })
    }

    pub fn judgments(&self, order: &str) -> Judgments {
        self.qrels.get(order).cloned().unwrap_or_default()
    }
}
