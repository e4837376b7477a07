//! Importing an election from a file: stations, teams, task types, people
//! and seats, in YAML or JSON (JSON is YAML). All or nothing: every problem
//! is reported with where it is, and nothing is stored unless there are none.

use chrono::{Datelike, NaiveDate, NaiveTime};
use serde::Deserialize;

use crate::clock::Clock;
use crate::domain::{Cpr, Facts, Language, MunicipalityCode, PhoneNumber};
use crate::store::Db;
use crate::store::directory::{NewElection, NewTaskType};
use crate::store::people::NewPerson;
use crate::store::seats::NewSeat;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionFile {
    pub election: ElectionSpec,
    #[serde(default)]
    pub areas: Vec<AreaSpec>,
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub task_types: Vec<TaskTypeSpec>,
    #[serde(default)]
    pub people: Vec<PersonSpec>,
    #[serde(default)]
    pub seats: Vec<SeatSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionSpec {
    pub title: String,
    #[serde(rename = "type")]
    pub election_type: String,
    #[serde(default = "eighteen")]
    pub min_age: i32,
    pub election_day: NaiveDate,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    #[serde(default)]
    pub lock_days: i32,
}

fn eighteen() -> i32 {
    18
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaSpec {
    pub name: String,
    #[serde(default)]
    pub stations: Vec<StationSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationSpec {
    pub name: String,
    pub address: String,
    pub voting_area: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskTypeSpec {
    pub name: String,
    pub start: String,
    pub end: String,
    /// Kroner.
    #[serde(default)]
    pub payment: f64,
    #[serde(default)]
    pub trusted: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonSpec {
    pub name: String,
    pub cpr: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[serde(default = "sms")]
    pub preferred_channel: String,
    #[serde(default = "danish")]
    pub language: String,
    /// The teams the person belongs to (a party's members): their team
    /// responsible sees them and can put them on the team's seats.
    #[serde(default)]
    pub teams: Vec<String>,
    /// The facts the election's rules need (given with any of them, the
    /// others are not known).
    pub municipality_code: Option<String>,
    pub danish_citizen: Option<bool>,
    pub under_guardianship: Option<bool>,
    pub deceased: Option<bool>,
}

fn sms() -> String {
    "sms".into()
}

fn danish() -> String {
    "da".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeatSpec {
    pub station: String,
    pub task_type: String,
    pub team: String,
    pub date: Option<NaiveDate>,
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// What an import stored.
#[derive(Debug, Clone, Default, serde::Serialize, PartialEq, Eq)]
pub struct ImportSummary {
    pub election_id: i64,
    pub stations: usize,
    pub teams: usize,
    pub task_types: usize,
    pub people: usize,
    pub seats: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not a valid election file: {0}")]
    Syntax(String),
    #[error("the file has {} problem(s):\n{}", .0.len(), .0.join("\n"))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The most seats one line of `seats:` makes, and one file in all.
pub const MAX_SEATS_PER_LINE: u32 = 5_000;
pub const MAX_SEATS: u64 = 100_000;
/// The years an election's dates may lie in.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

pub fn parse(text: &str) -> Result<ElectionFile, ImportError> {
    // PostgreSQL cannot store it, and no election file needs it.
    if let Some(at) = text.find('\0') {
        let line = text[..at].matches('\n').count() + 1;
        let column = text[..at].rsplit('\n').next().unwrap_or("").chars().count() + 1;
        return Err(ImportError::Syntax(format!(
            "line {line} column {column}: the NUL character cannot be stored"
        )));
    }
    serde_saphyr::from_str(text).map_err(|e| ImportError::Syntax(e.to_string()))
}

struct CheckedPerson<'a> {
    spec: &'a PersonSpec,
    cpr: Cpr,
    phone: Option<PhoneNumber>,
    language: Language,
    facts: Option<Facts>,
}

/// Checks everything that can be checked without the database.
fn check(file: &ElectionFile) -> Result<Vec<CheckedPerson<'_>>, ImportError> {
    let mut problems = Vec::new();
    let e = &file.election;
    let starts = e.starts_on.unwrap_or(e.election_day);
    let ends = e.ends_on.unwrap_or(e.election_day);
    if !(starts <= e.election_day && e.election_day <= ends) {
        problems.push("election: election_day must lie between starts_on and ends_on".to_string());
    }
    if e.title.trim().is_empty() {
        problems.push("election.title: must not be empty".to_string());
    }
    for (field, day) in [
        ("election_day", Some(e.election_day)),
        ("starts_on", e.starts_on),
        ("ends_on", e.ends_on),
    ] {
        if let Some(day) = day
            && !YEARS.contains(&day.year())
        {
            problems.push(format!(
                "election.{field}: {day} is not a date an election is held on (years {} to {})",
                YEARS.start(),
                YEARS.end()
            ));
        }
    }
    if (ends - starts).num_days() > 366 {
        problems.push("election.ends_on: the election's dates span more than a year".to_string());
    }
    if !(0..=120).contains(&e.min_age) {
        problems.push(format!(
            "election.min_age: {} is not an age from 0 to 120",
            e.min_age
        ));
    }
    if !(0..=365).contains(&e.lock_days) {
        problems.push(format!(
            "election.lock_days: {} is not a number of days from 0 to 365",
            e.lock_days
        ));
    }
    let total: u64 = file.seats.iter().map(|s| u64::from(s.count)).sum();
    if total > MAX_SEATS {
        problems.push(format!(
            "seats: {total} seats in all; one file makes at most {MAX_SEATS}"
        ));
    }
    for (i, t) in file.task_types.iter().enumerate() {
        for (field, value) in [("start", &t.start), ("end", &t.end)] {
            if parse_time(value).is_none() {
                problems.push(format!(
                    "task_types[{i}].{field}: `{value}` is not a time of day like 07:30"
                ));
            }
        }
        if t.payment < 0.0 || t.payment > 1_000_000.0 {
            problems.push(format!(
                "task_types[{i}].payment: must be between 0 and 1000000 kroner"
            ));
        }
    }
    let stations: Vec<&str> = file
        .areas
        .iter()
        .flat_map(|a| a.stations.iter().map(|s| s.name.as_str()))
        .collect();
    let task_types: Vec<&str> = file.task_types.iter().map(|t| t.name.as_str()).collect();
    for (i, s) in file.seats.iter().enumerate() {
        if s.count > MAX_SEATS_PER_LINE {
            problems.push(format!(
                "seats[{i}].count: {} seats; one line makes at most {MAX_SEATS_PER_LINE}",
                s.count
            ));
        }
        if !stations.contains(&s.station.as_str()) {
            problems.push(format!(
                "seats[{i}].station: no station named `{}` in this file",
                s.station
            ));
        }
        if !task_types.contains(&s.task_type.as_str()) {
            problems.push(format!(
                "seats[{i}].task_type: no task type named `{}` in this file",
                s.task_type
            ));
        }
        if !file.teams.contains(&s.team) {
            problems.push(format!(
                "seats[{i}].team: no team named `{}` in this file",
                s.team
            ));
        }
        if let Some(d) = s.date
            && (d < starts || d > ends)
        {
            problems.push(format!(
                "seats[{i}].date: {d} is outside the election's dates"
            ));
        }
    }
    let mut people = Vec::new();
    for (i, p) in file.people.iter().enumerate() {
        let cpr =
            Cpr::parse(&p.cpr).map_err(|err| problems.push(format!("people[{i}].cpr: {err}")));
        let phone = match p.phone.as_deref() {
            Some(raw) => PhoneNumber::parse(raw)
                .map(Some)
                .map_err(|err| problems.push(format!("people[{i}].phone: {err}"))),
            None => Ok(None),
        };
        let language = Language::parse(&p.language).ok_or_else(|| {
            problems.push(format!(
                "people[{i}].language: `{}` is not da or en",
                p.language
            ));
        });
        if !matches!(p.preferred_channel.as_str(), "sms" | "email" | "telegram") {
            problems.push(format!(
                "people[{i}].preferred_channel: `{}` is not sms, email or telegram",
                p.preferred_channel
            ));
        }
        if p.name.trim().is_empty() {
            problems.push(format!("people[{i}].name: must not be empty"));
        }
        for t in &p.teams {
            if !file.teams.contains(t) {
                problems.push(format!(
                    "people[{i}].teams: no team named `{t}` in this file"
                ));
            }
        }
        let municipality = p
            .municipality_code
            .as_deref()
            .map(MunicipalityCode::parse)
            .transpose()
            .map_err(|e| problems.push(format!("people[{i}].municipality_code: {e}")));
        if let (Ok(cpr), Ok(phone), Ok(language), Ok(municipality)) =
            (cpr, phone, language, municipality)
        {
            let facts = Facts::given(
                municipality,
                p.danish_citizen,
                p.under_guardianship,
                p.deceased,
            );
            people.push(CheckedPerson {
                spec: p,
                cpr,
                phone,
                language,
                facts,
            });
        }
    }
    if problems.is_empty() {
        Ok(people)
    } else {
        Err(ImportError::Invalid(problems))
    }
}

pub fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H.%M"))
        .ok()
}

/// Stores an election file in one transaction.
pub async fn import(
    db: &Db,
    clock: &Clock,
    file: &ElectionFile,
) -> Result<ImportSummary, ImportError> {
    let people = check(file)?;
    let now = clock.now();
    let e = &file.election;
    let mut tx = db.begin().await?;
    let type_id = tx.upsert_election_type(&e.election_type, e.min_age).await?;
    let election_id = tx
        .insert_election(
            &NewElection {
                title: &e.title,
                election_type_id: type_id,
                starts_on: e.starts_on.unwrap_or(e.election_day),
                election_day: e.election_day,
                ends_on: e.ends_on.unwrap_or(e.election_day),
                lock_days: e.lock_days,
                time_zone: "Europe/Copenhagen",
            },
            now,
        )
        .await?;
    // The first election is active from the start, as in the admin; a
    // later one is prepared without anything going out until the
    // secretariat activates it.
    if tx.elections().await?.len() == 1 {
        tx.set_election_active(election_id, true).await?;
    }
    let mut summary = ImportSummary {
        election_id,
        ..Default::default()
    };
    let mut station_ids = std::collections::HashMap::new();
    for area in &file.areas {
        let area_id = tx.upsert_area(&area.name).await?;
        for s in &area.stations {
            let id = tx
                .upsert_station(area_id, &s.name, &s.address, s.voting_area.as_deref())
                .await?;
            station_ids.insert(s.name.as_str(), id);
            summary.stations += 1;
        }
    }
    let mut team_ids = std::collections::HashMap::new();
    for t in &file.teams {
        team_ids.insert(t.as_str(), tx.upsert_team(t).await?);
        summary.teams += 1;
    }
    let mut task_type_ids = std::collections::HashMap::new();
    for t in &file.task_types {
        let id = tx
            .upsert_task_type(&NewTaskType {
                name: &t.name,
                start_time: parse_time(&t.start).unwrap_or_default(),
                end_time: parse_time(&t.end).unwrap_or_default(),
                payment_ore: (t.payment * 100.0).round() as i32,
                trusted: t.trusted,
            })
            .await?;
        task_type_ids.insert(t.name.as_str(), id);
        summary.task_types += 1;
    }
    for p in &people {
        let person_id = tx
            .upsert_person(
                &NewPerson {
                    name: p.spec.name.trim(),
                    cpr: &p.cpr,
                    phone: p.phone.as_ref(),
                    email: p.spec.email.as_deref(),
                    preferred_channel: &p.spec.preferred_channel,
                    language: p.language,
                    facts: p.facts.as_ref(),
                },
                now,
            )
            .await?;
        for t in &p.spec.teams {
            tx.add_team_member(team_ids[t.as_str()], person_id).await?;
        }
        summary.people += 1;
    }
    for s in &file.seats {
        let seat = NewSeat {
            election_id,
            station_id: station_ids[s.station.as_str()],
            task_type_id: task_type_ids[s.task_type.as_str()],
            team_id: team_ids[s.team.as_str()],
            date: s.date.unwrap_or(e.election_day),
        };
        summary.seats += tx.insert_seats(&seat, s.count, now).await?.len();
    }
    tx.commit().await?;
    Ok(summary)
}
