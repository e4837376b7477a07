//! Text no one should send, sent anyway: a NUL character in an SMS is
//! stored and the answer taken (PostgreSQL refuses NUL in text), a NUL in
//! an API field or an election file is refused naming where, and absurd
//! numbers in an election file are refused naming the field, with
//! nothing stored.

mod support;

use serde_json::json;
use support::admin::Browser;
use support::builders::{assign, election, person};
use support::{Backend, SECRETARIAT, TestApp};

const ANNA: &str = "+4520000001";

async fn import_status(app: &TestApp, file: &str) -> (u16, String) {
    let r = app
        .http
        .post(app.url("/api/elections"))
        .body(file.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

on_both_backends! {
    async fn a_nul_in_an_sms_is_stored_and_the_answer_taken(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        // `sms_from` asserts the gateway gets a 200.
        app.sms_from(ANNA, "JA\u{0}").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
        let mut tx = app.engine().db.read().await.unwrap();
        let stored = tx.inbound(1).await.unwrap().expect("stored");
        assert_eq!(stored.body, "JA\u{FFFD}");
    }

    async fn a_nul_in_an_api_field_is_refused_naming_the_field(app: TestApp) {
        let r = app.http.post(app.url("/api/people"))
            .json(&json!({ "name": "Anna\u{0}", "cpr": "120385-1234", "phone": ANNA }))
            .send().await.unwrap();
        assert_eq!(r.status(), 422);
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().starts_with("name: "), "{body}");
        let mut tx = app.engine().db.read().await.unwrap();
        assert!(tx.people(0, 10).await.unwrap().is_empty(), "nothing stored");
    }

    async fn an_election_file_with_a_nul_or_absurd_numbers_is_refused_naming_where(app: TestApp) {
        let good = "election: { title: Valg, type: Kommunalvalg, election_day: 2029-11-20 }\nareas:\n  - name: Midtbyen\n    stations:\n      - { name: Rådhushallen, address: Rådhuspladsen 1 }\nteams: [A]\ntask_types:\n  - { name: V, start: \"07:30\", end: \"21:00\" }\nseats:\n  - { station: Rådhushallen, task_type: V, team: A, count: 2 }\n";
        let (status, body) = import_status(&app, &good.replace("Valg,", "Va\u{0}lg,")).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("line 1 column 22"), "{body}");
        for (edit, field) in [
            (("2029-11-20", "0001-11-20"), "election.election_day"),
            (("2029-11-20", "+262142-11-20"), "election.election_day"),
            (("election_day: 2029-11-20", "election_day: 2029-11-20, min_age: 2147483647"), "election.min_age"),
            (("count: 2", "count: 200000"), "seats[0].count"),
        ] {
            let (status, body) = import_status(&app, &good.replace(edit.0, edit.1)).await;
            assert!(status == 422 || status == 400, "{field}: {status} {body}");
            assert!(body.contains(field), "{field}: {body}");
        }
        let elections = app.get_json("/api/elections").await;
        assert_eq!(elections.as_array().map(Vec::len), Some(0), "nothing stored");
        // The file itself imports, its seats numbered in order.
        let (status, body) = import_status(&app, good).await;
        assert_eq!(status, 201, "{body}");
        let seats = app.get_json("/api/elections/1/seats").await;
        let codes: Vec<&str> = seats.as_array().unwrap().iter().filter_map(|s| s["code"].as_str()).collect();
        assert_eq!(codes, ["S1", "S2"]);
    }

    async fn an_auto_responder_gets_three_automatic_answers_an_hour_not_one_per_text(app: TestApp) {
        app.jump_to("2029-11-01T09:00:00Z").await;
        let robot = "+4529999999";
        for _ in 0..10 {
            app.sms_from(robot, "Tak for din besked, jeg er på ferie").await;
        }
        assert_eq!(app.fake.to(robot).len(), 3, "{:?}", app.fake.to(robot));
        // A person who holds nothing and writes gibberish is limited alike.
        person().create(&app).await;
        for _ in 0..5 {
            app.sms_from(ANNA, "hvad?").await;
        }
        assert_eq!(app.fake.to(ANNA).len(), 3, "{:?}", app.fake.to(ANNA));
        // An hour on, they are answered again.
        app.advance(chrono::Duration::minutes(61)).await;
        app.sms_from(robot, "Tak for din besked").await;
        assert_eq!(app.fake.to(robot).len(), 4);
    }

    async fn a_nul_typed_into_an_admin_form_or_file_is_refused_naming_the_field(app: TestApp) {
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/people/new").await.assert_ok();
        let page = b.post("/admin/people/new", &[("name", "Søren\u{0}Ærø"), ("cpr", "0101851234"), ("phone", "20 00 00 05"), ("team", "")]).await;
        assert_eq!(page.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
        assert!(page.body.contains("Feltet «name» indeholder et NUL-tegn"), "{}", page.body);
        let mut tx = app.engine().db.read().await.unwrap();
        assert!(tx.people(0, 10).await.unwrap().is_empty(), "nothing stored");
        drop(tx);
        b.get("/admin/people/import").await.assert_ok();
        let file = b"navn;cpr;telefon\r\nAnna\x00;120385-1234;20000001\r\n";
        let page = b.post_file("/admin/people/import", &[("action", "preview")], Some(file)).await;
        assert_eq!(page.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
        assert!(page.body.contains("NUL-tegn"), "{}", page.body);
    }
}
