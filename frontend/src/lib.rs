//! Templates, translations and static assets of the Yigong web UI and mail, compiled into the
//! binary so nothing needs a Node build step to run.

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
    (
        "pages/board.html",
        include_str!("../templates/pages/board.html"),
    ),
    (
        "pages/signin.html",
        include_str!("../templates/pages/signin.html"),
    ),
    (
        "pages/order_form.html",
        include_str!("../templates/pages/order_form.html"),
    ),
    (
        "pages/bid_form.html",
        include_str!("../templates/pages/bid_form.html"),
    ),
    (
        "pages/project.html",
        include_str!("../templates/pages/project.html"),
    ),
    (
        "pages/list.html",
        include_str!("../templates/pages/list.html"),
    ),
    (
        "pages/settings.html",
        include_str!("../templates/pages/settings.html"),
    ),
    (
        "pages/my_bids.html",
        include_str!("../templates/pages/my_bids.html"),
    ),
    (
        "pages/team_edit.html",
        include_str!("../templates/pages/team_edit.html"),
    ),
    (
        "pages/teams_mine.html",
        include_str!("../templates/pages/teams_mine.html"),
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
    fn pages_declare_their_language_and_load_only_local_assets() {
        for (name, source) in super::TEMPLATES {
            assert!(
                !source.contains("http://") && !source.contains("https://"),
                "{name} loads from elsewhere"
            );
            assert!(!source.contains("<script"), "{name} has a script");
        }
        let (_, base) = super::TEMPLATES
            .iter()
            .find(|(n, _)| *n == "pages/base.html")
            .unwrap();
        assert!(base.contains("<html lang=\"{{ lang }}\">"));
    }

    #[test]
    fn every_template_file_is_compiled_in() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut on_disk = Vec::new();
        for folder in std::fs::read_dir(&root).unwrap() {
            let folder = folder.unwrap().path();
            for file in std::fs::read_dir(&folder).unwrap() {
                let file = file.unwrap().path();
                let name = file
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                on_disk.push(name);
            }
        }
        on_disk.sort();
        let mut listed: Vec<String> = super::TEMPLATES
            .iter()
            .map(|(n, _)| (*n).to_owned())
            .collect();
        listed.sort();
        assert_eq!(listed, on_disk);
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
