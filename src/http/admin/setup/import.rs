//! Stations and seats from CSV files, as people are imported: a preview,
//! every bad row with its line and column, and nothing stored while a row
//! is bad unless the user chooses to leave the bad rows out.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::json;

use super::commit;
use super::seats::the_election;
use crate::csv_table::TableError;
use crate::http::AppState;
use crate::http::admin::Frame;
use crate::http::admin::error::{PageError, PageResult};
use crate::http::admin::session::Session;
use crate::http::admin::upload::read_form;
use crate::setup::seats_csv::{self, Known, SeatRow};
use crate::setup::stations_csv::{self, StationRow};
use crate::setup::{Checked, Preview};
use crate::store::Election;
use crate::store::seats::NewSeat;

/// What is imported.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Stations,
    Seats,
}

impl Kind {
    fn parse(s: &str) -> PageResult<Kind> {
        match s {
            "stations" => Ok(Kind::Stations),
            "seats" => Ok(Kind::Seats),
            _ => Err(PageError::NotFound(format!("there is no import of `{s}`"))),
        }
    }

    fn word(self) -> &'static str {
        match self {
            Kind::Stations => "stations",
            Kind::Seats => "seats",
        }
    }

    /// The preview's columns, as keys of the page's words.
    fn columns(self) -> &'static [&'static str] {
        match self {
            Kind::Stations => &["col_area", "col_station", "col_address", "col_voting_area"],
            Kind::Seats => &[
                "col_station",
                "col_team",
                "col_task_type",
                "col_date",
                "col_count",
            ],
        }
    }

    fn example(self) -> &'static str {
        match self {
            Kind::Stations => {
                "område;valgsted;adresse;afstemningsområde\nMidtbyen;Rådhushallen;Rådhuspladsen 1;1"
            }
            Kind::Seats => {
                "valgsted;hold;opgave;dato;antal\nRådhushallen;Venstre;Tilforordnet;2029-11-20;2"
            }
        }
    }
}

#[derive(serde::Deserialize)]
pub struct ImportQuery {
    #[serde(default, deserialize_with = "crate::http::admin::empty_as_none")]
    election: Option<i64>,
}

/// The address of the import for this kind, in this election.
fn action(kind: Kind, election: Option<&Election>) -> String {
    match election {
        Some(e) if kind == Kind::Seats => format!("/admin/setup/import/seats?election={}", e.id),
        _ => format!("/admin/setup/import/{}", kind.word()),
    }
}

pub async fn form(
    State(state): State<AppState>,
    session: Session,
    Path(kind): Path<String>,
    Query(q): Query<ImportQuery>,
) -> PageResult<Html<String>> {
    session.must_run_election()?;
    let kind = Kind::parse(&kind)?;
    let election = match kind {
        Kind::Seats => Some(the_election(&state, q.election).await?),
        Kind::Stations => None,
    };
    render(&state, &session, kind, election.as_ref(), None, "", false)
}

fn render(
    state: &AppState,
    session: &Session,
    kind: Kind,
    election: Option<&Election>,
    checked: Option<Result<Preview, TableError>>,
    csv: &str,
    refused: bool,
) -> PageResult<Html<String>> {
    let mut frame = Frame::new(state, session, "setup");
    let c = &mut frame.context;
    c.insert("kind", kind.word());
    c.insert("election", &election);
    c.insert("action", &action(kind, election));
    c.insert("columns", kind.columns());
    c.insert("example", kind.example());
    c.insert("csv", csv);
    c.insert("refused", &refused);
    match checked {
        None => {
            c.insert("preview", &None::<Preview>);
            c.insert("file_error", &None::<String>);
        }
        Some(Ok(p)) => {
            c.insert("preview", &Some(p));
            c.insert("file_error", &None::<String>);
        }
        Some(Err(e)) => {
            c.insert("preview", &None::<Preview>);
            c.insert("file_error", &Some(e.to_string()));
        }
    }
    frame.render("setup_import.html")
}

/// Checks the file and shows the preview; with `action=import` stores it.
pub async fn import(
    State(state): State<AppState>,
    session: Session,
    Path(kind): Path<String>,
    Query(q): Query<ImportQuery>,
    form: Multipart,
) -> PageResult<Response> {
    session.must_run_election()?;
    let kind = Kind::parse(&kind)?;
    let form = read_form(form).await?;
    let text = crate::csv_table::decode(&form.text);
    let (checked, election, stored) = match kind {
        Kind::Stations => {
            let checked = stations_csv::check(&form.text);
            let stored = match &checked {
                Ok(c) if form.commit && c.importable(form.skip_bad) => {
                    Some(store_stations(&state, &session, c).await?)
                }
                _ => None,
            };
            (checked.map(|c| c.preview()), None, stored)
        }
        Kind::Seats => {
            let election = the_election(&state, q.election).await?;
            let (stations, teams, task_types) = {
                let mut tx = state.engine.db.read().await?;
                (
                    tx.stations().await?,
                    tx.teams().await?,
                    tx.task_types().await?,
                )
            };
            let known = Known {
                election: &election,
                stations: &stations,
                teams: &teams,
                task_types: &task_types,
            };
            let checked = seats_csv::check(&form.text, &known);
            let stored = match &checked {
                Ok(c) if form.commit && c.importable(form.skip_bad) => {
                    Some(store_seats(&state, &session, &election, c).await?)
                }
                _ => None,
            };
            (checked.map(|c| c.preview()), Some(election), stored)
        }
    };
    if let Some((imported, skipped)) = stored {
        tracing::info!(
            user = session.user.id,
            imported,
            skipped,
            kind = kind.word(),
            "imported from CSV"
        );
        let to = match (&election, kind) {
            (Some(e), Kind::Seats) => {
                format!("/admin/setup/seats?election={}&imported={imported}", e.id)
            }
            _ => format!("/admin/setup/places?imported={imported}"),
        };
        return Ok(Redirect::to(&to).into_response());
    }
    let refused = form.commit;
    let status = match refused || checked.is_err() {
        true => StatusCode::UNPROCESSABLE_ENTITY,
        false => StatusCode::OK,
    };
    let page = render(
        &state,
        &session,
        kind,
        election.as_ref(),
        Some(checked),
        &text,
        refused,
    )?;
    Ok((status, page).into_response())
}

/// The good rows in one transaction. Returns (rows stored, bad lines left out).
async fn store_stations(
    state: &AppState,
    session: &Session,
    c: &Checked<StationRow>,
) -> PageResult<(usize, usize)> {
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    // A name already there in another case is that one, as the forms treat it.
    let spelled = |known: Vec<String>| {
        move |name: &str| {
            known
                .iter()
                .find(|k| k.to_lowercase() == name.to_lowercase())
                .cloned()
                .unwrap_or_else(|| name.to_string())
        }
    };
    let area_name = spelled(tx.areas().await?.into_iter().map(|a| a.name).collect());
    let station_name = spelled(tx.stations().await?.into_iter().map(|s| s.name).collect());
    for row in &c.rows {
        let area = tx.upsert_area(&area_name(&row.area)).await?;
        tx.upsert_station(
            area,
            &station_name(&row.name),
            &row.address,
            row.voting_area.as_deref(),
        )
        .await?;
    }
    commit(
        tx,
        session,
        now,
        "stations.imported",
        json!({ "rows": c.rows.len(), "bad_lines": c.bad_lines() }),
    )
    .await?;
    Ok((c.rows.len(), c.bad_lines()))
}

async fn store_seats(
    state: &AppState,
    session: &Session,
    election: &Election,
    c: &Checked<SeatRow>,
) -> PageResult<(usize, usize)> {
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    let mut seats = 0;
    for row in &c.rows {
        seats += tx
            .insert_seats(
                &NewSeat {
                    election_id: election.id,
                    station_id: row.station_id,
                    task_type_id: row.task_type_id,
                    team_id: row.team_id,
                    date: row.date,
                },
                row.count,
                now,
            )
            .await?
            .len();
    }
    commit(
        tx,
        session,
        now,
        "seats.imported",
        json!({ "election_id": election.id, "rows": c.rows.len(), "seats": seats, "bad_lines": c.bad_lines() }),
    )
    .await?;
    Ok((seats, c.bad_lines()))
}
