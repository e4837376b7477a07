//! API tokens in the admin (secretariat): the list with who each is for,
//! what uses it, when it was made, when it expires and when it was last
//! used; a new token, shown once; revoking one.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::Frame;
use super::error::{PageError, PageResult};
use super::session::Session;
use crate::http::AppState;

fn day(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map(|a| super::when::date(crate::clock::local_today(a)))
        .unwrap_or_default()
}

async fn render(
    state: &AppState,
    session: &Session,
    made: Option<&str>,
    problem: Option<&str>,
) -> PageResult<Html<String>> {
    let tokens = {
        let mut tx = state.engine.db.read().await?;
        tx.api_tokens().await?
    };
    let now = state.engine.clock.now();
    let rows: Vec<_> = tokens
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "login": t.login,
                "name": t.name,
                "created": day(Some(t.created_at)),
                "expires": day(t.expires_at),
                "last_used": day(t.last_used_at),
                "revoked": day(t.revoked_at),
                "in_use": t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now),
            })
        })
        .collect();
    let mut frame = Frame::new(state, session, "tokens");
    frame.context.insert("tokens", &rows);
    frame.context.insert("made", &made);
    frame.context.insert("problem", &problem);
    frame.context.insert("login", &session.user.login);
    frame.render("tokens.html")
}

pub async fn show(State(state): State<AppState>, session: Session) -> PageResult<Html<String>> {
    session.must_run_election()?;
    render(&state, &session, None, None).await
}

#[derive(Deserialize)]
pub struct NewToken {
    #[serde(default)]
    name: String,
    #[serde(default)]
    days: String,
}

/// `POST /admin/tokens`: a token for the logged-in user, shown once.
pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<NewToken>,
) -> PageResult<Response> {
    session.must_run_election()?;
    let name = form.name.trim();
    let days = form
        .days
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (0..=3650).contains(d));
    let (Some(days), false) = (days, name.is_empty() || name.chars().count() > 100) else {
        return Ok(render(&state, &session, None, Some("token_invalid"))
            .await?
            .into_response());
    };
    let (_, token) = crate::users::create_named_api_token(
        &state.engine.db,
        &state.engine.clock,
        &session.user.login,
        name,
        (days > 0).then_some(days),
    )
    .await
    .map_err(|e| PageError::Internal(anyhow::anyhow!("{e}")))?;
    Ok(render(&state, &session, Some(&token), None)
        .await?
        .into_response())
}

/// `POST /admin/tokens/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    session.must_run_election()?;
    crate::users::revoke_api_token(&state.engine.db, &state.engine.clock, id, &session.actor())
        .await
        .map_err(|e| PageError::Internal(anyhow::anyhow!("{e}")))?;
    Ok(Redirect::to("/admin/tokens").into_response())
}
