//! Demo data: an election with stations, people and seats, and the first
//! people invited, so that the dev phone page has something to show.

use crate::engine::Engine;
use crate::import;

/// Seeds the demo election unless the database has an election already.
/// Returns the new election's id.
pub async fn seed(engine: &Engine) -> anyhow::Result<Option<i64>> {
    let mut tx = engine.db.read().await?;
    if !tx.elections().await?.is_empty() {
        return Ok(None);
    }
    drop(tx);
    let file = import::parse(include_str!("demo.yaml"))?;
    let summary = import::import(&engine.db, &engine.clock, &file).await?;
    let mut tx = engine.db.read().await?;
    let seats = tx.seats_of_election(summary.election_id, 0, 100).await?;
    let people = tx.people(0, 100).await?;
    drop(tx);
    // Three people are invited (Carla in English); Dennis is left for
    // trying an assignment through the API.
    for (seat, person) in seats.iter().zip(people.iter().take(3)) {
        engine.assign(seat.id, person.id, "demo").await?;
    }
    Ok(Some(summary.election_id))
}
