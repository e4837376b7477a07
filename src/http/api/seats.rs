use super::body::ApiJson;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::engine::Assignment;
use crate::http::AppState;
use crate::http::admin::session::Session;
use crate::http::error::{ApiError, ApiResult};
use crate::store::Seat;
use crate::store::seats::NewSeat;

#[derive(Deserialize)]
pub struct CreateSeat {
    pub election_id: i64,
    pub station_id: i64,
    pub task_type_id: i64,
    pub team_id: i64,
    pub date: NaiveDate,
}

pub async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateSeat>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let mut tx = state.engine.db.begin().await?;
    let election = tx.election(body.election_id).await?.ok_or_else(|| {
        ApiError::NotFound(format!("election {} does not exist", body.election_id))
    })?;
    super::within_election(&election, body.date)?;
    let id = tx
        .insert_seat(
            &NewSeat {
                election_id: body.election_id,
                station_id: body.station_id,
                task_type_id: body.task_type_id,
                team_id: body.team_id,
                date: body.date,
            },
            state.engine.clock.now(),
        )
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

#[derive(Deserialize)]
pub struct Page {
    #[serde(default)]
    pub after: i64,
    pub limit: Option<i64>,
}

pub async fn of_election(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(page): Query<Page>,
) -> ApiResult<Json<Vec<Seat>>> {
    let mut tx = state.engine.db.read().await?;
    let limit = page.limit.unwrap_or(500).clamp(1, 5000);
    Ok(Json(tx.seats_of_election(id, page.after, limit).await?))
}

/// A seat with what it is, who holds it, and everything that happened to it.
pub async fn show(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let mut tx = state.engine.db.read().await?;
    let seat = tx
        .seat_details(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("seat {id} does not exist")))?;
    let history = tx.seat_history(id).await?;
    let instances = tx.instances_of_seat(id).await?;
    Ok(Json(
        json!({ "seat": seat, "history": history, "instances": instances }),
    ))
}

#[derive(Deserialize)]
pub struct Assign {
    pub person_id: i64,
}

pub async fn assign(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Assign>,
) -> ApiResult<Json<Value>> {
    state
        .engine
        .assign(id, body.person_id, &session.actor())
        .await?;
    let mut tx = state.engine.db.read().await?;
    let seat = tx.seat(id).await?;
    Ok(Json(json!({ "seat": seat })))
}

#[derive(Deserialize)]
pub struct AssignMany {
    pub assignments: Vec<Assignment>,
}

/// Most assignments one request may carry.
pub const MAX_ASSIGNMENTS: usize = 5_000;

/// Assigns many seats at once: all of them, or none when any breaks a rule.
pub async fn assign_many(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    ApiJson(body): ApiJson<AssignMany>,
) -> ApiResult<Json<Value>> {
    if body.assignments.is_empty() {
        return Err(ApiError::Unprocessable(
            "assignments: the list is empty".into(),
        ));
    }
    if body.assignments.len() > MAX_ASSIGNMENTS {
        return Err(ApiError::Unprocessable(format!(
            "assignments: {} in one request; at most {MAX_ASSIGNMENTS}",
            body.assignments.len()
        )));
    }
    let fx = state
        .engine
        .assign_many(&body.assignments, &session.actor())
        .await?;
    Ok(Json(json!({
        "assigned": body.assignments.len(),
        "messages": fx.messages.len(),
    })))
}
