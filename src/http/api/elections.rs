use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::{Value, json};

use crate::http::AppState;
use crate::http::admin::session::Session;
use crate::http::error::{ApiError, ApiResult};
use crate::import::{self, ImportSummary};
use crate::store::{Election, Station, TaskType, Team};

pub async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<Election>>> {
    let mut tx = state.engine.db.read().await?;
    Ok(Json(tx.elections().await?))
}

pub async fn show(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let mut tx = state.engine.db.read().await?;
    let election = tx
        .election(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("election {id} does not exist")))?;
    let counts: serde_json::Map<String, Value> = tx
        .seat_counts(id)
        .await?
        .into_iter()
        .map(|(status, n)| (status, json!(n)))
        .collect();
    let held = tx
        .held_counts()
        .await?
        .into_iter()
        .find(|(e, _)| *e == id)
        .map_or(0, |(_, n)| n);
    Ok(Json(
        json!({ "election": election, "seats": counts, "held": held }),
    ))
}

/// `POST /api/elections/{id}/activate`: its held invitations and offers
/// go out, and from now on everything automatic.
pub async fn activate(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    set_active(state, &session, id, true).await
}

/// `POST /api/elections/{id}/deactivate`: nothing automatic goes out until
/// it is activated again.
pub async fn deactivate(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    set_active(state, &session, id, false).await
}

async fn set_active(
    state: AppState,
    session: &Session,
    id: i64,
    active: bool,
) -> ApiResult<StatusCode> {
    if state
        .engine
        .set_election_active(id, active, &session.actor())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("election {id} does not exist")))
    }
}

/// Creates an election from an election file (YAML or JSON).
pub async fn import(
    State(state): State<AppState>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ImportSummary>)> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::BadRequest("the body is not UTF-8 text".into()))?;
    let file = import::parse(text)?;
    let summary = import::import(&state.engine.db, &state.engine.clock, &file).await?;
    Ok((StatusCode::CREATED, Json(summary)))
}

pub async fn stations(State(state): State<AppState>) -> ApiResult<Json<Vec<Station>>> {
    let mut tx = state.engine.db.read().await?;
    Ok(Json(tx.stations().await?))
}

pub async fn teams(State(state): State<AppState>) -> ApiResult<Json<Vec<Team>>> {
    let mut tx = state.engine.db.read().await?;
    Ok(Json(tx.teams().await?))
}

pub async fn task_types(State(state): State<AppState>) -> ApiResult<Json<Vec<TaskType>>> {
    let mut tx = state.engine.db.read().await?;
    Ok(Json(tx.task_types().await?))
}
