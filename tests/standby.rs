//! Filling vacant seats from the standby pool with the shipped `fill_seat`
//! workflow: waves, the first yes wins, later yeses are told the seat is
//! taken, and nobody is double-booked even when everyone answers at once.

mod support;

use chrono::Duration;
use support::builders::{Election, assign, code_in, election, party_standby, people, person};
use support::{Backend, Setup, TestApp};

const ANNA: &str = "+4520000001";
const DAY: &str = "2029-11-20";

/// Anna is invited to the election's first seat.
async fn anna_invited(app: &TestApp, e: &Election) -> i64 {
    let anna = person().create(app).await;
    assign(app, e.seats[0], anna).await;
    anna
}

fn offers_to(app: &TestApp, phone: &str) -> Vec<String> {
    app.fake
        .to(phone)
        .into_iter()
        .filter(|m| m.contains("ledig plads"))
        .collect()
}

on_both_backends! {
    async fn a_decline_frees_the_seat_and_the_standby_person_who_answers_first_gets_it(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = anna_invited(&app, &e).await;
        let reserves = people(&app, 2, "3000").await;
        for (id, _) in &reserves {
            party_standby(&app, e.id, *id, DAY, "Borgerlisten").await;
        }
        // Anna is on standby too, but she declined this very seat.
        party_standby(&app, e.id, anna, DAY, "Borgerlisten").await;

        app.sms_from(ANNA, "NEJ").await;

        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        let (bo, bo_phone) = &reserves[0];
        let (_, carl_phone) = &reserves[1];
        assert_eq!(offers_to(&app, bo_phone).len(), 1);
        assert_eq!(offers_to(&app, carl_phone).len(), 1);
        assert!(offers_to(&app, ANNA).is_empty(), "a decliner is not offered the seat again");

        let code = code_in(&offers_to(&app, bo_phone)[0]);
        app.sms_from(bo_phone, &format!("JA {code}")).await;
        let seat = app.get_json(&format!("/api/seats/{}", e.seats[0])).await;
        assert_eq!(seat["seat"]["status"], "confirmed");
        assert_eq!(seat["seat"]["person_id"], *bo);
        assert!(app.fake.to(bo_phone).last().unwrap().starts_with("Tak, Reserve 1! Du er nu Valgstyrer"));

        // Carl answers too late: told so, and nothing changes.
        app.sms_from(carl_phone, "ja").await;
        assert!(app.fake.to(carl_phone).last().unwrap().contains("allerede besat af en anden"), "{:?}", app.fake.to(carl_phone));
        let seat = app.get_json(&format!("/api/seats/{}", e.seats[0])).await;
        assert_eq!(seat["seat"]["person_id"], *bo);
        let events: Vec<_> = seat["history"].as_array().unwrap().iter().map(|h| h["event"].as_str().unwrap().to_string()).collect();
        assert_eq!(
            events,
            ["assigned", "invited", "answered_no", "released", "offered", "offered", "answered_yes", "assigned", "confirmed"]
        );
    }

    async fn without_a_yes_the_next_wave_is_asked_and_when_nobody_is_left_the_secretariat_is_told(app: TestApp) {
        let e = election(&app, 1).await;
        anna_invited(&app, &e).await;
        let reserves = people(&app, 5, "3000").await;
        for (id, _) in &reserves {
            party_standby(&app, e.id, *id, DAY, "Borgerlisten").await;
        }
        app.sms_from(ANNA, "NEJ").await;
        let offered = |app: &TestApp| reserves.iter().filter(|(_, p)| !offers_to(app, p).is_empty()).count();
        assert_eq!(offered(&app), 3, "the first wave is three");

        app.advance(Duration::hours(3)).await;
        assert_eq!(offered(&app), 3, "the wait is four hours");
        app.advance(Duration::hours(1)).await;
        assert_eq!(offered(&app), 5, "then the last two are asked too");

        // One of the first wave can still say yes... but nobody does.
        app.advance(Duration::hours(4)).await;
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        let notes = app.get_json("/api/notifications").await;
        assert!(notes.to_string().contains("Nobody on standby took the vacant seat"), "{notes}");

        // A yes after the offer ended changes nothing.
        let (_, phone) = &reserves[0];
        app.sms_from(phone, "JA").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
    }

    async fn when_everyone_asked_says_no_the_next_wave_is_asked_at_once(app: TestApp) {
        let e = election(&app, 1).await;
        anna_invited(&app, &e).await;
        let reserves = people(&app, 4, "3000").await;
        for (id, _) in &reserves {
            party_standby(&app, e.id, *id, DAY, "Borgerlisten").await;
        }
        app.sms_from(ANNA, "NEJ").await;
        for (_, phone) in &reserves[..3] {
            app.sms_from(phone, "NEJ").await;
            assert!(app.fake.to(phone).last().unwrap().contains("stadig på reservelisten"));
        }
        let (last, phone) = &reserves[3];
        assert_eq!(offers_to(&app, phone).len(), 1, "asked without waiting four hours");
        app.sms_from(phone, "JA").await;
        let seat = app.get_json(&format!("/api/seats/{}", e.seats[0])).await;
        assert_eq!(seat["seat"]["person_id"], *last);
    }

    async fn nobody_is_offered_a_seat_on_a_day_they_already_hold_one(app: TestApp) {
        let e = election(&app, 2).await;
        anna_invited(&app, &e).await;
        let reserves = people(&app, 1, "3000").await;
        let (bo, bo_phone) = &reserves[0];
        party_standby(&app, e.id, *bo, DAY, "Borgerlisten").await;
        assign(&app, e.seats[1], *bo).await;

        app.sms_from(ANNA, "NEJ").await;
        assert!(offers_to(&app, bo_phone).is_empty());
        let notes = app.get_json("/api/notifications").await;
        assert!(notes.to_string().contains("Nobody on standby took the vacant seat"), "{notes}");
    }
}

/// Fifty standby people answer JA at the same moment for three seats.
async fn fifty_yeses_at_once_fill_exactly_three_seats(backend: Backend) {
    let Some(mut setup) = Setup::new(backend).await else {
        return;
    };
    // The secretariat asks 17 people per wave, so all fifty hold an offer.
    setup.edit_workflows(
        |name, text| match name {
            "fill_seat.yaml" => text.replace("wave: 3", "wave: 17"),
            _ => text,
        },
        &[],
    );
    let app = setup.start().await;

    let e = election(&app, 3).await;
    let invited = people(&app, 3, "2100").await;
    for (seat, (id, _)) in e.seats.iter().zip(&invited) {
        assign(&app, *seat, *id).await;
    }
    let reserves = people(&app, 50, "3000").await;
    for (id, _) in &reserves {
        party_standby(&app, e.id, *id, DAY, "Borgerlisten").await;
    }
    for (_, phone) in &invited {
        app.sms_from(phone, "NEJ").await;
    }
    for (_, phone) in &reserves {
        assert_eq!(offers_to(&app, phone).len(), 1, "one offer at a time each");
    }

    let answers = reserves.iter().enumerate().map(|(i, (_, phone))| {
        let code = code_in(&offers_to(&app, phone)[0]);
        let app = &app;
        async move {
            let r = app
                .post_incoming(9_000_000 + i as u64, phone, &format!("JA {code}"))
                .await;
            assert_eq!(r.status(), 200);
        }
    });
    futures::future::join_all(answers).await;
    app.settle().await;

    let mut holders = Vec::new();
    for seat in &e.seats {
        let s = app.get_json(&format!("/api/seats/{seat}")).await;
        assert_eq!(s["seat"]["status"], "confirmed");
        holders.push(s["seat"]["person_id"].as_i64().unwrap());
    }
    holders.sort();
    holders.dedup();
    assert_eq!(holders.len(), 3, "three different people");
    let winners = reserves
        .iter()
        .filter(|(_, p)| {
            app.fake
                .to(p)
                .iter()
                .any(|m| m.contains("Du er nu Valgstyrer"))
        })
        .count();
    let told = reserves
        .iter()
        .filter(|(_, p)| app.fake.to(p).iter().any(|m| m.contains("allerede besat")))
        .count();
    assert_eq!((winners, told), (3, 47));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_yeses_at_once_fill_exactly_three_seats_on_sqlite() {
    fifty_yeses_at_once_fill_exactly_three_seats(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_yeses_at_once_fill_exactly_three_seats_on_postgres() {
    fifty_yeses_at_once_fill_exactly_three_seats(Backend::Postgres).await;
}
