use super::body::ApiJson;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::{Cpr, Facts, Language, MunicipalityCode, PhoneNumber};
use crate::http::AppState;
use crate::http::admin::session::Session;
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
    /// The teams (parties) the person belongs to: a seat of a team is
    /// offered from standby to its members only.
    #[serde(default)]
    pub team_ids: Vec<i64>,
    /// The facts the election's rules need (given with any of them, the
    /// others are not known): the CPR register's municipality code where
    /// the person lives, and whether they are a Danish citizen, under
    /// guardianship, dead or missing.
    pub municipality_code: Option<String>,
    pub danish_citizen: Option<bool>,
    pub under_guardianship: Option<bool>,
    pub deceased: Option<bool>,
}

pub async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreatePerson>,
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
    let municipality = body
        .municipality_code
        .as_deref()
        .map(MunicipalityCode::parse)
        .transpose()
        .map_err(|e| bad("municipality_code", &e))?;
    let facts = Facts::given(
        municipality,
        body.danish_citizen,
        body.under_guardianship,
        body.deceased,
    );
    let mut tx = state.engine.db.begin().await?;
    for team in &body.team_ids {
        if tx.team(*team).await?.is_none() {
            return Err(bad("team_ids", &format!("team {team} does not exist")));
        }
    }
    let id = tx
        .upsert_person(
            &NewPerson {
                name: body.name.trim(),
                cpr: &cpr,
                phone: phone.as_ref(),
                email: body.email.as_deref(),
                preferred_channel: channel,
                language,
                facts: facts.as_ref(),
            },
            state.engine.clock.now(),
        )
        .await?;
    for team in &body.team_ids {
        tx.add_team_member(*team, id).await?;
    }
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

#[derive(Deserialize)]
pub struct Member {
    pub person_id: i64,
}

/// `POST /api/teams/{id}/members`: the person joins the team (party).
pub async fn join_team(
    State(state): State<AppState>,
    Path(team): Path<i64>,
    ApiJson(body): ApiJson<Member>,
) -> ApiResult<Json<Value>> {
    let mut tx = state.engine.db.begin().await?;
    if tx.team(team).await?.is_none() {
        return Err(ApiError::NotFound(format!("team {team} does not exist")));
    }
    if tx.person(body.person_id).await?.is_none() {
        return Err(ApiError::NotFound(format!(
            "person {} does not exist",
            body.person_id
        )));
    }
    tx.add_team_member(team, body.person_id).await?;
    tx.commit().await?;
    Ok(Json(
        json!({ "team_id": team, "person_id": body.person_id }),
    ))
}

/// `DELETE /api/teams/{id}/members/{person}`: the person leaves the team.
pub async fn leave_team(
    State(state): State<AppState>,
    Path((team, person)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    let today = crate::clock::local_today(state.engine.clock.now());
    let mut tx = state.engine.db.begin().await?;
    // As on the admin's person form: not off a team whose seat to come
    // the person holds.
    if tx.holds_team_seat_from(person, team, today).await? {
        return Err(ApiError::Conflict(format!(
            "person {person} holds a seat of team {team} to come; take them off it first"
        )));
    }
    if !tx.remove_team_member(team, person).await? {
        return Err(ApiError::NotFound(format!(
            "person {person} is not in team {team}"
        )));
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct ShowQuery {
    /// `cpr`: the whole CPR number instead of the masked one.
    #[serde(default)]
    reveal: Option<String>,
}

/// A person as the API shows them: the CPR number masked (`120385-xxxx`)
/// unless revealed; `null` for an erased person.
#[derive(serde::Serialize)]
pub struct ShownPerson {
    #[serde(flatten)]
    person: Person,
    cpr: Option<String>,
}

/// `GET /api/people/{id}`: the person, their CPR number masked unless
/// `?reveal=cpr`; each look and each reveal is audited, as a
/// data-protection officer will ask who saw whom.
pub async fn show(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> ApiResult<Json<ShownPerson>> {
    let now = state.engine.clock.now();
    let reveal = match q.reveal.as_deref() {
        None => false,
        Some("cpr") => true,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "reveal: only `cpr` can be revealed".into(),
            ));
        }
    };
    let mut tx = state.engine.db.begin().await?;
    let person = tx
        .person_viewed_by(id, &session.actor(), now)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("person {id} does not exist")))?;
    if reveal {
        tx.cpr_revealed_to(id, &session.actor(), now).await?;
    }
    tx.commit().await?;
    let cpr = person
        .cpr
        .as_ref()
        .map(|c| if reveal { c.as_string() } else { c.masked() });
    Ok(Json(ShownPerson { person, cpr }))
}
