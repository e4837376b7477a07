//! People: the list, a CSV file of them imported with a preview and a
//! report of every bad row (nothing is stored while a row is bad, unless
//! the user chooses to leave the bad rows out), and participant lists
//! exported as CSV, Excel or the file Valg Central imports.

use axum::extract::{Multipart, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::error::{PageError, PageResult};
use super::session::Session;
use super::upload::read_form;
use super::{Frame, empty_as_none};
use crate::http::AppState;
use crate::people::csv_import::{self, Checked};
use crate::people::export::{self, ExportColumn};
use crate::store::board::BoardFilter;
use crate::store::people::NewPerson;
use crate::store::people_list::{PeopleFilter, SeatHeld};

/// People shown per page of the list.
const PAGE: i64 = 100;

#[derive(Deserialize)]
pub struct PeopleQuery {
    #[serde(default, deserialize_with = "empty_as_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub team: Option<i64>,
    /// `none`, `invited`, `confirmed` or `any`.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub seat: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub date: Option<chrono::NaiveDate>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub channel: Option<String>,
    /// `yes` or `no`.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub opted_out: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub page: Option<i64>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub imported: Option<usize>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub skipped: Option<usize>,
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<PeopleQuery>,
) -> PageResult<Html<String>> {
    if !session.role.sees_everything() && session.role.team_id().is_none() {
        return Err(PageError::Forbidden);
    }
    let filter = PeopleFilter {
        name: q.name.clone(),
        // A team's responsible sees their own team, whatever they ask.
        team_id: session.role.team_id().or(q.team),
        seat: q.seat.as_deref().and_then(SeatHeld::parse),
        date: q.date,
        channel: q
            .channel
            .clone()
            .filter(|c| matches!(c.as_str(), "sms" | "email" | "telegram")),
        opted_out: match q.opted_out.as_deref() {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => None,
        },
    };
    let page = q.page.unwrap_or(1).max(1);
    let today = crate::clock::local_today(state.engine.clock.now());
    let (found, teams) = {
        let mut tx = state.engine.db.read().await?;
        let found = tx
            .people_page(&filter, today, (page - 1) * PAGE, PAGE)
            .await?;
        let teams = match session.role.sees_everything() {
            true => tx.teams().await?,
            false => Vec::new(),
        };
        (found, teams)
    };
    let pages = ((found.total + PAGE - 1) / PAGE).max(1);
    // The filter as a query string, for the page links.
    let keep: Vec<(&str, String)> = [
        ("name", filter.name.clone()),
        ("team", q.team.map(|t| t.to_string())),
        ("seat", filter.seat.map(|s| s.as_str().to_string())),
        ("date", filter.date.map(|d| d.to_string())),
        ("channel", filter.channel.clone()),
        ("opted_out", q.opted_out.clone()),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.map(|v| (key, v)))
    .collect();
    let mut frame = Frame::new(&state, &session, "people");
    let c = &mut frame.context;
    c.insert("people", &found.people);
    c.insert("total", &found.total);
    c.insert("first", &((page - 1) * PAGE + 1));
    c.insert("last", &((page - 1) * PAGE + found.people.len() as i64));
    c.insert("page", &page);
    c.insert("pages", &pages);
    c.insert(
        "keep",
        &serde_urlencoded::to_string(&keep).unwrap_or_default(),
    );
    c.insert("teams", &teams);
    c.insert("name", &q.name.unwrap_or_default());
    c.insert("team", &q.team);
    c.insert("seat", &filter.seat.map(SeatHeld::as_str));
    c.insert("date", &filter.date.map(|d| d.to_string()));
    c.insert("channel", &filter.channel);
    c.insert("opted_out", &q.opted_out);
    c.insert("imported", &q.imported);
    c.insert("skipped", &q.skipped.unwrap_or(0));
    frame.render("people.html")
}

pub async fn import_form(
    State(state): State<AppState>,
    session: Session,
) -> PageResult<Html<String>> {
    session.must_run_election()?;
    let mut frame = Frame::new(&state, &session, "people");
    frame.context.insert("checked", &None::<Checked>);
    frame.context.insert("csv", "");
    frame.context.insert("file_error", &None::<String>);
    frame.context.insert("refused", &false);
    frame.render("people_import.html")
}

/// Checks the file and shows what would be imported; with
/// `action=import`, imports it: every row, or (when the user chose so)
/// the good ones. A file with a bad row and no such choice imports nothing.
pub async fn import(
    State(state): State<AppState>,
    session: Session,
    form: Multipart,
) -> PageResult<Response> {
    session.must_run_election()?;
    let form = read_form(form).await?;
    let teams: Vec<String> = {
        let mut tx = state.engine.db.read().await?;
        tx.teams().await?.into_iter().map(|t| t.name).collect()
    };
    let text = csv_import::decode(&form.text);
    let checked = csv_import::check(&form.text, &teams);
    let importable = match &checked {
        Ok(c) => form.commit && !c.rows.is_empty() && (c.errors.is_empty() || form.skip_bad),
        Err(_) => false,
    };
    if let (true, Ok(c)) = (importable, &checked) {
        let imported = store_people(&state, &session, c).await?;
        let skipped = c.bad_lines();
        tracing::info!(
            user = session.user.id,
            imported,
            skipped,
            "people imported from CSV"
        );
        return Ok(axum::response::Redirect::to(&format!(
            "/admin/people?imported={imported}&skipped={skipped}"
        ))
        .into_response());
    }
    let refused = form.commit;
    let mut frame = Frame::new(&state, &session, "people");
    let c = &mut frame.context;
    c.insert("csv", &text);
    c.insert("refused", &refused);
    match &checked {
        Ok(checked) => {
            c.insert("checked", &Some(checked));
            c.insert("bad_lines", &checked.bad_lines());
            c.insert("file_error", &None::<String>);
        }
        Err(e) => {
            c.insert("checked", &None::<Checked>);
            c.insert("file_error", &Some(e.to_string()));
        }
    }
    let status = match refused || checked.is_err() {
        true => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        false => axum::http::StatusCode::OK,
    };
    Ok((status, frame.render("people_import.html")?).into_response())
}

/// The good rows, in one transaction: a known CPR number updates that
/// person; team memberships are added.
async fn store_people(state: &AppState, session: &Session, c: &Checked) -> PageResult<usize> {
    let now = state.engine.clock.now();
    let mut tx = state.engine.db.begin().await?;
    let team_ids: std::collections::HashMap<String, i64> = tx
        .teams()
        .await?
        .into_iter()
        .map(|t| (t.name, t.id))
        .collect();
    for row in &c.rows {
        let id = tx
            .upsert_person(
                &NewPerson {
                    name: &row.name,
                    cpr: &row.cpr,
                    phone: row.phone.as_ref(),
                    email: row.email.as_deref(),
                    preferred_channel: &row.channel,
                    language: row.language,
                    facts: row.facts.as_ref(),
                },
                now,
            )
            .await?;
        for t in &row.teams {
            if let Some(team) = team_ids.get(t) {
                tx.add_team_member(*team, id).await?;
            }
        }
    }
    tx.audit(
        now,
        &session.actor(),
        "people.imported",
        Default::default(),
        Some(&serde_json::json!({ "rows": c.rows.len(), "bad_lines": c.bad_lines() }).to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(c.rows.len())
}

/// The export's choices, from a query string with repeated keys.
pub struct ExportQuery {
    pub election: Option<i64>,
    pub station: Option<i64>,
    pub team: Option<i64>,
    pub task_type: Option<i64>,
    pub date: Option<chrono::NaiveDate>,
    pub status: Option<String>,
    /// `csv`, `xlsx` or `valg_central`; without it, the page to choose.
    pub format: Option<String>,
    /// Chosen columns, each a `column=` parameter.
    pub column: Vec<String>,
}

/// The export page, or with `format` the file.
pub async fn export(
    State(state): State<AppState>,
    session: Session,
    query: axum::extract::RawQuery,
) -> PageResult<Response> {
    session.must_run_election()?;
    let q: ExportQuery = export_query(query.0.as_deref().unwrap_or_default())?;
    let Some(election) = super::board::election_of(&state, q.election).await? else {
        return Err(PageError::NotFound("there are no elections yet".into()));
    };
    let Some(format) = q.format.as_deref() else {
        let mut frame = Frame::new(&state, &session, "people");
        let mut tx = state.engine.db.read().await?;
        let c = &mut frame.context;
        c.insert("election", &election);
        c.insert("elections", &tx.elections().await?);
        c.insert("stations", &tx.stations().await?);
        c.insert("teams", &tx.teams().await?);
        c.insert("task_types", &tx.task_types().await?);
        c.insert("dates", &tx.seat_dates(election.id).await?);
        let columns: Vec<_> = ExportColumn::ALL
            .iter()
            .map(|c| (c.key(), c.header(session.language)))
            .collect();
        c.insert("columns", &columns);
        drop(tx);
        return Ok(frame.render("export.html")?.into_response());
    };
    if let Some(s) = q.status.as_deref()
        && !matches!(s, "vacant" | "invited" | "confirmed")
    {
        return Err(PageError::BadRequest(format!(
            "status: `{s}` is not vacant, invited or confirmed"
        )));
    }
    let filter = BoardFilter {
        election_id: election.id,
        area_id: None,
        station_id: q.station,
        team_id: q.team,
        task_type_id: q.task_type,
        date: q.date,
    };
    let rows = {
        let mut tx = state.engine.db.read().await?;
        tx.participants(&filter, q.status.as_deref()).await?
    };
    let stamp = state.engine.clock.now().format("%Y%m%d");
    let columns = || export::columns(&q.column.join(",")).map_err(PageError::BadRequest);
    let (body, content_type, file) = match format {
        "csv" => (
            export::to_csv(&rows, &columns()?, session.language),
            "text/csv; charset=utf-8",
            format!("{stamp}-deltagere.csv"),
        ),
        "xlsx" => (
            export::to_xlsx(&rows, &columns()?, session.language)
                .map_err(|e| PageError::Internal(anyhow::anyhow!("xlsx: {e}")))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            format!("{stamp}-deltagere.xlsx"),
        ),
        "valg_central" => (
            export::valg_central(&rows),
            "text/csv; charset=utf-8",
            format!("{stamp}-valgcentral.csv"),
        ),
        other => {
            return Err(PageError::BadRequest(format!(
                "format: `{other}` is not csv, xlsx or valg_central"
            )));
        }
    };
    // Whether the file holds CPR numbers, which the audit says.
    let with_cpr = format == "valg_central"
        || export::columns(&q.column.join(","))
            .is_ok_and(|c| c.contains(&export::ExportColumn::Cpr));
    let mut tx = state.engine.db.begin().await?;
    tx.audit(
        state.engine.clock.now(),
        &session.actor(),
        "people.exported",
        Default::default(),
        Some(&serde_json::json!({ "format": format, "rows": rows.len(), "election_id": election.id, "cpr": with_cpr }).to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}

/// A query string with repeated keys (`column=name&column=phone`).
fn export_query(query: &str) -> PageResult<ExportQuery> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| PageError::BadRequest(format!("the address could not be read: {e}")))?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, v)| key == k && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
    };
    let num = |k: &str| -> PageResult<Option<i64>> {
        get(k)
            .map(|v| {
                v.parse()
                    .map_err(|_| PageError::BadRequest(format!("{k}: `{v}` is not a number")))
            })
            .transpose()
    };
    Ok(ExportQuery {
        election: num("election")?,
        station: num("station")?,
        team: num("team")?,
        task_type: num("task_type")?,
        date: get("date")
            .map(|v| {
                v.parse()
                    .map_err(|_| PageError::BadRequest(format!("date: `{v}` is not a date")))
            })
            .transpose()?,
        status: get("status"),
        format: get("format"),
        column: pairs
            .iter()
            .filter(|(k, _)| k == "column")
            .map(|(_, v)| v.clone())
            .collect(),
    })
}
