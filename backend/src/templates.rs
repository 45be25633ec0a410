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
        env.set_formatter(html_formatter);
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

/// HTML-escapes the five characters that matter (`& < > " '`) and leaves the rest, so links
/// stay readable (minijinja's default also escapes `/`).
fn html_formatter(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    let plain = matches!(state.auto_escape(), minijinja::AutoEscape::Html)
        && !value.is_safe()
        && !value.is_undefined()
        && !value.is_none();
    if !plain {
        return minijinja::escape_formatter(out, state, value);
    }
    let mut escaped = String::new();
    for c in value.to_string().chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    out.write_str(&escaped)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_templates_escape_what_users_wrote() {
        let templates = Templates::builtin().unwrap();
        let html = templates
            .render(
                "pages/unsubscribe.html",
                serde_json::json!({
                    "lang": "zh-CN", "t": templates.strings(MailLanguage::ZhCn), "title": "t",
                    "state": "done", "message": "<script>alert('x')</script> & http://a/b",
                }),
            )
            .unwrap();
        assert!(
            html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; http://a/b"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
    }
}
