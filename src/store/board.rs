//! What the secretariat's staffing board and a seat's page read: seats per
//! station and status, standby per station, a seat's messages and
//! answers, and the audit log.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Serialize;

use super::Tx;
use crate::q;

/// Which seats the board counts. A role's scope is applied by setting
/// `team_id` or `station_id`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BoardFilter {
    pub election_id: i64,
    pub area_id: Option<i64>,
    pub station_id: Option<i64>,
    pub team_id: Option<i64>,
    pub task_type_id: Option<i64>,
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StationCounts {
    pub station_id: i64,
    pub station: String,
    pub area_id: i64,
    pub area: String,
    pub vacant: i64,
    pub invited: i64,
    pub confirmed: i64,
}

/// A standby entry: person, date, and the station, area and task type it
/// is for (each `None` for any).
type PoolEntry = (i64, NaiveDate, Option<i64>, Option<i64>, Option<i64>);

/// The people on standby who could take the board's seats.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StandbyCounts {
    pub per_station: std::collections::HashMap<i64, i64>,
    /// Each person once, however many stations they could go to.
    pub total: i64,
    /// Teams by name.
    pub per_team: Vec<TeamStandby>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamStandby {
    pub team_id: i64,
    pub team: String,
    pub people: i64,
}

/// A seat as a station's list shows it.
#[derive(Clone, Serialize, sqlx::FromRow)]
pub struct SeatLine {
    pub seat_id: i64,
    pub station_id: i64,
    pub code: Option<String>,
    pub date: NaiveDate,
    pub task_type: String,
    pub start_time: NaiveTime,
    pub team_id: i64,
    pub team: String,
    pub status: String,
    pub person_id: Option<i64>,
    pub person: Option<String>,
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// A message about a seat, as its history shows it.
#[derive(Clone, Serialize, sqlx::FromRow)]
pub struct SeatMessage {
    pub id: i64,
    pub person_id: Option<i64>,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub status: String,
    pub delivery: Option<String>,
    pub provider: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub body: String,
}

/// An answer that changed a seat: its history entry with what came in.
#[derive(Clone, Serialize, sqlx::FromRow)]
pub struct SeatEvent {
    pub id: i64,
    pub person_id: Option<i64>,
    pub person: Option<String>,
    pub at: DateTime<Utc>,
    pub event: String,
    pub channel: Option<String>,
    pub detail: Option<String>,
    pub inbound_id: Option<i64>,
    pub sender: Option<String>,
    pub provider: Option<String>,
    pub body: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// The start of the action (`seat.` matches every seat action).
    pub action: Option<String>,
    pub seat_id: Option<i64>,
    pub person_id: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Events older than this id (the next page).
    pub before: Option<i64>,
}

/// An audit event with the names of those it is about (no `Debug` of
/// the names: they are personal data).
#[derive(Clone, Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub seat_id: Option<i64>,
    pub person_id: Option<i64>,
    pub instance_id: Option<i64>,
    pub detail: Option<String>,
    /// The name of the user or person the actor names (`user:3`,
    /// `person:7`), when there is one.
    pub actor_name: Option<String>,
    pub person_name: Option<String>,
    pub station: Option<String>,
    pub task_type: Option<String>,
    pub seat_date: Option<NaiveDate>,
}

impl std::fmt::Debug for AuditEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditEvent#{} {}", self.id, self.action)
    }
}

const SEAT_FILTER: &str = "s.election_id = $1
    AND ($2 IS NULL OR st.area_id = $2)
    AND ($3 IS NULL OR s.station_id = $3)
    AND ($4 IS NULL OR s.team_id = $4)
    AND ($5 IS NULL OR s.task_type_id = $5)
    AND ($6 IS NULL OR s.date = $6)";

macro_rules! bind_filter {
    ($query:expr, $f:expr) => {
        $query
            .bind($f.election_id)
            .bind($f.area_id)
            .bind($f.station_id)
            .bind($f.team_id)
            .bind($f.task_type_id)
            .bind($f.date)
    };
}

impl Tx {
    /// Seats per station and status, stations by area and name.
    pub async fn board_counts(&mut self, f: &BoardFilter) -> sqlx::Result<Vec<StationCounts>> {
        let sql = format!(
            "SELECT st.id AS station_id, st.name AS station, a.id AS area_id, a.name AS area,
                    SUM(CASE WHEN s.status = 'vacant' THEN 1 ELSE 0 END) AS vacant,
                    SUM(CASE WHEN s.status = 'invited' THEN 1 ELSE 0 END) AS invited,
                    SUM(CASE WHEN s.status = 'confirmed' THEN 1 ELSE 0 END) AS confirmed
             FROM seats s JOIN stations st ON st.id = s.station_id JOIN areas a ON a.id = st.area_id
             WHERE {SEAT_FILTER}
             GROUP BY st.id, st.name, a.id, a.name
             ORDER BY a.name, st.name"
        );
        q!(
            self,
            fetch_all,
            bind_filter!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), f)
        )
    }

    /// The people on standby who could take one of the filter's seats:
    /// on standby for its date and for it (its station, its area, its task
    /// type, or any seat), a member of its team, and holding no seat that
    /// day. Counted per station, in all (each person once), and per team.
    pub async fn board_standby(&mut self, f: &BoardFilter) -> sqlx::Result<StandbyCounts> {
        // The kinds of seat the filter covers: few, however many seats.
        let sql = format!(
            "SELECT DISTINCT s.station_id, st.area_id, s.date, s.task_type_id, s.team_id
             FROM seats s JOIN stations st ON st.id = s.station_id
             WHERE {SEAT_FILTER}"
        );
        let kinds: Vec<(i64, i64, NaiveDate, i64, i64)> = q!(
            self,
            fetch_all,
            bind_filter!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), f)
        )?;
        let pool: Vec<PoolEntry> = q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT sb.person_id, sb.date, sb.station_id, sb.area_id, sb.task_type_id
                 FROM standby sb
                 WHERE sb.election_id = $1 AND ($2 IS NULL OR sb.date = $2)
                   AND NOT EXISTS (
                       SELECT 1 FROM seats h WHERE h.person_id = sb.person_id AND h.date = sb.date)"
            )
            .bind(f.election_id)
            .bind(f.date)
        )?;
        let members: std::collections::HashSet<(i64, i64)> = self
            .standby_memberships(f.election_id)
            .await?
            .into_iter()
            .collect();
        let teams: std::collections::HashMap<i64, String> = self
            .teams()
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        let mut per_station: std::collections::HashMap<i64, std::collections::HashSet<i64>> =
            Default::default();
        let mut per_team: std::collections::BTreeMap<i64, std::collections::HashSet<i64>> =
            Default::default();
        let mut everyone = std::collections::HashSet::new();
        for (person, date, station, area, task_type) in &pool {
            for (k_station, k_area, k_date, k_task_type, k_team) in &kinds {
                let fits = date == k_date
                    && station.is_none_or(|s| s == *k_station)
                    && area.is_none_or(|a| a == *k_area)
                    && task_type.is_none_or(|t| t == *k_task_type)
                    && members.contains(&(*person, *k_team));
                if fits {
                    per_station.entry(*k_station).or_default().insert(*person);
                    per_team.entry(*k_team).or_default().insert(*person);
                    everyone.insert(*person);
                }
            }
        }
        let mut per_team: Vec<TeamStandby> = per_team
            .into_iter()
            .map(|(team_id, people)| TeamStandby {
                team: teams.get(&team_id).cloned().unwrap_or_default(),
                team_id,
                people: people.len() as i64,
            })
            .collect();
        per_team.sort_by(|a, b| a.team.cmp(&b.team));
        Ok(StandbyCounts {
            per_station: per_station
                .into_iter()
                .map(|(s, p)| (s, p.len() as i64))
                .collect(),
            total: everyone.len() as i64,
            per_team,
        })
    }

    /// The seats the filter names, by station, date, task type and code.
    pub async fn board_seats(
        &mut self,
        f: &BoardFilter,
        limit: i64,
    ) -> sqlx::Result<Vec<SeatLine>> {
        let sql = format!(
            "SELECT s.id AS seat_id, s.station_id, s.code, s.date, tt.name AS task_type,
                    tt.start_time, s.team_id, t.name AS team, s.status, s.person_id,
                    p.name AS person, s.checked_in_at
             FROM seats s JOIN stations st ON st.id = s.station_id
             JOIN task_types tt ON tt.id = s.task_type_id JOIN teams t ON t.id = s.team_id
             LEFT JOIN people p ON p.id = s.person_id
             WHERE {SEAT_FILTER}
             ORDER BY st.name, s.date, tt.start_time, tt.name, s.id
             LIMIT $7"
        );
        q!(
            self,
            fetch_all,
            bind_filter!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), f).bind(limit)
        )
    }

    /// The dates an election has seats on.
    pub async fn seat_dates(&mut self, election_id: i64) -> sqlx::Result<Vec<NaiveDate>> {
        q!(
            self,
            fetch_all,
            sqlx::query_scalar(
                "SELECT DISTINCT date FROM seats WHERE election_id = $1 ORDER BY date"
            )
            .bind(election_id)
        )
    }

    /// Every message about a seat, oldest first.
    pub async fn seat_messages(&mut self, seat_id: i64) -> sqlx::Result<Vec<SeatMessage>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT id, person_id, channel, recipient, template, status, delivery, provider,
                        created_at, sent_at, body
                 FROM outbox WHERE seat_id = $1 ORDER BY id"
            )
            .bind(seat_id)
        )
    }

    /// A seat's history with the person's name and, for an answer, what
    /// came in and from which number or chat.
    pub async fn seat_events(&mut self, seat_id: i64) -> sqlx::Result<Vec<SeatEvent>> {
        self.flush().await?;
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT h.id, h.person_id, p.name AS person, h.at, h.event, h.channel, h.detail,
                        h.inbound_id, i.sender, i.provider, i.body
                 FROM seat_history h LEFT JOIN people p ON p.id = h.person_id
                 LEFT JOIN inbound i ON i.id = h.inbound_id
                 WHERE h.seat_id = $1 ORDER BY h.id"
            )
            .bind(seat_id)
        )
    }

    /// Audit events, newest first.
    pub async fn audit_events(
        &mut self,
        f: &AuditFilter,
        limit: i64,
    ) -> sqlx::Result<Vec<AuditEvent>> {
        self.flush().await?;
        let action = f.action.as_ref().map(|a| {
            let escaped = a
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("{escaped}%")
        });
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT a.id, a.at, a.actor, a.action, a.seat_id, a.person_id, a.instance_id, a.detail,
                        COALESCE(
                            (SELECT u.name FROM users u WHERE a.actor = 'user:' || CAST(u.id AS TEXT)),
                            (SELECT x.name FROM people x WHERE a.actor = 'person:' || CAST(x.id AS TEXT) AND x.id = a.person_id)
                        ) AS actor_name,
                        p.name AS person_name, st.name AS station, tt.name AS task_type, s.date AS seat_date
                 FROM (SELECT * FROM audit_events
                       WHERE ($1 IS NULL OR actor = $1)
                         AND ($2 IS NULL OR action LIKE $2 ESCAPE '\\')
                         AND ($3 IS NULL OR seat_id = $3)
                         AND ($4 IS NULL OR person_id = $4)
                         AND ($5 IS NULL OR at >= $5)
                         AND ($6 IS NULL OR at < $6)
                         AND ($7 IS NULL OR id < $7)
                       ORDER BY id DESC LIMIT $8) a
                 LEFT JOIN people p ON p.id = a.person_id
                 LEFT JOIN seats s ON s.id = a.seat_id
                 LEFT JOIN stations st ON st.id = s.station_id
                 LEFT JOIN task_types tt ON tt.id = s.task_type_id
                 ORDER BY a.id DESC"
            )
            .bind(&f.actor)
            .bind(action)
            .bind(f.seat_id)
            .bind(f.person_id)
            .bind(f.from)
            .bind(f.to)
            .bind(f.before)
            .bind(limit)
        )
    }

    /// People free on `date` (no seat that day) whose name contains
    /// `name`, by name; only the team's members when `team_id` is given.
    pub async fn free_people_on(
        &mut self,
        date: NaiveDate,
        team_id: Option<i64>,
        name: Option<&str>,
        limit: i64,
    ) -> sqlx::Result<Vec<(i64, String)>> {
        let pattern = name.map(|n| format!("%{}%", n.to_lowercase().replace(['%', '_'], "")));
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT p.id, p.name FROM people p
                 WHERE NOT EXISTS (SELECT 1 FROM seats s WHERE s.person_id = p.id AND s.date = $1)
                   AND ($2 IS NULL OR EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = $2 AND m.person_id = p.id))
                   AND ($3 IS NULL OR LOWER(p.name) LIKE $3)
                 ORDER BY p.name, p.id LIMIT $4"
            )
            .bind(date)
            .bind(team_id)
            .bind(pattern)
            .bind(limit)
        )
    }
}
