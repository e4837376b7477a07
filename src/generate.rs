//! A generated election for the benchmark and the rehearsal: seats spread
//! over stations, and adults with distinct, valid CPR numbers and phones.

use crate::engine::Engine;

/// The election day of every generated election.
pub fn election_day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2029, 11, 20).unwrap_or_default()
}

/// The parties of a generated election, in order.
pub const PARTIES: [&str; 8] = [
    "Socialdemokratiet",
    "Venstre",
    "Konservative",
    "SF",
    "Enhedslisten",
    "Radikale Venstre",
    "Dansk Folkeparti",
    "Borgerlisten",
];

pub struct Generated {
    pub election_id: i64,
    /// The seats, in id order.
    pub seats: Vec<i64>,
    /// The people, in id order.
    pub people: Vec<i64>,
    /// The people's phones, in the people's order.
    pub phones: Vec<String>,
    /// The stations, in id order.
    pub stations: Vec<i64>,
}

/// An election on [`election_day`] with `seats` seats over `stations`
/// stations (one area, one team, one task type) and `people` people, all
/// members of the team.
pub async fn election(
    engine: &Engine,
    seats: usize,
    people: usize,
    stations: usize,
) -> anyhow::Result<Generated> {
    election_of_parties(engine, seats, people, stations, 0).await
}

/// The same, with the seats shared in turn between the first `parties` of
/// [`PARTIES`] (none: one generated team). Seat `i` and person `i` belong
/// to the same party, so the first `seats` people fit the seats in order
/// and the rest are spread over the parties in turn.
pub async fn election_of_parties(
    engine: &Engine,
    seats: usize,
    people: usize,
    stations: usize,
    parties: usize,
) -> anyhow::Result<Generated> {
    let now = engine.clock.now();
    let day = election_day();
    let mut tx = engine.db.begin().await?;
    let type_id = tx.upsert_election_type("Generated", 18).await?;
    let election_id = tx
        .insert_election(
            &crate::store::directory::NewElection {
                title: "Generated election",
                election_type_id: type_id,
                starts_on: day,
                election_day: day,
                ends_on: day,
                lock_days: 0,
                time_zone: "Europe/Copenhagen",
            },
            now,
        )
        .await?;
    // What it generates is meant to run at once.
    tx.set_election_active(election_id, true).await?;
    let area = tx.upsert_area("Generated area").await?;
    let mut station_ids = Vec::new();
    for i in 1..=stations.max(1) {
        station_ids.push(
            tx.upsert_station(
                area,
                &format!("Valgsted {i}"),
                &format!("Valgvej {i}"),
                None,
            )
            .await?,
        );
    }
    let mut teams = Vec::new();
    if parties == 0 {
        teams.push(tx.upsert_team("Generated team").await?);
    }
    for name in PARTIES.iter().take(parties) {
        teams.push(tx.upsert_team(name).await?);
    }
    let task_type = tx
        .upsert_task_type(&crate::store::directory::NewTaskType {
            name: "Tilforordnet",
            start_time: chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            end_time: chrono::NaiveTime::from_hms_opt(20, 0, 0).unwrap_or_default(),
            payment_ore: 45_000,
            trusted: false,
        })
        .await?;
    tx.commit().await?;
    let mut out = Generated {
        election_id,
        seats: Vec::with_capacity(seats),
        people: Vec::with_capacity(people),
        phones: Vec::with_capacity(people),
        stations: station_ids.clone(),
    };
    for batch in (0..seats.max(people)).collect::<Vec<_>>().chunks(1000) {
        let mut tx = engine.db.begin().await?;
        for &i in batch {
            if i < seats {
                let seat = crate::store::seats::NewSeat {
                    election_id,
                    station_id: station_ids[i % station_ids.len()],
                    task_type_id: task_type,
                    team_id: teams[i % teams.len()],
                    date: day,
                };
                out.seats.push(tx.insert_seat(&seat, now).await?);
            }
            if i >= people {
                continue;
            }
            // Born 1970-1999: a distinct, valid CPR for each person.
            let cpr = format!(
                "{:02}{:02}{:02}{:04}",
                1 + i % 28,
                1 + (i / 28) % 12,
                70 + (i / 336) % 30,
                i % 10_000
            );
            let cpr = crate::domain::Cpr::parse(&cpr)?;
            let number = crate::domain::PhoneNumber::parse(&phone(i))?;
            let name = format!("Person {i}");
            let row = crate::store::people::NewPerson {
                name: &name,
                cpr: &cpr,
                phone: Some(&number),
                email: None,
                preferred_channel: "sms",
                language: crate::domain::Language::Da,
                facts: None,
            };
            let id = tx.upsert_person(&row, now).await?;
            tx.add_team_member(teams[i % teams.len()], id).await?;
            out.people.push(id);
            out.phones.push(phone(i));
        }
        tx.commit().await?;
    }
    Ok(out)
}

/// The phone of generated person `i`.
fn phone(i: usize) -> String {
    format!("+45{}", 30_000_000 + i)
}
