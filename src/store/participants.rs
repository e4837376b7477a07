//! Participant lists: the seats a filter names with their people, for
//! exports.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::Tx;
use super::board::BoardFilter;
use crate::q;

/// A seat with its person, everything an export may print.
#[derive(Clone, sqlx::FromRow)]
pub struct Participant {
    pub seat_id: i64,
    pub code: Option<String>,
    pub date: NaiveDate,
    pub status: String,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub area: String,
    pub station: String,
    pub address: String,
    pub voting_area: Option<String>,
    pub task_type: String,
    pub start_time: NaiveTime,
    pub end_time: NaiveTime,
    pub team: String,
    pub person_id: Option<i64>,
    pub name: Option<String>,
    /// `DDMMYY-SSSS`, opened from its sealed form.
    pub cpr: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl std::fmt::Debug for Participant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Participant(seat {})", self.seat_id)
    }
}

impl Tx {
    /// The seats the filter names (with `status` one of vacant, invited,
    /// confirmed, or any), by station, date, task and code.
    pub async fn participants(
        &mut self,
        f: &BoardFilter,
        status: Option<&str>,
    ) -> sqlx::Result<Vec<Participant>> {
        let mut rows: Vec<Participant> = q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT s.id AS seat_id, s.code, s.date, s.status, s.checked_in_at,
                        a.name AS area, st.name AS station, st.address, st.voting_area,
                        tt.name AS task_type, tt.start_time, tt.end_time, t.name AS team,
                        p.id AS person_id, p.name, p.cpr_sealed AS cpr, p.phone, p.email
                 FROM seats s JOIN stations st ON st.id = s.station_id JOIN areas a ON a.id = st.area_id
                 JOIN task_types tt ON tt.id = s.task_type_id JOIN teams t ON t.id = s.team_id
                 LEFT JOIN people p ON p.id = s.person_id
                 WHERE s.election_id = $1
                   AND ($2 IS NULL OR st.area_id = $2)
                   AND ($3 IS NULL OR s.station_id = $3)
                   AND ($4 IS NULL OR s.team_id = $4)
                   AND ($5 IS NULL OR s.task_type_id = $5)
                   AND ($6 IS NULL OR s.date = $6)
                   AND ($7 IS NULL OR s.status = $7)
                 ORDER BY a.name, st.name, s.date, tt.start_time, tt.name, s.code, s.id"
            )
            .bind(f.election_id)
            .bind(f.area_id)
            .bind(f.station_id)
            .bind(f.team_id)
            .bind(f.task_type_id)
            .bind(f.date)
            .bind(status)
        )?;
        // The CPR column is read sealed and opened here; `None` when the
        // seat is vacant or its person was erased.
        for row in &mut rows {
            if let Some(stored) = row.cpr.take() {
                row.cpr = self.open_cpr(&stored)?.map(|c| c.as_string());
            }
        }
        Ok(rows)
    }
}
