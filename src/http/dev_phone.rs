//! The dev provider's phone: see what was sent to a number and answer as
//! that person. Only served when the dev SMS provider is in use.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, Redirect};
use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::{AppState, escape_html};
use crate::domain::PhoneNumber;
use crate::store::inbound::NewInbound;

fn page(title: &str, body: &str, refresh: bool) -> Html<String> {
    let refresh = if refresh {
        r#"<meta http-equiv="refresh" content="3">"#
    } else {
        ""
    };
    Html(format!(
        r#"<!doctype html><html lang="da"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">{refresh}
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 34rem; margin: 1rem auto; padding: 0 1rem; }}
.out, .in {{ padding: .5rem .75rem; border-radius: .75rem; margin: .4rem 0; max-width: 85%; white-space: pre-wrap; }}
.out {{ background: #e9e9eb; }}
.in {{ background: #0b84ff; color: white; margin-left: auto; }}
small {{ color: #666; }}
form {{ display: flex; gap: .5rem; margin-top: 1rem; }}
input[type=text] {{ flex: 1; font-size: 1rem; padding: .5rem; }}
</style></head><body>{body}</body></html>"#,
        title = escape_html(title)
    ))
}

/// People with a phone number, each linking to their phone.
pub async fn index(State(state): State<AppState>) -> ApiResult<Html<String>> {
    let mut tx = state.engine.db.read().await?;
    let people = tx.people(0, 500).await?;
    let mut body = String::from(
        "<h1>valgvagt: dev phones</h1><p>Messages to these numbers are kept here instead of being sent. Open a phone to read them and answer as that person. The secretariat's board is at <a href=\"/admin\">/admin</a>.</p><ul>",
    );
    for p in people.iter().filter(|p| p.phone.is_some()) {
        let phone = p.phone.as_deref().unwrap_or_default();
        body.push_str(&format!(
            r#"<li><a href="/dev/phone?number={}">{}</a> ({})</li>"#,
            escape_html(&phone.replace('+', "%2B")),
            escape_html(&p.name),
            escape_html(phone)
        ));
    }
    body.push_str("</ul>");
    Ok(page("valgvagt dev phones", &body, false))
}

#[derive(Deserialize)]
pub struct Number {
    pub number: String,
}

pub async fn show(
    State(state): State<AppState>,
    Query(q): Query<Number>,
) -> ApiResult<Html<String>> {
    let phone = PhoneNumber::parse(&q.number).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let mut tx = state.engine.db.read().await?;
    let log = tx.dev_sms_log(phone.as_e164()).await?;
    let mut body = format!(
        r#"<p><a href="/">All phones</a></p><h1>{}</h1>"#,
        escape_html(phone.as_e164())
    );
    for (direction, text, at) in &log {
        body.push_str(&format!(
            r#"<div class="{}">{}<br><small>{}</small></div>"#,
            if direction == "in" { "in" } else { "out" },
            escape_html(text),
            crate::http::admin::when::local(*at)
        ));
    }
    body.push_str(&format!(
        r#"<form method="post" action="/dev/phone"><input type="hidden" name="number" value="{}"><input type="text" name="text" placeholder="JA, NEJ, JA K7, STOP, HJÆLP" autofocus><button>Send</button></form>"#,
        escape_html(phone.as_e164())
    ));
    Ok(page("valgvagt dev phone", &body, true))
}

#[derive(Deserialize)]
pub struct ReplyForm {
    pub number: String,
    pub text: String,
}

/// Sends `text` from the phone, through the same path as a gateway's webhook.
pub async fn reply(
    State(state): State<AppState>,
    Form(form): Form<ReplyForm>,
) -> ApiResult<Redirect> {
    let phone =
        PhoneNumber::parse(&form.number).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let id = format!("dev-{}", crate::engine::new_key());
    {
        let mut tx = state.engine.db.begin().await?;
        tx.dev_sms(
            "in",
            phone.as_e164(),
            &form.text,
            None,
            state.engine.clock.now(),
        )
        .await?;
        tx.commit().await?;
    }
    state
        .engine
        .receive_sms(&NewInbound {
            provider: "dev",
            provider_message_id: &id,
            sender: phone.as_e164(),
            receiver: None,
            body: &form.text,
        })
        .await?;
    Ok(Redirect::to(&format!(
        "/dev/phone?number={}",
        phone.as_e164().replace('+', "%2B")
    )))
}
