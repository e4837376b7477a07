use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::store::{Notification, OutboxMessage};

#[derive(Deserialize)]
pub struct OutboxQuery {
    pub status: Option<String>,
    pub limit: Option<i64>,
}

const STATUSES: [&str; 5] = ["pending", "sending", "sent", "failed", "dead"];

pub async fn outbox(
    State(state): State<AppState>,
    Query(q): Query<OutboxQuery>,
) -> ApiResult<Json<Vec<OutboxMessage>>> {
    if let Some(s) = q.status.as_deref()
        && !STATUSES.contains(&s)
    {
        return Err(ApiError::BadRequest(format!(
            "status must be one of {}",
            STATUSES.join(", ")
        )));
    }
    let mut tx = state.engine.db.read().await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(tx.messages(q.status.as_deref(), limit).await?))
}

pub async fn dead_letters(State(state): State<AppState>) -> ApiResult<Json<Vec<OutboxMessage>>> {
    let mut tx = state.engine.db.read().await?;
    Ok(Json(tx.messages(Some("dead"), 1000).await?))
}

/// Gives a dead message a new round of attempts.
pub async fn retry(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let mut tx = state.engine.db.begin().await?;
    if !tx.revive_message(id, state.engine.clock.now()).await? {
        return Err(ApiError::NotFound(format!(
            "message {id} is not a dead letter"
        )));
    }
    crate::jobs::push_deliveries(&mut tx, &[id], false)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    tx.commit().await?;
    Ok(Json(json!({ "id": id, "status": "pending" })))
}

pub async fn notifications(State(state): State<AppState>) -> ApiResult<Json<Vec<Notification>>> {
    let mut tx = state.engine.db.read().await?;
    Ok(Json(tx.notifications(500).await?))
}
