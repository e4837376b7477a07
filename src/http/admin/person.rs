//! One person, added or changed by a form: the CPR number, phone and
//! e-mail are parsed, and each problem is shown beside its field. The
//! secretariat adds and changes anyone; a team responsible adds people to
//! their own team and changes only their team's members.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::Frame;
use super::error::{PageError, PageResult};
use super::session::Session;
use crate::http::AppState;
use crate::people::form::{FieldError, PersonFields, ValidPerson};
use crate::store::directory::AuditIds;
use crate::store::people::NewPerson;

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
    /// Why the person could not be erased.
    #[serde(default)]
    erase: Option<String>,
    /// `cpr`: show the whole CPR number (audited) instead of the masked
    /// one.
    #[serde(default)]
    reveal: Option<String>,
}

/// Who may add people: the secretariat, and a team responsible (to their
/// own team).
fn may_add(session: &Session) -> PageResult<()> {
    match session.role.runs_election() || session.role.team_id().is_some() {
        true => Ok(()),
        false => Err(PageError::Forbidden),
    }
}

/// Refuses a person this user may not change.
async fn may_change(state: &AppState, session: &Session, person_id: i64) -> PageResult<()> {
    may_add(session)?;
    if let Some(team) = session.role.team_id()
        && !session.role.runs_election()
    {
        let mut tx = state.engine.db.read().await?;
        if !tx.is_team_member(team, person_id).await? {
            return Err(PageError::Forbidden);
        }
    }
    Ok(())
}

fn render(
    state: &AppState,
    session: &Session,
    id: Option<i64>,
    fields: &PersonFields,
    errors: &[FieldError],
    teams: &[crate::store::Team],
    shown: Option<&SavedQuery>,
) -> PageResult<Html<String>> {
    let saved = shown.is_some_and(|q| q.saved.is_some());
    // The masked number can be revealed; a number being typed is shown.
    let masked = id.is_some() && fields.cpr.to_ascii_lowercase().ends_with("-xxxx");
    let erase = shown.and_then(|q| q.erase.as_deref());
    let mut frame = Frame::new(state, session, "people");
    let c = &mut frame.context;
    c.insert("id", &id);
    c.insert("f", fields);
    c.insert("cpr_masked", &masked);
    let mut by_field: std::collections::BTreeMap<&str, &str> = [
        "name",
        "cpr",
        "phone",
        "email",
        "preferred_channel",
        "language",
        "team",
        "municipality_code",
        "danish_citizen",
        "under_guardianship",
        "deceased",
    ]
    .into_iter()
    .map(|f| (f, ""))
    .collect();
    for e in errors {
        by_field.insert(e.field(), e.key());
    }
    c.insert("errors", &by_field);
    c.insert("teams", teams);
    c.insert(
        "own_team",
        &session
            .role
            .team_id()
            .filter(|_| !session.role.runs_election()),
    );
    c.insert("saved", &saved);
    // Only the problems the erase handler names, never free text.
    let erase = erase.filter(|e| ["confirm", "holds_seat", "runs_station"].contains(e));
    c.insert("erase", &erase);
    frame.render("person.html")
}

/// The teams the form offers: all for the secretariat, their own for a
/// team responsible.
async fn teams(state: &AppState, session: &Session) -> PageResult<Vec<crate::store::Team>> {
    let mut tx = state.engine.db.read().await?;
    let all = tx.teams().await?;
    Ok(
        match (session.role.runs_election(), session.role.team_id()) {
            (false, Some(own)) => all.into_iter().filter(|t| t.id == own).collect(),
            _ => all,
        },
    )
}

pub async fn new_form(State(state): State<AppState>, session: Session) -> PageResult<Html<String>> {
    may_add(&session)?;
    let teams = teams(&state, &session).await?;
    let fields = PersonFields {
        teams: session
            .role
            .team_id()
            .map(|t| t.to_string())
            .into_iter()
            .collect(),
        ..Default::default()
    };
    render(&state, &session, None, &fields, &[], &teams, None)
}

pub async fn edit_form(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> PageResult<Html<String>> {
    may_change(&state, &session, id).await?;
    let reveal = q.reveal.as_deref() == Some("cpr");
    let person = {
        let now = state.engine.clock.now();
        let mut tx = state.engine.db.begin().await?;
        let person = tx.person_viewed_by(id, &session.actor(), now).await?;
        if reveal && person.is_some() {
            tx.cpr_revealed_to(id, &session.actor(), now).await?;
        }
        tx.commit().await?;
        person
    }
    .ok_or_else(|| PageError::NotFound(format!("person {id} does not exist")))?;
    let teams = teams(&state, &session).await?;
    // Only the memberships of the teams the form offers: a team's
    // responsible does not see another party's.
    let member_of: Vec<String> = {
        let mut tx = state.engine.db.read().await?;
        tx.teams_of_person(id).await?
    }
    .into_iter()
    .filter(|t| teams.iter().any(|offered| offered.id == *t))
    .map(|t| t.to_string())
    .collect();
    let fields = PersonFields {
        name: person.name,
        cpr: match (&person.cpr, reveal) {
            (Some(cpr), true) => cpr.as_string(),
            (Some(cpr), false) => cpr.masked(),
            (None, _) => String::new(),
        },
        phone: person.phone.unwrap_or_default(),
        email: person.email.unwrap_or_default(),
        preferred_channel: person.preferred_channel,
        language: person.language,
        teams: member_of,
        municipality_code: person.municipality_code.unwrap_or_default(),
        danish_citizen: flag(person.danish_citizen),
        under_guardianship: flag(person.under_guardianship),
        deceased: flag(person.deceased),
        sms_on: String::new(),
        stopped: if person.sms_opt_out { "1" } else { "" }.into(),
    };
    render(&state, &session, Some(id), &fields, &[], &teams, Some(&q))
}

pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    may_add(&session)?;
    save(&state, &session, None, PersonFields::from_pairs(pairs)).await
}

pub async fn update(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    may_change(&state, &session, id).await?;
    save(&state, &session, Some(id), PersonFields::from_pairs(pairs)).await
}

async fn save(
    state: &AppState,
    session: &Session,
    id: Option<i64>,
    mut fields: PersonFields,
) -> PageResult<Response> {
    let teams = teams(state, session).await?;
    if let Some(own) = session
        .role
        .team_id()
        .filter(|_| !session.role.runs_election())
    {
        fields.teams = vec![own.to_string()];
    }
    let team_ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
    let refused = |errors: &[FieldError], fields: &PersonFields| -> PageResult<Response> {
        let page = render(state, session, id, fields, errors, &teams, None)?;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    // The form shows a stored number masked; sent back so, it is unchanged.
    let stored = match id {
        Some(id) => state
            .engine
            .db
            .read()
            .await?
            .person(id)
            .await?
            .and_then(|p| p.cpr),
        None => None,
    };
    let mut parsed_fields = fields.clone();
    if let Some(cpr) = stored.as_ref().filter(|c| c.is_masked_as(&fields.cpr)) {
        parsed_fields.cpr = cpr.as_string();
    }
    let person = match parsed_fields.parse(&team_ids) {
        Ok(p) => p,
        Err(errors) => return refused(&errors, &fields),
    };
    match store(state, session, id, &person, &team_ids).await? {
        Ok(id) => Ok(Redirect::to(&format!("/admin/people/{id}?saved=1")).into_response()),
        Err(e) => refused(&[e], &fields),
    }
}

/// Stores the person and their teams, audited, in one transaction: of
/// the teams the form offered (`offered`), those ticked are joined and
/// those not ticked are left. A CPR number another person has, or a team
/// left while the person holds a seat of it to come, is the form's
/// problem.
async fn store(
    state: &AppState,
    session: &Session,
    id: Option<i64>,
    p: &ValidPerson,
    offered: &[i64],
) -> PageResult<Result<i64, FieldError>> {
    let now = state.engine.clock.now();
    let today = crate::clock::local_today(now);
    let mut tx = state.engine.db.begin().await?;
    if let Some(other) = tx.person_by_cpr(&p.cpr).await?
        && Some(other) != id
    {
        return Ok(Err(FieldError::CprTaken));
    }
    let row = NewPerson {
        name: &p.name,
        cpr: &p.cpr,
        phone: p.phone.as_ref(),
        email: p.email.as_deref(),
        preferred_channel: p.preferred_channel,
        language: p.language,
        facts: Some(&p.facts),
    };
    let (id, action) = match id {
        None => (tx.upsert_person(&row, now).await?, "person.created"),
        Some(id) => match tx.update_person(id, &row, now).await? {
            true => (id, "person.updated"),
            false => return Err(PageError::NotFound(format!("person {id} does not exist"))),
        },
    };
    let before = tx.teams_of_person(id).await?;
    let left: Vec<i64> = before
        .iter()
        .copied()
        .filter(|t| offered.contains(t) && !p.teams.contains(t))
        .collect();
    for team in &left {
        if tx.holds_team_seat_from(id, *team, today).await? {
            return Ok(Err(FieldError::TeamSeatHeld));
        }
        tx.remove_team_member(*team, id).await?;
    }
    let joined: Vec<i64> = p
        .teams
        .iter()
        .copied()
        .filter(|t| !before.contains(t))
        .collect();
    for team in &joined {
        tx.add_team_member(*team, id).await?;
    }
    if p.sms_on && tx.set_person_sms_opt_out(id, false).await? {
        tx.audit(
            now,
            &session.actor(),
            "person.sms_opt_in",
            AuditIds {
                person: Some(id),
                ..Default::default()
            },
            None,
        )
        .await?;
    }
    tx.audit(
        now,
        &session.actor(),
        action,
        AuditIds {
            person: Some(id),
            ..Default::default()
        },
        Some(&json!({ "teams_joined": joined, "teams_left": left }).to_string()),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user = session.user.id, person = id, action, "person saved");
    Ok(Ok(id))
}

/// A known fact as the form's choice: `ja`, `nej`, or empty.
fn flag(v: Option<bool>) -> String {
    match v {
        Some(true) => "ja".into(),
        Some(false) => "nej".into(),
        None => String::new(),
    }
}

#[derive(Deserialize)]
pub struct EraseForm {
    /// The box that says it cannot be undone, ticked.
    #[serde(default)]
    understood: Option<String>,
}

/// `POST /admin/people/{id}/erase` (the secretariat): the right to
/// erasure. Refused while the person holds a seat today or later, or runs
/// a station; otherwise their name, CPR number, contact details, teams,
/// standby and message texts go, and the seat history keeps that a seat
/// was held, by an anonymous person.
pub async fn erase(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<EraseForm>,
) -> PageResult<Response> {
    session.must_run_election()?;
    let back = |why: &str| Redirect::to(&format!("/admin/people/{id}?erase={why}")).into_response();
    if form.understood.is_none() {
        return Ok(back("confirm"));
    }
    let now = state.engine.clock.now();
    let today = crate::clock::local_today(now);
    let mut tx = state.engine.db.begin().await?;
    match tx.erasure_kept(id, today).await? {
        Some(crate::store::erasure::Kept::HoldsSeat) => return Ok(back("holds_seat")),
        Some(crate::store::erasure::Kept::RunsStation) => return Ok(back("runs_station")),
        None => {}
    }
    if !tx.erase_person(id, now).await? {
        return Err(PageError::NotFound(format!("person {id} does not exist")));
    }
    tx.audit(
        now,
        &session.actor(),
        "person.erased",
        AuditIds {
            person: Some(id),
            ..Default::default()
        },
        None,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(person = id, "person erased");
    Ok(Redirect::to("/admin/people?erased=1").into_response())
}
