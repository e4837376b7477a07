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
//!
//! The seats are shared between parties, each with its own standby people.
//! Around the election the people act as on the day: some ask to swap
//! station (`SKIFT`, then the first option) four days before, some turn off
//! SMS (`STOP`) during the week, some fall ill the evening before
//! (`AFBUD`), the others check in (`MØDT`) on the morning, except a few who
//! never come and whom their station's chair reports (`UDEBLEVET S3`) at
//! 08:30. Standby people answer an offer within the hour on the day.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::app::{self, Config, SmsConfig};
use crate::clock::Clock;
use crate::domain::Language;
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
    /// Parties sharing the seats and the standby people (at most 8).
    #[arg(long, default_value_t = 4)]
    pub parties: usize,
    /// Share of confirmed people who ask to swap station four days before.
    #[arg(long, default_value_t = 0.01)]
    pub swap: f64,
    /// Share of people who text STOP during the rehearsal.
    #[arg(long, default_value_t = 0.005)]
    pub stop: f64,
    /// Share of confirmed people who text AFBUD the evening before.
    #[arg(long, default_value_t = 0.02)]
    pub sick: f64,
    /// Share of confirmed people who do not come and say nothing; their
    /// station's chair reports them with UDEBLEVET.
    #[arg(long, default_value_t = 0.02)]
    pub no_show: f64,
    /// The language the report is printed in: `en` or `da`.
    #[arg(long, default_value = "en", value_parser = parse_language)]
    pub language: Language,
    /// What one SMS part costs, in kroner (`0.25`): the report totals the
    /// price beside the parts.
    #[arg(long, env = "VALGVAGT_SMS_PART_PRICE", value_parser = crate::messages::price::parse_part_price)]
    pub sms_part_price: Option<i64>,
}

fn parse_language(s: &str) -> Result<Language, String> {
    Language::parse(s).ok_or_else(|| format!("{s:?} is no language: da or en"))
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
    /// Per party: what happened to its seats.
    pub parties: BTreeMap<String, Party>,
    /// Per seat date: seats still only invited three days before it.
    pub invited_late: BTreeMap<NaiveDate, BTreeMap<String, i64>>,
    /// What the secretariat was asked to look at: (message in English,
    /// in Danish) → count.
    pub secretariat: BTreeMap<(String, Option<String>), i64>,
    /// SMS sent, and the parts they took.
    pub sms_messages: i64,
    pub sms_parts: i64,
    /// The language the report is printed in, and the price of a part.
    pub language: Language,
    pub sms_part_price: Option<i64>,
    pub wall: Duration,
}

/// The report's words in one language.
struct Words {
    timeline: &'static str,
    answers: &'static str,
    sent: &'static str,
    per_template: &'static str,
    per_station: &'static str,
    seats: &'static str,
    in_all: &'static str,
    confirmed: &'static str,
    invited: &'static str,
    vacant: &'static str,
    replacements: &'static str,
    per_party: &'static str,
    flag: &'static str,
    invited_late: &'static str,
    sms: &'static str,
    parts: &'static str,
    costing: &'static str,
    asked: &'static str,
    rehearsed: &'static str,
}

const EN: Words = Words {
    timeline: "timeline (Copenhagen days):",
    answers: "answers",
    sent: "sent",
    per_template: "messages per template and channel:",
    per_station: "seats per station, the worst first (confirmed / invited / vacant):",
    seats: "seats",
    in_all: "in all",
    confirmed: "confirmed",
    invited: "invited",
    vacant: "vacant",
    replacements: "replacements from standby",
    per_party: "per party (seats / confirmed / from standby / cancelled / no-shows / lost):",
    flag: "flag",
    invited_late: "were still only invited three days before",
    sms: "SMS",
    parts: "parts",
    costing: "costing",
    asked: "the secretariat was asked:",
    rehearsed: "rehearsed in",
};

const DA: Words = Words {
    timeline: "forløb (dansk tid):",
    answers: "svar",
    sent: "sendt",
    per_template: "beskeder pr. skabelon og kanal:",
    per_station: "pladser pr. valgsted, de dårligste først (bekræftet / inviteret / ledig):",
    seats: "pladser",
    in_all: "i alt",
    confirmed: "bekræftet",
    invited: "inviteret",
    vacant: "ledige",
    replacements: "besat fra reserverne",
    per_party: "pr. parti (pladser / bekræftet / fra reserver / afbud / udeblevne / tabt):",
    flag: "bemærk",
    invited_late: "var stadig kun inviteret tre dage før",
    sms: "SMS",
    parts: "dele",
    costing: "pris",
    asked: "sekretariatet blev bedt om at se på:",
    rehearsed: "prøvet på",
};

/// One party's seats at the end of a rehearsal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    pub seats: i64,
    pub confirmed: i64,
    /// Filled from the party's standby people.
    pub from_standby: i64,
    /// Given up (`AFBUD`, the cancel link).
    pub cancelled: i64,
    /// Reported by the station's chair.
    pub no_shows: i64,
    /// Vacant or never confirmed at the end: lost to the party.
    pub lost: i64,
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

    /// The stations, those with the most vacant (then invited) seats
    /// first.
    pub fn worst_stations(&self) -> Vec<(&String, &(i64, i64, i64))> {
        let mut stations: Vec<_> = self.stations.iter().collect();
        stations.sort_by(|a, b| (b.1.2, b.1.1, a.0).cmp(&(a.1.2, a.1.1, b.0)));
        stations
    }

    pub fn print(&self) {
        let w = match self.language {
            Language::Da => &DA,
            Language::En => &EN,
        };
        let day_of = |d: &NaiveDate| match self.language {
            Language::Da => d.format("%d.%m.%Y").to_string(),
            Language::En => d.to_string(),
        };
        println!("{}", w.timeline);
        for (day, d) in &self.timeline {
            let sent: Vec<String> = d.sent.iter().map(|(t, n)| format!("{t} {n}")).collect();
            println!(
                "  {}  {} {:>5}  {}: {}",
                day_of(day),
                w.answers,
                d.answers,
                w.sent,
                if sent.is_empty() {
                    "-".to_string()
                } else {
                    sent.join(", ")
                }
            );
        }
        println!("{}", w.per_template);
        for ((template, channel), n) in &self.messages {
            println!("  {template:<24} {channel:<6} {n:>6}");
        }
        println!("{}", w.per_station);
        for (station, (c, i, v)) in self.worst_stations() {
            println!("  {station:<16} {c:>4} {i:>4} {v:>4}");
        }
        let (c, i, v) = self.totals();
        println!(
            "{}: {} {}, {c} {}, {i} {}, {v} {}",
            w.seats,
            c + i + v,
            w.in_all,
            w.confirmed,
            w.invited,
            w.vacant
        );
        println!("{}: {}", w.replacements, self.replacements);
        println!("{}", w.per_party);
        for (name, p) in &self.parties {
            println!(
                "  {name:<18} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5}",
                p.seats, p.confirmed, p.from_standby, p.cancelled, p.no_shows, p.lost
            );
        }
        for (date, parties) in &self.invited_late {
            let n: i64 = parties.values().sum();
            if n == 0 {
                continue;
            }
            let each: Vec<String> = parties.iter().map(|(p, n)| format!("{p} {n}")).collect();
            println!(
                "{}: {n} {} {} {} ({})",
                w.flag,
                w.seats,
                match self.language {
                    Language::Da => format!("den {}", day_of(date)),
                    Language::En => format!("on {date}"),
                },
                w.invited_late,
                each.join(", ")
            );
        }
        let cost = self
            .sms_part_price
            .map(|ore| {
                format!(
                    ", {} {}",
                    w.costing,
                    crate::messages::price::total(self.sms_parts, ore, self.language)
                )
            })
            .unwrap_or_default();
        println!(
            "{}: {} {}, {} {}{cost}",
            w.sms, self.sms_messages, w.sent, self.sms_parts, w.parts
        );
        println!("{}", w.asked);
        for ((en, da), n) in &self.secretariat {
            let message = match (self.language, da) {
                (Language::Da, Some(da)) => da,
                _ => en,
            };
            println!("  {n:>6} × {message}");
        }
        println!("{} {:.1} s", w.rehearsed, self.wall.as_secs_f64());
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
    anyhow::ensure!(
        (1..=generate::PARTIES.len()).contains(&args.parties),
        "--parties must be from 1 to {}",
        generate::PARTIES.len()
    );
    anyhow::ensure!(
        args.sick + args.no_show <= 1.0,
        "--sick and --no-show add up to more than 1"
    );
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
    engine.seed_codes(args.seed);
    let mut report = run(&engine, &db, args, at(args.to + chrono::Days::new(1), 0)).await?;
    report.wall = started.elapsed();
    report.language = args.language;
    report.sms_part_price = args.sms_part_price;
    let _ = std::fs::remove_dir_all(&temp);
    Ok(report)
}

/// A simulated person's text, due at a time.
struct Pending {
    due: DateTime<Utc>,
    phone: String,
    body: String,
}

/// The moments around the election the people act on, each once.
#[derive(Default)]
struct Moments {
    swaps: bool,
    eve: bool,
    chairs: bool,
    /// Seat dates whose three-days-before count is taken.
    counted: HashSet<NaiveDate>,
    /// Seats whose person will not come: (seat, person, chair's phone, code).
    absent: Vec<(i64, i64, String, String)>,
}

fn local(d: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    crate::workflow::local_instant(
        d.and_hms_opt(h, m, 0).unwrap_or_default(),
        chrono_tz::Europe::Copenhagen,
    )
}

/// A random moment in `[from, from + minutes)`.
fn within(rng: &mut StdRng, from: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    from + chrono::Duration::minutes(rng.random_range(0..minutes.max(1)))
}

async fn run(
    engine: &std::sync::Arc<Engine>,
    db: &Db,
    args: &RehearseArgs,
    end: DateTime<Utc>,
) -> anyhow::Result<Rehearsal> {
    let g = generate::election_of_parties(
        engine,
        args.seats,
        args.seats + args.standby,
        args.stations,
        args.parties,
    )
    .await?;
    let now = engine.clock.now();
    let day = generate::election_day();
    let mut tx = db.begin().await?;
    for person_id in &g.people[args.seats..] {
        tx.insert_standby(
            &NewStandby {
                election_id: g.election_id,
                person_id: *person_id,
                date: day,
                station_id: None,
                area_id: None,
                task_type_id: None,
            },
            now,
        )
        .await?;
    }
    // Each station's chair, who reports no-shows by SMS.
    let mut chairs = std::collections::HashMap::new();
    for (k, station) in g.stations.iter().enumerate() {
        let cpr = crate::domain::Cpr::parse(&format!(
            "{:02}{:02}6{}{:04}",
            1 + k % 28,
            1 + (k / 28) % 12,
            (k / 336) % 10,
            k % 10_000
        ))?;
        let phone = crate::domain::PhoneNumber::parse(&format!("+45{}", 40_000_000 + k))?;
        let name = format!("Valgstyrer {}", k + 1);
        let id = tx
            .upsert_person(
                &crate::store::people::NewPerson {
                    name: &name,
                    cpr: &cpr,
                    phone: Some(&phone),
                    email: None,
                    preferred_channel: "sms",
                    language: crate::domain::Language::Da,
                    facts: None,
                },
                now,
            )
            .await?;
        tx.set_station_responsible(*station, Some(id)).await?;
        chairs.insert(*station, phone.as_e164().to_string());
    }
    let dates = tx.seat_dates(g.election_id).await?;
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
    // Some turn SMS off during the week.
    let start = engine.clock.now();
    let quiet_until = local(day - chrono::Days::new(2), 0, 0).max(start);
    for phone in &g.phones[..args.seats] {
        if rng.random::<f64>() < args.stop {
            let minutes = (quiet_until - start).num_minutes();
            pending.push(Pending {
                due: within(&mut rng, start, minutes),
                phone: phone.clone(),
                body: "STOP".into(),
            });
        }
    }
    let mut moments = Moments::default();
    let mut report_invited = BTreeMap::new();
    let mut last_outbox = 0;
    let mut next_id = 0u64;
    let step = chrono::Duration::minutes(args.step_minutes);
    // Election morning moves in quarter hours.
    let (busy_from, busy_to) = (local(day, 6, 0), local(day, 16, 0));
    loop {
        crate::jobs::in_process::run_queued(engine).await?;
        let now = engine.clock.now();
        let mut tx = db.read().await?;
        for date in &dates {
            if now >= local(*date - chrono::Days::new(3), 0, 0) && moments.counted.insert(*date) {
                let per_party: BTreeMap<String, i64> = tx
                    .invited_per_party_on(g.election_id, *date)
                    .await?
                    .into_iter()
                    .collect();
                report_invited.insert(*date, per_party);
            }
        }
        if !moments.swaps && now >= local(day - chrono::Days::new(4), 10, 0) {
            moments.swaps = true;
            for seat in tx.held_seats(g.election_id, "confirmed").await? {
                if rng.random::<f64>() < args.swap {
                    pending.push(Pending {
                        due: within(&mut rng, now, 4 * 60),
                        phone: seat.phone,
                        body: "SKIFT".into(),
                    });
                }
            }
        }
        if !moments.eve && now >= local(day - chrono::Days::new(1), 18, 30) {
            moments.eve = true;
            for seat in tx.held_seats(g.election_id, "confirmed").await? {
                let roll: f64 = rng.random();
                if roll < args.sick {
                    pending.push(Pending {
                        due: within(&mut rng, now, 3 * 60),
                        phone: seat.phone,
                        body: "AFBUD".into(),
                    });
                } else if roll < args.sick + args.no_show {
                    if let (Some(chair), Some(code)) = (chairs.get(&seat.station_id), seat.code) {
                        moments
                            .absent
                            .push((seat.seat_id, seat.person_id, chair.clone(), code));
                    }
                } else {
                    pending.push(Pending {
                        due: within(&mut rng, local(seat.date, 7, 0), 55),
                        phone: seat.phone,
                        body: "MØDT".into(),
                    });
                }
            }
        }
        if !moments.chairs && now >= local(day, 8, 30) {
            moments.chairs = true;
            let still: HashSet<(i64, i64)> = tx
                .held_seats(g.election_id, "confirmed")
                .await?
                .into_iter()
                .map(|s| (s.seat_id, s.person_id))
                .collect();
            for (seat, person, chair, code) in &moments.absent {
                if still.contains(&(*seat, *person)) {
                    pending.push(Pending {
                        due: now,
                        phone: chair.clone(),
                        body: format!("UDEBLEVET {code}"),
                    });
                }
            }
        }
        // The people read what reached them and decide.
        for asked in asked_since(&mut tx, last_outbox).await? {
            let (outbox_id, question_id, code, phone, template) = asked;
            last_outbox = outbox_id;
            if !seen_questions.insert(question_id) {
                continue;
            }
            let hours = |rng: &mut StdRng, lo: i64, hi: i64| {
                chrono::Duration::minutes(rng.random_range(lo * 60..hi * 60))
            };
            if template == "swap_options" {
                pending.push(Pending {
                    due: now + hours(&mut rng, 0, 1),
                    phone,
                    body: format!("{code} 1"),
                });
                continue;
            }
            // On the day, standby people answer within the hour.
            let soon = now >= busy_from;
            let roll: f64 = rng.random();
            let (delay, word) = if roll < args.yes {
                (hours(&mut rng, 0, if soon { 1 } else { 6 }), "JA")
            } else if roll < args.yes + args.no {
                (hours(&mut rng, 0, if soon { 1 } else { 6 }), "NEJ")
            } else if roll < args.yes + args.no + args.late && !soon {
                (hours(&mut rng, 5 * 24, 8 * 24), "JA")
            } else {
                continue;
            };
            pending.push(Pending {
                due: now + delay,
                phone,
                body: format!("{word} {code}"),
            });
        }
        drop(tx);
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
        let step = if now >= busy_from && now < busy_to {
            step.min(chrono::Duration::minutes(15))
        } else {
            step
        };
        engine.clock.advance(step.min(end - now));
        crate::jobs::ticker::tick(engine).await?;
    }
    crate::jobs::in_process::run_queued(engine).await?;
    let mut r = report(db, g.election_id).await?;
    r.invited_late = report_invited;
    Ok(r)
}

/// Questions sent by SMS after outbox row `after`: (outbox id, question
/// id, code, phone, template), in order.
async fn asked_since(
    tx: &mut Tx,
    after: i64,
) -> sqlx::Result<Vec<(i64, i64, String, String, String)>> {
    q!(
        tx,
        fetch_all,
        sqlx::query_as(
            "SELECT o.id, q.id, q.code, o.recipient, o.template FROM outbox o
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
    let notes: Vec<(String, Option<String>, i64)> = q!(
        &mut tx,
        fetch_all,
        sqlx::query_as(
            "SELECT message, message_da, COUNT(*) FROM notifications GROUP BY message, message_da"
        )
    )?;
    r.secretariat = notes.into_iter().map(|(en, da, n)| ((en, da), n)).collect();
    let bodies: Vec<String> = q!(
        &mut tx,
        fetch_all,
        sqlx::query_scalar("SELECT body FROM outbox WHERE channel = 'sms'")
    )?;
    r.sms_messages = bodies.len() as i64;
    r.sms_parts = bodies
        .iter()
        .map(|b| crate::messages::segments::count(b).parts as i64)
        .sum();
    for (team, status, n) in tx.seats_per_party(election_id).await? {
        let p = r.parties.entry(team).or_default();
        p.seats += n;
        if status == "confirmed" {
            p.confirmed += n;
        }
    }
    for (team, n) in tx
        .history_per_party(election_id, "assigned", Some("standby"))
        .await?
    {
        r.parties.entry(team).or_default().from_standby = n;
    }
    for (team, n) in tx.history_per_party(election_id, "cancelled", None).await? {
        r.parties.entry(team).or_default().cancelled = n;
    }
    for (team, n) in tx.history_per_party(election_id, "no_show", None).await? {
        r.parties.entry(team).or_default().no_shows = n;
    }
    for p in r.parties.values_mut() {
        p.lost = p.seats - p.confirmed;
    }
    Ok(r)
}
