//! The JSON body of an API request: as axum's `Json`, but a text holding
//! the NUL character (which PostgreSQL cannot store) is refused with 422
//! naming the field, before anything is read from it.

use axum::Json;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::http::error::ApiError;

pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<Value>::from_request(req, state)
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        if let Some(field) = nul_at(&value, "") {
            return Err(ApiError::Unprocessable(format!(
                "{field}: the text holds a NUL character, which cannot be stored"
            )));
        }
        serde_json::from_value(value)
            .map(ApiJson)
            .map_err(|e| ApiError::Unprocessable(e.to_string()))
    }
}

/// The path (`assignments[1].name`) of the first text or key holding a
/// NUL character.
fn nul_at(value: &Value, path: &str) -> Option<String> {
    let here = || {
        if path.is_empty() {
            "the body".to_string()
        } else {
            path.to_string()
        }
    };
    match value {
        Value::String(s) if s.contains('\0') => Some(here()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_at(v, &format!("{path}[{i}]"))),
        Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            let at = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(at.replace('\0', "\\0"))
            } else {
                nul_at(v, &at)
            }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_nul_is_named_by_its_path() {
        let v = serde_json::json!({ "name": "Anna", "team_ids": [1], "people": [{}, { "email": "a\u{0}b" }] });
        assert_eq!(nul_at(&v, "").as_deref(), Some("people[1].email"));
        assert_eq!(nul_at(&serde_json::json!({ "name": "Anna" }), ""), None);
        assert_eq!(
            nul_at(&serde_json::json!("\u{0}"), "").as_deref(),
            Some("the body")
        );
    }
}
