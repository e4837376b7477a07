//! The JSON API. Thin handlers; the work is in the engine and the store.

pub mod body;
pub mod elections;
pub mod messages;
pub mod people;
pub mod seats;
pub mod standby;
pub mod swaps;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiResult};

/// Refuses a date outside the election's dates.
pub(crate) fn within_election(
    election: &crate::store::Election,
    date: chrono::NaiveDate,
) -> ApiResult<()> {
    if date < election.starts_on || date > election.ends_on {
        return Err(ApiError::Unprocessable(format!(
            "date: {date} is outside the election's dates ({} to {})",
            election.starts_on, election.ends_on
        )));
    }
    Ok(())
}

pub async fn health(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let mut tx = state.engine.db.read().await?;
    let open: i64 = crate::q!(
        &mut tx,
        fetch_one,
        sqlx::query_scalar("SELECT COUNT(*) FROM inbound WHERE processed_at IS NULL")
    )?;
    let backend = match state.engine.db.backend() {
        crate::store::Backend::Sqlite => "sqlite",
        crate::store::Backend::Postgres => "postgres",
    };
    Ok(Json(
        json!({ "status": "ok", "database": backend, "inbound_waiting": open }),
    ))
}
