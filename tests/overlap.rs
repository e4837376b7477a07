//! One person may hold two seats on one date when their times do not
//! overlap (a morning shift and an evening count), and never two at the
//! same time: checked by the rule function on every path, and by the
//! database under concurrency.

mod support;

use serde_json::json;
use support::builders::{Election, code_in, import, party_standby, people};
use support::{Backend, TestApp};

const DAY: &str = "2029-11-20";

/// One station; per task type one seat on election day: Morgen 07:00–13:00,
/// Aften 13:00–22:00, Hele dagen 07:30–21:00, Nat 20:00–02:00; and Tidlig
/// 01:00–06:00 the day after. Seats in that order.
async fn shifts(app: &TestApp) -> Election {
    import(
        app,
        r#"
election: { title: Kommunalvalg 2029, type: Kommunalvalg, election_day: 2029-11-20, starts_on: 2029-11-19, ends_on: 2029-11-21 }
areas:
  - name: Midtbyen
    stations:
      - { name: Rådhushallen, address: Rådhuspladsen 1 }
teams: [Borgerlisten]
task_types:
  - { name: Morgen, start: "07:00", end: "13:00", payment: 300 }
  - { name: Aften, start: "13:00", end: "22:00", payment: 300 }
  - { name: Hele dagen, start: "07:30", end: "21:00", payment: 600 }
  - { name: Nat, start: "20:00", end: "02:00", payment: 300 }
  - { name: Tidlig, start: "01:00", end: "06:00", payment: 300 }
seats:
  - { station: Rådhushallen, task_type: Morgen, team: Borgerlisten, count: 1 }
  - { station: Rådhushallen, task_type: Aften, team: Borgerlisten, count: 1 }
  - { station: Rådhushallen, task_type: Hele dagen, team: Borgerlisten, count: 1 }
  - { station: Rådhushallen, task_type: Nat, team: Borgerlisten, count: 1 }
  - { station: Rådhushallen, task_type: Tidlig, team: Borgerlisten, count: 1, date: 2029-11-21 }
"#,
    )
    .await
}

async fn assign(app: &TestApp, seat: i64, person: i64) -> (u16, String) {
    let r = support::builders::assign(app, seat, person).await;
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

async fn holder(app: &TestApp, seat: i64) -> Option<i64> {
    app.get_json(&format!("/api/seats/{seat}")).await["seat"]["person_id"].as_i64()
}

on_both_backends! {
    async fn seats_at_different_times_of_one_day_are_allowed_and_overlapping_ones_refused(app: TestApp) {
        let e = shifts(&app).await;
        let who = people(&app, 2, "3000").await;
        let (anna, bo) = (who[0].0, who[1].0);
        assert_eq!(assign(&app, e.seats[0], anna).await.0, 200, "the morning");
        assert_eq!(assign(&app, e.seats[1], anna).await.0, 200, "and the evening, which starts as the morning ends");
        let (status, body) = assign(&app, e.seats[2], anna).await;
        assert_eq!(status, 409, "the whole day overlaps both: {body}");
        assert!(body.contains("already has a seat at that time on 2029-11-20"), "{body}");
        let (status, _) = assign(&app, e.seats[3], anna).await;
        assert_eq!(status, 409, "the night from 20:00 overlaps the evening to 22:00");

        // Past midnight: the night shift reaches into the next day's early one.
        assert_eq!(assign(&app, e.seats[3], bo).await.0, 200);
        assert_eq!(assign(&app, e.seats[4], bo).await.0, 409, "01:00 the next day is still Bo's night");
    }

    async fn a_batch_gives_one_person_a_morning_and_an_evening_but_never_two_at_once(app: TestApp) {
        let e = shifts(&app).await;
        let who = people(&app, 1, "3000").await;
        let anna = who[0].0;
        let batch = |seats: [i64; 2]| json!({ "assignments": [
            { "seat_id": seats[0], "person_id": anna },
            { "seat_id": seats[1], "person_id": anna },
        ]});
        let r = app.http.post(app.url("/api/assignments")).json(&batch([e.seats[0], e.seats[2]])).send().await.unwrap();
        assert_eq!(r.status(), 422, "the morning and the whole day overlap");
        assert_eq!(holder(&app, e.seats[0]).await, None, "nothing of the batch");
        let r = app.http.post(app.url("/api/assignments")).json(&batch([e.seats[0], e.seats[1]])).send().await.unwrap();
        assert_eq!(r.status(), 200);
        app.settle().await;
        assert_eq!((holder(&app, e.seats[0]).await, holder(&app, e.seats[1]).await), (Some(anna), Some(anna)));
    }

    async fn a_standby_person_with_a_morning_seat_is_offered_the_evening_but_not_the_whole_day(app: TestApp) {
        let e = shifts(&app).await;
        let who = people(&app, 3, "3000").await;
        let (anna, bo, carl) = (&who[0], &who[1], &who[2]);
        // Bo holds the morning and stands by for the rest of the day.
        assert_eq!(assign(&app, e.seats[0], bo.0).await.0, 200);
        party_standby(&app, e.id, bo.0, DAY, "Borgerlisten").await;
        for seat in [e.seats[1], e.seats[2]] {
            assert_eq!(assign(&app, seat, anna.0).await.0 / 100, if seat == e.seats[1] { 2 } else { 4 });
        }
        // Anna says no to the evening: Bo is asked.
        let invitation = app.fake.to(&anna.1).last().unwrap().clone();
        app.sms_from(&anna.1, &format!("NEJ {}", code_in(&invitation))).await;
        let offers: Vec<String> = app.fake.to(&bo.1).into_iter().filter(|m| m.contains("ledig plads")).collect();
        assert_eq!(offers.len(), 1, "{offers:?}");
        assert!(offers[0].contains("Aften"), "{}", offers[0]);
        app.sms_from(&bo.1, &format!("JA {}", code_in(&offers[0]))).await;
        assert_eq!(holder(&app, e.seats[1]).await, Some(bo.0), "the morning and the evening");

        // Carl takes the whole day, then says no: Bo, busy all day, is not
        // asked.
        assert_eq!(assign(&app, e.seats[2], carl.0).await.0, 200);
        let invitation = app.fake.to(&carl.1).last().unwrap().clone();
        app.sms_from(&carl.1, &format!("NEJ {}", code_in(&invitation))).await;
        let offers = app.fake.to(&bo.1).into_iter().filter(|m| m.contains("ledig plads")).count();
        assert_eq!(offers, 1, "no offer of a seat at a time he is busy");
        assert!(app.get_json("/api/notifications").await.to_string().contains("Nobody on standby took the vacant seat"));
    }

    async fn a_yes_to_an_offer_is_refused_when_the_person_got_a_seat_at_that_time_meanwhile(app: TestApp) {
        let e = shifts(&app).await;
        let who = people(&app, 2, "3000").await;
        let (anna, bo) = (&who[0], &who[1]);
        party_standby(&app, e.id, bo.0, DAY, "Borgerlisten").await;
        assert_eq!(assign(&app, e.seats[2], anna.0).await.0, 200);
        let invitation = app.fake.to(&anna.1).last().unwrap().clone();
        app.sms_from(&anna.1, &format!("NEJ {}", code_in(&invitation))).await;
        let offer = app.fake.to(&bo.1).last().unwrap().clone();
        assert!(offer.contains("Hele dagen"), "{offer}");
        // The secretariat gives Bo the morning before he answers.
        assert_eq!(assign(&app, e.seats[0], bo.0).await.0, 200);
        app.sms_from(&bo.1, &format!("JA {}", code_in(&offer))).await;
        assert_eq!(holder(&app, e.seats[2]).await, None);
        assert!(app.fake.to(&bo.1).last().unwrap().contains("du har allerede en plads på det tidspunkt"), "{:?}", app.fake.to(&bo.1));
    }

    async fn the_database_refuses_two_seats_at_once_whatever_writes_them(app: TestApp) {
        let e = shifts(&app).await;
        let who = people(&app, 1, "3000").await;
        let anna = who[0].0;
        assert_eq!(assign(&app, e.seats[0], anna).await.0, 200);
        // A write that skips every check in the engine.
        let mut tx = app.engine().db.begin().await.unwrap();
        let err = valgvagt::q!(
            &mut tx,
            fetch_optional,
            sqlx::query_scalar::<_, i64>("UPDATE seats SET person_id = $1, status = 'invited' WHERE id = $2 RETURNING id")
                .bind(anna)
                .bind(e.seats[2])
        )
        .expect_err("the trigger refuses it");
        assert!(valgvagt::store::is_unique_violation(&err), "{err}");
        drop(tx);
        let mut tx = app.engine().db.begin().await.unwrap();
        let ok = valgvagt::q!(
            &mut tx,
            fetch_optional,
            sqlx::query_scalar::<_, i64>("UPDATE seats SET person_id = $1, status = 'invited' WHERE id = $2 RETURNING id")
                .bind(anna)
                .bind(e.seats[1])
        );
        assert!(ok.is_ok(), "the evening does not overlap: {ok:?}");
    }
}

/// Ten assignments of one person to ten seats at the same time, all at
/// once: exactly one is made.
async fn ten_assignments_at_once_to_overlapping_seats_make_one(backend: Backend) {
    let Some(app) = support::Setup::new(backend).await else {
        return;
    };
    let app = app.start().await;
    let e = support::builders::election(&app, 10).await;
    let who = people(&app, 1, "3000").await;
    let anna = who[0].0;
    let tries = e.seats.iter().map(|seat| {
        let app = &app;
        async move {
            app.http
                .post(app.url(&format!("/api/seats/{seat}/assign")))
                .json(&json!({ "person_id": anna }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(tries).await;
    app.settle().await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    let mut held = 0;
    for seat in &e.seats {
        held += usize::from(holder(&app, *seat).await == Some(anna));
    }
    assert_eq!(held, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_assignments_at_once_to_overlapping_seats_make_one_on_sqlite() {
    ten_assignments_at_once_to_overlapping_seats_make_one(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_assignments_at_once_to_overlapping_seats_make_one_on_postgres() {
    ten_assignments_at_once_to_overlapping_seats_make_one(Backend::Postgres).await;
}
