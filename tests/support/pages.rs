//! Opening the page behind a link as a browser does.

use super::TestApp;

/// GET: the status and the page.
pub async fn get(app: &TestApp, url: &str) -> (u16, String) {
    let r = app.http.get(url).send().await.expect("GET");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

/// POST (the page's button), then waits for the jobs it caused.
pub async fn post(app: &TestApp, url: &str) -> (u16, String) {
    let r = app.http.post(url).send().await.expect("POST");
    let out = (r.status().as_u16(), r.text().await.unwrap_or_default());
    app.settle().await;
    out
}

/// POST a form (`seat=12`), as a page's form does, then waits for the
/// jobs it caused.
pub async fn post_form(app: &TestApp, url: &str, body: &str) -> (u16, String) {
    let r = app
        .http
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .expect("POST");
    let out = (r.status().as_u16(), r.text().await.unwrap_or_default());
    app.settle().await;
    out
}
