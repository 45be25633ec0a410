//! The web pages over plain HTTP (the browser journey is in frontend/e2e): security headers,
//! CSRF refusals, local redirects only, and pages that stay HTML when they refuse.

use crate::helpers::spawn_app;

#[tokio::test]
async fn pages_are_chinese_first_with_a_strict_content_security_policy() {
    let app = spawn_app().await;
    for path in ["/", "/signin", "/signup"] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        let cookies: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert!(
            cookies.iter().any(|c| c.starts_with("yigong_csrf=")
                && c.contains("HttpOnly")
                && c.contains("SameSite=Strict")),
            "{cookies:?}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains("<html lang=\"zh-CN\">"), "{path}");
        assert!(
            !html.contains("<script") && !html.contains("https://"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn forms_without_their_token_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    for (path, body) in [
        (
            "/signup",
            "email=a%40b.example&password=long-enough-1&display_name=A",
        ),
        ("/signin", "email=a%40b.example&password=long-enough-1"),
        ("/orders/new", "title=x"),
        ("/signout", ""),
    ] {
        let response = app
            .client
            .post(format!("{}{path}", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", "yigong_csrf=0123456789abcdef0123456789abcdef0123")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            response.text().await.unwrap().contains("表单已过期"),
            "{path}"
        );
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn the_language_switch_is_remembered_and_only_returns_to_this_site() {
    let app = spawn_app().await;
    for (next, location) in [
        ("/orders/new", "/orders/new"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
    ] {
        let response = app
            .client
            .get(format!("{}/lang/en?next={}", app.address, urlencode(next)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["location"], location);
        assert!(
            response.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .starts_with("yigong_lang=en")
        );
    }
    let english = app
        .client
        .get(format!("{}/", app.address))
        .header("cookie", "yigong_lang=en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("<html lang=\"en\">") && english.contains("Published clinical needs"));
    let unknown = app
        .client
        .get(format!("{}/lang/fr", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
