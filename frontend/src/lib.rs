//! Templates and static assets of the Yigong web UI, compiled into the binary so nothing needs
//! a Node build step to run. For now: the landing page that points people to the API.

/// The landing page served at `/`.
pub const LANDING_PAGE: &str = include_str!("../static/index.html");

#[cfg(test)]
mod tests {
    #[test]
    fn the_landing_page_speaks_chinese_first() {
        let page = super::LANDING_PAGE;
        assert!(page.contains("lang=\"zh-CN\""));
        assert!(page.find("医工").unwrap_or(usize::MAX) < page.find("Yigong").unwrap_or(0));
    }
}
