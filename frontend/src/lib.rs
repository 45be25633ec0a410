//! Templates, translations and static assets of the Yigong web UI and mail, compiled into the
//! binary so nothing needs a Node build step to run.

/// The landing page served at `/`.
pub const LANDING_PAGE: &str = include_str!("../static/index.html");

/// The one stylesheet, served at `/static/app.css`.
pub const STYLESHEET: &str = include_str!("../static/app.css");

/// Every template by name (minijinja syntax; `.html` ones are autoescaped).
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "mail/digest.txt",
        include_str!("../templates/mail/digest.txt"),
    ),
    (
        "mail/digest.html",
        include_str!("../templates/mail/digest.html"),
    ),
    (
        "pages/base.html",
        include_str!("../templates/pages/base.html"),
    ),
    (
        "pages/unsubscribe.html",
        include_str!("../templates/pages/unsubscribe.html"),
    ),
    (
        "pages/order.html",
        include_str!("../templates/pages/order.html"),
    ),
];

/// Translation files: (language tag, TOML of key = text). zh-CN first: it is the default.
pub const TRANSLATIONS: &[(&str, &str)] = &[
    ("zh-CN", include_str!("../i18n/zh-CN.toml")),
    ("en", include_str!("../i18n/en.toml")),
];

#[cfg(test)]
mod tests {
    #[test]
    fn the_landing_page_speaks_chinese_first() {
        let page = super::LANDING_PAGE;
        assert!(page.contains("lang=\"zh-CN\""));
        assert!(page.find("医工").unwrap_or(usize::MAX) < page.find("Yigong").unwrap_or(0));
    }

    fn keys(toml: &str) -> Vec<String> {
        let mut keys: Vec<String> = toml
            .lines()
            .filter(|line| line.starts_with('"'))
            .filter_map(|line| line.split('"').nth(1).map(str::to_owned))
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn every_language_has_every_key() {
        let [(_, zh), (_, en)] = super::TRANSLATIONS else {
            panic!("expected two translation files");
        };
        assert!(!keys(zh).is_empty());
        assert_eq!(keys(zh), keys(en));
    }
}
