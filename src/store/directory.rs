//! Elections and what they are staffed with: election types, areas,
//! stations, teams and task types.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::appends::AuditRow;
use super::{Area, Election, ElectionType, Station, TaskType, Team, Tx};
use crate::domain::eligibility::Rules;
use crate::{exec, q};

pub struct NewElection<'a> {
    pub title: &'a str,
    pub election_type_id: i64,
    pub starts_on: NaiveDate,
    pub election_day: NaiveDate,
    pub ends_on: NaiveDate,
    pub lock_days: i32,
    pub time_zone: &'a str,
}

pub struct NewTaskType<'a> {
    pub name: &'a str,
    pub start_time: NaiveTime,
    pub end_time: NaiveTime,
    pub payment_ore: i32,
    pub trusted: bool,
}

impl Tx {
    /// The election type with this name, created with `min_age` and the
    /// rules a type of that name starts with if new
    /// ([`Rules::for_new_type`]); an existing one gets `min_age` and keeps
    /// its rules.
    pub async fn upsert_election_type(&mut self, name: &str, min_age: i32) -> sqlx::Result<i64> {
        let rules = Rules::for_new_type(name, min_age);
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO election_types (name, min_age, rule_citizenship, rule_guardianship)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO UPDATE SET min_age = excluded.min_age
                 RETURNING id"
            )
            .bind(name)
            .bind(min_age)
            .bind(rules.citizenship)
            .bind(rules.guardianship)
        )
    }

    pub async fn election_type(&mut self, id: i64) -> sqlx::Result<Option<ElectionType>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM election_types WHERE id = $1").bind(id)
        )
    }

    /// Sets the rules of an election type. False if there is no such type.
    pub async fn set_election_type_rules(&mut self, id: i64, rules: &Rules) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE election_types
                 SET rule_age = $2, min_age = $3, rule_residence = $4, rule_citizenship = $5,
                     rule_guardianship = $6
                 WHERE id = $1"
            )
            .bind(id)
            .bind(rules.min_age.is_some())
            .bind(rules.min_age.unwrap_or(18))
            .bind(rules.residence)
            .bind(rules.citizenship)
            .bind(rules.guardianship)
        )?;
        Ok(n == 1)
    }

    /// The rules of an election's type.
    pub async fn election_rules(&mut self, election_id: i64) -> sqlx::Result<Option<Rules>> {
        let t: Option<ElectionType> = q!(
            self,
            fetch_optional,
            sqlx::query_as(
                "SELECT t.* FROM election_types t JOIN elections e ON e.election_type_id = t.id
                 WHERE e.id = $1"
            )
            .bind(election_id)
        )?;
        Ok(t.map(|t| t.rules()))
    }

    pub async fn insert_election(
        &mut self,
        e: &NewElection<'_>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO elections (title, election_type_id, starts_on, election_day, ends_on, lock_days, time_zone, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
            )
            .bind(e.title)
            .bind(e.election_type_id)
            .bind(e.starts_on)
            .bind(e.election_day)
            .bind(e.ends_on)
            .bind(e.lock_days)
            .bind(e.time_zone)
            .bind(now)
        )
    }

    pub async fn election(&mut self, id: i64) -> sqlx::Result<Option<Election>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM elections WHERE id = $1").bind(id)
        )
    }

    /// The active election first, then the newest.
    pub async fn elections(&mut self) -> sqlx::Result<Vec<Election>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT * FROM elections ORDER BY active DESC, election_day DESC, id DESC"
            )
        )
    }

    pub async fn upsert_area(&mut self, name: &str) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO areas (name) VALUES ($1)
                 ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id"
            )
            .bind(name)
        )
    }

    pub async fn areas(&mut self) -> sqlx::Result<Vec<Area>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT id, name FROM areas ORDER BY name")
        )
    }

    pub async fn upsert_station(
        &mut self,
        area_id: i64,
        name: &str,
        address: &str,
        voting_area: Option<&str>,
    ) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO stations (area_id, name, address, voting_area) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO UPDATE
                 SET area_id = excluded.area_id, address = excluded.address, voting_area = excluded.voting_area
                 RETURNING id"
            )
            .bind(area_id)
            .bind(name)
            .bind(address)
            .bind(voting_area)
        )
    }

    pub async fn stations(&mut self) -> sqlx::Result<Vec<Station>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT id, area_id, name, address, voting_area, responsible_person_id FROM stations ORDER BY name"
            )
        )
    }

    /// Makes a person the station's responsible (or nobody).
    pub async fn set_station_responsible(
        &mut self,
        station_id: i64,
        person_id: Option<i64>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query("UPDATE stations SET responsible_person_id = $1 WHERE id = $2")
                .bind(person_id)
                .bind(station_id)
        )?;
        Ok(n == 1)
    }

    /// The stations these people are responsible for.
    pub async fn stations_run_by(&mut self, person_ids: &[i64]) -> sqlx::Result<Vec<i64>> {
        let mut out = Vec::new();
        for id in person_ids {
            let ids: Vec<i64> = q!(
                self,
                fetch_all,
                sqlx::query_scalar("SELECT id FROM stations WHERE responsible_person_id = $1")
                    .bind(*id)
            )?;
            out.extend(ids);
        }
        Ok(out)
    }

    pub async fn upsert_team(&mut self, name: &str) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO teams (name) VALUES ($1)
                 ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id"
            )
            .bind(name)
        )
    }

    pub async fn team(&mut self, id: i64) -> sqlx::Result<Option<Team>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT id, name FROM teams WHERE id = $1").bind(id)
        )
    }

    pub async fn teams(&mut self) -> sqlx::Result<Vec<Team>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT id, name FROM teams ORDER BY name")
        )
    }

    pub async fn upsert_task_type(&mut self, t: &NewTaskType<'_>) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO task_types (name, start_time, end_time, payment_ore, trusted) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (name) DO UPDATE
                 SET start_time = excluded.start_time, end_time = excluded.end_time,
                     payment_ore = excluded.payment_ore, trusted = excluded.trusted
                 RETURNING id"
            )
            .bind(t.name)
            .bind(t.start_time)
            .bind(t.end_time)
            .bind(t.payment_ore)
            .bind(t.trusted)
        )
    }

    pub async fn task_types(&mut self) -> sqlx::Result<Vec<TaskType>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT * FROM task_types ORDER BY name")
        )
    }

    /// Appends to the audit log (written at commit, see
    /// [`Appends`](super::Appends)). `actor` is `system`, `api` or an id such as
    /// `person:12`; `detail` is JSON without personal data.
    pub async fn audit(
        &mut self,
        now: DateTime<Utc>,
        actor: &str,
        action: &str,
        ids: AuditIds,
        detail: Option<&str>,
    ) -> sqlx::Result<()> {
        self.appends.audit(AuditRow {
            at: now,
            actor: actor.to_string(),
            action: action.to_string(),
            seat: ids.seat,
            person: ids.person,
            instance: ids.instance,
            detail: detail.map(str::to_string),
        });
        Ok(())
    }
}

/// The ids an audit event is about.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditIds {
    pub seat: Option<i64>,
    pub person: Option<i64>,
    pub instance: Option<i64>,
}

impl Tx {
    pub async fn election_types(&mut self) -> sqlx::Result<Vec<ElectionType>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT * FROM election_types ORDER BY name")
        )
    }
}
