//! Standby pools, stations' responsibles, no-show reports and removals.

use super::body::ApiJson;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::engine::{OffSeatError, Removal, StandbyError};
use crate::http::AppState;
use crate::http::admin::session::Session;
use crate::http::error::{ApiError, ApiResult};
use crate::store::standby::{NewStandby, Standby};

/// `POST /api/standby`: puts a person on standby for a date, for one
/// station, one area, one task type, or any seat of the election.
pub async fn create(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    ApiJson(body): ApiJson<NewStandby>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if body.station_id.is_some() && body.area_id.is_some() {
        return Err(ApiError::Unprocessable(
            "give station_id or area_id, not both: a station lies in one area".into(),
        ));
    }
    let mut tx = state.engine.db.begin().await?;
    let election = tx.election(body.election_id).await?.ok_or_else(|| {
        ApiError::NotFound(format!("election {} does not exist", body.election_id))
    })?;
    super::within_election(&election, body.date)?;
    let id = state
        .engine
        .put_on_standby(&mut tx, &body, &session.actor(), state.engine.clock.now())
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

/// `GET /api/elections/{id}/standby`.
pub async fn of_election(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Standby>>> {
    let mut tx = state.engine.db.read().await?;
    Ok(Json(tx.standby_of_election(id).await?))
}

#[derive(Deserialize)]
pub struct Responsible {
    pub person_id: Option<i64>,
}

/// `PUT /api/stations/{id}/responsible`: the valgstyrerformand, whose
/// phone may report no-shows.
pub async fn set_responsible(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Responsible>,
) -> ApiResult<Json<Value>> {
    let mut tx = state.engine.db.begin().await?;
    if let Some(p) = body.person_id
        && tx.person(p).await?.is_none()
    {
        return Err(ApiError::NotFound(format!("person {p} does not exist")));
    }
    if !tx.set_station_responsible(id, body.person_id).await? {
        return Err(ApiError::NotFound(format!("station {id} does not exist")));
    }
    tx.commit().await?;
    Ok(Json(
        json!({ "station_id": id, "responsible_person_id": body.person_id }),
    ))
}

/// `POST /api/seats/{id}/no-show`: the seat's person has not come.
pub async fn no_show(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let fx = state.engine.report_no_show(id, &session.actor()).await?;
    Ok(Json(
        json!({ "seat_id": id, "messages": fx.messages.len() }),
    ))
}

#[derive(Deserialize)]
pub struct Remove {
    /// `secretariat` (the default) or `validation`.
    #[serde(default = "by_secretariat")]
    pub reason: Removal,
}

fn by_secretariat() -> Removal {
    Removal::Secretariat
}

/// `POST /api/seats/{id}/remove`: takes the seat's person off it; they
/// are told (retracted invitation, removed from the task, or removed by
/// validation) and the seat is offered to standby.
pub async fn remove(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Remove>,
) -> ApiResult<Json<Value>> {
    let fx = state
        .engine
        .remove_from_seat(id, body.reason, &session.actor())
        .await?;
    Ok(Json(
        json!({ "seat_id": id, "messages": fx.messages.len() }),
    ))
}

impl From<OffSeatError> for ApiError {
    fn from(e: OffSeatError) -> Self {
        match e {
            OffSeatError::NoSuchSeat(_) => ApiError::NotFound(e.to_string()),
            OffSeatError::Vacant(_)
            | OffSeatError::NotItsDay { .. }
            | OffSeatError::NotConfirmed(_) => ApiError::Conflict(e.to_string()),
            OffSeatError::Engine(e) => e.into(),
        }
    }
}

impl From<StandbyError> for ApiError {
    fn from(e: StandbyError) -> Self {
        match e {
            StandbyError::NoSuchPerson(_) => ApiError::NotFound(e.to_string()),
            StandbyError::Already { .. } => ApiError::Conflict(e.to_string()),
            StandbyError::NotEligible { .. } | StandbyError::NoSuchScope => {
                ApiError::Unprocessable(e.to_string())
            }
            StandbyError::Engine(e) => e.into(),
        }
    }
}
