//! Inviting a person to a seat by SMS and taking their answer, end to end:
//! HTTP API, the shipped `invite` workflow, apalis jobs, the GatewayAPI
//! send API and its signed webhook, on SQLite and PostgreSQL.

mod support;

use chrono::Duration;
use serde_json::json;
use support::builders::{assign, code_in, election, person};
use support::{Backend, TestApp};

const ANNA: &str = "+4520000001";

on_both_backends! {
    async fn an_invited_person_who_answers_ja_with_the_code_is_confirmed_and_told_so(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        let r = assign(&app, e.seats[0], anna).await;
        assert_eq!(r.status(), 200);

        let inbox = app.fake.to(ANNA);
        assert_eq!(inbox.len(), 1, "one invitation: {inbox:?}");
        assert!(inbox[0].starts_with("Hej Anna Jensen. Vil du være Valgstyrer ved Kommunalvalg 2029, tirsdag 20. november 2029 kl. 07:30-21:00 på Rådhushallen"), "{}", inbox[0]);
        assert_eq!(app.seat_status(e.seats[0]).await, "invited");

        // On GatewayAPI's shared short code the leased keyword comes first.
        let code = code_in(&inbox[0]);
        app.sms_from(ANNA, &format!("VALG JA {code}")).await;

        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
        let notes = app.get_json("/api/notifications").await;
        assert!(notes.as_array().unwrap().is_empty(), "the keyword is not a comment: {notes}");
        let inbox = app.fake.to(ANNA);
        assert_eq!(inbox.len(), 2);
        assert!(inbox[1].starts_with("Tak, Anna Jensen! Du er nu Valgstyrer"), "{}", inbox[1]);
        assert_eq!(app.history(e.seats[0]).await, ["assigned", "invited", "answered_yes", "confirmed"]);
    }

    async fn a_person_who_answers_nej_frees_the_seat_and_the_decline_stays_in_the_history(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;

        app.sms_from(ANNA, "Nej tak, jeg er på ferie").await;

        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        let seat = app.get_json(&format!("/api/seats/{}", e.seats[0])).await;
        assert!(seat["seat"]["person_id"].is_null());
        let declined = seat["history"].as_array().unwrap().iter().find(|h| h["event"] == "answered_no").expect("decline kept");
        assert_eq!(declined["person_id"], anna);
        assert_eq!(declined["channel"], "sms");
        assert_eq!(declined["detail"], "jeg er på ferie");
        let inbox = app.fake.to(ANNA);
        assert!(inbox[1].starts_with("Tak for dit svar, Anna Jensen. Vi har noteret, at du ikke kan være Valgstyrer"), "{}", inbox[1]);
    }

    async fn a_bare_ja_from_a_person_with_two_open_invitations_asks_which_one_and_a_coded_ja_confirms_only_that_seat(app: TestApp) {
        let e = election(&app, 1).await;
        // A second seat the day before (counting postal votes).
        let first = app.get_json(&format!("/api/seats/{}", e.seats[0])).await;
        let station_id = first["seat"]["station_id"].as_i64().unwrap();
        let seat = app.get_json(&format!("/api/elections/{}/seats", e.id)).await[0].clone();
        let r = app.http.post(app.url("/api/seats")).json(&json!({
            "election_id": e.id, "station_id": station_id,
            "task_type_id": seat["task_type_id"], "team_id": seat["team_id"], "date": "2029-11-19"
        })).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let day_before = r.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        assign(&app, day_before, anna).await;
        let inbox = app.fake.to(ANNA);
        let (code_day, code_before) = (code_in(&inbox[0]), code_in(&inbox[1]));
        assert_ne!(code_day, code_before);

        app.sms_from(ANNA, "JA").await;

        let inbox = app.fake.to(ANNA);
        assert_eq!(inbox.len(), 3);
        assert!(inbox[2].contains("Du har flere spørgsmål åbne"), "{}", inbox[2]);
        assert!(inbox[2].contains(&code_day) && inbox[2].contains(&code_before), "{}", inbox[2]);
        assert_eq!(app.seat_status(e.seats[0]).await, "invited");
        assert_eq!(app.seat_status(day_before).await, "invited");

        app.sms_from(ANNA, &format!("ja {}", code_before.to_lowercase())).await;

        assert_eq!(app.seat_status(day_before).await, "confirmed");
        assert_eq!(app.seat_status(e.seats[0]).await, "invited");
    }

    async fn the_same_incoming_webhook_delivered_three_times_is_handled_once(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        let code = code_in(&app.fake.to(ANNA)[0]);

        for _ in 0..3 {
            let r = app.post_incoming(777, ANNA, &format!("JA {code}")).await;
            assert_eq!(r.status(), 200);
        }
        app.settle().await;

        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
        assert_eq!(app.fake.to(ANNA).len(), 2, "one invitation and one confirmation");
        let answers = app.history(e.seats[0]).await.into_iter().filter(|h| h == "answered_yes").count();
        assert_eq!(answers, 1);
    }

    async fn without_an_answer_reminders_follow_every_four_days_and_the_timeout_frees_the_seat(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        assert_eq!(app.fake.to(ANNA).len(), 1);

        app.advance(Duration::days(4) - Duration::minutes(1)).await;
        assert_eq!(app.fake.to(ANNA).len(), 1, "no reminder before four days");

        app.advance(Duration::minutes(1)).await;
        let inbox = app.fake.to(ANNA);
        assert_eq!(inbox.len(), 2);
        assert!(inbox[1].starts_with("Påmindelse:"), "{}", inbox[1]);
        assert_eq!(code_in(&inbox[1]), code_in(&inbox[0]), "the reminder repeats the code");

        app.advance(Duration::days(4)).await;
        assert_eq!(app.fake.to(ANNA).len(), 3, "second reminder");
        assert_eq!(app.seat_status(e.seats[0]).await, "invited");

        app.advance(Duration::days(2)).await;
        assert_eq!(app.fake.to(ANNA).len(), 3, "no third reminder: at most two");
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant", "timed out after ten days");
        assert!(app.history(e.seats[0]).await.contains(&"unanswered".to_string()));
        let notes = app.get_json("/api/notifications").await;
        assert!(notes.as_array().unwrap().iter().any(|n| n["message"].as_str().unwrap().contains("No answer")));

        // A late answer finds no open question and is told so.
        app.sms_from(ANNA, "JA").await;
        assert!(app.fake.to(ANNA)[3].contains("ingen åbne spørgsmål"));
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
    }

    async fn stop_opts_out_of_sms_without_declining_and_help_explains_the_keywords(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;

        app.sms_from(ANNA, "HJÆLP").await;
        assert!(app.fake.to(ANNA)[1].contains("Svar JA eller NEJ"));

        app.sms_from(ANNA, "stop").await;
        assert!(app.fake.to(ANNA)[2].contains("ikke flere SMS"));
        assert_eq!(app.seat_status(e.seats[0]).await, "invited", "STOP is not a decline");
        let p = app.get_json(&format!("/api/people/{anna}")).await;
        assert_eq!(p["sms_opt_out"], true);

        // The reminder is not sent by SMS any more; the secretariat is told.
        app.advance(Duration::days(4)).await;
        assert_eq!(app.fake.to(ANNA).len(), 3);
        let notes = app.get_json("/api/notifications").await;
        assert!(notes.as_array().unwrap().iter().any(|n| n["kind"] == "unreachable"));
    }

    async fn a_text_from_an_unknown_number_gets_a_friendly_reply_and_changes_nothing(app: TestApp) {
        app.sms_from("+4599999999", "JA").await;
        let inbox = app.fake.to("+4599999999");
        assert_eq!(inbox.len(), 1);
        assert!(inbox[0].contains("Vi kan ikke finde dit nummer"), "{}", inbox[0]);
    }

    async fn an_incoming_webhook_with_a_wrong_signature_is_refused_and_changes_nothing(app: TestApp) {
        let r = app.http.post(app.url("/webhooks/gatewayapi/incoming"))
            .header("X-Gwapi-Signature", "not.a.token")
            .json(&json!({ "id": 1, "msisdn": 4520000001u64, "message": "JA" }))
            .send().await.unwrap();
        assert_eq!(r.status(), 403);
        app.settle().await;
        assert_eq!(app.fake.count(), 0);
    }

    async fn the_outbox_is_read_a_page_at_a_time_with_counts_per_status(app: TestApp) {
        let e = election(&app, 4).await;
        for (i, (seat, (person, _))) in e.seats.iter().zip(support::builders::people(&app, 4, "21").await).enumerate() {
            if i == 3 {
                app.fake.fail_next(1);
            }
            assign(&app, *seat, person).await;
        }
        let counts = app.get_json("/api/outbox/counts").await;
        assert_eq!((counts["sent"].as_i64(), counts["failed"].as_i64(), counts["total"].as_i64()), (Some(3), Some(1), Some(4)), "{counts}");

        let first = app.http.get(app.url("/api/outbox?limit=3")).send().await.unwrap();
        assert_eq!(first.headers()["x-total-count"], "4");
        let link = first.headers()["link"].to_str().unwrap().to_string();
        let rows: Vec<serde_json::Value> = first.json().await.unwrap();
        assert_eq!(rows.len(), 3);
        let oldest_shown = rows[2]["id"].as_i64().unwrap();
        assert_eq!(link, format!("</api/outbox?before={oldest_shown}&limit=3>; rel=\"next\""));
        let next = link.trim_start_matches('<').split('>').next().unwrap();
        let second = app.http.get(app.url(next)).send().await.unwrap();
        assert!(second.headers().get("link").is_none(), "the last page");
        let rows: Vec<serde_json::Value> = second.json().await.unwrap();
        assert_eq!(rows.len(), 1);
        assert!(rows[0]["id"].as_i64().unwrap() < oldest_shown);

        let failed = app.http.get(app.url("/api/outbox?status=failed")).send().await.unwrap();
        assert_eq!(failed.headers()["x-total-count"], "1");
    }

    async fn a_failed_sms_is_tried_again_after_30_seconds_then_60(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        app.fake.fail_next(2);
        assign(&app, e.seats[0], anna).await;
        let attempts = |o: &serde_json::Value| o[0]["attempts"].as_i64().unwrap();
        assert_eq!(attempts(&app.get_json("/api/outbox").await), 1);
        app.advance(Duration::seconds(29)).await;
        assert_eq!(attempts(&app.get_json("/api/outbox").await), 1, "not before 30 s");
        app.advance(Duration::seconds(1)).await;
        assert_eq!(attempts(&app.get_json("/api/outbox").await), 2, "tried again at 30 s");
        app.advance(Duration::seconds(59)).await;
        assert_eq!(attempts(&app.get_json("/api/outbox").await), 2, "not before another 60 s");
        app.advance(Duration::seconds(1)).await;
        let outbox = app.get_json("/api/outbox").await;
        assert_eq!((attempts(&outbox), outbox[0]["status"].as_str()), (3, Some("sent")));
        assert_eq!(app.fake.to(ANNA).len(), 1, "one SMS reached her");
    }

    async fn a_failing_gateway_is_retried_with_backoff_and_ends_as_a_dead_letter(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        app.fake.fail_next(100);
        assign(&app, e.seats[0], anna).await;
        let outbox = app.get_json("/api/outbox").await;
        assert_eq!(outbox[0]["status"], "failed");
        assert_eq!(outbox[0]["attempts"], 1);

        for _ in 0..5 {
            app.advance(Duration::hours(1)).await;
        }
        let dead = app.get_json("/api/dead-letters").await;
        assert_eq!(dead.as_array().unwrap().len(), 1);
        assert_eq!(dead[0]["attempts"], 6);
        assert!(dead[0]["last_error"].as_str().unwrap().contains("gatewayapi 500"));

        app.fake.fail_next(0);
        let id = dead[0]["id"].as_i64().unwrap();
        let r = app.http.post(app.url(&format!("/api/dead-letters/{id}/retry"))).send().await.unwrap();
        assert_eq!(r.status(), 200);
        app.settle().await;
        assert_eq!(app.fake.to(ANNA).len(), 1);
        assert!(app.get_json("/api/dead-letters").await.as_array().unwrap().is_empty());
    }
}

mod assignment_rules {
    use super::*;

    on_both_backends! {
        async fn a_person_under_eighteen_on_the_day_of_the_task_cannot_be_assigned(app: TestApp) {
            let e = election(&app, 1).await;
            // Turns 18 the day after the election.
            let young = person().cpr("211111-4321").phone("+4520000009").create(&app).await;
            let r = assign(&app, e.seats[0], young).await;
            assert_eq!(r.status(), 422);
            let body: serde_json::Value = r.json().await.unwrap();
            assert!(body["message"].as_str().unwrap().contains("is 17 on 2029-11-20"), "{body}");
            assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
            assert_eq!(app.fake.count(), 0);
        }

        async fn a_seat_that_is_taken_or_a_person_who_is_busy_that_day_is_a_conflict(app: TestApp) {
            let e = election(&app, 2).await;
            let anna = person().create(&app).await;
            let bo = person().name("Bo Nielsen").cpr("030771-2345").phone("+4520000002").create(&app).await;
            assert_eq!(assign(&app, e.seats[0], anna).await.status(), 200);
            assert_eq!(assign(&app, e.seats[0], bo).await.status(), 409);
            assert_eq!(assign(&app, e.seats[1], anna).await.status(), 409);
            assert_eq!(app.seat_status(e.seats[1]).await, "vacant");
        }

        async fn a_batch_of_assignments_invites_everyone_in_it_at_once(app: TestApp) {
            let e = election(&app, 3).await;
            let mut batch = Vec::new();
            for (i, (seat, cpr)) in e.seats.iter().zip(["120385-1234", "030771-2345", "141160-3456"]).enumerate() {
                let p = person().cpr(cpr).phone(&format!("+452000001{i}")).create(&app).await;
                batch.push(json!({ "seat_id": seat, "person_id": p }));
            }
            let r = app.http.post(app.url("/api/assignments")).json(&json!({ "assignments": batch })).send().await.unwrap();
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
            app.settle().await;
            for (i, seat) in e.seats.iter().enumerate() {
                assert_eq!(app.seat_status(*seat).await, "invited");
                let inbox = app.fake.to(&format!("+452000001{i}"));
                assert_eq!(inbox.len(), 1, "one invitation each");
                code_in(&inbox[0]);
            }
        }

        async fn a_batch_with_one_bad_assignment_names_each_problem_and_assigns_nobody(app: TestApp) {
            let e = election(&app, 3).await;
            let anna = person().create(&app).await;
            let young = person().name("Ung").cpr("211111-4321").phone("+4520000009").create(&app).await;
            let batch = json!({ "assignments": [
                { "seat_id": e.seats[0], "person_id": anna },
                { "seat_id": e.seats[1], "person_id": young },
                { "seat_id": e.seats[2], "person_id": anna },
            ]});
            let r = app.http.post(app.url("/api/assignments")).json(&batch).send().await.unwrap();
            assert_eq!(r.status(), 422);
            let body: serde_json::Value = r.json().await.unwrap();
            let message = body["message"].as_str().unwrap();
            assert!(message.contains("assignments[1]: person") && message.contains("is 17 on 2029-11-20"), "{message}");
            assert!(message.contains(&format!("assignments[2]: person {anna} already has a seat at that time on 2029-11-20")), "{message}");
            assert!(!message.contains("assignments[0]"), "{message}");
            app.settle().await;
            for seat in &e.seats {
                assert_eq!(app.seat_status(*seat).await, "vacant");
                assert!(app.history(*seat).await.is_empty(), "no history for a refused batch");
            }
            assert_eq!(app.fake.count(), 0, "nothing sent");
            assert!(app.get_json("/api/outbox").await.as_array().unwrap().is_empty());
        }
    }
}

/// A gateway that takes an SMS but answers after the client gave up: the
/// outcome is unknown, so the message is marked as possibly sent and tried
/// again only after five minutes, and the messages page counts it.
async fn a_send_that_times_out_is_retried_late_and_marked(backend: Backend) {
    let Some(mut setup) = support::Setup::new(backend).await else {
        return;
    };
    if let valgvagt::app::SmsConfig::GatewayApi(c) = &mut setup.config.sms {
        c.timeout = std::time::Duration::from_millis(300);
    }
    let app = setup.start().await;
    let e = election(&app, 1).await;
    let anna = person().create(&app).await;
    app.fake.slow_next(1, std::time::Duration::from_secs(1));
    assign(&app, e.seats[0], anna).await;
    let outbox = app.get_json("/api/outbox").await;
    assert_eq!(
        (
            outbox[0]["status"].as_str(),
            outbox[0]["maybe_sent"].as_bool(),
            outbox[0]["attempts"].as_i64()
        ),
        (Some("failed"), Some(true), Some(1)),
        "{outbox}"
    );
    assert_eq!(app.fake.to(ANNA).len(), 1, "the gateway took it");

    app.advance(Duration::seconds(30)).await;
    assert_eq!(
        app.get_json("/api/outbox").await[0]["attempts"],
        1,
        "not hurried as after a refusal"
    );
    app.advance(Duration::seconds(270)).await;
    let outbox = app.get_json("/api/outbox").await;
    assert_eq!(
        (outbox[0]["status"].as_str(), outbox[0]["attempts"].as_i64()),
        (Some("sent"), Some(2)),
        "{outbox}"
    );
    assert_eq!(app.fake.to(ANNA).len(), 2, "she may have it twice");

    let mut b =
        support::admin::Browser::logged_in(&app, support::SECRETARIAT.0, support::SECRETARIAT.1)
            .await;
    let page = b.get("/admin/messages").await;
    assert!(
        page.body.contains("id=\"maybe-doubled\"")
            && page.body.contains("Kan være sendt to gange: <b>1</b>"),
        "{}",
        page.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_that_times_out_is_retried_late_and_marked_on_sqlite() {
    a_send_that_times_out_is_retried_late_and_marked(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_that_times_out_is_retried_late_and_marked_on_postgres() {
    a_send_that_times_out_is_retried_late_and_marked(Backend::Postgres).await;
}

/// `bulk` invitations queued in batches while no worker runs, then one
/// more by a single assignment; the app restarted with `rate`. Returns it,
/// the single invitation's number, and when the restart began.
async fn fan_out_then_one(
    backend: Backend,
    bulk: usize,
    rate: Option<f64>,
) -> Option<(TestApp, u64, std::time::Instant)> {
    let mut setup = support::Setup::new(backend).await?;
    setup.config.sms_rate = rate;
    let mut app = setup.start().await;
    let generated = valgvagt::generate::election(app.engine(), bulk + 1, bulk + 1, 1)
        .await
        .expect("an election");
    app.stop().await;

    let engine = support::Setup::engine_of(&app.config).await;
    let pairs: Vec<valgvagt::engine::Assignment> = generated
        .seats
        .iter()
        .zip(&generated.people)
        .map(|(s, p)| valgvagt::engine::Assignment {
            seat_id: *s,
            person_id: *p,
        })
        .collect();
    for batch in pairs[..bulk].chunks(20) {
        engine.assign_many(batch, "test").await.expect("assign");
    }
    engine
        .assign(pairs[bulk].seat_id, pairs[bulk].person_id, "test")
        .await
        .expect("assign");
    engine.db.close().await;
    drop(engine);
    let restarting = std::time::Instant::now();
    app.restart().await;
    let single = generated.phones[bulk][1..].parse().unwrap();
    Some((app, single, restarting))
}

/// Where the message to `msisdn` came among those the gateway received.
fn position(app: &TestApp, msisdn: u64) -> usize {
    app.fake
        .received()
        .iter()
        .position(|r| r.msisdn == msisdn)
        .expect("received")
}

/// A message one event caused is taken before a fan-out queued earlier.
async fn urgent_before_bulk(backend: Backend) {
    let Some((app, single, _)) = fan_out_then_one(backend, 300, None).await else {
        return;
    };
    // A gateway that takes a while: the fan-out lasts about a second.
    app.fake.set_latency(std::time::Duration::from_millis(200));
    app.settle().await;
    assert_eq!(app.fake.count(), 301);
    let at = position(&app, single);
    assert!(
        at < 150,
        "the single invitation went {at}th of 301, not beside the fan-out"
    );
}

/// Paced to the provider's rate, a fan-out takes the time the rate says,
/// and a message one event caused still goes ahead of it.
async fn paced_with_urgent_first(backend: Backend) {
    let Some((app, single, restarting)) = fan_out_then_one(backend, 60, Some(20.0)).await else {
        return;
    };
    app.settle().await;
    let took = restarting.elapsed();
    assert_eq!(app.fake.count(), 61);
    assert!(
        took >= std::time::Duration::from_millis(2_900),
        "61 messages at 20 a second took {took:?}"
    );
    let at = position(&app, single);
    assert!(at < 20, "the single invitation went {at}th of 61");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_events_message_goes_before_a_fan_out_queued_earlier_on_sqlite() {
    urgent_before_bulk(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_events_message_goes_before_a_fan_out_queued_earlier_on_postgres() {
    urgent_before_bulk(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_are_paced_to_the_providers_rate_urgent_first_on_sqlite() {
    paced_with_urgent_first(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_are_paced_to_the_providers_rate_urgent_first_on_postgres() {
    paced_with_urgent_first(Backend::Postgres).await;
}
