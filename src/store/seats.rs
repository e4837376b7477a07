//! Seats and their history.

use chrono::{DateTime, NaiveDate, Utc};

use super::appends::HistoryRow;
use super::{Seat, SeatDetails, SeatHistoryEntry, Tx};
use crate::{exec, q};

pub struct NewSeat {
    pub election_id: i64,
    pub station_id: i64,
    pub task_type_id: i64,
    pub team_id: i64,
    pub date: NaiveDate,
}

/// When a seat's task is: from its start on its date to its end (on the
/// next day when the end is not after the start).
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct SeatTime {
    pub seat_id: i64,
    pub date: NaiveDate,
    pub start_time: chrono::NaiveTime,
    pub end_time: chrono::NaiveTime,
}

impl SeatTime {
    pub fn span(&self) -> (chrono::NaiveDateTime, chrono::NaiveDateTime) {
        let start = self.date.and_time(self.start_time);
        let mut end = self.date.and_time(self.end_time);
        if self.end_time <= self.start_time {
            end += chrono::Duration::days(1);
        }
        (start, end)
    }

    pub fn overlaps(&self, other: &SeatTime) -> bool {
        let (a, b) = (self.span(), other.span());
        a.0 < b.1 && b.0 < a.1
    }
}

/// One line of a seat's history.
pub struct HistoryEvent<'a> {
    pub seat_id: i64,
    pub person_id: Option<i64>,
    pub event: &'a str,
    pub channel: Option<&'a str>,
    pub inbound_id: Option<i64>,
    pub detail: Option<&'a str>,
}

/// The joined seat query, with a tail (`WHERE …`) appended.
macro_rules! seat_details_sql {
    ($tail:literal) => {
        concat!(
            "SELECT s.id AS seat_id, s.date, s.status, s.person_id, s.code,
        e.id AS election_id, e.title AS election, e.time_zone, e.lock_days, e.active AS election_active,
        st.id AS station_id, st.name AS station, st.address,
        tt.name AS task_type, tt.start_time, tt.end_time, tt.payment_ore,
        t.id AS team_id, t.name AS team
    FROM seats s
    JOIN elections e ON e.id = s.election_id
    JOIN stations st ON st.id = s.station_id
    JOIN task_types tt ON tt.id = s.task_type_id
    JOIN teams t ON t.id = s.team_id ",
            $tail
        )
    };
}

impl Tx {
    /// One vacant seat, numbered after the station's highest code that day.
    pub async fn insert_seat(&mut self, s: &NewSeat, now: DateTime<Utc>) -> sqlx::Result<i64> {
        self.insert_seats(s, 1, now)
            .await?
            .first()
            .copied()
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// `count` vacant seats of one kind, numbered on from the station's
    /// highest code that day: one read of that code, then inserts of up to
    /// 500 rows each. Their ids, in order.
    pub async fn insert_seats(
        &mut self,
        s: &NewSeat,
        count: u32,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Vec<i64>> {
        const ROWS: u32 = 500;
        let highest: Option<i64> = q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "SELECT MAX(CAST(SUBSTR(code, 2) AS BIGINT)) FROM seats
                 WHERE station_id = $1 AND date = $2"
            )
            .bind(s.station_id)
            .bind(s.date)
        )?;
        let mut next = highest.unwrap_or(0) + 1;
        let mut ids = Vec::with_capacity(count as usize);
        let mut left = count;
        while left > 0 {
            let rows = left.min(ROWS);
            let sql = format!(
                "INSERT INTO seats (election_id, station_id, task_type_id, team_id, date, updated_at, code)
                 VALUES {} RETURNING id",
                super::placeholders(1, 7, rows as usize)
            );
            let codes: Vec<String> = (next..next + i64::from(rows))
                .map(|n| format!("S{n}"))
                .collect();
            let mut batch: Vec<i64> = q!(
                self,
                fetch_all,
                codes.iter().fold(
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str())),
                    |q, code| q
                        .bind(s.election_id)
                        .bind(s.station_id)
                        .bind(s.task_type_id)
                        .bind(s.team_id)
                        .bind(s.date)
                        .bind(now)
                        .bind(code.as_str())
                )
            )?;
            batch.sort_unstable();
            ids.extend(batch);
            next += i64::from(rows);
            left -= rows;
        }
        Ok(ids)
    }

    pub async fn seat(&mut self, id: i64) -> sqlx::Result<Option<Seat>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM seats WHERE id = $1").bind(id)
        )
    }

    pub async fn seats_of_election(
        &mut self,
        election_id: i64,
        after_id: i64,
        limit: i64,
    ) -> sqlx::Result<Vec<Seat>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT * FROM seats WHERE election_id = $1 AND id > $2 ORDER BY id LIMIT $3"
            )
            .bind(election_id)
            .bind(after_id)
            .bind(limit)
        )
    }

    pub async fn seat_details(&mut self, id: i64) -> sqlx::Result<Option<SeatDetails>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as(seat_details_sql!("WHERE s.id = $1")).bind(id)
        )
    }

    /// The seats a person holds from the day before `date` to the day
    /// after, with their times: those a seat on `date` could overlap.
    pub async fn seat_times_near(
        &mut self,
        person_id: i64,
        date: NaiveDate,
    ) -> sqlx::Result<Vec<SeatTime>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT s.id AS seat_id, s.date, tt.start_time, tt.end_time
                 FROM seats s JOIN task_types tt ON tt.id = s.task_type_id
                 WHERE s.person_id = $1 AND s.date >= $2 AND s.date <= $3"
            )
            .bind(person_id)
            .bind(date.pred_opt().unwrap_or(date))
            .bind(date.succ_opt().unwrap_or(date))
        )
    }

    /// Gives a vacant seat to a person and marks it invited. Returns false
    /// when the seat is not vacant. A seat at the same time as one the
    /// person holds (also one another transaction gave them meanwhile) is
    /// refused by the database's trigger as a unique violation; the rule
    /// function checks it first.
    pub async fn assign_seat(
        &mut self,
        seat_id: i64,
        person_id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        self.give_vacant_seat(seat_id, person_id, "invited", now)
            .await
    }

    /// The same for a standby person who said yes to the seat: confirmed
    /// at once.
    pub async fn take_vacant_seat(
        &mut self,
        seat_id: i64,
        person_id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        self.give_vacant_seat(seat_id, person_id, "confirmed", now)
            .await
    }

    async fn give_vacant_seat(
        &mut self,
        seat_id: i64,
        person_id: i64,
        status: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE seats SET person_id = $1, status = $2, updated_at = $3
                 WHERE id = $4 AND status = 'vacant'"
            )
            .bind(person_id)
            .bind(status)
            .bind(now)
            .bind(seat_id)
        )?;
        Ok(n == 1)
    }

    /// Records that the seat's person checked in (`MØDT`).
    pub async fn check_in(&mut self, seat_id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("UPDATE seats SET checked_in_at = $1, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(seat_id)
        )?;
        Ok(())
    }

    /// The seats a person holds on a date.
    pub async fn seats_of_person_on(
        &mut self,
        person_ids: &[i64],
        date: NaiveDate,
    ) -> sqlx::Result<Vec<Seat>> {
        let mut out = Vec::new();
        for id in person_ids {
            let seats: Vec<Seat> = q!(
                self,
                fetch_all,
                sqlx::query_as("SELECT * FROM seats WHERE person_id = $1 AND date = $2")
                    .bind(*id)
                    .bind(date)
            )?;
            out.extend(seats);
        }
        Ok(out)
    }

    /// The seat with a code at a station on a date.
    pub async fn seat_by_code(
        &mut self,
        station_id: i64,
        date: NaiveDate,
        code: &str,
    ) -> sqlx::Result<Option<Seat>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM seats WHERE station_id = $1 AND date = $2 AND code = $3")
                .bind(station_id)
                .bind(date)
                .bind(code)
        )
    }

    /// Sets the status of a held seat (`invited` or `confirmed`).
    pub async fn set_seat_status(
        &mut self,
        seat_id: i64,
        status: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query("UPDATE seats SET status = $1, updated_at = $2 WHERE id = $3 AND person_id IS NOT NULL")
                .bind(status)
                .bind(now)
                .bind(seat_id)
        )?;
        Ok(n == 1)
    }

    /// Frees a seat. Returns the person who held it.
    pub async fn release_seat(
        &mut self,
        seat_id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<i64>> {
        let held: Option<Option<i64>> = q!(
            self,
            fetch_optional,
            sqlx::query_scalar("SELECT person_id FROM seats WHERE id = $1").bind(seat_id)
        )?;
        exec!(
            self,
            sqlx::query("UPDATE seats SET person_id = NULL, status = 'vacant', checked_in_at = NULL, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(seat_id)
        )?;
        Ok(held.flatten())
    }

    /// Adds a line to a seat's history; written at commit (see
    /// [`Appends`](super::Appends)).
    pub async fn record_history(
        &mut self,
        h: &HistoryEvent<'_>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        self.appends.history(HistoryRow {
            seat_id: h.seat_id,
            person_id: h.person_id,
            at: now,
            event: h.event.to_string(),
            channel: h.channel.map(str::to_string),
            inbound_id: h.inbound_id,
            detail: h.detail.map(str::to_string),
        });
        Ok(())
    }

    pub async fn seat_history(&mut self, seat_id: i64) -> sqlx::Result<Vec<SeatHistoryEntry>> {
        self.flush().await?;
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT * FROM seat_history WHERE seat_id = $1 ORDER BY id")
                .bind(seat_id)
        )
    }

    /// Whether the person was ever confirmed on the seat.
    pub async fn was_confirmed_on(&mut self, seat_id: i64, person_id: i64) -> sqlx::Result<bool> {
        self.flush().await?;
        let n: i64 = q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM seat_history WHERE seat_id = $1 AND person_id = $2 AND event = 'confirmed'"
            )
            .bind(seat_id)
            .bind(person_id)
        )?;
        Ok(n > 0)
    }

    /// Seats per status in an election.
    pub async fn seat_counts(&mut self, election_id: i64) -> sqlx::Result<Vec<(String, i64)>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT status, COUNT(*) FROM seats WHERE election_id = $1 GROUP BY status ORDER BY status")
                .bind(election_id)
        )
    }
}

impl Tx {
    /// Seats per election.
    pub async fn seats_per_election(&mut self) -> sqlx::Result<Vec<(i64, i64)>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT election_id, COUNT(*) FROM seats GROUP BY election_id")
        )
    }
}
