//! The JSON API. Thin handlers; the work is in the engine and the store.

pub mod elections;
pub mod messages;
pub mod people;
pub mod seats;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiResult;

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
