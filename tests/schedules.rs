//! Scheduled workflows on the virtual clock: the shipped election-eve
//! reminder at 18:00 Danish time the day before, across the autumn change
//! of the clocks, and what happens to an occurrence the service missed.

mod support;

use reqwest::StatusCode;
use support::admin::Browser;
use support::builders::{assign, election, election_on, import, person};
use support::{Backend, SECRETARIAT, TestApp};

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

/// Seats on three dates: the count of postal votes the day before, two
/// shifts on election day and the recount the day after.
const THREE_DAYS: &str = r#"
election: { title: Kommunalvalg 2029, type: Kommunalvalg, election_day: 2029-11-20, starts_on: 2029-11-19, ends_on: 2029-11-21 }
areas:
  - name: Midtbyen
    stations:
      - { name: Rådhushallen, address: Rådhuspladsen 1, voting_area: "1" }
teams: [Borgerlisten]
task_types:
  - { name: Brevstemmer, start: "16:00", end: "20:00", payment: 300 }
  - { name: Morgen, start: "07:00", end: "13:00", payment: 300 }
  - { name: Aften, start: "13:00", end: "22:00", payment: 300 }
  - { name: Fintælling, start: "09:00", end: "15:00", payment: 300 }
seats:
  - { station: Rådhushallen, task_type: Brevstemmer, team: Borgerlisten, count: 1, date: 2029-11-19 }
  - { station: Rådhushallen, task_type: Morgen, team: Borgerlisten, count: 1 }
  - { station: Rådhushallen, task_type: Aften, team: Borgerlisten, count: 1 }
  - { station: Rådhushallen, task_type: Fintælling, team: Borgerlisten, count: 1, date: 2029-11-21 }
"#;

fn reminders(app: &TestApp, phone: &str) -> Vec<String> {
    app.fake
        .to(phone)
        .into_iter()
        .filter(|m| m.contains("På gensyn i morgen"))
        .collect()
}

on_both_backends! {
    async fn each_seat_date_gets_its_own_eve_and_two_seats_on_one_day_make_one_message(app: TestApp) {
        let e = import(&app, THREE_DAYS).await;
        app.jump_to("2029-11-10T10:00:00Z").await;
        let anna = person().create(&app).await;
        for seat in &e.seats {
            assign(&app, *seat, anna).await;
            let code = support::builders::code_in(app.fake.to(ANNA).last().unwrap());
            app.sms_from(ANNA, &format!("JA {code}")).await;
            assert_eq!(app.seat_status(*seat).await, "confirmed");
        }

        // 18:00 in Copenhagen the evening before the postal-vote count.
        app.jump_to("2029-11-18T16:59:00Z").await;
        assert!(reminders(&app, ANNA).is_empty());
        app.jump_to("2029-11-18T17:00:00Z").await;
        let sent = reminders(&app, ANNA);
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert!(sent[0].contains("mandag 19. november 2029, kl. 16:00 på Rådhushallen"), "{}", sent[0]);

        // The evening before election day: one message with both shifts.
        app.jump_to("2029-11-19T17:00:00Z").await;
        let sent = reminders(&app, ANNA);
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert!(
            sent[1].contains("tirsdag 20. november 2029: kl. 07:00-13:00 på Rådhushallen, Rådhuspladsen 1, som Morgen; kl. 13:00-22:00 på Rådhushallen, Rådhuspladsen 1, som Aften."),
            "{}", sent[1]
        );

        // And the evening before the recount.
        app.jump_to("2029-11-20T17:00:00Z").await;
        let sent = reminders(&app, ANNA);
        assert_eq!(sent.len(), 3, "{sent:?}");
        assert!(sent[2].contains("onsdag 21. november 2029, kl. 09:00"), "{}", sent[2]);
    }

    async fn a_filter_with_or_and_dates_reaches_exactly_the_seats_it_names(app: TestApp) {
        let e = import(&app, THREE_DAYS).await;
        // Late enough that no invitation reminder or timeout falls before
        // the evening looked at.
        app.jump_to("2029-11-17T10:00:00Z").await;
        let phones = ["+4520000011", "+4520000012", "+4520000013", "+4520000014"];
        let mut people = Vec::new();
        for (i, phone) in phones.iter().enumerate() {
            let id = person().name(&format!("Person {i}")).cpr(&format!("0101{}-123{i}", 70 + i)).phone(phone).create(&app).await;
            people.push(id);
        }
        // Postal votes: confirmed; morning: invited; evening: confirmed;
        // recount: invited.
        for (i, seat) in e.seats.iter().enumerate() {
            assign(&app, *seat, people[i]).await;
            if i % 2 == 0 {
                app.sms_from(phones[i], "JA").await;
            }
        }
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        // Counted from election day, a filter that names dates reaches the
        // seats of those dates, not only election day's.
        let edited = shipped("election_eve_reminder")
            .replace("at: seat_date - P1D 18:00", "at: election_day - P1D 18:00")
            .replace(
                "for_each: seat where status = confirmed",
                "for_each: seat where status = confirmed and date = election_day or status = invited and date = 2029-11-21",
            );
        assert!(edited.contains("at: election_day - P1D 18:00"));
        assert!(edited.contains("date = election_day"));
        let r = b.post("/admin/workflows/election_eve_reminder/draft", &[("source", &edited)]).await;
        assert!(r.status.is_redirection() || r.status.is_success(), "{}", r.body);
        let r = b.post("/admin/workflows/election_eve_reminder/publish", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // The evening before election day, 18:00 in Copenhagen.
        app.jump_to("2029-11-19T17:00:00Z").await;
        let reached: Vec<usize> = (0..4).filter(|i| !reminders(&app, phones[*i]).is_empty()).collect();
        assert_eq!(reached, [2, 3], "the evening shift confirmed on election day, the recount invited");
    }
}

fn shipped(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/workflows/{name}.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("shipped workflow")
}
