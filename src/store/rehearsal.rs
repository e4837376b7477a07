//! What `valgvagt rehearse` reads of its own scratch database: the seats
//! its simulated people act on, and its report per party.

use chrono::NaiveDate;

use super::Tx;
use crate::q;

/// A held seat as a simulated person sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeldSeat {
    pub seat_id: i64,
    pub person_id: i64,
    pub phone: String,
    pub station_id: i64,
    pub code: Option<String>,
    pub date: NaiveDate,
}

impl Tx {
    /// The seats of an election with a given status and a person with a
    /// phone, in seat order.
    pub async fn held_seats(
        &mut self,
        election_id: i64,
        status: &str,
    ) -> sqlx::Result<Vec<HeldSeat>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT s.id AS seat_id, p.id AS person_id, p.phone, s.station_id, s.code, s.date
                 FROM seats s JOIN people p ON p.id = s.person_id
                 WHERE s.election_id = $1 AND s.status = $2 AND p.phone IS NOT NULL
                 ORDER BY s.id"
            )
            .bind(election_id)
            .bind(status)
        )
    }

    /// Per party: seats by status, `(team, status, n)`.
    pub async fn seats_per_party(
        &mut self,
        election_id: i64,
    ) -> sqlx::Result<Vec<(String, String, i64)>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT t.name, s.status, COUNT(*) FROM seats s JOIN teams t ON t.id = s.team_id
                 WHERE s.election_id = $1 GROUP BY t.name, s.status"
            )
            .bind(election_id)
        )
    }

    /// Per party: seat-history events of a kind (with a detail, when
    /// given), `(team, n)`.
    pub async fn history_per_party(
        &mut self,
        election_id: i64,
        event: &str,
        detail: Option<&str>,
    ) -> sqlx::Result<Vec<(String, i64)>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT t.name, COUNT(*) FROM seat_history h
                 JOIN seats s ON s.id = h.seat_id JOIN teams t ON t.id = s.team_id
                 WHERE s.election_id = $1 AND h.event = $2 AND ($3 IS NULL OR h.detail = $3)
                 GROUP BY t.name"
            )
            .bind(election_id)
            .bind(event)
            .bind(detail)
        )
    }

    /// Per party: seats on `date` whose person has not said yes.
    pub async fn invited_per_party_on(
        &mut self,
        election_id: i64,
        date: NaiveDate,
    ) -> sqlx::Result<Vec<(String, i64)>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT t.name, COUNT(*) FROM seats s JOIN teams t ON t.id = s.team_id
                 WHERE s.election_id = $1 AND s.date = $2 AND s.status = 'invited'
                 GROUP BY t.name"
            )
            .bind(election_id)
            .bind(date)
        )
    }
}
