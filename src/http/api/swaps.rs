//! Swaps that wait for the secretariat's approval.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::engine::SwapDecision;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::store::swaps::SwapRequest;

#[derive(Deserialize)]
pub struct Filter {
    /// `pending` (the default), `approved`, `refused`, `taken`, `ended`.
    pub status: Option<String>,
}

/// `GET /api/swap-requests?status=pending`: oldest first.
pub async fn list(
    State(state): State<AppState>,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<Vec<SwapRequest>>> {
    let status = filter.status.as_deref().unwrap_or("pending");
    let mut tx = state.engine.db.read().await?;
    Ok(Json(tx.swap_requests(status).await?))
}

/// `POST /api/swap-requests/{id}/approve`.
pub async fn approve(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    decide(&state, id, true).await
}

/// `POST /api/swap-requests/{id}/refuse`.
pub async fn refuse(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    decide(&state, id, false).await
}

async fn decide(state: &AppState, id: i64, approve: bool) -> ApiResult<Json<Value>> {
    let decision = state.engine.decide_swap(id, approve, "secretariat").await?;
    match decision {
        SwapDecision::NotFound => Err(ApiError::NotFound(format!(
            "swap request {id} does not exist"
        ))),
        SwapDecision::NotPending => Err(ApiError::Conflict(format!(
            "swap request {id} is no longer pending"
        ))),
        d => Ok(Json(json!({ "outcome": d.as_str() }))),
    }
}
