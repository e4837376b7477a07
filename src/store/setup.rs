//! What the secretariat sets up in the admin: active elections and the
//! instances held until one is activated, a copy of last election's seats,
//! the seat plan per station × team × task type × date, and changes to
//! stations, task types, areas and teams.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
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
    /// Makes an election active or not; several may be active at once.
    /// False if it does not exist.
    pub async fn set_election_active(&mut self, id: i64, active: bool) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query("UPDATE elections SET active = $1 WHERE id = $2")
                .bind(active)
                .bind(id)
        )?;
        Ok(n > 0)
    }

    /// Holds an instance started on a seat of an inactive election.
    pub async fn hold_instance(
        &mut self,
        instance_id: i64,
        election_id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query(
                "INSERT INTO held_instances (instance_id, election_id, held_at) VALUES ($1, $2, $3)"
            )
            .bind(instance_id)
            .bind(election_id)
            .bind(now)
        )?;
        Ok(())
    }

    /// Up to `limit` held instances of active elections, oldest first,
    /// each taken off the list: the caller runs them in this transaction.
    /// Only those this transaction removed are returned, so two hosts (or
    /// the ticker and an activation) never run one twice.
    pub async fn take_released_instances(&mut self, limit: i64) -> sqlx::Result<Vec<i64>> {
        let ids: Vec<i64> = q!(
            self,
            fetch_all,
            sqlx::query_scalar(
                "SELECT h.instance_id FROM held_instances h JOIN elections e ON e.id = h.election_id
                 WHERE e.active ORDER BY h.instance_id LIMIT $1"
            )
            .bind(limit)
        )?;
        let mut taken = Vec::with_capacity(ids.len());
        for id in ids {
            let n = exec!(
                self,
                sqlx::query("DELETE FROM held_instances WHERE instance_id = $1").bind(id)
            )?;
            if n == 1 {
                taken.push(id);
            }
        }
        Ok(taken)
    }

    /// Whether an instance is on a seat of an election that is not active.
    pub async fn instance_waits_for_activation(&mut self, instance_id: i64) -> sqlx::Result<bool> {
        let n: i64 = q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM instances i JOIN seats s ON s.id = i.seat_id
                 JOIN elections e ON e.id = s.election_id
                 WHERE i.id = $1 AND NOT e.active"
            )
            .bind(instance_id)
        )?;
        Ok(n > 0)
    }

    /// Per election, how many instances are held until it is activated.
    pub async fn held_counts(&mut self) -> sqlx::Result<Vec<(i64, i64)>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT h.election_id, COUNT(*) FROM held_instances h
                 JOIN instances i ON i.id = h.instance_id
                 WHERE i.status = 'waiting' GROUP BY h.election_id"
            )
        )
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
}
