//! What the secretariat sets up in the admin: the active election, a copy
//! of last election's seats, the seat plan per station × team × task type
//! × date, and changes to stations, task types, areas and teams.

use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;

use super::Tx;
use crate::{exec, q};

/// Seats of one kind at one station on one date, and how many are free.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SeatPlanRow {
    pub station_id: i64,
    pub station: String,
    pub team_id: i64,
    pub team: String,
    pub task_type_id: i64,
    pub task_type: String,
    pub date: NaiveDate,
    pub seats: i64,
    pub vacant: i64,
}

/// One seat's kind, place and date, as a copy of an election takes it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SeatBlueprint {
    pub station_id: i64,
    pub task_type_id: i64,
    pub team_id: i64,
    pub date: NaiveDate,
}

impl Tx {
    /// Makes this election the active one, and no other. False if it does
    /// not exist.
    pub async fn activate_election(&mut self, id: i64) -> sqlx::Result<bool> {
        if self.election(id).await?.is_none() {
            return Ok(false);
        }
        exec!(
            self,
            sqlx::query("UPDATE elections SET active = FALSE WHERE active AND id <> $1").bind(id)
        )?;
        exec!(
            self,
            sqlx::query("UPDATE elections SET active = TRUE WHERE id = $1").bind(id)
        )?;
        Ok(true)
    }

    /// Every seat of an election, as kind, place and date.
    pub async fn seat_blueprints(&mut self, election_id: i64) -> sqlx::Result<Vec<SeatBlueprint>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT station_id, task_type_id, team_id, date FROM seats
                 WHERE election_id = $1 ORDER BY id"
            )
            .bind(election_id)
        )
    }

    /// The election's seats grouped by station, team, task type and date.
    pub async fn seat_plan(&mut self, election_id: i64) -> sqlx::Result<Vec<SeatPlanRow>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT st.id AS station_id, st.name AS station, t.id AS team_id, t.name AS team,
                        tt.id AS task_type_id, tt.name AS task_type, s.date,
                        COUNT(*) AS seats,
                        SUM(CASE WHEN s.status = 'vacant' THEN 1 ELSE 0 END) AS vacant
                 FROM seats s
                 JOIN stations st ON st.id = s.station_id
                 JOIN teams t ON t.id = s.team_id
                 JOIN task_types tt ON tt.id = s.task_type_id
                 WHERE s.election_id = $1
                 GROUP BY st.id, st.name, t.id, t.name, tt.id, tt.name, s.date
                 ORDER BY st.name, s.date, tt.name, t.name"
            )
            .bind(election_id)
        )
    }

    /// Deletes up to `n` vacant seats of one kind, the newest first, that
    /// nothing refers to yet. Returns how many went.
    pub async fn delete_vacant_seats(
        &mut self,
        election_id: i64,
        kind: &SeatBlueprint,
        n: i64,
    ) -> sqlx::Result<u64> {
        exec!(
            self,
            sqlx::query(
                "DELETE FROM seats WHERE id IN (
                     SELECT s.id FROM seats s
                     WHERE s.election_id = $1 AND s.station_id = $2 AND s.task_type_id = $3
                       AND s.team_id = $4 AND s.date = $5 AND s.status = 'vacant'
                       AND NOT EXISTS (SELECT 1 FROM seat_history h WHERE h.seat_id = s.id)
                       AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.seat_id = s.id)
                       AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.seat_id = s.id)
                       AND NOT EXISTS (SELECT 1 FROM questions q WHERE q.seat_id = s.id)
                       AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.seat_id = s.id)
                       AND NOT EXISTS (SELECT 1 FROM swap_options so WHERE so.seat_id = s.id)
                       AND NOT EXISTS (
                           SELECT 1 FROM swap_requests sr
                           WHERE sr.to_seat_id = s.id OR sr.from_seat_id = s.id)
                       AND NOT EXISTS (SELECT 1 FROM links l WHERE l.seat_id = s.id)
                     ORDER BY s.id DESC LIMIT $6)
                 AND status = 'vacant'"
            )
            .bind(election_id)
            .bind(kind.station_id)
            .bind(kind.task_type_id)
            .bind(kind.team_id)
            .bind(kind.date)
            .bind(n)
        )
    }

    pub async fn rename_area(&mut self, id: i64, name: &str) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query("UPDATE areas SET name = $1 WHERE id = $2")
                .bind(name)
                .bind(id)
        )?;
        Ok(n == 1)
    }

    pub async fn rename_team(&mut self, id: i64, name: &str) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query("UPDATE teams SET name = $1 WHERE id = $2")
                .bind(name)
                .bind(id)
        )?;
        Ok(n == 1)
    }

    pub async fn update_station(
        &mut self,
        id: i64,
        area_id: i64,
        name: &str,
        address: &str,
        voting_area: Option<&str>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE stations SET area_id = $1, name = $2, address = $3, voting_area = $4
                 WHERE id = $5"
            )
            .bind(area_id)
            .bind(name)
            .bind(address)
            .bind(voting_area)
            .bind(id)
        )?;
        Ok(n == 1)
    }

    pub async fn update_task_type(
        &mut self,
        id: i64,
        name: &str,
        start_time: NaiveTime,
        end_time: NaiveTime,
        payment_ore: i32,
        trusted: bool,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE task_types SET name = $1, start_time = $2, end_time = $3,
                        payment_ore = $4, trusted = $5
                 WHERE id = $6"
            )
            .bind(name)
            .bind(start_time)
            .bind(end_time)
            .bind(payment_ore)
            .bind(trusted)
            .bind(id)
        )?;
        Ok(n == 1)
    }

    /// Updates a person's name and contact details by id. False if there
    /// is no such person.
    pub async fn update_person(
        &mut self,
        id: i64,
        p: &super::people::NewPerson<'_>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE people SET name = $1, cpr = $2, phone = $3, email = $4,
                        preferred_channel = $5, language = $6
                 WHERE id = $7"
            )
            .bind(p.name)
            .bind(p.cpr.as_string())
            .bind(p.phone.map(crate::domain::PhoneNumber::as_e164))
            .bind(p.email)
            .bind(p.preferred_channel)
            .bind(p.language.code())
            .bind(id)
        )?;
        Ok(n == 1)
    }
}

impl Tx {
    pub async fn election_types(&mut self) -> sqlx::Result<Vec<super::ElectionType>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT id, name, min_age FROM election_types ORDER BY name")
        )
    }

    /// Seats per election.
    pub async fn seats_per_election(&mut self) -> sqlx::Result<Vec<(i64, i64)>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT election_id, COUNT(*) FROM seats GROUP BY election_id")
        )
    }

    pub async fn person_by_cpr(&mut self, cpr: &crate::domain::Cpr) -> sqlx::Result<Option<i64>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_scalar("SELECT id FROM people WHERE cpr = $1").bind(cpr.as_string())
        )
    }
}

/// A person on standby, named, and what for.
#[derive(Clone, Serialize, sqlx::FromRow)]
pub struct StandbyListed {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub date: NaiveDate,
    pub station: Option<String>,
    pub area: Option<String>,
    pub task_type: Option<String>,
}

impl std::fmt::Debug for StandbyListed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StandbyListed({}, person {})", self.id, self.person_id)
    }
}

impl Tx {
    pub async fn standby_listed(&mut self, election_id: i64) -> sqlx::Result<Vec<StandbyListed>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT sb.id, sb.person_id, p.name, sb.date, st.name AS station, a.name AS area,
                        tt.name AS task_type
                 FROM standby sb
                 JOIN people p ON p.id = sb.person_id
                 LEFT JOIN stations st ON st.id = sb.station_id
                 LEFT JOIN areas a ON a.id = sb.area_id
                 LEFT JOIN task_types tt ON tt.id = sb.task_type_id
                 WHERE sb.election_id = $1
                 ORDER BY sb.date, p.name, sb.id"
            )
            .bind(election_id)
        )
    }

    /// Takes a person off an election's standby pool. False if that entry
    /// is not there.
    pub async fn delete_standby(&mut self, election_id: i64, id: i64) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query("DELETE FROM standby WHERE id = $1 AND election_id = $2")
                .bind(id)
                .bind(election_id)
        )?;
        Ok(n == 1)
    }
}

/// A swap waiting for the secretariat, with the names it is about.
#[derive(Clone, Serialize, sqlx::FromRow)]
pub struct SwapListed {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub from_seat_id: i64,
    pub from_station: String,
    pub to_seat_id: i64,
    pub to_station: String,
    pub date: NaiveDate,
    pub created_at: chrono::DateTime<chrono::Utc>,
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

    /// What the secretariat has not yet marked as seen to, newest first.
    pub async fn open_notifications(
        &mut self,
        limit: i64,
    ) -> sqlx::Result<Vec<super::Notification>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT * FROM notifications WHERE resolved_at IS NULL ORDER BY id DESC LIMIT $1"
            )
            .bind(limit)
        )
    }

    /// Marks a notification as seen to. False if it was already, or is not there.
    pub async fn resolve_notification(
        &mut self,
        id: i64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE notifications SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NULL"
            )
            .bind(now)
            .bind(id)
        )?;
        Ok(n == 1)
    }
}
