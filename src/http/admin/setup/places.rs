//! Areas, polling stations, teams and task types: listed, added and
//! changed. A name is unique within its kind.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, Response};
use chrono::NaiveTime;
use serde::Deserialize;
use serde_json::json;

use super::{Problem, answer, commit, name, taken};
use crate::http::AppState;
use crate::http::admin::Frame;
use crate::http::admin::error::{PageError, PageResult};
use crate::http::admin::session::Session;
use crate::store::directory::NewTaskType;

#[derive(Deserialize)]
pub struct PlacesQuery {
    #[serde(default, deserialize_with = "crate::http::admin::empty_as_none")]
    imported: Option<usize>,
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Query(q): axum::extract::Query<PlacesQuery>,
) -> PageResult<Html<String>> {
    session.must_see_everything()?;
    render(&state, &session, None, q.imported).await
}

pub(super) async fn render(
    state: &AppState,
    session: &Session,
    problem: Option<Problem>,
    imported: Option<usize>,
) -> PageResult<Html<String>> {
    let mut tx = state.engine.db.read().await?;
    let mut frame = Frame::new(state, session, "setup");
    let c = &mut frame.context;
    c.insert("imported", &imported);
    c.insert("areas", &tx.areas().await?);
    c.insert("stations", &tx.stations().await?);
    c.insert("teams", &tx.teams().await?);
    let task_types: Vec<_> = tx
        .task_types()
        .await?
        .into_iter()
        .map(|t| {
            json!({
                "id": t.id, "name": t.name, "trusted": t.trusted,
                "start": t.start_time.format("%H:%M").to_string(),
                "end": t.end_time.format("%H:%M").to_string(),
                "payment": kroner(t.payment_ore),
            })
        })
        .collect();
    c.insert("task_types", &task_types);
    c.insert("problem", &problem);
    drop(tx);
    frame.render("setup_places.html")
}

/// Øre as kroner the way a Danish form writes them: `450` or `450,50`.
fn kroner(ore: i32) -> String {
    match ore % 100 {
        0 => (ore / 100).to_string(),
        r => format!("{},{r:02}", ore / 100),
    }
}

/// Kroner as typed (`450`, `450,50`, `450.5`) in øre.
fn ore(s: &str) -> Result<i32, Problem> {
    let t = s.trim().replace(' ', "");
    if t.is_empty() {
        return Ok(0);
    }
    let (whole, frac) = t.split_once([',', '.']).unwrap_or((&t, ""));
    let bad = || Problem::about("err_payment", s.trim().to_string());
    if frac.len() > 2
        || whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i32 = whole.parse().map_err(|_| bad())?;
    let frac: i32 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i32>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(frac))
        .ok_or_else(bad)
}

fn time(s: &str) -> Result<NaiveTime, Problem> {
    let t = s.trim().replace('.', ":");
    NaiveTime::parse_from_str(&t, "%H:%M")
        .map_err(|_| Problem::about("err_time", s.trim().to_string()))
}

/// Runs a change; a problem comes back as the page with it.
async fn change<F>(state: &AppState, session: &Session, run: F) -> PageResult<Response>
where
    F: AsyncFnOnce() -> PageResult<Result<(), Problem>>,
{
    session.must_run_election()?;
    let outcome = run().await?.map(|()| "/admin/setup/places".to_string());
    answer(outcome, async |p| {
        render(state, session, Some(p), None).await
    })
    .await
}

/// A name another row of its kind has already, case forgiven.
fn taken_by_other<'a>(
    mut rows: impl Iterator<Item = (i64, &'a str)>,
    id: Option<i64>,
    name: &str,
) -> Option<Problem> {
    let wanted = name.to_lowercase();
    rows.any(|(other, n)| Some(other) != id && n.to_lowercase() == wanted)
        .then(|| Problem::about("err_name_taken", name.to_string()))
}

/// What a change by id came to: the id, a name taken in the meantime, or
/// no such row.
fn updated(
    result: sqlx::Result<bool>,
    id: i64,
    what: &str,
    name: &str,
) -> PageResult<Result<i64, Problem>> {
    match result {
        Ok(true) => Ok(Ok(id)),
        Ok(false) => Err(PageError::NotFound(format!("{what} {id} does not exist"))),
        Err(e) => Ok(Err(taken(e, name)?)),
    }
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

/// What a named kind is called in the audit log and the store.
#[derive(Clone, Copy)]
enum Named {
    Area,
    Team,
}

impl Named {
    fn word(self) -> &'static str {
        match self {
            Named::Area => "area",
            Named::Team => "team",
        }
    }
}

async fn save_named(
    state: &AppState,
    session: &Session,
    kind: Named,
    id: Option<i64>,
    form: &NameForm,
) -> PageResult<Result<(), Problem>> {
    let n = match name(&form.name) {
        Ok(n) => n,
        Err(p) => return Ok(Err(p)),
    };
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    let existing: Vec<(i64, String)> = match kind {
        Named::Area => tx
            .areas()
            .await?
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect(),
        Named::Team => tx
            .teams()
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect(),
    };
    if let Some(p) = taken_by_other(existing.iter().map(|(i, x)| (*i, x.as_str())), id, n) {
        return Ok(Err(p));
    }
    let id = match (kind, id) {
        (Named::Area, None) => tx.upsert_area(n).await?,
        (Named::Team, None) => tx.upsert_team(n).await?,
        (Named::Area, Some(id)) => match updated(tx.rename_area(id, n).await, id, "area", n)? {
            Ok(id) => id,
            Err(p) => return Ok(Err(p)),
        },
        (Named::Team, Some(id)) => match updated(tx.rename_team(id, n).await, id, "team", n)? {
            Ok(id) => id,
            Err(p) => return Ok(Err(p)),
        },
    };
    let action = format!("{}.saved", kind.word());
    commit(tx, session, now, &action, json!({ "id": id })).await?;
    Ok(Ok(()))
}

/// `POST /admin/setup/areas` adds one; `/admin/setup/areas/{id}` renames it.
pub async fn area(
    State(state): State<AppState>,
    session: Session,
    id: Option<Path<i64>>,
    Form(f): Form<NameForm>,
) -> PageResult<Response> {
    let id = id.map(|Path(id)| id);
    change(&state, &session, async || {
        save_named(&state, &session, Named::Area, id, &f).await
    })
    .await
}

/// `POST /admin/setup/teams` adds one; `/admin/setup/teams/{id}` renames it.
pub async fn team(
    State(state): State<AppState>,
    session: Session,
    id: Option<Path<i64>>,
    Form(f): Form<NameForm>,
) -> PageResult<Response> {
    let id = id.map(|Path(id)| id);
    change(&state, &session, async || {
        save_named(&state, &session, Named::Team, id, &f).await
    })
    .await
}

#[derive(Deserialize)]
pub struct StationForm {
    #[serde(default)]
    area: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    voting_area: String,
}

async fn save_station(
    state: &AppState,
    session: &Session,
    id: Option<i64>,
    f: &StationForm,
) -> PageResult<Result<(), Problem>> {
    let parsed = (|| {
        let area: i64 = f
            .area
            .trim()
            .parse()
            .map_err(|_| Problem::new("err_area"))?;
        let n = name(&f.name)?;
        let address = name(&f.address).map_err(|_| Problem::new("err_address"))?;
        let voting_area = Some(f.voting_area.trim()).filter(|v| !v.is_empty());
        Ok((area, n, address, voting_area))
    })();
    let (area, n, address, voting_area) = match parsed {
        Ok(p) => p,
        Err(p) => return Ok(Err(p)),
    };
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    if !tx.areas().await?.iter().any(|a| a.id == area) {
        return Ok(Err(Problem::new("err_area")));
    }
    let stations = tx.stations().await?;
    if let Some(p) = taken_by_other(stations.iter().map(|s| (s.id, s.name.as_str())), id, n) {
        return Ok(Err(p));
    }
    let id = match id {
        None => tx.upsert_station(area, n, address, voting_area).await?,
        Some(id) => {
            let result = tx.update_station(id, area, n, address, voting_area).await;
            match updated(result, id, "station", n)? {
                Ok(id) => id,
                Err(p) => return Ok(Err(p)),
            }
        }
    };
    commit(tx, session, now, "station.saved", json!({ "id": id })).await?;
    Ok(Ok(()))
}

/// `POST /admin/setup/stations` adds one; `/admin/setup/stations/{id}`
/// changes it.
pub async fn station(
    State(state): State<AppState>,
    session: Session,
    id: Option<Path<i64>>,
    Form(f): Form<StationForm>,
) -> PageResult<Response> {
    let id = id.map(|Path(id)| id);
    change(&state, &session, async || {
        save_station(&state, &session, id, &f).await
    })
    .await
}

#[derive(Deserialize)]
pub struct TaskTypeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    payment: String,
    #[serde(default)]
    trusted: Option<String>,
}

async fn save_task_type(
    state: &AppState,
    session: &Session,
    id: Option<i64>,
    f: &TaskTypeForm,
) -> PageResult<Result<(), Problem>> {
    let parsed = (|| {
        let n = name(&f.name)?;
        let start = time(&f.start)?;
        let end = time(&f.end)?;
        if end <= start {
            return Err(Problem::new("err_times"));
        }
        Ok((n, start, end, ore(&f.payment)?))
    })();
    let (n, start, end, payment) = match parsed {
        Ok(p) => p,
        Err(p) => return Ok(Err(p)),
    };
    let trusted = f.trusted.is_some();
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    let task_types = tx.task_types().await?;
    if let Some(p) = taken_by_other(task_types.iter().map(|t| (t.id, t.name.as_str())), id, n) {
        return Ok(Err(p));
    }
    let id = match id {
        None => {
            tx.upsert_task_type(&NewTaskType {
                name: n,
                start_time: start,
                end_time: end,
                payment_ore: payment,
                trusted,
            })
            .await?
        }
        Some(id) => {
            let result = tx
                .update_task_type(id, n, start, end, payment, trusted)
                .await;
            match updated(result, id, "task type", n)? {
                Ok(id) => id,
                Err(p) => return Ok(Err(p)),
            }
        }
    };
    commit(tx, session, now, "task_type.saved", json!({ "id": id })).await?;
    Ok(Ok(()))
}

/// `POST /admin/setup/task-types` adds one; `/admin/setup/task-types/{id}`
/// changes it.
pub async fn task_type(
    State(state): State<AppState>,
    session: Session,
    id: Option<Path<i64>>,
    Form(f): Form<TaskTypeForm>,
) -> PageResult<Response> {
    let id = id.map(|Path(id)| id);
    change(&state, &session, async || {
        save_task_type(&state, &session, id, &f).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payments_are_typed_in_kroner_with_a_danish_or_english_decimal_mark() {
        assert_eq!(ore("450").unwrap(), 45000);
        assert_eq!(ore("450,5").unwrap(), 45050);
        assert_eq!(ore(" 1 200.25 ").unwrap(), 120025);
        assert_eq!(ore("").unwrap(), 0);
        assert!(ore("-3").is_err() && ore("4,505").is_err() && ore("tre").is_err());
        assert!(ore("450,-5").is_err() && ore("1,+5").is_err());
        assert_eq!(kroner(45050), "450,50");
        assert_eq!(kroner(45000), "450");
    }
}
