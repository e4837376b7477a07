//! Swapping polling station: the free seats a person may move to, and the
//! numbered options a swap question listed.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Seat, Tx};
use crate::{exec, q};

impl Tx {
    /// Vacant seats a person on `seat_id` could move to: the same election,
    /// task type and date at another station (in the same area when
    /// `same_area`; of the same team when `same_team`), one per station,
    /// those in the seat's own area first and then by station name.
    pub async fn swap_candidates(
        &mut self,
        seat_id: i64,
        same_area: bool,
        same_team: bool,
        limit: i64,
    ) -> sqlx::Result<Vec<i64>> {
        q!(
            self,
            fetch_all,
            sqlx::query_scalar(
                "SELECT MIN(c.id) FROM seats c
                 JOIN stations cs ON cs.id = c.station_id
                 JOIN seats s ON s.id = $1
                 JOIN stations ss ON ss.id = s.station_id
                 WHERE c.election_id = s.election_id AND c.task_type_id = s.task_type_id
                   AND c.date = s.date AND c.station_id <> s.station_id AND c.status = 'vacant'
                   AND (NOT $2 OR cs.area_id = ss.area_id)
                   AND (NOT $4 OR c.team_id = s.team_id)
                 GROUP BY c.station_id, cs.name, cs.area_id, ss.area_id
                 ORDER BY CASE WHEN cs.area_id = ss.area_id THEN 0 ELSE 1 END, cs.name
                 LIMIT $3"
            )
            .bind(seat_id)
            .bind(same_area)
            .bind(limit)
            .bind(same_team)
        )
    }

    /// Keeps the options a swap question lists, numbered from 1.
    pub async fn insert_swap_options(
        &mut self,
        question_id: i64,
        seat_ids: &[i64],
    ) -> sqlx::Result<()> {
        if seat_ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO swap_options (question_id, n, seat_id) VALUES {}",
            super::placeholders(1, 3, seat_ids.len())
        );
        exec!(
            self,
            seat_ids.iter().zip(1i64..).fold(
                sqlx::query(sqlx::AssertSqlSafe(sql.as_str())),
                |q, (seat, n)| q.bind(question_id).bind(n).bind(*seat)
            )
        )?;
        Ok(())
    }

    /// The seat of option `n` of a swap question.
    pub async fn swap_option(&mut self, question_id: i64, n: i64) -> sqlx::Result<Option<i64>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_scalar(
                "SELECT seat_id FROM swap_options WHERE question_id = $1 AND n = $2"
            )
            .bind(question_id)
            .bind(n)
        )
    }

    /// Whether a question lists swap options.
    pub async fn is_swap_question(&mut self, question_id: i64) -> sqlx::Result<bool> {
        let n: Option<i64> = q!(
            self,
            fetch_optional,
            sqlx::query_scalar("SELECT n FROM swap_options WHERE question_id = $1 LIMIT 1")
                .bind(question_id)
        )?;
        Ok(n.is_some())
    }

    /// Claims a seat that is vacant for the rest of the transaction: on
    /// PostgreSQL the row stays locked until commit, and a transaction
    /// that took it first makes this return false once it commits. SQLite
    /// writers are one at a time anyway.
    pub async fn lock_vacant_seat(&mut self, seat_id: i64) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE seats SET updated_at = updated_at WHERE id = $1 AND status = 'vacant'"
            )
            .bind(seat_id)
        )?;
        Ok(n == 1)
    }

    /// Claims a seat its person still holds, as [`Tx::lock_vacant_seat`]
    /// claims a vacant one.
    pub async fn lock_held_seat(&mut self, seat_id: i64, person_id: i64) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE seats SET updated_at = updated_at WHERE id = $1 AND person_id = $2"
            )
            .bind(seat_id)
            .bind(person_id)
        )?;
        Ok(n == 1)
    }

    /// Moves an instance to another seat (a person who swapped station).
    pub async fn set_instance_seat(
        &mut self,
        instance_id: i64,
        seat_id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("UPDATE instances SET seat_id = $1, updated_at = $2 WHERE id = $3")
                .bind(seat_id)
                .bind(now)
                .bind(instance_id)
        )?;
        Ok(())
    }

    /// The seats these people hold from `from` on, the soonest first.
    pub async fn upcoming_seats_of(
        &mut self,
        person_ids: &[i64],
        from: NaiveDate,
    ) -> sqlx::Result<Vec<Seat>> {
        let mut out: Vec<Seat> = Vec::new();
        for id in person_ids {
            let seats: Vec<Seat> = q!(
                self,
                fetch_all,
                sqlx::query_as(
                    "SELECT * FROM seats WHERE person_id = $1 AND date >= $2 ORDER BY date, id"
                )
                .bind(*id)
                .bind(from)
            )?;
            out.extend(seats);
        }
        out.sort_by_key(|s| (s.date, s.id));
        Ok(out)
    }
}

/// A swap waiting for, or given, the secretariat's decision.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct SwapRequest {
    pub id: i64,
    pub instance_id: i64,
    pub person_id: i64,
    pub from_seat_id: i64,
    pub to_seat_id: i64,
    /// `pending`, `approved`, `refused`, `taken` (the seat went to someone
    /// else first) or `ended` (superseded, or the person left the seat).
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Tx {
    pub async fn insert_swap_request(
        &mut self,
        instance_id: i64,
        person_id: i64,
        from_seat_id: i64,
        to_seat_id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO swap_requests (instance_id, person_id, from_seat_id, to_seat_id, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id"
            )
            .bind(instance_id)
            .bind(person_id)
            .bind(from_seat_id)
            .bind(to_seat_id)
            .bind(now)
        )
    }

    pub async fn swap_request(&mut self, id: i64) -> sqlx::Result<Option<SwapRequest>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM swap_requests WHERE id = $1").bind(id)
        )
    }

    /// Requests with this status, oldest first.
    pub async fn swap_requests(&mut self, status: &str) -> sqlx::Result<Vec<SwapRequest>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT * FROM swap_requests WHERE status = $1 ORDER BY created_at, id")
                .bind(status)
        )
    }

    /// Decides a pending request; false when it was decided (or ended)
    /// before, so two decisions cannot both act.
    pub async fn decide_swap_request(
        &mut self,
        id: i64,
        status: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE swap_requests SET status = $2, decided_by = $3, decided_at = $4
                 WHERE id = $1 AND status = 'pending'"
            )
            .bind(id)
            .bind(status)
            .bind(by)
            .bind(now)
        )?;
        Ok(n == 1)
    }

    /// Ends the pending requests of an instance that stopped waiting.
    pub async fn end_swap_requests_of(
        &mut self,
        instance_id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query(
                "UPDATE swap_requests SET status = 'ended', decided_by = 'system', decided_at = $2
                 WHERE instance_id = $1 AND status = 'pending'"
            )
            .bind(instance_id)
            .bind(now)
        )?;
        Ok(())
    }
}

impl Tx {
    /// An approved request whose seat someone took first.
    pub async fn decide_taken_swap_request(&mut self, id: i64) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("UPDATE swap_requests SET status = 'taken' WHERE id = $1").bind(id)
        )?;
        Ok(())
    }
}

/// A swap waiting for the secretariat, with the names it is about.
#[derive(Clone, serde::Serialize, sqlx::FromRow)]
pub struct SwapListed {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub from_seat_id: i64,
    pub from_station: String,
    pub to_seat_id: i64,
    pub to_station: String,
    pub date: NaiveDate,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for SwapListed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SwapListed({}, person {})", self.id, self.person_id)
    }
}

impl Tx {
    /// Swaps waiting for approval, oldest first.
    pub async fn pending_swaps_listed(&mut self) -> sqlx::Result<Vec<SwapListed>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT r.id, r.person_id, p.name, r.from_seat_id, fs.name AS from_station,
                        r.to_seat_id, ts.name AS to_station, t.date, r.created_at
                 FROM swap_requests r
                 JOIN people p ON p.id = r.person_id
                 JOIN seats f ON f.id = r.from_seat_id
                 JOIN stations fs ON fs.id = f.station_id
                 JOIN seats t ON t.id = r.to_seat_id
                 JOIN stations ts ON ts.id = t.station_id
                 WHERE r.status = 'pending'
                 ORDER BY r.created_at, r.id"
            )
        )
    }
}
