//! The admin's people list: one page of people matching a filter, with
//! how many match in all.

use chrono::NaiveDate;
use serde::Serialize;

use super::Tx;
use crate::q;

/// What the people list is narrowed to. Seat conditions look at seats on
/// `date`, or from `today` on when no date is chosen.
#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    /// Part of the name, any case.
    pub name: Option<String>,
    pub team_id: Option<i64>,
    pub seat: Option<SeatHeld>,
    pub date: Option<NaiveDate>,
    /// `sms`, `email` or `telegram`.
    pub channel: Option<String>,
    /// Only those who sent STOP (true) or only those who did not.
    pub opted_out: Option<bool>,
}

/// A person's seats as the filter asks for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatHeld {
    /// No seat (on the date, or to come).
    None,
    Invited,
    Confirmed,
    /// Any seat, invited or confirmed.
    Any,
}

impl SeatHeld {
    pub fn parse(s: &str) -> Option<SeatHeld> {
        Some(match s {
            "none" => SeatHeld::None,
            "invited" => SeatHeld::Invited,
            "confirmed" => SeatHeld::Confirmed,
            "any" => SeatHeld::Any,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SeatHeld::None => "none",
            SeatHeld::Invited => "invited",
            SeatHeld::Confirmed => "confirmed",
            SeatHeld::Any => "any",
        }
    }
}

/// A person as the people list shows them.
#[derive(Clone, Serialize, sqlx::FromRow)]
pub struct ListedPerson {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub preferred_channel: String,
    pub sms_opt_out: bool,
    #[sqlx(skip)]
    pub teams: Vec<String>,
}

/// One page of the list and the number matching the filter.
pub struct PeoplePage {
    pub people: Vec<ListedPerson>,
    pub total: i64,
}

const MATCHING: &str = "FROM people p
     WHERE ($1 IS NULL OR LOWER(p.name) LIKE $1)
       AND ($2 IS NULL OR EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = $2 AND m.person_id = p.id))
       AND ($3 IS NULL OR p.preferred_channel = $3)
       AND ($4 IS NULL OR p.sms_opt_out = $4)
       AND ($5 IS NULL OR ($5 = 'none') = (NOT EXISTS (
             SELECT 1 FROM seats s WHERE s.person_id = p.id AND s.date >= $6
               AND ($7 IS NULL OR s.date <= $7)
               AND ($5 IN ('none', 'any') OR s.status = $5))))";

impl Tx {
    /// People matching `f`, by name, `limit` from `offset`, with their
    /// teams (only `f.team_id` when a team's responsible asks: another
    /// party's membership is political affiliation).
    pub async fn people_page(
        &mut self,
        f: &PeopleFilter,
        today: NaiveDate,
        offset: i64,
        limit: i64,
    ) -> sqlx::Result<PeoplePage> {
        let pattern = f
            .name
            .as_deref()
            .map(|n| format!("%{}%", n.to_lowercase().replace(['%', '_'], "")));
        let from = f.date.unwrap_or(today);
        let seat = f.seat.map(SeatHeld::as_str);
        macro_rules! bound {
            ($query:expr) => {
                $query
                    .bind(&pattern)
                    .bind(f.team_id)
                    .bind(f.channel.as_deref())
                    .bind(f.opted_out)
                    .bind(seat)
                    .bind(from)
                    .bind(f.date)
            };
        }
        let count_sql = format!("SELECT COUNT(*) {MATCHING}");
        let total: i64 = q!(
            self,
            fetch_one,
            bound!(sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.as_str())))
        )?;
        let page_sql = format!(
            "SELECT p.id, p.name, p.phone, p.email, p.preferred_channel, p.sms_opt_out {MATCHING}
             ORDER BY p.name, p.id LIMIT $8 OFFSET $9"
        );
        let mut people: Vec<ListedPerson> = q!(
            self,
            fetch_all,
            bound!(sqlx::query_as(sqlx::AssertSqlSafe(page_sql.as_str())))
                .bind(limit)
                .bind(offset)
        )?;
        if !people.is_empty() {
            let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
            let sql = format!(
                "SELECT m.person_id, t.name FROM team_members m JOIN teams t ON t.id = m.team_id
                 WHERE ($1 IS NULL OR m.team_id = $1) AND m.person_id IN {} ORDER BY t.name",
                super::placeholders(2, ids.len(), 1)
            );
            let memberships: Vec<(i64, String)> = q!(
                self,
                fetch_all,
                ids.iter().fold(
                    sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(f.team_id),
                    |q, id| q.bind(*id)
                )
            )?;
            for p in &mut people {
                p.teams = memberships
                    .iter()
                    .filter(|(id, _)| *id == p.id)
                    .map(|(_, t)| t.clone())
                    .collect();
            }
        }
        Ok(PeoplePage { people, total })
    }
}
