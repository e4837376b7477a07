//! `/l/{token}`: the page behind a link in an e-mail. GET shows what the
//! link will do and one button, and changes nothing (mail scanners and
//! link previews open every link); only the button's POST acts.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use super::error::{ApiError, ApiResult};
use crate::engine::links::{LinkPage, LinkState};

pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<Response> {
    let page = state.engine.look_at_link(&token).await?;
    render(&state, &page)
}

pub async fn act(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<Response> {
    let page = state.engine.follow_link(&token).await?;
    render(&state, &page)
}

fn render(state: &AppState, page: &LinkPage) -> ApiResult<Response> {
    let engine = &state.engine;
    let mut context = tera::Context::new();
    context.insert("state", page.state.as_str());
    context.insert("purpose", &page.purpose);
    context.insert("municipality", &engine.contact.municipality);
    context.insert("contact", &engine.contact.contact);
    let seat = page
        .seat
        .as_ref()
        .map(|s| engine.seat_context(Some(s), page.language));
    context.insert("seat", &seat);
    let html = engine
        .catalog
        .render_page("link.html", page.language, &context)
        .map_err(|e| ApiError::Internal(e.into()))?;
    let status = match page.state {
        LinkState::Invalid => StatusCode::NOT_FOUND,
        LinkState::Expired => StatusCode::GONE,
        _ => StatusCode::OK,
    };
    Ok((
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::HeaderName::from_static("x-robots-tag"), "noindex"),
        ],
        Html(html),
    )
        .into_response())
}
