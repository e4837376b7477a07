//! The one error type of the HTTP API, each case mapped to its status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::engine::{AssignError, BulkAssignError, EngineError};
use crate::import::ImportError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Well-formed, but breaks a rule (age, dates, a bad CPR).
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("the request's signature is missing or wrong")]
    BadSignature,
    #[error("log in, or send an API token as `Authorization: Bearer <token>`")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::BadSignature => (StatusCode::FORBIDDEN, "bad_signature"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(e) = &self {
            tracing::error!(error = %e, "request failed");
        }
        (
            status,
            Json(json!({ "error": code, "message": self.to_string() })),
        )
            .into_response()
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if crate::store::is_unique_violation(&e) {
            return ApiError::Conflict("that already exists".into());
        }
        if crate::store::is_constraint_violation(&e) {
            return ApiError::Unprocessable(
                "the request refers to something that does not exist, or breaks a rule".into(),
            );
        }
        ApiError::Internal(e.into())
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Db(e) => e.into(),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<AssignError> for ApiError {
    fn from(e: AssignError) -> Self {
        match e {
            AssignError::NoSuchSeat(_) | AssignError::NoSuchPerson(_) => {
                ApiError::NotFound(e.to_string())
            }
            AssignError::SeatTaken(_) | AssignError::PersonBusy { .. } => {
                ApiError::Conflict(e.to_string())
            }
            AssignError::NotEligible { .. } => ApiError::Unprocessable(e.to_string()),
            AssignError::Engine(e) => e.into(),
        }
    }
}

impl From<BulkAssignError> for ApiError {
    fn from(e: BulkAssignError) -> Self {
        match e {
            BulkAssignError::Refused(ref refused) => {
                let lines: Vec<String> = refused
                    .iter()
                    .map(|(i, why)| format!("assignments[{i}]: {why}"))
                    .collect();
                ApiError::Unprocessable(format!("{e}:\n{}", lines.join("\n")))
            }
            BulkAssignError::Engine(e) => e.into(),
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Syntax(_) => ApiError::BadRequest(e.to_string()),
            ImportError::Invalid(_) => ApiError::Unprocessable(e.to_string()),
            ImportError::Db(e) => e.into(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
