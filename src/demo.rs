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
    // Three people are invited (Carla in English); Dennis, Eva and Frede
    // are left for the README's tour of the API.
    for (seat, person) in seats.iter().zip(people.iter().take(3)) {
        engine.assign(seat.id, person.id, "demo").await?;
    }
    Ok(Some(summary.election_id))
}

/// The demo's secretariat user, made when the database has no users.
pub struct DemoLogin {
    pub login: &'static str,
    pub password: String,
    pub api_token: String,
}

/// Creates the demo's secretariat user `sekretariat` with a random
/// password and an API token, unless there are users already.
pub async fn seed_user(engine: &Engine) -> anyhow::Result<Option<DemoLogin>> {
    let mut tx = engine.db.read().await?;
    if tx.count_users().await? > 0 {
        return Ok(None);
    }
    drop(tx);
    let login = "sekretariat";
    let password = crate::http::admin::session::random_token()[..16].to_string();
    crate::users::create_user(
        &engine.db,
        &engine.clock,
        &crate::users::UserSpec {
            login,
            name: "Valgsekretariatet",
            password: &password,
            role: "secretariat",
            team: None,
            station: None,
            language: "da",
        },
    )
    .await?;
    let api_token = crate::users::create_api_token(&engine.db, &engine.clock, login).await?;
    Ok(Some(DemoLogin {
        login,
        password,
        api_token,
    }))
}
