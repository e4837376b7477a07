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

#[derive(Debug, PartialEq, Eq)]
pub enum CopyError {
    NoSuchElection,
    /// A date would move out of the calendar's range.
    OutOfRange,
}

/// Copies election `from` as `title` on `election_day`, in the caller's
/// transaction.
pub async fn duplicate(
    tx: &mut Tx,
    from: i64,
    title: &str,
    election_day: NaiveDate,
    now: DateTime<Utc>,
) -> sqlx::Result<Result<Copied, CopyError>> {
    let Some(old) = tx.election(from).await? else {
        return Ok(Err(CopyError::NoSuchElection));
    };
    let shift = election_day - old.election_day;
    let moved = |d: NaiveDate| d.checked_add_signed(shift);
    let (Some(starts_on), Some(ends_on)) = (moved(old.starts_on), moved(old.ends_on)) else {
        return Ok(Err(CopyError::OutOfRange));
    };
    let seats = tx.seat_blueprints(from).await?;
    let Some(dates) = seats
        .iter()
        .map(|s| moved(s.date))
        .collect::<Option<Vec<_>>>()
    else {
        return Ok(Err(CopyError::OutOfRange));
    };
    let election_id = tx
        .insert_election(
            &NewElection {
                title,
                election_type_id: old.election_type_id,
                starts_on,
                election_day,
                ends_on,
                lock_days: old.lock_days,
                time_zone: &old.time_zone,
            },
            now,
        )
        .await?;
    for (s, date) in seats.iter().zip(dates) {
        tx.insert_seat(
            &NewSeat {
                election_id,
                station_id: s.station_id,
                task_type_id: s.task_type_id,
                team_id: s.team_id,
                date,
            },
            now,
        )
        .await?;
    }
    Ok(Ok(Copied {
        election_id,
        seats: seats.len(),
    }))
}
