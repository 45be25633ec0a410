//! Engineering teams' capability profiles: what a lab, institute or enterprise R&D group can do.

use super::string_enum;
use super::validation::{Checker, FieldError};

string_enum!(
    /// The language(s) a team works in.
    TeamLanguage {
        Chinese => "zh",
        English => "en",
        Bilingual => "zh_en",
    }
);

/// A profile as submitted (a PATCH is merged onto the stored profile first).
#[derive(Debug, Clone)]
pub struct TeamInput {
    pub name: String,
    pub summary: String,
    pub capabilities: String,
    pub keywords: Vec<String>,
    pub equipment: Vec<String>,
    pub disciplines: Vec<String>,
    pub city: String,
    pub language: TeamLanguage,
    pub capacity: i64,
    pub accepting_work: bool,
}

/// A validated profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamProfile {
    pub name: String,
    pub summary: String,
    pub capabilities: String,
    pub keywords: Vec<String>,
    pub equipment: Vec<String>,
    pub disciplines: Vec<String>,
    pub city: String,
    pub language: TeamLanguage,
    pub capacity: i32,
    pub accepting_work: bool,
}

impl TeamInput {
    pub fn validate(self) -> Result<TeamProfile, Vec<FieldError>> {
        let mut c = Checker::new();
        let profile = TeamProfile {
            name: c.text("name", &self.name, 2, 200),
            summary: c.text("summary", &self.summary, 0, 500),
            capabilities: c.text("capabilities", &self.capabilities, 0, 20_000),
            keywords: c.tags("keywords", &self.keywords, 50, 64),
            equipment: c.tags("equipment", &self.equipment, 50, 100),
            disciplines: c.tags("disciplines", &self.disciplines, 20, 64),
            city: c.text("city", &self.city, 0, 64),
            language: self.language,
            capacity: i32::try_from(c.range_i64("capacity", self.capacity, 0, 50)).unwrap_or(0),
            accepting_work: self.accepting_work,
        };
        c.finish()?;
        Ok(profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> TeamInput {
        TeamInput {
            name: "生物材料课题组".into(),
            summary: "可降解止血材料".into(),
            capabilities: "快速交联的多糖水凝胶, tissue adhesive".into(),
            keywords: vec![
                " 水凝胶 ".into(),
                "水凝胶".into(),
                "".into(),
                "hydrogel".into(),
            ],
            equipment: vec![],
            disciplines: vec![],
            city: "成都".into(),
            language: TeamLanguage::Bilingual,
            capacity: 3,
            accepting_work: true,
        }
    }

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        let profile = input().validate();
        assert_eq!(
            profile.map(|p| p.keywords).ok(),
            Some(vec!["水凝胶".to_owned(), "hydrogel".to_owned()])
        );
    }

    #[test]
    fn capacity_must_be_sane() {
        let mut team = input();
        team.capacity = -1;
        assert!(team.validate().is_err());
    }
}
