//! Standby pools and the offers of vacant seats to the people in them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::Tx;
use crate::{exec, q};

/// A person on standby for a date: for one station, one area, one task
/// type, or any seat of the election (all `None`).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Standby {
    pub id: i64,
    pub election_id: i64,
    pub person_id: i64,
    pub date: NaiveDate,
    pub station_id: Option<i64>,
    pub area_id: Option<i64>,
    pub task_type_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// The teams (parties) the person belongs to: the seats of those
    /// teams are the ones they are offered.
    #[sqlx(skip)]
    pub team_ids: Vec<i64>,
}

#[derive(Debug, Clone, Copy, serde::Deserialize)]
pub struct NewStandby {
    pub election_id: i64,
    pub person_id: i64,
    pub date: NaiveDate,
    pub station_id: Option<i64>,
    pub area_id: Option<i64>,
    pub task_type_id: Option<i64>,
}

impl Tx {
    /// Puts a person on standby. Returns `None` if they already are, for
    /// the same date and the same station, area and task type.
    pub async fn insert_standby(
        &mut self,
        s: &NewStandby,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<i64>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_scalar(
                "INSERT INTO standby (election_id, person_id, date, station_id, area_id, task_type_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT DO NOTHING RETURNING id"
            )
            .bind(s.election_id)
            .bind(s.person_id)
            .bind(s.date)
            .bind(s.station_id)
            .bind(s.area_id)
            .bind(s.task_type_id)
            .bind(now)
        )
    }

    /// An election's standby pool, each entry with its person's teams.
    pub async fn standby_of_election(&mut self, election_id: i64) -> sqlx::Result<Vec<Standby>> {
        let mut pool: Vec<Standby> = q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT id, election_id, person_id, date, station_id, area_id, task_type_id, created_at
                 FROM standby WHERE election_id = $1 ORDER BY date, id"
            )
            .bind(election_id)
        )?;
        let teams = self.standby_memberships(election_id).await?;
        for s in &mut pool {
            s.team_ids = teams
                .iter()
                .filter(|(p, _)| *p == s.person_id)
                .map(|(_, t)| *t)
                .collect();
        }
        Ok(pool)
    }

    /// (person, team) for every team membership of the election's
    /// standby people.
    pub async fn standby_memberships(&mut self, election_id: i64) -> sqlx::Result<Vec<(i64, i64)>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT DISTINCT m.person_id, m.team_id FROM team_members m
                 JOIN standby sb ON sb.person_id = m.person_id AND sb.election_id = $1
                 ORDER BY m.person_id, m.team_id"
            )
            .bind(election_id)
        )
    }

    /// Up to `limit` people on standby for a seat who may be offered it
    /// now, in the order they were put on standby: members of the seat's
    /// team when `same_team`, not asked in this offer (`instance_id`)
    /// already, without an open offer of another seat that day, and never
    /// having declined, left, missed or been taken off this seat. Whether
    /// they hold a seat at the same time is the rule function's to say.
    pub async fn standby_candidates(
        &mut self,
        seat_id: i64,
        instance_id: i64,
        same_team: bool,
        limit: i64,
    ) -> sqlx::Result<Vec<i64>> {
        self.flush().await?;
        q!(
            self,
            fetch_all,
            sqlx::query_scalar(
                "SELECT sb.person_id FROM standby sb
                 JOIN seats s ON s.id = $1
                 JOIN stations st ON st.id = s.station_id
                 WHERE sb.election_id = s.election_id AND sb.date = s.date
                   AND (sb.station_id IS NULL OR sb.station_id = s.station_id)
                   AND (sb.area_id IS NULL OR sb.area_id = st.area_id)
                   AND (sb.task_type_id IS NULL OR sb.task_type_id = s.task_type_id)
                   AND (NOT $4 OR EXISTS (
                       SELECT 1 FROM team_members tm
                       WHERE tm.person_id = sb.person_id AND tm.team_id = s.team_id))
                   AND NOT EXISTS (SELECT 1 FROM questions q WHERE q.instance_id = $2 AND q.person_id = sb.person_id)
                   AND NOT EXISTS (
                       SELECT 1 FROM questions q JOIN seats o ON o.id = q.seat_id
                       WHERE q.person_id = sb.person_id AND q.kind = 'offer' AND q.closed_at IS NULL
                         AND o.date = s.date)
                   AND NOT EXISTS (
                       SELECT 1 FROM seat_history h
                       WHERE h.seat_id = s.id AND h.person_id = sb.person_id
                         AND h.event IN ('answered_no', 'offer_declined', 'released', 'no_show', 'unanswered', 'removed'))
                 GROUP BY sb.person_id
                 ORDER BY MIN(sb.id)
                 LIMIT $3"
            )
            .bind(seat_id)
            .bind(instance_id)
            .bind(limit)
            .bind(same_team)
        )
    }

    /// How many offers of an instance are still open.
    pub async fn open_offers_of(&mut self, instance_id: i64) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM questions WHERE instance_id = $1 AND kind = 'offer' AND closed_at IS NULL"
            )
            .bind(instance_id)
        )
    }

    /// Closes every open question of an instance with `outcome`; returns
    /// the people whose question it was.
    pub async fn close_open_questions_of(
        &mut self,
        instance_id: i64,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Vec<i64>> {
        q!(
            self,
            fetch_all,
            sqlx::query_scalar(
                "UPDATE questions SET closed_at = $1, outcome = $2
                 WHERE instance_id = $3 AND closed_at IS NULL RETURNING person_id"
            )
            .bind(now)
            .bind(outcome)
            .bind(instance_id)
        )
    }

    /// The offer someone answers too late: their latest offer closed
    /// because another person took the seat, since `since`, with `code`
    /// when one was written.
    pub async fn taken_offer(
        &mut self,
        person_ids: &[i64],
        code: Option<&str>,
        since: DateTime<Utc>,
    ) -> sqlx::Result<Option<super::Question>> {
        let mut best: Option<super::Question> = None;
        for id in person_ids {
            let found: Option<super::Question> = q!(
                self,
                fetch_optional,
                sqlx::query_as(
                    "SELECT * FROM questions
                     WHERE person_id = $1 AND kind = 'offer' AND outcome = 'taken' AND closed_at >= $2
                       AND ($3 IS NULL OR code = $3)
                     ORDER BY closed_at DESC LIMIT 1"
                )
                .bind(*id)
                .bind(since)
                .bind(code)
            )?;
            if let Some(f) = found
                && best.as_ref().is_none_or(|b| b.closed_at < f.closed_at)
            {
                best = Some(f);
            }
        }
        Ok(best)
    }

    /// Makes the person who took a seat the instance's person.
    pub async fn set_instance_person(
        &mut self,
        instance_id: i64,
        person_id: i64,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("UPDATE instances SET person_id = $1 WHERE id = $2")
                .bind(person_id)
                .bind(instance_id)
        )?;
        Ok(())
    }

    /// Ends an instance that still waits in `state`; false if it has moved.
    pub async fn finish_instance_in(
        &mut self,
        instance_id: i64,
        state: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE instances SET status = 'finished', updated_at = $1
                 WHERE id = $2 AND state = $3 AND status = 'waiting'"
            )
            .bind(now)
            .bind(instance_id)
            .bind(state)
        )?;
        Ok(n == 1)
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
    /// The teams the person belongs to, by name.
    #[sqlx(skip)]
    pub teams: Vec<String>,
}

impl std::fmt::Debug for StandbyListed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StandbyListed({}, person {})", self.id, self.person_id)
    }
}

impl Tx {
    pub async fn standby_listed(&mut self, election_id: i64) -> sqlx::Result<Vec<StandbyListed>> {
        let mut pool: Vec<StandbyListed> = q!(
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
        )?;
        let names: Vec<(i64, String)> = q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT DISTINCT m.person_id, t.name FROM team_members m
                 JOIN teams t ON t.id = m.team_id
                 JOIN standby sb ON sb.person_id = m.person_id AND sb.election_id = $1
                 ORDER BY m.person_id, t.name"
            )
            .bind(election_id)
        )?;
        for s in &mut pool {
            s.teams = names
                .iter()
                .filter(|(p, _)| *p == s.person_id)
                .map(|(_, t)| t.clone())
                .collect();
        }
        Ok(pool)
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
