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

/// The button's POST. A swap link's page has one button per station, each
/// sending `seat=<id>`; the others send nothing.
pub async fn act(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: String,
) -> ApiResult<Response> {
    let page = state.engine.follow_link(&token, chosen_seat(&body)).await?;
    render(&state, &page)
}

/// `seat` of a form body (`seat=12`).
fn chosen_seat(body: &str) -> Option<i64> {
    body.split('&')
        .find_map(|pair| pair.strip_prefix("seat="))
        .and_then(|v| v.trim().parse().ok())
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
    let options: Vec<_> = page
        .options
        .iter()
        .map(|s| {
            let mut c = serde_json::to_value(engine.seat_context(Some(s), page.language))
                .unwrap_or_default();
            c["seat_id"] = s.seat_id.into();
            c
        })
        .collect();
    context.insert("options", &options);
    context.insert("taken_station", &page.taken_station);
    let html = engine
        .catalog
        .get()
        .render_page("link.html", page.language, &context)
        .map_err(|e| ApiError::Internal(e.into()))?;
    let status = match page.state {
        LinkState::Invalid => StatusCode::NOT_FOUND,
        LinkState::Expired => StatusCode::GONE,
        // A chosen seat someone else took first: the page lists the others.
        LinkState::Ready if page.taken_station.is_some() => StatusCode::CONFLICT,
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
