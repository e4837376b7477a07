//! Giving up a seat by the words people text (`AFMELD`, `AFBUD`, `SYG`),
//! the lock period before the seat's date on every way of giving it up,
//! and `STOP` / `START` for SMS.

mod support;

use support::admin::Browser;
use support::builders::{Election, assign, code_in, import, join, party_standby, people, person};
use support::pages::{get, post};
use support::{Backend, SECRETARIAT, Setup, TestApp};

const ANNA: &str = "+4520000001";
const DAY: &str = "2029-11-20";

/// Election day 2029-11-20 and the count the day after, at Rådhushallen;
/// a lock period of `lock_days`. Seats: election day ×2, the count ×1.
async fn election(app: &TestApp, lock_days: u32) -> Election {
    import(
        app,
        &format!(
            r#"
election: {{ title: Kommunalvalg 2029, type: Kommunalvalg, election_day: 2029-11-20, starts_on: 2029-11-19, ends_on: 2029-11-21, lock_days: {lock_days} }}
areas:
  - name: Midtbyen
    stations:
      - {{ name: Rådhushallen, address: Rådhuspladsen 1 }}
teams: [Borgerlisten]
task_types:
  - {{ name: Valgstyrer, start: "07:30", end: "21:00", payment: 600, trusted: true }}
  - {{ name: Fintæller, start: "09:00", end: "15:00", payment: 400 }}
seats:
  - {{ station: Rådhushallen, task_type: Valgstyrer, team: Borgerlisten, count: 2 }}
  - {{ station: Rådhushallen, task_type: Fintæller, team: Borgerlisten, count: 1, date: 2029-11-21 }}
"#
        ),
    )
    .await
}

/// Anna says yes to `seat`; returns the code of her invitation.
async fn anna_confirmed_on(app: &TestApp, anna: i64, seat: i64) -> String {
    assign(app, seat, anna).await;
    let code = code_in(app.fake.to(ANNA).last().expect("an invitation"));
    app.sms_from(ANNA, &format!("JA {code}")).await;
    assert_eq!(app.seat_status(seat).await, "confirmed");
    code
}

fn last(app: &TestApp, phone: &str) -> String {
    app.fake.to(phone).last().cloned().unwrap_or_default()
}

on_both_backends! {
    async fn afmeld_gives_up_the_only_seat_as_the_cancel_link_does(app: TestApp) {
        let e = election(&app, 0).await;
        let anna = person().create(&app).await;
        anna_confirmed_on(&app, anna, e.seats[0]).await;
        let reserves = people(&app, 1, "3000").await;
        party_standby(&app, e.id, reserves[0].0, DAY, "Borgerlisten").await;

        app.sms_from(ANNA, "Afmeld, jeg er syg").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        assert!(last(&app, ANNA).starts_with("Hej Anna Jensen. Du er afmeldt som Valgstyrer på Rådhushallen"), "{}", last(&app, ANNA));
        let history = app.get_json(&format!("/api/seats/{}", e.seats[0])).await["history"].clone();
        let cancelled = history.as_array().unwrap().iter().find(|h| h["event"] == "cancelled").expect("cancelled");
        assert_eq!(cancelled["channel"], "sms");
        assert_eq!(cancelled["detail"], "jeg er syg", "the words beside it are kept");
        assert!(app.get_json("/api/notifications").await.to_string().contains("Cancelled by the person"));
        assert!(last(&app, &reserves[0].1).contains("ledig plads"), "offered to standby");
        // STOP is not a cancellation, and the number still gets SMS.
        let person = app.get_json(&format!("/api/people/{anna}")).await;
        assert_eq!(person["sms_opt_out"], false);
    }

    async fn afbud_with_several_seats_asks_which_and_the_code_names_one(app: TestApp) {
        let e = election(&app, 0).await;
        let anna = person().create(&app).await;
        // Both invitations open at once have codes of their own.
        assign(&app, e.seats[0], anna).await;
        assign(&app, e.seats[2], anna).await;
        let invitations = app.fake.to(ANNA);
        let (day, count) = (code_in(&invitations[0]), code_in(&invitations[1]));
        assert_ne!(day, count);
        app.sms_from(ANNA, &format!("JA {day}")).await;
        app.sms_from(ANNA, &format!("JA {count}")).await;
        assert_eq!(app.seat_status(e.seats[2]).await, "confirmed");

        app.sms_from(ANNA, "AFBUD").await;
        let asked = last(&app, ANNA);
        assert!(asked.starts_with("Du har flere pladser. Skriv AFMELD og koden"), "{asked}");
        assert!(asked.contains(&format!("{day}: Valgstyrer")) && asked.contains(&format!("{count}: Fintæller")), "{asked}");
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");

        app.sms_from(ANNA, &format!("SYG {count}")).await;
        assert_eq!(app.seat_status(e.seats[2]).await, "vacant", "the count is given up");
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed", "election day is kept");
        // A code she does not have: asked again, naming it.
        app.sms_from(ANNA, "AFMELD Q9").await;
        assert!(last(&app, ANNA).starts_with("Vi kender ikke koden Q9"), "{}", last(&app, ANNA));
    }

    async fn afmeld_to_an_open_invitation_is_a_no(app: TestApp) {
        let e = election(&app, 0).await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        app.sms_from(ANNA, "afmeld").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        let events = app.history(e.seats[0]).await;
        assert!(events.contains(&"answered_no".to_string()), "{events:?}");
        // Nothing left to give up.
        app.sms_from(ANNA, "afmeld").await;
        assert!(last(&app, ANNA).starts_with("Vi kan ikke finde en plads"), "{}", last(&app, ANNA));
    }

    async fn within_the_lock_period_afmeld_is_refused_the_secretariat_told_and_can_still_remove(app: TestApp) {
        let e = election(&app, 3).await;
        let anna = person().create(&app).await;
        anna_confirmed_on(&app, anna, e.seats[0]).await;
        // Saturday 17 November: three days before.
        app.jump_to("2029-11-17T09:00:00Z").await;
        app.sms_from(ANNA, "AFMELD").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
        let told = last(&app, ANNA);
        assert!(told.starts_with("Anna Jensen, det er så kort tid før tirsdag 20. november 2029, at du ikke kan melde fra her. Ring straks til 70 10 20 30"), "{told}");
        let notes = app.get_json("/api/notifications").await;
        let locked: Vec<_> = notes.as_array().unwrap().iter().filter(|n| n["kind"] == "locked").collect();
        assert_eq!(locked.len(), 1, "{notes}");
        assert_eq!(locked[0]["seat_id"], e.seats[0]);

        let r = app.http.post(app.url(&format!("/api/seats/{}/remove", e.seats[0]))).json(&serde_json::json!({})).send().await.unwrap();
        assert_eq!(r.status(), 200, "the secretariat can still take her off");
        app.settle().await;
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
    }

    async fn the_day_before_the_lock_period_afmeld_still_works(app: TestApp) {
        let e = election(&app, 3).await;
        let anna = person().create(&app).await;
        anna_confirmed_on(&app, anna, e.seats[0]).await;
        // Friday 16 November: four days before.
        app.jump_to("2029-11-16T09:00:00Z").await;
        app.sms_from(ANNA, "AFMELD").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
    }

    async fn within_the_lock_period_the_cancel_link_says_to_call_and_changes_nothing(app: TestApp) {
        let e = election(&app, 3).await;
        let anna = person().create(&app).await;
        anna_confirmed_on(&app, anna, e.seats[0]).await;
        let confirmation = last(&app, ANNA);
        let cancel = confirmation.split_whitespace().find(|w| w.contains("/l/")).expect("a cancel link").to_string();
        app.jump_to("2029-11-18T09:00:00Z").await;
        let (status, page) = get(&app, &cancel).await;
        assert_eq!(status, 200);
        assert!(page.contains("Du kan ikke melde fra her") && !page.contains("<button"), "{page}");
        let (_, page) = post(&app, &cancel).await;
        assert!(page.contains("Ring straks til os på 70 10 20 30"), "{page}");
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
    }

    async fn stop_lists_the_persons_seats_for_the_secretariat_and_start_or_the_admin_turns_sms_on(app: TestApp) {
        let e = election(&app, 0).await;
        let anna = person().create(&app).await;
        anna_confirmed_on(&app, anna, e.seats[0]).await;
        anna_confirmed_on(&app, anna, e.seats[2]).await;

        app.sms_from(ANNA, "STOP").await;
        assert!(last(&app, ANNA).starts_with("Du får ikke flere SMS"));
        assert_eq!(app.get_json(&format!("/api/people/{anna}")).await["sms_opt_out"], true);
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed", "STOP keeps the seats");
        let notes = app.get_json("/api/notifications").await;
        let stops: Vec<i64> = notes.as_array().unwrap().iter().filter(|n| n["kind"] == "sms-stop").map(|n| n["seat_id"].as_i64().unwrap()).collect();
        assert_eq!(stops.len(), 2, "one for each seat: {notes}");
        assert!(stops.contains(&e.seats[0]) && stops.contains(&e.seats[2]));
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let list = b.get("/admin/followup").await;
        assert!(list.body.contains("Personen skrev STOP"), "in Danish: {}", list.body);

        app.sms_from(ANNA, "START").await;
        assert_eq!(app.get_json(&format!("/api/people/{anna}")).await["sms_opt_out"], false);
        assert!(last(&app, ANNA).starts_with("Du får SMS fra valgsekretariatet i Testrup Kommune igen"));

        // STOP again; the secretariat turns SMS on from the person's page.
        app.sms_from(ANNA, "stop").await;
        let form = b.get(&format!("/admin/people/{anna}")).await;
        assert!(form.body.contains("id=\"sms-stopped\""), "{}", form.body);
        let saved = b.post(&format!("/admin/people/{anna}"), &[
            ("name", "Anna Jensen"), ("cpr", "120385-1234"), ("phone", ANNA), ("preferred_channel", "sms"),
            ("language", "da"), ("stopped", "1"), ("sms_on", "1"),
        ]).await;
        assert_eq!(saved.status, reqwest::StatusCode::SEE_OTHER, "{}", saved.body);
        assert_eq!(app.get_json(&format!("/api/people/{anna}")).await["sms_opt_out"], false);
    }
}

/// A workflow of the secretariat's that asks confirmed people, two days
/// before their seat, whether they still come; a no frees the seat.
async fn a_no_to_a_question_about_a_confirmed_seat_is_refused_within_the_lock_period(
    backend: Backend,
) {
    let Some(mut setup) = Setup::new(backend).await else {
        return;
    };
    setup.edit_workflows(
        |name, text| match name {
            "task_reminder.yaml" => "workflow: task_reminder
starts_on:
  schedule:
    at: seat_date - P2D 10:00
    catch_up: P1D
  for_each: seat where status = confirmed
states:
  asking:
    ask:
      template: task_reminder
      channels: [sms]
      answers:
        yes: coming
        no: not_coming
  coming:
  not_coming:
    do:
      - set_seat: vacant
"
            .to_string(),
            _ => text,
        },
        &[],
    );
    let app = setup.start().await;
    let e = election(&app, 3).await;
    let anna = person().create(&app).await;
    join(&app, anna, "Borgerlisten").await;
    anna_confirmed_on(&app, anna, e.seats[0]).await;
    // The question comes on Sunday 18 November, within the lock period.
    app.jump_to("2029-11-18T09:30:00Z").await;
    let questions =
        app.get_json(&format!("/api/seats/{}", e.seats[0])).await["instances"].to_string();
    assert!(
        questions.contains("asking"),
        "the question was asked: {questions}"
    );
    app.sms_from(ANNA, "NEJ").await;
    assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
    assert!(
        last(&app, ANNA).contains("at du ikke kan melde fra her"),
        "{}",
        last(&app, ANNA)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_to_a_question_about_a_confirmed_seat_is_refused_within_the_lock_period_on_sqlite() {
    a_no_to_a_question_about_a_confirmed_seat_is_refused_within_the_lock_period(Backend::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_to_a_question_about_a_confirmed_seat_is_refused_within_the_lock_period_on_postgres() {
    a_no_to_a_question_about_a_confirmed_seat_is_refused_within_the_lock_period(Backend::Postgres)
        .await;
}
