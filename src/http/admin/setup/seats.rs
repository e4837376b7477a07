//! An election's seats, as a plan per station × team × task type × date
//! (added in numbers, vacant ones taken away), and its standby pool.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use serde::Deserialize;
use serde_json::json;

use super::{Problem, answer, commit, rule_problem};
use crate::domain::Cpr;
use crate::engine::StandbyError;
use crate::http::AppState;
use crate::http::admin::error::{PageError, PageResult};
use crate::http::admin::session::Session;
use crate::http::admin::{Frame, empty_as_none};
use crate::setup::parse_date;
use crate::setup::seats_csv::MAX_PER_ROW;
use crate::store::Election;
use crate::store::seats::NewSeat;
use crate::store::setup::SeatBlueprint;
use crate::store::standby::NewStandby;

#[derive(Deserialize)]
pub struct SeatsQuery {
    #[serde(default, deserialize_with = "empty_as_none")]
    election: Option<i64>,
    #[serde(default, deserialize_with = "empty_as_none")]
    imported: Option<usize>,
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<SeatsQuery>,
) -> PageResult<Html<String>> {
    session.must_see_everything()?;
    let election = the_election(&state, q.election).await?;
    render(&state, &session, &election, None, q.imported).await
}

/// How many people of the pool belong to each team, teams by name, and
/// those in no team last (named by an empty name): they are offered only
/// the seats of workflows that say `same_team: no`.
fn per_team(pool: &[crate::store::standby::StandbyListed]) -> Vec<(String, usize)> {
    let mut people: std::collections::BTreeMap<&str, std::collections::BTreeSet<i64>> =
        Default::default();
    let mut without = std::collections::BTreeSet::new();
    for entry in pool {
        if entry.teams.is_empty() {
            without.insert(entry.person_id);
        }
        for team in &entry.teams {
            people.entry(team).or_default().insert(entry.person_id);
        }
    }
    let mut out: Vec<(String, usize)> = people
        .into_iter()
        .map(|(team, p)| (team.to_string(), p.len()))
        .collect();
    if !without.is_empty() {
        out.push((String::new(), without.len()));
    }
    out
}

pub(super) async fn the_election(state: &AppState, id: Option<i64>) -> PageResult<Election> {
    crate::http::admin::board::election_of(state, id)
        .await?
        .ok_or_else(|| PageError::NotFound("there are no elections yet; create one first".into()))
}

async fn render(
    state: &AppState,
    session: &Session,
    election: &Election,
    problem: Option<Problem>,
    imported: Option<usize>,
) -> PageResult<Html<String>> {
    let mut tx = state.engine.db.read().await?;
    let mut frame = Frame::new(state, session, "setup");
    let c = &mut frame.context;
    c.insert("imported", &imported);
    c.insert("election", election);
    c.insert("elections", &tx.elections().await?);
    c.insert("plan", &tx.seat_plan(election.id).await?);
    let standby = tx.standby_listed(election.id).await?;
    c.insert("standby_per_team", &per_team(&standby));
    c.insert("standby", &standby);
    c.insert("areas", &tx.areas().await?);
    c.insert("stations", &tx.stations().await?);
    c.insert("teams", &tx.teams().await?);
    c.insert("task_types", &tx.task_types().await?);
    c.insert("max_per_row", &MAX_PER_ROW);
    c.insert("problem", &problem);
    drop(tx);
    frame.render("setup_seats.html")
}

/// On to the seats page, or this page again with the form's problem.
async fn answered(
    state: &AppState,
    session: &Session,
    election: &Election,
    outcome: Result<String, Problem>,
) -> PageResult<Response> {
    answer(outcome, async |p| {
        render(state, session, election, Some(p), None).await
    })
    .await
}

#[derive(Deserialize)]
pub struct SeatsForm {
    #[serde(default)]
    station: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    task_type: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    count: String,
}

fn id(s: &str, key: &'static str) -> Result<i64, Problem> {
    s.trim().parse().map_err(|_| Problem::new(key))
}

/// A date of the form within the election; empty is the election day.
fn date_within(s: &str, e: &Election) -> Result<chrono::NaiveDate, Problem> {
    let d = match s.trim() {
        "" => e.election_day,
        d => parse_date(d).ok_or_else(|| Problem::about("err_date", d.to_string()))?,
    };
    if d < e.starts_on || d > e.ends_on {
        return Err(Problem::about(
            "err_outside_election",
            format!("{d} ({} – {})", e.starts_on, e.ends_on),
        ));
    }
    Ok(d)
}

impl SeatsForm {
    fn parse(&self, e: &Election) -> Result<(SeatBlueprint, i64), Problem> {
        let kind = SeatBlueprint {
            station_id: id(&self.station, "err_station")?,
            team_id: id(&self.team, "err_team")?,
            task_type_id: id(&self.task_type, "err_task_type")?,
            date: date_within(&self.date, e)?,
        };
        let count = self
            .count
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=i64::from(MAX_PER_ROW)).contains(n))
            .ok_or_else(|| Problem::about("err_count", self.count.trim().to_string()))?;
        Ok((kind, count))
    }
}

/// `POST /admin/setup/elections/{id}/seats`: `count` new vacant seats.
pub async fn add(
    State(state): State<AppState>,
    session: Session,
    Path(election_id): Path<i64>,
    Form(f): Form<SeatsForm>,
) -> PageResult<Response> {
    session.must_run_election()?;
    let election = the_election(&state, Some(election_id)).await?;
    let outcome = match f.parse(&election) {
        Err(p) => Err(p),
        Ok((kind, count)) => add_seats(&state, &session, &election, &kind, count).await?,
    };
    answered(&state, &session, &election, outcome).await
}

async fn add_seats(
    state: &AppState,
    session: &Session,
    election: &Election,
    kind: &SeatBlueprint,
    count: i64,
) -> PageResult<Result<String, Problem>> {
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    if !tx.stations().await?.iter().any(|s| s.id == kind.station_id) {
        return Ok(Err(Problem::new("err_station")));
    }
    if !tx.teams().await?.iter().any(|t| t.id == kind.team_id) {
        return Ok(Err(Problem::new("err_team")));
    }
    if !tx
        .task_types()
        .await?
        .iter()
        .any(|t| t.id == kind.task_type_id)
    {
        return Ok(Err(Problem::new("err_task_type")));
    }
    tx.insert_seats(
        &NewSeat {
            election_id: election.id,
            station_id: kind.station_id,
            task_type_id: kind.task_type_id,
            team_id: kind.team_id,
            date: kind.date,
        },
        u32::try_from(count).unwrap_or(0),
        now,
    )
    .await?;
    commit(
        tx,
        session,
        now,
        "seats.added",
        json!({ "election_id": election.id, "station_id": kind.station_id, "team_id": kind.team_id,
                "task_type_id": kind.task_type_id, "date": kind.date, "count": count }),
    )
    .await?;
    Ok(Ok(format!("/admin/setup/seats?election={}", election.id)))
}

/// `POST /admin/setup/elections/{id}/seats/remove`: takes away up to
/// `count` vacant seats of one kind that nobody was ever asked for. Seats
/// with a history stay: what happened on them is part of the record.
pub async fn remove(
    State(state): State<AppState>,
    session: Session,
    Path(election_id): Path<i64>,
    Form(f): Form<SeatsForm>,
) -> PageResult<Response> {
    session.must_run_election()?;
    let election = the_election(&state, Some(election_id)).await?;
    let (kind, count) = match f.parse(&election) {
        Ok(k) => k,
        Err(p) => {
            return answered(&state, &session, &election, Err(p)).await;
        }
    };
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    let removed = tx.delete_vacant_seats(election.id, &kind, count).await?;
    if removed == 0 {
        drop(tx);
        return answered(
            &state,
            &session,
            &election,
            Err(Problem::new("err_none_removable")),
        )
        .await;
    }
    commit(
        tx,
        &session,
        now,
        "seats.removed",
        json!({ "election_id": election.id, "station_id": kind.station_id, "team_id": kind.team_id,
                "task_type_id": kind.task_type_id, "date": kind.date, "count": removed }),
    )
    .await?;
    let outcome = Ok(format!("/admin/setup/seats?election={}", election.id));
    answered(&state, &session, &election, outcome).await
}

#[derive(Deserialize)]
pub struct StandbyForm {
    #[serde(default)]
    cpr: String,
    #[serde(default)]
    date: String,
    /// `station:ID`, `area:ID`, `task_type:ID` or empty for any seat.
    #[serde(default)]
    scope: String,
    /// A team (party) the person joins, for its seats are offered to its
    /// members; empty keeps their teams as they are.
    #[serde(default)]
    team: String,
}

/// `POST /admin/setup/elections/{id}/standby`: a person, found by CPR
/// number, on standby for a date.
pub async fn add_standby(
    State(state): State<AppState>,
    session: Session,
    Path(election_id): Path<i64>,
    Form(f): Form<StandbyForm>,
) -> PageResult<Response> {
    session.must_run_election()?;
    let election = the_election(&state, Some(election_id)).await?;
    let outcome = put_on_standby(&state, &session, &election, &f).await?;
    answered(&state, &session, &election, outcome).await
}

async fn put_on_standby(
    state: &AppState,
    session: &Session,
    election: &Election,
    f: &StandbyForm,
) -> PageResult<Result<String, Problem>> {
    let parsed = (|| {
        let cpr = Cpr::parse(&f.cpr).map_err(|_| Problem::new("err_cpr_format"))?;
        let date = date_within(&f.date, election)?;
        let (mut station, mut area, mut task_type) = (None, None, None);
        match f.scope.split_once(':') {
            None if f.scope.trim().is_empty() => {}
            Some(("station", v)) => station = Some(id(v, "err_station")?),
            Some(("area", v)) => area = Some(id(v, "err_area")?),
            Some(("task_type", v)) => task_type = Some(id(v, "err_task_type")?),
            _ => return Err(Problem::new("err_scope")),
        }
        let team = match f.team.trim() {
            "" => None,
            t => Some(id(t, "err_team")?),
        };
        Ok((cpr, date, station, area, task_type, team))
    })();
    let (cpr, date, station_id, area_id, task_type_id, team) = match parsed {
        Ok(p) => p,
        Err(p) => return Ok(Err(p)),
    };
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    let Some(person_id) = tx.person_by_cpr(&cpr).await? else {
        return Ok(Err(Problem::new("err_no_such_person")));
    };
    if let Some(team) = team {
        if tx.team(team).await?.is_none() {
            return Ok(Err(Problem::new("err_team")));
        }
        tx.add_team_member(team, person_id).await?;
    }
    let entry = NewStandby {
        election_id: election.id,
        person_id,
        date,
        station_id,
        area_id,
        task_type_id,
    };
    let engine = &state.engine;
    match engine
        .put_on_standby(&mut tx, &entry, &session.actor(), now)
        .await
    {
        Ok(_) => {}
        Err(StandbyError::Already { .. }) => return Ok(Err(Problem::new("err_already_standby"))),
        Err(StandbyError::NoSuchScope) => return Ok(Err(Problem::new("err_scope"))),
        Err(StandbyError::NotEligible { why, .. }) => {
            return Ok(Err(rule_problem(&why, &session.user.language)));
        }
        Err(StandbyError::NoSuchPerson(_)) => return Ok(Err(Problem::new("err_no_such_person"))),
        Err(StandbyError::Engine(e)) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(Ok(format!(
        "/admin/setup/seats?election={}#standby",
        election.id
    )))
}

/// `POST /admin/setup/elections/{id}/standby/{entry}/remove`.
pub async fn remove_standby(
    State(state): State<AppState>,
    session: Session,
    Path((election_id, entry)): Path<(i64, i64)>,
) -> PageResult<Response> {
    session.must_run_election()?;
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    if !tx.delete_standby(election_id, entry).await? {
        return Err(PageError::NotFound(format!(
            "standby entry {entry} does not exist"
        )));
    }
    commit(
        tx,
        &session,
        now,
        "standby.removed",
        json!({ "standby_id": entry, "election_id": election_id }),
    )
    .await?;
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Redirect::to(&format!(
            "/admin/setup/seats?election={election_id}#standby"
        )),
    ))
}
