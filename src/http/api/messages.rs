use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::store::Notification;

#[derive(Deserialize)]
pub struct OutboxQuery {
    pub status: Option<String>,
    pub limit: Option<i64>,
    /// The page of messages older than this id (from the `Link` header).
    pub before: Option<i64>,
}

const STATUSES: [&str; 5] = ["pending", "sending", "sent", "failed", "dead"];

/// The most a page holds.
const PAGE_MAX: i64 = 1000;

/// `GET /api/outbox?status=&limit=&before=`: messages newest first, a
/// page at a time. A full page carries `Link: <…?before=ID…>; rel="next"`
/// (RFC 8288) to the next; `X-Total-Count` is how many match in all.
pub async fn outbox(
    State(state): State<AppState>,
    Query(q): Query<OutboxQuery>,
) -> ApiResult<Response> {
    if let Some(s) = q.status.as_deref()
        && !STATUSES.contains(&s)
    {
        return Err(ApiError::BadRequest(format!(
            "status must be one of {}",
            STATUSES.join(", ")
        )));
    }
    let limit = q.limit.unwrap_or(100).clamp(1, PAGE_MAX);
    page(&state, "/api/outbox", q.status.as_deref(), q.before, limit).await
}

/// `GET /api/dead-letters?limit=&before=`: the dead messages, paged as
/// the outbox is.
pub async fn dead_letters(
    State(state): State<AppState>,
    Query(q): Query<OutboxQuery>,
) -> ApiResult<Response> {
    let limit = q.limit.unwrap_or(PAGE_MAX).clamp(1, PAGE_MAX);
    page(&state, "/api/dead-letters", Some("dead"), q.before, limit).await
}

async fn page(
    state: &AppState,
    path: &str,
    status: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<Response> {
    let mut tx = state.engine.db.read().await?;
    let rows = tx.messages(status, before, limit).await?;
    let counts = tx.message_counts().await?;
    let total: i64 = counts
        .iter()
        .filter(|(s, _)| status.is_none_or(|want| want == s))
        .map(|(_, n)| n)
        .sum();
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(total));
    if rows.len() as i64 == limit
        && let Some(last) = rows.last()
    {
        let mut next = vec![
            ("before", last.id.to_string()),
            ("limit", limit.to_string()),
        ];
        if let (Some(s), "/api/outbox") = (status, path) {
            next.push(("status", s.to_string()));
        }
        let query = serde_urlencoded::to_string(&next).unwrap_or_default();
        if let Ok(link) = HeaderValue::from_str(&format!("<{path}?{query}>; rel=\"next\"")) {
            headers.insert(header::LINK, link);
        }
    }
    Ok((headers, Json(rows)).into_response())
}

/// `GET /api/outbox/counts`: how many messages are in each status, in
/// all, and sent but possibly twice, without reading them.
pub async fn outbox_counts(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let mut tx = state.engine.db.read().await?;
    let counts = tx.message_counts().await?;
    let mut out = serde_json::Map::new();
    for s in STATUSES {
        let n = counts.iter().find(|(c, _)| c == s).map_or(0, |(_, n)| *n);
        out.insert(s.to_string(), n.into());
    }
    out.insert(
        "total".into(),
        counts.iter().map(|(_, n)| n).sum::<i64>().into(),
    );
    out.insert(
        "maybe_doubled".into(),
        tx.count_maybe_doubled().await?.into(),
    );
    Ok(Json(Value::Object(out)))
}

/// Gives a dead message a new round of attempts.
pub async fn retry(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let mut tx = state.engine.db.begin().await?;
    if !tx.revive_message(id, state.engine.clock.now()).await? {
        return Err(ApiError::NotFound(format!(
            "message {id} is not a dead letter"
        )));
    }
    crate::jobs::push_deliveries(&mut tx, &[id], false, crate::jobs::Urgency::Urgent)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    tx.commit().await?;
    Ok(Json(json!({ "id": id, "status": "pending" })))
}

pub async fn notifications(State(state): State<AppState>) -> ApiResult<Json<Vec<Notification>>> {
    let mut tx = state.engine.db.read().await?;
    Ok(Json(tx.notifications(500).await?))
}
