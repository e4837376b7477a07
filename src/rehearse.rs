//! `valgvagt rehearse`: runs the published workflows over a generated
//! election on the virtual clock, with the dev SMS gateway and simulated
//! people, in a database of its own (real data is never touched), and
//! prints a timeline and a summary.
//!
//! The clock moves in steps; after each step the ticker runs and every
//! queued job runs before the next step, in this process and in order
//! ([`crate::jobs::in_process`]): the engine calls of the apalis workers,
//! without their polling. The database is a scratch file whose commits
//! are not flushed to disk. Each person who gets a
//! question answers by SMS according to the shares given: yes or no within
//! a few hours, yes after five to eight days (late), or never.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::app::{self, Config, SmsConfig};
use crate::clock::Clock;
use crate::engine::{Assignment, Engine};
use crate::store::inbound::NewInbound;
use crate::store::standby::NewStandby;
use crate::store::{Db, Tx};
use crate::{generate, q};

#[derive(clap::Args, Debug, Clone)]
pub struct RehearseArgs {
    /// Seats of the generated election, each given a person at the start.
    #[arg(long, default_value_t = 5_000)]
    pub seats: usize,
    /// Polling stations the seats are spread over.
    #[arg(long, default_value_t = 250)]
    pub stations: usize,
    /// People on standby for any seat on election day.
    #[arg(long, default_value_t = 500)]
    pub standby: usize,
    /// The first day rehearsed, at 09:00 (the election is on 2029-11-20).
    #[arg(long, default_value = "2029-11-13")]
    pub from: NaiveDate,
    /// The last day rehearsed, until midnight.
    #[arg(long, default_value = "2029-11-20")]
    pub to: NaiveDate,
    /// Share of people who answer yes within hours.
    #[arg(long, default_value_t = 0.70)]
    pub yes: f64,
    /// Share who answer no within hours.
    #[arg(long, default_value_t = 0.15)]
    pub no: f64,
    /// Share who answer yes five to eight days later; the rest never answer.
    #[arg(long, default_value_t = 0.10)]
    pub late: f64,
    /// Minutes the clock moves per step.
    #[arg(long, default_value_t = 60)]
    pub step_minutes: i64,
    /// Seed of the simulated people's choices: the same seed and options
    /// give the same rehearsal, message for message.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Keep the rehearsal's database at this path (SQLite) to look at it.
    #[arg(long)]
    pub keep: Option<std::path::PathBuf>,
}

/// What a rehearsal did, as read from its database at the end.
#[derive(Debug, Clone, Default)]
pub struct Rehearsal {
    pub election_id: i64,
    /// Per local day: messages sent per template, answers received.
    pub timeline: BTreeMap<NaiveDate, Day>,
    /// (template, channel) → messages.
    pub messages: BTreeMap<(String, String), i64>,
    /// station → (confirmed, invited, vacant).
    pub stations: BTreeMap<String, (i64, i64, i64)>,
    /// Seats filled from standby.
    pub replacements: i64,
    /// What the secretariat was asked to look at: message → count.
    pub secretariat: BTreeMap<String, i64>,
    pub wall: Duration,
}

#[derive(Debug, Clone, Default)]
pub struct Day {
    pub sent: BTreeMap<String, i64>,
    pub answers: i64,
}

impl Rehearsal {
    /// Seats per status over all stations: (confirmed, invited, vacant).
    pub fn totals(&self) -> (i64, i64, i64) {
        self.stations
            .values()
            .fold((0, 0, 0), |t, s| (t.0 + s.0, t.1 + s.1, t.2 + s.2))
    }

    pub fn print(&self) {
        println!("timeline (Copenhagen days):");
        for (day, d) in &self.timeline {
            let sent: Vec<String> = d.sent.iter().map(|(t, n)| format!("{t} {n}")).collect();
            println!(
                "  {day}  answers {:>5}  sent: {}",
                d.answers,
                if sent.is_empty() {
                    "-".to_string()
                } else {
                    sent.join(", ")
                }
            );
        }
        println!("messages per template and channel:");
        for ((template, channel), n) in &self.messages {
            println!("  {template:<24} {channel:<6} {n:>6}");
        }
        println!("seats per station (confirmed / invited / vacant):");
        for (station, (c, i, v)) in &self.stations {
            println!("  {station:<16} {c:>4} {i:>4} {v:>4}");
        }
        let (c, i, v) = self.totals();
        println!(
            "seats: {} in all, {c} confirmed, {i} invited, {v} vacant",
            c + i + v
        );
        println!("replacements from standby: {}", self.replacements);
        println!("the secretariat was asked:");
        for (message, n) in &self.secretariat {
            println!("  {n:>6} × {message}");
        }
        println!("rehearsed in {:.1} s", self.wall.as_secs_f64());
    }
}

/// Runs a rehearsal in a fresh SQLite database and reports on it.
pub async fn rehearse(base: &Config, args: &RehearseArgs) -> anyhow::Result<Rehearsal> {
    anyhow::ensure!(args.from <= args.to, "--from must not be after --to");
    anyhow::ensure!(
        args.yes + args.no + args.late <= 1.0,
        "--yes, --no and --late add up to more than 1"
    );
    anyhow::ensure!(args.step_minutes > 0, "--step-minutes must be positive");
    let started = Instant::now();
    let temp = std::env::temp_dir().join(format!("valgvagt-rehearse-{}", crate::engine::new_key()));
    std::fs::create_dir_all(&temp)?;
    let path = match &args.keep {
        Some(p) => {
            anyhow::ensure!(!p.exists(), "{} exists already", p.display());
            p.clone()
        }
        None => temp.join("rehearsal.db"),
    };
    let tz = chrono_tz::Europe::Copenhagen;
    let at = |d: NaiveDate, h: u32| {
        crate::workflow::local_instant(d.and_hms_opt(h, 0, 0).unwrap_or_default(), tz)
    };
    let clock = Clock::manual(at(args.from, 9));
    let mut config = base.clone();
    config.database_url = format!("sqlite://{}", path.display());
    config.clock = clock.clone();
    config.sms = SmsConfig::Dev;
    config.tick_every = None;
    let db = Db::connect_scratch(&path).await?;
    db.migrate().await?;
    crate::jobs::setup(&db).await?;
    let engine = app::engine(&config, db.clone()).await?;
    let mut report = run(&engine, &db, args, at(args.to + chrono::Days::new(1), 0)).await?;
    report.wall = started.elapsed();
    let _ = std::fs::remove_dir_all(&temp);
    Ok(report)
}

/// A simulated person's answer, due at a time.
struct Pending {
    due: DateTime<Utc>,
    phone: String,
    body: String,
}

async fn run(
    engine: &std::sync::Arc<Engine>,
    db: &Db,
    args: &RehearseArgs,
    end: DateTime<Utc>,
) -> anyhow::Result<Rehearsal> {
    let g =
        generate::election(engine, args.seats, args.seats + args.standby, args.stations).await?;
    let now = engine.clock.now();
    let mut tx = db.begin().await?;
    for person_id in &g.people[args.seats..] {
        tx.insert_standby(
            &NewStandby {
                election_id: g.election_id,
                person_id: *person_id,
                date: generate::election_day(),
                station_id: None,
                area_id: None,
                task_type_id: None,
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    let pairs: Vec<Assignment> = g
        .seats
        .iter()
        .zip(&g.people)
        .map(|(s, p)| Assignment {
            seat_id: *s,
            person_id: *p,
        })
        .collect();
    for batch in pairs.chunks(500) {
        engine.assign_many(batch, "rehearsal").await?;
    }
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut seen_questions = HashSet::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut last_outbox = 0;
    let mut next_id = 0u64;
    let step = chrono::Duration::minutes(args.step_minutes);
    loop {
        crate::jobs::in_process::run_queued(engine).await?;
        // The people read what reached them and decide.
        let mut tx = db.read().await?;
        for (outbox_id, question_id, code, phone) in asked_since(&mut tx, last_outbox).await? {
            last_outbox = outbox_id;
            if !seen_questions.insert(question_id) {
                continue;
            }
            let roll: f64 = rng.random();
            let hours = |rng: &mut StdRng, lo: i64, hi: i64| {
                chrono::Duration::minutes(rng.random_range(lo * 60..hi * 60))
            };
            let (delay, word) = if roll < args.yes {
                (hours(&mut rng, 0, 6), "JA")
            } else if roll < args.yes + args.no {
                (hours(&mut rng, 0, 6), "NEJ")
            } else if roll < args.yes + args.no + args.late {
                (hours(&mut rng, 5 * 24, 8 * 24), "JA")
            } else {
                continue;
            };
            pending.push(Pending {
                due: engine.clock.now() + delay,
                phone,
                body: format!("{word} {code}"),
            });
        }
        drop(tx);
        let now = engine.clock.now();
        let (due, later): (Vec<Pending>, Vec<Pending>) =
            pending.into_iter().partition(|p| p.due <= now);
        pending = later;
        for p in due {
            next_id += 1;
            let id = format!("rehearsal-{next_id}");
            engine
                .receive_sms(&NewInbound {
                    provider: "rehearsal",
                    provider_message_id: &id,
                    sender: &p.phone,
                    receiver: None,
                    body: &p.body,
                })
                .await?;
        }
        // Handled at the time they arrive, before the clock moves on.
        crate::jobs::in_process::run_queued(engine).await?;
        if now >= end {
            break;
        }
        engine.clock.advance(step.min(end - now));
        crate::jobs::ticker::tick(engine).await?;
    }
    crate::jobs::in_process::run_queued(engine).await?;
    report(db, g.election_id).await
}

/// Questions sent by SMS after outbox row `after`: (outbox id, question
/// id, code, phone), in order.
async fn asked_since(tx: &mut Tx, after: i64) -> sqlx::Result<Vec<(i64, i64, String, String)>> {
    q!(
        tx,
        fetch_all,
        sqlx::query_as(
            "SELECT o.id, q.id, q.code, o.recipient FROM outbox o
             JOIN questions q ON q.id = o.question_id
             WHERE o.id > $1 AND o.channel = 'sms' ORDER BY o.id"
        )
        .bind(after)
    )
}

async fn report(db: &Db, election_id: i64) -> anyhow::Result<Rehearsal> {
    let tz = chrono_tz::Europe::Copenhagen;
    let mut tx = db.read().await?;
    let mut r = Rehearsal {
        election_id,
        ..Default::default()
    };
    let sent: Vec<(DateTime<Utc>, String, String)> = q!(
        &mut tx,
        fetch_all,
        sqlx::query_as("SELECT created_at, template, channel FROM outbox")
    )?;
    for (at, template, channel) in sent {
        let day = r
            .timeline
            .entry(at.with_timezone(&tz).date_naive())
            .or_default();
        *day.sent.entry(template.clone()).or_default() += 1;
        *r.messages.entry((template, channel)).or_default() += 1;
    }
    let received: Vec<DateTime<Utc>> = q!(
        &mut tx,
        fetch_all,
        sqlx::query_scalar("SELECT received_at FROM inbound")
    )?;
    for at in received {
        r.timeline
            .entry(at.with_timezone(&tz).date_naive())
            .or_default()
            .answers += 1;
    }
    let seats: Vec<(String, String, i64)> = q!(
        &mut tx,
        fetch_all,
        sqlx::query_as(
            "SELECT st.name, s.status, COUNT(*) FROM seats s JOIN stations st ON st.id = s.station_id
             WHERE s.election_id = $1 GROUP BY st.name, s.status"
        )
        .bind(election_id)
    )?;
    for (station, status, n) in seats {
        let e = r.stations.entry(station).or_default();
        match status.as_str() {
            "confirmed" => e.0 += n,
            "invited" => e.1 += n,
            _ => e.2 += n,
        }
    }
    r.replacements = q!(
        &mut tx,
        fetch_one,
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM seat_history WHERE event = 'assigned' AND detail = 'standby'"
        )
    )?;
    let notes: Vec<(String, i64)> = q!(
        &mut tx,
        fetch_all,
        sqlx::query_as("SELECT message, COUNT(*) FROM notifications GROUP BY message")
    )?;
    r.secretariat = notes.into_iter().collect();
    Ok(r)
}
