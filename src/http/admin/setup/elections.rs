//! Elections: the list, a new one, a copy of an earlier one with its seats,
//! and which one is active (the one the admin's pages open on).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{Problem, answer, commit, name};
use crate::domain::Rules;
use crate::http::AppState;
use crate::http::admin::Frame;
use crate::http::admin::error::{PageError, PageResult};
use crate::http::admin::session::Session;
use crate::setup::duplicate::CopyError;
use crate::setup::parse_date;
use crate::store::directory::NewElection;

pub async fn show(State(state): State<AppState>, session: Session) -> PageResult<Html<String>> {
    session.must_see_everything()?;
    render(&state, &session, None).await
}

async fn render(
    state: &AppState,
    session: &Session,
    problem: Option<Problem>,
) -> PageResult<Html<String>> {
    let mut tx = state.engine.db.read().await?;
    let elections = tx.elections().await?;
    let types = tx.election_types().await?;
    let seats: std::collections::HashMap<i64, i64> =
        tx.seats_per_election().await?.into_iter().collect();
    let held: std::collections::HashMap<i64, i64> = tx.held_counts().await?.into_iter().collect();
    drop(tx);
    let rows: Vec<_> = elections
        .iter()
        .map(|e| {
            json!({
                "election": e,
                "type": types.iter().find(|t| t.id == e.election_type_id).map(|t| t.name.as_str()),
                "seats": seats.get(&e.id).copied().unwrap_or(0),
                "held": held.get(&e.id).copied().unwrap_or(0),
            })
        })
        .collect();
    // The newest election is the one to copy.
    let newest = elections
        .iter()
        .max_by_key(|e| (e.election_day, e.id))
        .map(|e| e.id);
    let mut frame = Frame::new(state, session, "setup");
    let c = &mut frame.context;
    c.insert("rows", &rows);
    c.insert("types", &types);
    c.insert(
        "municipality_code",
        &state.engine.municipality_code.as_ref().map(|c| c.as_str()),
    );
    c.insert("newest", &newest);
    c.insert("problem", &problem);
    frame.render("setup_elections.html")
}

#[derive(Deserialize)]
pub struct NewElectionForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    election_type: String,
    #[serde(default)]
    min_age: String,
    #[serde(default)]
    election_day: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    lock_days: String,
}

fn date(s: &str, required: bool) -> Result<Option<chrono::NaiveDate>, Problem> {
    match s.trim() {
        "" if !required => Ok(None),
        "" => Err(Problem::new("err_date_missing")),
        d => parse_date(d)
            .map(Some)
            .ok_or_else(|| Problem::about("err_date", d.to_string())),
    }
}

fn number(s: &str, default: i32, key: &'static str) -> Result<i32, Problem> {
    match s.trim() {
        "" => Ok(default),
        n => n
            .parse::<i32>()
            .ok()
            .filter(|n| (0..=150).contains(n))
            .ok_or_else(|| Problem::about(key, n.to_string())),
    }
}

/// `POST /admin/setup/elections`: a new, empty election. The first one
/// becomes active.
pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Form(f): Form<NewElectionForm>,
) -> PageResult<Response> {
    session.must_run_election()?;
    let outcome = create_election(&state, &session, &f).await?;
    answer(outcome, async |p| render(&state, &session, Some(p)).await).await
}

async fn create_election(
    state: &AppState,
    session: &Session,
    f: &NewElectionForm,
) -> PageResult<Result<String, Problem>> {
    let parsed = (|| {
        let title = name(&f.title)?;
        let kind = name(&f.election_type)?;
        let min_age = number(&f.min_age, 18, "err_min_age")?;
        let day = date(&f.election_day, true)?.expect("required");
        let starts_on = date(&f.starts_on, false)?.unwrap_or(day);
        let ends_on = date(&f.ends_on, false)?.unwrap_or(day);
        if starts_on > day || day > ends_on {
            return Err(Problem::new("err_election_dates"));
        }
        let lock_days = number(&f.lock_days, 0, "err_lock_days")?;
        Ok((title, kind, min_age, day, starts_on, ends_on, lock_days))
    })();
    let (title, kind, min_age, day, starts_on, ends_on, lock_days) = match parsed {
        Ok(p) => p,
        Err(p) => return Ok(Err(p)),
    };
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    let first = tx.elections().await?.is_empty();
    // An existing type keeps its minimum age: other elections use it too.
    let existing = tx
        .election_types()
        .await?
        .into_iter()
        .find(|t| t.name.to_lowercase() == kind.to_lowercase());
    let type_id = match existing {
        Some(t) if t.min_age != min_age => {
            return Ok(Err(Problem::about(
                "err_type_age",
                format!("{} ({})", t.name, t.min_age),
            )));
        }
        Some(t) => t.id,
        None => tx.upsert_election_type(kind, min_age).await?,
    };
    let id = tx
        .insert_election(
            &NewElection {
                title,
                election_type_id: type_id,
                starts_on,
                election_day: day,
                ends_on,
                lock_days,
                time_zone: "Europe/Copenhagen",
            },
            now,
        )
        .await?;
    if first {
        tx.set_election_active(id, true).await?;
    }
    commit(
        tx,
        session,
        now,
        "election.created",
        json!({ "election_id": id }),
    )
    .await?;
    tracing::info!(user = session.user.id, election = id, "election created");
    Ok(Ok(format!("/admin/setup/seats?election={id}")))
}

#[derive(Deserialize)]
pub struct CopyForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    election_day: String,
}

/// `POST /admin/setup/elections/copy`: a new election with the seats of an
/// earlier one, moved to the new election day.
pub async fn copy(
    State(state): State<AppState>,
    session: Session,
    Form(f): Form<CopyForm>,
) -> PageResult<Response> {
    session.must_run_election()?;
    let outcome = copy_election(&state, &session, &f).await?;
    answer(outcome, async |p| render(&state, &session, Some(p)).await).await
}

async fn copy_election(
    state: &AppState,
    session: &Session,
    f: &CopyForm,
) -> PageResult<Result<String, Problem>> {
    let parsed = (|| {
        let from: i64 = f
            .from
            .trim()
            .parse()
            .map_err(|_| Problem::new("err_copy_from"))?;
        let title = name(&f.title)?;
        let day = date(&f.election_day, true)?.expect("required");
        Ok((from, title, day))
    })();
    let (from, title, day) = match parsed {
        Ok(p) => p,
        Err(p) => return Ok(Err(p)),
    };
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    let copied = match crate::setup::duplicate::duplicate(&mut tx, from, title, day, now).await? {
        Ok(c) => c,
        Err(CopyError::NoSuchElection) => {
            return Err(PageError::NotFound(format!(
                "election {from} does not exist"
            )));
        }
        Err(CopyError::OutOfRange) => return Ok(Err(Problem::about("err_date", day.to_string()))),
    };
    let id = copied.election_id;
    commit(
        tx,
        session,
        now,
        "election.copied",
        json!({ "election_id": id, "from": from, "seats": copied.seats }),
    )
    .await?;
    tracing::info!(
        user = session.user.id,
        election = id,
        from,
        seats = copied.seats,
        "election copied"
    );
    Ok(Ok(format!("/admin/setup/seats?election={id}")))
}

/// `POST /admin/setup/elections/{id}/activate`: from now on the election's
/// invitations, reminders and offers go out, those held first.
pub async fn activate(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    set_active(state, session, id, true).await
}

/// `POST /admin/setup/elections/{id}/deactivate`: nothing automatic goes
/// out for the election until it is activated again.
pub async fn deactivate(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    set_active(state, session, id, false).await
}

async fn set_active(
    state: AppState,
    session: Session,
    id: i64,
    active: bool,
) -> PageResult<Response> {
    session.must_run_election()?;
    if !state
        .engine
        .set_election_active(id, active, &session.actor())
        .await?
    {
        return Err(PageError::NotFound(format!("election {id} does not exist")));
    }
    Ok(axum::response::Redirect::to("/admin/setup").into_response())
}

#[derive(Deserialize)]
pub struct RulesForm {
    #[serde(default)]
    min_age: String,
    /// Ticked boxes send `on`; unticked ones nothing.
    #[serde(default)]
    age: Option<String>,
    #[serde(default)]
    residence: Option<String>,
    #[serde(default)]
    citizenship: Option<String>,
    #[serde(default)]
    guardianship: Option<String>,
}

/// `POST /admin/setup/election-types/{id}`: the rules a type keeps, each
/// on or off; alive is always kept. They hold from the next check on
/// every path (assignment, standby, offers, swaps); nobody already on a
/// seat is taken off by it.
pub async fn set_rules(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<RulesForm>,
) -> PageResult<Response> {
    session.must_run_election()?;
    let outcome = match number(&f.min_age, 18, "err_min_age") {
        Err(p) => Err(p),
        Ok(min_age) => {
            let rules = Rules {
                min_age: f.age.is_some().then_some(min_age),
                residence: f.residence.is_some(),
                citizenship: f.citizenship.is_some(),
                guardianship: f.guardianship.is_some(),
            };
            let now = state.engine.clock.now();
            let mut tx = state.engine.db.begin().await?;
            if !tx.set_election_type_rules(id, &rules).await? {
                return Err(PageError::NotFound(format!(
                    "election type {id} does not exist"
                )));
            }
            commit(
                tx,
                &session,
                now,
                "election_type.rules_set",
                json!({ "election_type_id": id, "rules": rules }),
            )
            .await?;
            Ok(format!("/admin/setup?rules_saved={id}#election-types"))
        }
    };
    answer(outcome, async |p| render(&state, &session, Some(p)).await).await
}
