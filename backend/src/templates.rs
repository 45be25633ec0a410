//! The templates and translations of frontend/, loaded once and shared: mail and pages render
//! through [`Templates::render`], Chinese by default with English beside it.

use anyhow::{Context, anyhow};
use minijinja::Environment;
use serde::Serialize;
use std::collections::BTreeMap;

use crate::domain::digest::MailLanguage;

/// Rendered text of one language: key → string.
pub type Strings = BTreeMap<String, String>;

#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    zh: Strings,
    en: Strings,
}

impl Templates {
    /// The templates and translations compiled into the binary.
    pub fn builtin() -> anyhow::Result<Self> {
        let mut env = Environment::new();
        for (name, source) in yigong_frontend::TEMPLATES {
            env.add_template(name, source)
                .with_context(|| format!("loading template {name}"))?;
        }
        let mut languages = BTreeMap::new();
        for (tag, source) in yigong_frontend::TRANSLATIONS {
            let strings: Strings =
                toml::from_str(source).with_context(|| format!("reading translations {tag}"))?;
            languages.insert(*tag, strings);
        }
        let mut take = |tag: &str| {
            languages
                .remove(tag)
                .ok_or_else(|| anyhow!("no translations for {tag}"))
        };
        Ok(Self {
            zh: take("zh-CN")?,
            en: take("en")?,
            env,
        })
    }

    pub fn strings(&self, language: MailLanguage) -> &Strings {
        match language {
            MailLanguage::ZhCn => &self.zh,
            MailLanguage::En => &self.en,
        }
    }

    /// One string with `{name}` placeholders filled in; an unknown key comes back as itself.
    pub fn text(&self, language: MailLanguage, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self
            .strings(language)
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_owned());
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// Renders template `name` (`.html` templates escape every value).
    pub fn render(&self, name: &str, context: impl Serialize) -> anyhow::Result<String> {
        self.env
            .get_template(name)
            .and_then(|template| template.render(minijinja::value::Serde(&context)))
            .with_context(|| format!("rendering {name}"))
    }
}
