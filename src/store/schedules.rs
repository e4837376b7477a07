//! The bookkeeping of scheduled workflows: per workflow, election and
//! anchor date, the latest occurrence handled and how far the fan-out of
//! the current one got; and the pages of seats a fan-out walks through.

use chrono::{DateTime, NaiveDate, Utc};

use super::Tx;
use crate::workflow::SeatConditions;
use crate::{exec, q};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScheduleRun {
    pub id: i64,
    pub workflow: String,
    pub election_id: i64,
    pub anchor_date: NaiveDate,
    pub last_at: Option<DateTime<Utc>>,
    pub running_at: Option<DateTime<Utc>>,
    pub cursor: i64,
    pub updated_at: DateTime<Utc>,
}

/// A seat a fan-out reaches: its id and its person.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct FanOutSeat {
    pub id: i64,
    pub person_id: Option<i64>,
}

impl Tx {
    /// The bookkeeping row, created empty the first time.
    pub async fn schedule_run(
        &mut self,
        workflow: &str,
        election_id: i64,
        anchor_date: NaiveDate,
        now: DateTime<Utc>,
    ) -> sqlx::Result<ScheduleRun> {
        exec!(
            self,
            sqlx::query(
                "INSERT INTO schedule_runs (workflow, election_id, anchor_date, updated_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (workflow, election_id, anchor_date) DO NOTHING"
            )
            .bind(workflow)
            .bind(election_id)
            .bind(anchor_date)
            .bind(now)
        )?;
        q!(
            self,
            fetch_one,
            sqlx::query_as(
                "SELECT * FROM schedule_runs WHERE workflow = $1 AND election_id = $2 AND anchor_date = $3"
            )
            .bind(workflow)
            .bind(election_id)
            .bind(anchor_date)
        )
    }

    /// Marks an occurrence handled without running it (missed), unless
    /// another process got there first.
    pub async fn skip_occurrence(
        &mut self,
        id: i64,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE schedule_runs SET last_at = $1, updated_at = $2
                 WHERE id = $3 AND running_at IS NULL AND (last_at IS NULL OR last_at < $1)"
            )
            .bind(at)
            .bind(now)
            .bind(id)
        )?;
        Ok(n == 1)
    }

    /// Starts the fan-out of an occurrence, unless another process did.
    pub async fn begin_occurrence(
        &mut self,
        id: i64,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE schedule_runs SET running_at = $1, cursor = 0, updated_at = $2
                 WHERE id = $3 AND running_at IS NULL AND (last_at IS NULL OR last_at < $1)"
            )
            .bind(at)
            .bind(now)
            .bind(id)
        )?;
        Ok(n == 1)
    }

    /// Claims the next page of a fan-out: true when the row is still at
    /// `cursor` for occurrence `at` (on PostgreSQL the row stays locked
    /// until this transaction ends, so two processes never run one page).
    pub async fn claim_page(
        &mut self,
        id: i64,
        at: DateTime<Utc>,
        cursor: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE schedule_runs SET updated_at = $1 WHERE id = $2 AND running_at = $3 AND cursor = $4"
            )
            .bind(now)
            .bind(id)
            .bind(at)
            .bind(cursor)
        )?;
        Ok(n == 1)
    }

    /// Moves the fan-out on to after seat `cursor`, or ends it.
    pub async fn advance_occurrence(
        &mut self,
        id: i64,
        cursor: Option<i64>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        match cursor {
            Some(c) => exec!(
                self,
                sqlx::query("UPDATE schedule_runs SET cursor = $1, updated_at = $2 WHERE id = $3")
                    .bind(c)
                    .bind(now)
                    .bind(id)
            )?,
            None => exec!(
                self,
                sqlx::query(
                    "UPDATE schedule_runs SET last_at = running_at, running_at = NULL, cursor = 0, updated_at = $1
                     WHERE id = $2"
                )
                .bind(now)
                .bind(id)
            )?,
        };
        Ok(())
    }

    /// Every bookkeeping row: one per scheduled workflow, election and
    /// anchor date that has come due.
    pub async fn schedule_runs(&mut self) -> sqlx::Result<Vec<ScheduleRun>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT * FROM schedule_runs")
        )
    }

    /// The seats of an election a filter selects, on `date` when given,
    /// after seat `after` by id, at most `limit`; with `person`, only
    /// theirs.
    pub async fn filtered_seats(
        &mut self,
        election_id: i64,
        filter: &[SeatConditions<NaiveDate>],
        date: Option<NaiveDate>,
        person: Option<i64>,
        after: i64,
        limit: i64,
    ) -> sqlx::Result<Vec<FanOutSeat>> {
        // Only placeholders are formatted into the SQL; every value is
        // bound, in the order the placeholders are numbered.
        let mut sql = String::from(
            "SELECT s.id, s.person_id FROM seats s JOIN task_types tt ON tt.id = s.task_type_id
             WHERE s.election_id = $1 AND s.id > $2
               AND ($3 IS NULL OR s.date = $3)
               AND ($4 IS NULL OR s.person_id = $4)",
        );
        let mut n = 4;
        let mut next = || {
            n += 1;
            n
        };
        if !filter.is_empty() {
            let alternatives: Vec<String> = filter
                .iter()
                .map(|c| {
                    let mut parts = vec!["1 = 1".to_string()];
                    if c.status.is_some() {
                        parts.push(format!("s.status = ${}", next()));
                    }
                    if c.task_type.is_some() {
                        parts.push(format!("tt.name = ${}", next()));
                    }
                    if c.checked_in.is_some() {
                        parts.push(format!("(s.checked_in_at IS NOT NULL) = ${}", next()));
                    }
                    if c.date.is_some() {
                        parts.push(format!("s.date = ${}", next()));
                    }
                    format!("({})", parts.join(" AND "))
                })
                .collect();
            sql.push_str(&format!(" AND ({})", alternatives.join(" OR ")));
        }
        sql.push_str(&format!(" ORDER BY s.id LIMIT ${}", next()));
        q!(
            self,
            fetch_all,
            filter
                .iter()
                .fold(
                    sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                        .bind(election_id)
                        .bind(after)
                        .bind(date)
                        .bind(person),
                    |mut query, c| {
                        if let Some(status) = c.status {
                            query = query.bind(status.as_str());
                        }
                        if let Some(name) = &c.task_type {
                            query = query.bind(name.as_str());
                        }
                        if let Some(yes) = c.checked_in {
                            query = query.bind(yes);
                        }
                        if let Some(day) = c.date {
                            query = query.bind(day);
                        }
                        query
                    }
                )
                .bind(limit)
        )
    }
}
