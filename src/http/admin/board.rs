//! The staffing board: per area and station, how many seats are vacant,
//! invited and confirmed, and how many people stand by, with filters. The
//! live part is fetched again every few seconds while answers arrive.

use axum::extract::{Query, State};
use axum::response::Html;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::error::{PageError, PageResult};
use super::session::Session;
use super::{Frame, empty_as_none};
use crate::domain::Role;
use crate::http::AppState;
use crate::store::board::{BoardFilter, StationCounts};

#[derive(Debug, Default, Deserialize)]
pub struct BoardQuery {
    #[serde(default, deserialize_with = "empty_as_none")]
    pub election: Option<i64>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub area: Option<i64>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub station: Option<i64>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub team: Option<i64>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub task_type: Option<i64>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub date: Option<NaiveDate>,
}

/// The filter a user asked for, within what their role may see.
fn scoped(q: &BoardQuery, election_id: i64, role: Role) -> BoardFilter {
    BoardFilter {
        election_id,
        area_id: q.area,
        station_id: role.station_id().or(q.station),
        team_id: role.team_id().or(q.team),
        task_type_id: q.task_type,
        date: q.date,
    }
}

#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    counts: StationCounts,
    standby: i64,
    total: i64,
    /// Percent of the station's seats, for the bars.
    pct_vacant: f64,
    pct_invited: f64,
    pct_confirmed: f64,
}

#[derive(Serialize, Default)]
struct Totals {
    vacant: i64,
    invited: i64,
    confirmed: i64,
    standby: i64,
    total: i64,
    pct_vacant: f64,
    pct_invited: f64,
    pct_confirmed: f64,
}

impl Totals {
    fn add(&mut self, r: &Row) {
        self.vacant += r.counts.vacant;
        self.invited += r.counts.invited;
        self.confirmed += r.counts.confirmed;
        self.standby += r.standby;
        self.total += r.total;
        let t = self.total.max(1) as f64;
        self.pct_vacant = 100.0 * self.vacant as f64 / t;
        self.pct_invited = 100.0 * self.invited as f64 / t;
        self.pct_confirmed = 100.0 * self.confirmed as f64 / t;
    }
}

#[derive(Serialize)]
struct AreaRows {
    name: String,
    rows: Vec<Row>,
    totals: Totals,
}

/// The election asked for, or the one with the latest election day.
pub(super) async fn election_of(
    state: &AppState,
    asked: Option<i64>,
) -> PageResult<Option<crate::store::Election>> {
    let mut tx = state.engine.db.read().await?;
    Ok(match asked {
        Some(id) => Some(
            tx.election(id)
                .await?
                .ok_or_else(|| PageError::NotFound(format!("election {id} does not exist")))?,
        ),
        None => tx.elections().await?.into_iter().next(),
    })
}

/// The live part's context: the counts by area, and the station's seats
/// when one station is shown.
async fn live_context(
    state: &AppState,
    session: &Session,
    filter: &BoardFilter,
    context: &mut tera::Context,
) -> PageResult<()> {
    let mut tx = state.engine.db.read().await?;
    let counts = tx.board_counts(filter).await?;
    let standby = tx.board_standby(filter).await?;
    let mut areas: Vec<AreaRows> = Vec::new();
    let mut totals = Totals::default();
    for c in counts {
        let total = c.vacant + c.invited + c.confirmed;
        let t = total.max(1) as f64;
        let row = Row {
            standby: standby.per_station.get(&c.station_id).copied().unwrap_or(0),
            total,
            pct_vacant: 100.0 * c.vacant as f64 / t,
            pct_invited: 100.0 * c.invited as f64 / t,
            pct_confirmed: 100.0 * c.confirmed as f64 / t,
            counts: c,
        };
        totals.add(&row);
        match areas.last_mut() {
            Some(a) if a.name == row.counts.area => {
                a.totals.add(&row);
                a.rows.push(row);
            }
            _ => {
                let mut a = AreaRows {
                    name: row.counts.area.clone(),
                    rows: Vec::new(),
                    totals: Totals::default(),
                };
                a.totals.add(&row);
                a.rows.push(row);
                areas.push(a);
            }
        }
    }
    let seats = match filter.station_id {
        Some(_) => tx.board_seats(filter, 2_000).await?,
        None => Vec::new(),
    };
    let seats: Vec<_> = seats
        .into_iter()
        .map(|s| {
            let mut v = serde_json::to_value(&s).unwrap_or_default();
            v["start"] = s.start_time.format("%H:%M").to_string().into();
            v["mine"] = session.role.staffs_team(s.team_id).into();
            v
        })
        .collect();
    // A person who could go to several stations is one person.
    totals.standby = standby.total;
    context.insert("standby_per_team", &standby.per_team);
    context.insert("areas", &areas);
    context.insert("totals", &totals);
    context.insert("seats", &seats);
    context.insert("filter", filter);
    Ok(())
}

/// The board's query string, for the live part's address and the links.
fn query_string(filter: &BoardFilter) -> String {
    let mut pairs: Vec<(&str, String)> = vec![("election", filter.election_id.to_string())];
    let opt = [
        ("area", filter.area_id),
        ("station", filter.station_id),
        ("team", filter.team_id),
        ("task_type", filter.task_type_id),
    ];
    for (k, v) in opt {
        if let Some(v) = v {
            pairs.push((k, v.to_string()));
        }
    }
    if let Some(d) = filter.date {
        pairs.push(("date", d.to_string()));
    }
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<BoardQuery>,
) -> PageResult<Html<String>> {
    board(&state, &session, &q, "board.html").await
}

/// The live part alone, for the page to fetch again.
pub async fn live(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<BoardQuery>,
) -> PageResult<Html<String>> {
    board(&state, &session, &q, "board_live.html").await
}

/// The board page (with its filters) or its live part alone.
async fn board(
    state: &AppState,
    session: &Session,
    q: &BoardQuery,
    page: &str,
) -> PageResult<Html<String>> {
    let mut frame = Frame::new(state, session, "board");
    frame.context.insert("areas", &Vec::<AreaRows>::new());
    frame
        .context
        .insert("seats", &Vec::<serde_json::Value>::new());
    let Some(election) = election_of(state, q.election).await? else {
        return frame.render(page);
    };
    let filter = scoped(q, election.id, session.role);
    frame.context.insert("query", &query_string(&filter));
    if page == "board.html" {
        filter_choices(state, session, &election, &filter, &mut frame.context).await?;
    }
    live_context(state, session, &filter, &mut frame.context).await?;
    frame.render(page)
}

/// What the filters offer: the elections, and the areas, stations, teams,
/// task types and dates within the user's reach.
async fn filter_choices(
    state: &AppState,
    session: &Session,
    election: &crate::store::Election,
    filter: &BoardFilter,
    c: &mut tera::Context,
) -> PageResult<()> {
    let mut tx = state.engine.db.read().await?;
    let stations: Vec<_> = tx
        .stations()
        .await?
        .into_iter()
        .filter(|s| session.role.station_id().is_none_or(|id| id == s.id))
        .collect();
    let teams: Vec<_> = tx
        .teams()
        .await?
        .into_iter()
        .filter(|t| session.role.team_id().is_none_or(|id| id == t.id))
        .collect();
    c.insert("election", election);
    c.insert("elections", &tx.elections().await?);
    c.insert("area_list", &tx.areas().await?);
    c.insert("task_types", &tx.task_types().await?);
    c.insert("dates", &tx.seat_dates(election.id).await?);
    c.insert(
        "station_name",
        &filter
            .station_id
            .and_then(|id| stations.iter().find(|s| s.id == id))
            .map(|s| s.name.clone()),
    );
    c.insert("stations", &stations);
    c.insert("teams", &teams);
    Ok(())
}
