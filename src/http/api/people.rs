use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::{Cpr, Language, PhoneNumber};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::store::Person;
use crate::store::people::NewPerson;

#[derive(Deserialize)]
pub struct CreatePerson {
    pub name: String,
    pub cpr: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub preferred_channel: Option<String>,
    pub language: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<CreatePerson>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let bad =
        |field: &str, e: &dyn std::fmt::Display| ApiError::Unprocessable(format!("{field}: {e}"));
    if body.name.trim().is_empty() {
        return Err(ApiError::Unprocessable("name: must not be empty".into()));
    }
    let cpr = Cpr::parse(&body.cpr).map_err(|e| bad("cpr", &e))?;
    let phone = body
        .phone
        .as_deref()
        .map(PhoneNumber::parse)
        .transpose()
        .map_err(|e| bad("phone", &e))?;
    let language = match body.language.as_deref() {
        None => Language::Da,
        Some(l) => Language::parse(l).ok_or_else(|| bad("language", &"must be da or en"))?,
    };
    let channel = body.preferred_channel.as_deref().unwrap_or("sms");
    if !matches!(channel, "sms" | "email" | "telegram") {
        return Err(bad("preferred_channel", &"must be sms, email or telegram"));
    }
    let mut tx = state.engine.db.begin().await?;
    let id = tx
        .upsert_person(
            &NewPerson {
                name: body.name.trim(),
                cpr: &cpr,
                phone: phone.as_ref(),
                email: body.email.as_deref(),
                preferred_channel: channel,
                language,
            },
            state.engine.clock.now(),
        )
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

pub async fn show(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Person>> {
    let mut tx = state.engine.db.read().await?;
    tx.person(id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("person {id} does not exist")))
}
