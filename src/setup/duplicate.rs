//! A new election copied from an earlier one: the same type, the same
//! window around its election day, and the same seats (station, team, task
//! type) on the same days relative to the election day, all vacant. People,
//! answers and standby pools are not copied: they are this election's own.

use chrono::{DateTime, NaiveDate, Utc};

use crate::store::Tx;
use crate::store::directory::NewElection;
use crate::store::seats::NewSeat;

pub struct Copied {
    pub election_id: i64,
    pub seats: usize,
}

/// Copies election `from` as `title` on `election_day`, in the caller's
/// transaction. `None` if `from` does not exist.
pub async fn duplicate(
    tx: &mut Tx,
    from: i64,
    title: &str,
    election_day: NaiveDate,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Copied>> {
    let Some(old) = tx.election(from).await? else {
        return Ok(None);
    };
    let shift = election_day - old.election_day;
    let election_id = tx
        .insert_election(
            &NewElection {
                title,
                election_type_id: old.election_type_id,
                starts_on: old.starts_on + shift,
                election_day,
                ends_on: old.ends_on + shift,
                lock_days: old.lock_days,
                time_zone: &old.time_zone,
            },
            now,
        )
        .await?;
    let seats = tx.seat_blueprints(from).await?;
    for s in &seats {
        tx.insert_seat(
            &NewSeat {
                election_id,
                station_id: s.station_id,
                task_type_id: s.task_type_id,
                team_id: s.team_id,
                date: s.date + shift,
            },
            now,
        )
        .await?;
    }
    Ok(Some(Copied {
        election_id,
        seats: seats.len(),
    }))
}
