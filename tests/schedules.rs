//! Scheduled workflows on the virtual clock: the shipped election-eve
//! reminder at 18:00 Danish time the day before, across the autumn change
//! of the clocks, and what happens to an occurrence the service missed.

mod support;

use support::builders::{assign, election, election_on, person};
use support::{Backend, TestApp};

const ANNA: &str = "+4520000001";
const BO: &str = "+4520000002";

fn eve_reminders(app: &TestApp, phone: &str) -> usize {
    app.fake
        .to(phone)
        .iter()
        .filter(|m| m.contains("På gensyn i morgen"))
        .count()
}

/// The secretariat's notes that an eve reminder was skipped.
async fn eve_skipped(app: &TestApp) -> Vec<String> {
    let notes = app.get_json("/api/notifications").await;
    notes
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "schedule-missed")
        .filter_map(|n| n["message"].as_str())
        .filter(|m| m.contains("`election_eve_reminder`"))
        .map(str::to_string)
        .collect()
}

/// Anna confirmed, Bo invited and not yet answered, one seat vacant.
async fn anna_confirmed_and_bo_invited(app: &TestApp, e: &support::builders::Election) {
    let anna = person().create(app).await;
    let bo = person()
        .name("Bo Hansen")
        .cpr("010190-1111")
        .phone(BO)
        .create(app)
        .await;
    assign(app, e.seats[0], anna).await;
    assign(app, e.seats[1], bo).await;
    app.sms_from(ANNA, "JA").await;
    assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
    assert_eq!(app.seat_status(e.seats[1]).await, "invited");
}

on_both_backends! {
    async fn the_election_eve_reminder_reaches_exactly_the_confirmed_seats_at_six_pm_local_the_day_after_the_clocks_go_back(app: TestApp) {
        // Daylight saving ends on Sunday 28 October 2029; the election is
        // on the Monday, so 18:00 the evening before is 17:00 UTC.
        let e = election_on(&app, 3, "2029-10-29", "2029-10-29").await;
        app.jump_to("2029-10-28T16:00:00Z").await;
        anna_confirmed_and_bo_invited(&app, &e).await;

        app.jump_to("2029-10-28T16:59:00Z").await;
        assert_eq!(eve_reminders(&app, ANNA), 0, "not before 18:00 local");

        app.jump_to("2029-10-28T17:00:00Z").await;
        assert_eq!(eve_reminders(&app, ANNA), 1, "{:?}", app.fake.to(ANNA));
        let reminder = app.fake.to(ANNA).into_iter().find(|m| m.contains("På gensyn")).unwrap();
        assert!(reminder.contains("mandag 29. oktober 2029, kl. 07:30 på Rådhushallen"), "{reminder}");
        assert_eq!(eve_reminders(&app, BO), 0, "an invited seat is not reminded");

        // The next day nothing is sent again.
        app.jump_to("2029-10-29T17:00:00Z").await;
        assert_eq!(eve_reminders(&app, ANNA), 1);
    }

    async fn an_eve_reminder_missed_by_less_than_its_catch_up_window_goes_out_late(app: TestApp) {
        let e = election(&app, 2).await;
        app.jump_to("2029-11-19T10:00:00Z").await;
        anna_confirmed_and_bo_invited(&app, &e).await;

        // Down from before 18:00 until 20:30 local; the window is four hours.
        app.jump_to("2029-11-19T19:30:00Z").await;
        assert_eq!(eve_reminders(&app, ANNA), 1);
        assert!(eve_skipped(&app).await.is_empty());
    }

    async fn an_eve_reminder_missed_beyond_its_window_is_skipped_and_the_secretariat_told(app: TestApp) {
        let e = election(&app, 2).await;
        app.jump_to("2029-11-19T10:00:00Z").await;
        anna_confirmed_and_bo_invited(&app, &e).await;

        // Back up on election morning: "see you tomorrow" would be wrong.
        app.jump_to("2029-11-20T05:00:00Z").await;
        assert_eq!(eve_reminders(&app, ANNA), 0);
        let skipped = eve_skipped(&app).await;
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert!(skipped[0].contains("due at 2029-11-19 18:00 and was skipped"), "{}", skipped[0]);

        // And it stays skipped.
        app.jump_to("2029-11-20T06:00:00Z").await;
        assert_eq!(eve_reminders(&app, ANNA), 0);
    }
}
