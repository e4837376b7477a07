//! The engine's state: workflow instances, open questions, timers, and the
//! secretariat's notifications.

use chrono::{DateTime, Utc};

use super::{Instance, Notification, Question, Timer, Tx, placeholders};

/// A note on a follow-up list, with the names of what it is about (no
/// `Debug`: it holds a name).
#[derive(Clone, serde::Serialize, sqlx::FromRow)]
pub struct ListedNotification {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub seat_id: Option<i64>,
    pub person_id: Option<i64>,
    pub inbound_id: Option<i64>,
    pub message: String,
    pub message_da: Option<String>,
    pub station: Option<String>,
    pub task_type: Option<String>,
    pub seat_date: Option<chrono::NaiveDate>,
    pub person_name: Option<String>,
}
use crate::domain::Said;
use crate::{exec, q};

/// What a notification is about.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotificationIds {
    pub seat: Option<i64>,
    pub person: Option<i64>,
    pub instance: Option<i64>,
    pub inbound: Option<i64>,
}

impl Tx {
    pub async fn insert_instance(
        &mut self,
        revision_id: i64,
        seat_id: Option<i64>,
        person_id: Option<i64>,
        state: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Instance> {
        q!(
            self,
            fetch_one,
            sqlx::query_as(
                "INSERT INTO instances (revision_id, seat_id, person_id, state, status, started_at, updated_at)
                 VALUES ($1, $2, $3, $4, 'waiting', $5, $5) RETURNING *"
            )
            .bind(revision_id)
            .bind(seat_id)
            .bind(person_id)
            .bind(state)
            .bind(now)
        )
    }

    pub async fn instance(&mut self, id: i64) -> sqlx::Result<Option<Instance>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM instances WHERE id = $1").bind(id)
        )
    }

    pub async fn instances_of_seat(&mut self, seat_id: i64) -> sqlx::Result<Vec<Instance>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT * FROM instances WHERE seat_id = $1 ORDER BY id").bind(seat_id)
        )
    }

    pub async fn set_instance_state(
        &mut self,
        id: i64,
        state: &str,
        status: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("UPDATE instances SET state = $1, status = $2, reminders_sent = 0, updated_at = $3 WHERE id = $4")
                .bind(state)
                .bind(status)
                .bind(now)
                .bind(id)
        )?;
        Ok(())
    }

    pub async fn count_reminder(&mut self, id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("UPDATE instances SET reminders_sent = reminders_sent + 1, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
        )?;
        Ok(())
    }

    /// Codes of the open questions of a person and of everyone who shares
    /// their phone number.
    pub async fn open_codes_around(
        &mut self,
        person_id: i64,
        phone: Option<&str>,
    ) -> sqlx::Result<Vec<String>> {
        q!(
            self,
            fetch_all,
            sqlx::query_scalar(
                "SELECT code FROM questions WHERE closed_at IS NULL AND person_id = $1
                 UNION ALL
                 SELECT q.code FROM questions q JOIN people p ON p.id = q.person_id
                 WHERE q.closed_at IS NULL AND p.phone = $2 AND p.id <> $1"
            )
            .bind(person_id)
            .bind(phone)
        )
    }

    pub async fn insert_question(
        &mut self,
        instance_id: i64,
        person_id: i64,
        seat_id: Option<i64>,
        code: &str,
        kind: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO questions (instance_id, person_id, seat_id, code, opened_at, kind)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
            )
            .bind(instance_id)
            .bind(person_id)
            .bind(seat_id)
            .bind(code)
            .bind(now)
            .bind(kind)
        )
    }

    pub async fn question(&mut self, id: i64) -> sqlx::Result<Option<Question>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM questions WHERE id = $1").bind(id)
        )
    }

    /// The open question of an instance, if it waits for one.
    pub async fn open_question_of(&mut self, instance_id: i64) -> sqlx::Result<Option<Question>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM questions WHERE instance_id = $1 AND closed_at IS NULL")
                .bind(instance_id)
        )
    }

    /// Open questions of a person, oldest first.
    /// The code of a person's latest question about a seat (the one they
    /// answered, or are asked), as they know the seat by it.
    pub async fn latest_question_code(
        &mut self,
        person_id: i64,
        seat_id: i64,
    ) -> sqlx::Result<Option<String>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_scalar(
                "SELECT code FROM questions WHERE person_id = $1 AND seat_id = $2
                 ORDER BY id DESC LIMIT 1"
            )
            .bind(person_id)
            .bind(seat_id)
        )
    }

    pub async fn open_questions(&mut self, person_id: i64) -> sqlx::Result<Vec<Question>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT * FROM questions WHERE person_id = $1 AND closed_at IS NULL ORDER BY id"
            )
            .bind(person_id)
        )
    }

    /// Closes a question that is still open. Returns false if it was closed
    /// already (someone, or something, got there first).
    pub async fn close_question(
        &mut self,
        id: i64,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query("UPDATE questions SET closed_at = $1, outcome = $2 WHERE id = $3 AND closed_at IS NULL")
                .bind(now)
                .bind(outcome)
                .bind(id)
        )?;
        Ok(n == 1)
    }

    pub async fn insert_timer(
        &mut self,
        instance_id: i64,
        question_id: Option<i64>,
        kind: &str,
        due_at: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar("INSERT INTO timers (instance_id, question_id, kind, due_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(instance_id)
                .bind(question_id)
                .bind(kind)
                .bind(due_at)
        )
    }

    /// Adds a question's timers, `(kind, due)` each, in one statement.
    pub async fn insert_timers(
        &mut self,
        instance_id: i64,
        question_id: Option<i64>,
        timers: &[(&str, DateTime<Utc>)],
    ) -> sqlx::Result<()> {
        if timers.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO timers (instance_id, question_id, kind, due_at) VALUES {}",
            placeholders(1, 4, timers.len())
        );
        exec!(
            self,
            timers.iter().fold(
                sqlx::query(sqlx::AssertSqlSafe(sql.as_str())),
                |q, (kind, due)| q.bind(instance_id).bind(question_id).bind(*kind).bind(*due)
            )
        )?;
        Ok(())
    }

    pub async fn timer(&mut self, id: i64) -> sqlx::Result<Option<Timer>> {
        q!(
            self,
            fetch_optional,
            sqlx::query_as("SELECT * FROM timers WHERE id = $1").bind(id)
        )
    }

    /// Marks a pending timer fired. Returns false if it had fired or been
    /// cancelled already.
    pub async fn fire_timer(&mut self, id: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query("UPDATE timers SET fired_at = $1 WHERE id = $2 AND fired_at IS NULL AND cancelled_at IS NULL")
                .bind(now)
                .bind(id)
        )?;
        Ok(n == 1)
    }

    pub async fn cancel_timers(
        &mut self,
        instance_id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query(
                "UPDATE timers SET cancelled_at = $1 WHERE instance_id = $2 AND fired_at IS NULL AND cancelled_at IS NULL"
            )
            .bind(now)
            .bind(instance_id)
        )?;
        Ok(())
    }

    /// Up to `limit` timers that are due and not queued in the last
    /// `requeue_before`, marked queued now. Timers of instances on seats of
    /// an inactive election wait until it is activated.
    pub async fn take_due_timers(
        &mut self,
        now: DateTime<Utc>,
        requeue_before: DateTime<Utc>,
        limit: i64,
    ) -> sqlx::Result<Vec<i64>> {
        let ids: Vec<i64> = q!(
            self,
            fetch_all,
            sqlx::query_scalar(
                "SELECT id FROM timers t
                 WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= $1
                   AND (queued_at IS NULL OR queued_at <= $2)
                   AND NOT EXISTS (
                       SELECT 1 FROM instances i JOIN seats s ON s.id = i.seat_id
                       JOIN elections e ON e.id = s.election_id
                       WHERE i.id = t.instance_id AND NOT e.active)
                 ORDER BY due_at LIMIT $3"
            )
            .bind(now)
            .bind(requeue_before)
            .bind(limit)
        )?;
        for id in &ids {
            exec!(
                self,
                sqlx::query("UPDATE timers SET queued_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(*id)
            )?;
        }
        Ok(ids)
    }

    pub async fn notify_secretariat(
        &mut self,
        kind: &str,
        ids: NotificationIds,
        message: &Said,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        self.insert_notification(None, kind, ids, message, now)
            .await
    }

    /// Puts a note on the follow-up list of a team's responsibles.
    pub async fn notify_team(
        &mut self,
        team_id: i64,
        kind: &str,
        ids: NotificationIds,
        message: &Said,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        self.insert_notification(Some(team_id), kind, ids, message, now)
            .await
    }

    async fn insert_notification(
        &mut self,
        team_id: Option<i64>,
        kind: &str,
        ids: NotificationIds,
        message: &Said,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO notifications (at, kind, seat_id, person_id, instance_id, inbound_id, message, team_id, message_da)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"
            )
            .bind(now)
            .bind(kind)
            .bind(ids.seat)
            .bind(ids.person)
            .bind(ids.instance)
            .bind(ids.inbound)
            .bind(&message.en)
            .bind(team_id)
            .bind(&message.da)
        )
    }

    pub async fn notifications(&mut self, limit: i64) -> sqlx::Result<Vec<Notification>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as("SELECT * FROM notifications ORDER BY id DESC LIMIT $1").bind(limit)
        )
    }
}

impl Tx {
    /// What the secretariat (`team` `None`) or a team's responsibles have
    /// not yet marked as seen to, newest first.
    pub async fn open_notifications(
        &mut self,
        team: Option<i64>,
        limit: i64,
    ) -> sqlx::Result<Vec<Notification>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT * FROM notifications
                 WHERE resolved_at IS NULL
                   AND (($1 IS NULL AND team_id IS NULL) OR team_id = $1)
                 ORDER BY id DESC LIMIT $2"
            )
            .bind(team)
            .bind(limit)
        )
    }

    /// The open notes of the secretariat's list (`team` `None`) or a
    /// team's, newest first, with the seat and person they are about.
    pub async fn open_notifications_listed(
        &mut self,
        team: Option<i64>,
        limit: i64,
    ) -> sqlx::Result<Vec<ListedNotification>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT n.id, n.at, n.kind, n.seat_id, n.person_id, n.inbound_id, n.message, n.message_da,
                        st.name AS station, tt.name AS task_type, s.date AS seat_date, p.name AS person_name
                 FROM notifications n
                 LEFT JOIN seats s ON s.id = n.seat_id
                 LEFT JOIN stations st ON st.id = s.station_id
                 LEFT JOIN task_types tt ON tt.id = s.task_type_id
                 LEFT JOIN people p ON p.id = n.person_id
                 WHERE n.resolved_at IS NULL
                   AND (($1 IS NULL AND n.team_id IS NULL) OR n.team_id = $1)
                 ORDER BY n.id DESC LIMIT $2"
            )
            .bind(team)
            .bind(limit)
        )
    }

    /// How many open notes of each kind the list holds.
    pub async fn open_notification_kinds(
        &mut self,
        team: Option<i64>,
    ) -> sqlx::Result<Vec<(String, i64)>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT kind, COUNT(*) FROM notifications
                 WHERE resolved_at IS NULL AND (($1 IS NULL AND team_id IS NULL) OR team_id = $1)
                 GROUP BY kind ORDER BY kind"
            )
            .bind(team)
        )
    }

    /// Marks the open notes of one kind on a list, up to note `upto`, as
    /// seen to; returns their ids.
    pub async fn resolve_notifications_of_kind(
        &mut self,
        kind: &str,
        team: Option<i64>,
        upto: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Vec<i64>> {
        q!(
            self,
            fetch_all,
            sqlx::query_scalar(
                "UPDATE notifications SET resolved_at = $1
                 WHERE kind = $2 AND resolved_at IS NULL AND id <= $4
                   AND (($3 IS NULL AND team_id IS NULL) OR team_id = $3)
                 RETURNING id"
            )
            .bind(now)
            .bind(kind)
            .bind(team)
            .bind(upto)
        )
    }

    /// Marks a notification of the secretariat's (`team` `None`) or of a
    /// team's list as seen to. False if it was already, or is not on that
    /// list.
    pub async fn resolve_notification(
        &mut self,
        id: i64,
        team: Option<i64>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE notifications SET resolved_at = $1
                 WHERE id = $2 AND resolved_at IS NULL
                   AND (($3 IS NULL AND team_id IS NULL) OR team_id = $3)"
            )
            .bind(now)
            .bind(id)
            .bind(team)
        )?;
        Ok(n == 1)
    }
}
