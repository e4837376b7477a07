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
use serde_json::json;

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

/// `GET /healthz`: 200 and `ok` while the database answers within two
/// seconds; 503 and `degraded` while it does not (the workers and the
/// ticker come back by themselves once it does).
pub async fn health(State(state): State<AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let backend = state.engine.db.backend().name();
    let probe = async {
        let mut tx = state.engine.db.read().await?;
        tx.count_inbound_waiting().await
    };
    match tokio::time::timeout(std::time::Duration::from_secs(2), probe).await {
        Ok(Ok(open)) => {
            Json(json!({ "status": "ok", "database": backend, "inbound_waiting": open }))
                .into_response()
        }
        failed => {
            let error = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => "no answer within 2 s".into(),
            };
            tracing::warn!(error, "health check: the database does not answer");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "degraded", "database": backend, "problem": "the database does not answer" })),
            )
                .into_response()
        }
    }
}
