//! Seats from a CSV file: per row a station, a team, a task type, a date
//! (the election day when left out) and how many seats. The station, team
//! and task type must exist; the date must lie within the election.

use serde::Serialize;

use super::{Checked, PreviewRow, RowCheck, parse_date};
use crate::csv_table::{self, TableError};
use crate::store::{Election, Station, TaskType, Team};

const COLUMNS: &[(&str, &[&str])] = &[
    ("station", &["valgsted", "station", "stemmested"]),
    ("team", &["hold", "team", "parti", "party"]),
    (
        "task_type",
        &["opgave", "opgavetype", "tasktype", "funktion", "rolle"],
    ),
    ("date", &["dato", "date"]),
    ("count", &["antal", "count", "pladser", "seats"]),
];

const EXPECTED: &str = "valgsted, hold, opgave (dato, antal)";

/// The most seats one row may create.
pub const MAX_PER_ROW: u32 = 500;

/// What the rows are checked against.
pub struct Known<'a> {
    pub election: &'a Election,
    pub stations: &'a [Station],
    pub teams: &'a [Team],
    pub task_types: &'a [TaskType],
}

#[derive(Debug, Clone, Serialize)]
pub struct SeatRow {
    pub line: usize,
    pub station_id: i64,
    pub station: String,
    pub team_id: i64,
    pub team: String,
    pub task_type_id: i64,
    pub task_type: String,
    pub date: chrono::NaiveDate,
    pub count: u32,
}

impl PreviewRow for SeatRow {
    fn line(&self) -> usize {
        self.line
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.station.clone(),
            self.team.clone(),
            self.task_type.clone(),
            self.date.to_string(),
            self.count.to_string(),
        ]
    }
}

/// The id and spelling of the one with this name, case forgiven.
fn find<'a, T>(
    items: &'a [T],
    name: &str,
    key: impl Fn(&'a T) -> (i64, &'a str),
) -> Option<(i64, &'a str)> {
    let wanted = name.to_lowercase();
    items
        .iter()
        .map(key)
        .find(|(_, n)| n.to_lowercase() == wanted)
}

pub fn check(bytes: &[u8], known: &Known<'_>) -> Result<Checked<SeatRow>, TableError> {
    let table = csv_table::read(bytes)?;
    let (cols, ignored) = csv_table::find_columns(&table.headers, COLUMNS)?;
    for (c, word) in [
        ("station", "valgsted"),
        ("team", "hold"),
        ("task_type", "opgave"),
    ] {
        if !cols.contains_key(c) {
            return Err(TableError::MissingColumn {
                missing: word,
                expected: EXPECTED,
            });
        }
    }
    let e = known.election;
    let mut out = Checked {
        rows: Vec::new(),
        errors: Vec::new(),
        ignored_columns: ignored,
        data_lines: table.records.len(),
    };
    for record in &table.records {
        let field = |c: &str| record.get(cols.get(c).copied());
        let mut row = RowCheck {
            line: record.line,
            errors: &mut out.errors,
            bad: false,
        };
        let mut named = |column: &str,
                         what: &str,
                         raw: Option<&str>,
                         found: Option<(i64, &str)>| {
            match (raw, found) {
                (None, _) => row.bad(column, format!("the {what} is empty")),
                (Some(raw), None) => row.bad(column, format!("there is no {what} named `{raw}`")),
                (Some(_), Some((id, name))) => return Some((id, name.to_string())),
            }
            None
        };
        let raw = field("station");
        let station = named(
            "valgsted",
            "station",
            raw,
            raw.and_then(|n| find(known.stations, n, |s| (s.id, s.name.as_str()))),
        );
        let raw = field("team");
        let team = named(
            "hold",
            "team",
            raw,
            raw.and_then(|n| find(known.teams, n, |t| (t.id, t.name.as_str()))),
        );
        let raw = field("task_type");
        let task_type = named(
            "opgave",
            "task type",
            raw,
            raw.and_then(|n| find(known.task_types, n, |t| (t.id, t.name.as_str()))),
        );
        let date = match field("date") {
            None => Some(e.election_day),
            Some(d) => match parse_date(d) {
                None => {
                    row.bad(
                        "dato",
                        format!("`{d}` is not a date (write 2029-11-20 or 20-11-2029)"),
                    );
                    None
                }
                Some(d) if d < e.starts_on || d > e.ends_on => {
                    row.bad(
                        "dato",
                        format!(
                            "{d} is outside the election's dates ({} to {})",
                            e.starts_on, e.ends_on
                        ),
                    );
                    None
                }
                Some(d) => Some(d),
            },
        };
        let count = match field("count") {
            None => Some(1),
            Some(n) => match n.parse::<u32>() {
                Ok(n) if (1..=MAX_PER_ROW).contains(&n) => Some(n),
                _ => {
                    row.bad(
                        "antal",
                        format!("`{n}` is not a number of seats from 1 to {MAX_PER_ROW}"),
                    );
                    None
                }
            },
        };
        if let (false, Some(station), Some(team), Some(task_type), Some(date), Some(count)) =
            (row.bad, station, team, task_type, date, count)
        {
            out.rows.push(SeatRow {
                line: record.line,
                station_id: station.0,
                station: station.1,
                team_id: team.0,
                team: team.1,
                task_type_id: task_type.0,
                task_type: task_type.1,
                date,
                count,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime, Utc};

    fn election() -> Election {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        Election {
            id: 1,
            title: "Kommunalvalg".into(),
            election_type_id: 1,
            starts_on: d("2029-11-19"),
            election_day: d("2029-11-20"),
            ends_on: d("2029-11-20"),
            lock_days: 0,
            time_zone: "Europe/Copenhagen".into(),
            created_at: Utc::now(),
            active: true,
        }
    }

    #[test]
    fn each_row_names_a_known_station_team_and_task_type_within_the_election() {
        let e = election();
        let stations = [Station {
            id: 7,
            area_id: 1,
            name: "Rådhushallen".into(),
            address: "Rådhuspladsen 1".into(),
            voting_area: None,
            responsible_person_id: None,
        }];
        let teams = [Team {
            id: 3,
            name: "Venstre".into(),
        }];
        let task_types = [TaskType {
            id: 5,
            name: "Tilforordnet".into(),
            start_time: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            end_time: NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
            payment_ore: 0,
            trusted: false,
        }];
        let known = Known {
            election: &e,
            stations: &stations,
            teams: &teams,
            task_types: &task_types,
        };
        let c = check(
            "valgsted;hold;opgave;dato;antal\n\
             rådhushallen;VENSTRE;Tilforordnet;;3\n\
             Rådhushallen;Venstre;Tilforordnet;19.11.2029;1\n\
             Skolen;Venstre;Tilforordnet;2029-11-20;1\n\
             Rådhushallen;Venstre;Tilforordnet;2029-12-24;0\n"
                .as_bytes(),
            &known,
        )
        .unwrap();
        assert_eq!(c.rows.len(), 2);
        assert_eq!(
            (c.rows[0].station.as_str(), c.rows[0].count),
            ("Rådhushallen", 3)
        );
        assert_eq!(
            c.rows[0].date, e.election_day,
            "no date is the election day"
        );
        assert_eq!(c.rows[1].date.to_string(), "2029-11-19");
        let got: Vec<(usize, &str)> = c
            .errors
            .iter()
            .map(|e| (e.line, e.column.as_str()))
            .collect();
        assert_eq!(got, [(4, "valgsted"), (5, "dato"), (5, "antal")]);
        assert_eq!(c.errors[0].message, "there is no station named `Skolen`");
    }
}
