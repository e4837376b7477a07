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

/// What a person reads on a page: the text outside tags, scripts and
/// styles, entities decoded. What a page shows as `<code>` (a workflow's
/// name as its YAML writes it) is left out: it is meant literally.
pub fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        out.push(' ');
        rest = &rest[at..];
        let lower = rest.get(..8).unwrap_or(rest).to_ascii_lowercase();
        let skip_to = if lower.starts_with("<script") {
            "</script>"
        } else if lower.starts_with("<code") {
            "</code>"
        } else if lower.starts_with("<style") {
            "</style>"
        } else {
            ">"
        };
        match rest.find(skip_to) {
            Some(end) => rest = &rest[end + skip_to.len()..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
}

/// Names the code uses that a Danish user must never read: statuses,
/// events, kinds, template names, channels as stored, and ids.
pub const INTERNAL_TERMS: &[&str] = &[
    "vacant",
    "invited",
    "confirmed",
    "pending",
    "sending",
    "sent",
    "failed",
    "dead",
    "delivered",
    "undelivered",
    "assigned",
    "answered_yes",
    "answered_no",
    "unanswered",
    "released",
    "removed",
    "cancelled",
    "offered",
    "offer_unfilled",
    "no_show",
    "no-show",
    "checked_in",
    "swapped_out",
    "swap_requested",
    "not-understood",
    "unknown-sender",
    "sms-stop",
    "workflow-error",
    "answered",
    "invitation_retracted",
    "registration_confirmation",
    "decline_receipt",
    "standby_offer",
    "group_message",
    "secretariat",
    "reader",
    "standby",
    "seat",
    "sms",
    "email",
    "telegram",
    "preferred",
    "Declined",
    "does",
    "exist",
    "user:",
    "person:",
    "#",
];

/// The first internal term `text` holds as a word (`user:`, `person:`
/// and `#` as a word's start: `user:1`, `#5`).
pub fn internal_term_in(text: &str) -> Option<&'static str> {
    let words: Vec<&str> = text
        .split(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    ',' | '.' | '(' | ')' | ';' | '«' | '»' | '"' | '·' | '→' | '←' | '–'
                )
        })
        .filter(|w| !w.is_empty())
        .collect();
    INTERNAL_TERMS.iter().copied().find(|term| {
        words
            .iter()
            .any(|w| match term.ends_with(':') || *term == "#" {
                true => w.starts_with(term) && w.len() > term.len(),
                false => w == term,
            })
    })
}
