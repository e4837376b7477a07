//! The secretariat's web admin, page by page and role by role: logging
//! in, the limit on guessing, CSRF tokens, what each role sees and may do,
//! the staffing board as answers arrive, a seat's history and the audit
//! log, on SQLite and PostgreSQL.

mod support;

use reqwest::{Method, StatusCode};
use support::admin::{Browser, PASSWORD, team_member, user};
use support::builders::{Election, code_in, import, person};
use support::{Backend, SECRETARIAT, TestApp};

const ANNA: &str = "+4520000001";

/// Two stations, each staffed by its own team: seats 0-1 are Venstre's at
/// Rådhushallen, 2-3 Socialdemokratiet's at Skolen.
async fn two_teams(app: &TestApp) -> Election {
    import(
        app,
        r#"
election: { title: Folketingsvalg 2029, type: Folketingsvalg, election_day: 2029-11-20, starts_on: 2029-11-19 }
areas:
  - name: Midtbyen
    stations:
      - { name: Rådhushallen, address: Rådhuspladsen 1 }
      - { name: Skolen, address: Skolevej 2 }
teams: [Venstre, Socialdemokratiet]
people:
  - { name: Vera Vestergaard, cpr: 010280-2222, phone: "20 00 00 07", teams: [Venstre] }
task_types:
  - { name: Valgstyrer, start: "07:30", end: "21:00", payment: 600, trusted: true }
seats:
  - { station: Rådhushallen, task_type: Valgstyrer, team: Venstre, count: 2 }
  - { station: Skolen, task_type: Valgstyrer, team: Socialdemokratiet, count: 2 }
"#,
    )
    .await
}

/// The number the board shows for `what` (`vacant`, `invited`, …) in all.
fn total(page: &str, what: &str) -> i64 {
    let marker = format!("id=\"total-{what}\">");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no total-{what} in {page}"))
        + marker.len();
    page[at..at + page[at..].find('<').expect("end")]
        .parse()
        .expect("a number")
}

on_both_backends! {
    async fn a_visitor_without_a_session_is_sent_to_log_in_and_back(app: TestApp) {
        let mut b = Browser::new(&app);
        for path in ["/admin/board", "/admin/board/live", "/admin/seats/1", "/admin/audit"] {
            let page = b.get(path).await;
            assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
            let to = page.location.expect("location");
            assert!(to.starts_with("/admin/login?next=%2Fadmin%2F"), "{path} → {to}");
        }
        let page = b.get("/admin/login?next=/admin/audit").await;
        page.assert_ok();
        assert!(page.body.contains("Adgangskode"), "Danish by default");
    }

    async fn a_wrong_password_is_refused_and_the_right_one_logs_in(app: TestApp) {
        let mut b = Browser::new(&app);
        let page = b.log_in(SECRETARIAT.0, "forkert adgangskode").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.body.contains("Forkert brugernavn eller adgangskode"), "{}", page.body);
        assert!(b.cookie("valgvagt_session").is_none());

        // The login is not case-sensitive.
        let page = b.log_in(&SECRETARIAT.0.to_uppercase(), SECRETARIAT.1).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        assert_eq!(page.location.as_deref(), Some("/admin/board"));
        let board = b.get("/admin/board").await;
        board.assert_ok();
        assert!(board.body.contains("Valgsekretariatet · valgsekretariatet"), "{}", board.body);

        // Logging out ends the session on the server, not just the cookie.
        let cookie = b.cookie("valgvagt_session").expect("session").to_string();
        let out = b.post("/admin/logout", &[]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        let mut replay = Browser::new(&app);
        let r = replay.get_with_cookie("/admin/board", &format!("valgvagt_session={cookie}")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "an ended session logs nobody in");
    }

    async fn wrong_passwords_make_strangers_wait_longer_each_time_but_never_lock_out_a_known_browser(app: TestApp) {
        // The secretariat's own browser has logged in before.
        let mut known = Browser::new(&app);
        assert_eq!(known.log_in(SECRETARIAT.0, SECRETARIAT.1).await.status, StatusCode::SEE_OTHER);
        assert!(known.cookie("valgvagt_device").is_some(), "a known browser gets a device cookie");
        known.post("/admin/logout", &[]).await;

        // Someone else guesses five times.
        let mut b = Browser::new(&app);
        for _ in 0..5 {
            let page = b.log_in(SECRETARIAT.0, "gæt gæt gæt gæt").await;
            assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        }
        let page = b.log_in(SECRETARIAT.0, SECRETARIAT.1).await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
        assert!(page.body.contains("For mange forkerte forsøg"), "{}", page.body);
        assert!(b.cookie("valgvagt_session").is_none());

        // The secretariat's browser is not locked out by it.
        assert_eq!(known.log_in(SECRETARIAT.0, SECRETARIAT.1).await.status, StatusCode::SEE_OTHER, "the known browser logs in");
        // Nor is another user.
        user(&app, "læser@testrup.dk", "reader", None, None).await;
        let mut other = Browser::new(&app);
        assert_eq!(other.log_in("læser@testrup.dk", PASSWORD).await.status, StatusCode::SEE_OTHER);

        // The stranger waits a minute; a further wrong guess doubles it.
        app.clock.advance(chrono::Duration::seconds(61));
        assert_eq!(b.log_in(SECRETARIAT.0, "gæt igen gæt igen").await.status, StatusCode::UNAUTHORIZED);
        app.clock.advance(chrono::Duration::seconds(61));
        assert_eq!(b.log_in(SECRETARIAT.0, SECRETARIAT.1).await.status, StatusCode::TOO_MANY_REQUESTS, "two minutes now");
        app.clock.advance(chrono::Duration::seconds(61));
        let page = b.log_in(SECRETARIAT.0, SECRETARIAT.1).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }

    async fn a_busy_session_still_ends_sixteen_hours_after_the_login(app: TestApp) {
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        for _ in 0..3 {
            app.clock.advance(chrono::Duration::hours(5));
            b.get("/admin/board").await.assert_ok();
        }
        app.clock.advance(chrono::Duration::hours(1) + chrono::Duration::minutes(1));
        let page = b.get("/admin/board").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "16 hours after the login it is over");
        assert!(page.location.as_deref().unwrap_or("").starts_with("/admin/login"));
    }

    async fn api_tokens_are_named_expire_show_their_last_use_and_are_revoked_one_by_one(app: TestApp) {
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let token_of = |body: &str| {
            let at = body.find("<code id=\"new-token\">").expect("the new token is shown") + "<code id=\"new-token\">".len();
            body[at..at + body[at..].find('<').unwrap()].to_string()
        };
        let page = b.post("/admin/tokens", &[("name", "Lønsystemet"), ("days", "30")]).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let payroll = token_of(&page.body);
        let page = b.post("/admin/tokens", &[("name", "Kort levetid"), ("days", "1")]).await;
        let short = token_of(&page.body);
        let anon = reqwest::Client::new();
        let call = |token: String| {
            let anon = anon.clone();
            let url = app.url("/api/elections");
            async move { anon.get(url).bearer_auth(token).send().await.unwrap().status() }
        };
        assert_eq!(call(payroll.clone()).await, StatusCode::OK);
        assert_eq!(call(short.clone()).await, StatusCode::OK);
        let list = b.get("/admin/tokens").await;
        assert!(list.body.contains("Lønsystemet"), "{}", list.body);
        assert!(!list.body.contains(&payroll), "a token is shown once, never listed");
        for name in ["Lønsystemet", "Kort levetid"] {
            let at = list.body.find(name).unwrap();
            let row = &list.body[at..at + list.body[at..].find("</tr>").unwrap()];
            assert!(!row.contains("ikke brugt"), "{name} was used: {row}");
        }

        // Two days on, the one-day token has expired; the other still works.
        app.clock.advance(chrono::Duration::days(2));
        assert_eq!(call(short).await, StatusCode::UNAUTHORIZED);
        assert_eq!(call(payroll.clone()).await, StatusCode::OK);

        // Revoked, it stops at once.
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let list = b.get("/admin/tokens").await;
        let row = list.body.find("Lønsystemet").unwrap();
        let id_at = list.body[..row].rfind("data-token=\"").unwrap() + "data-token=\"".len();
        let id: String = list.body[id_at..].chars().take_while(|c| c.is_ascii_digit()).collect();
        let r = b.post(&format!("/admin/tokens/{id}/revoke"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(call(payroll).await, StatusCode::UNAUTHORIZED);

        // Only the secretariat manages tokens.
        user(&app, "læser@testrup.dk", "reader", None, None).await;
        let mut reader = Browser::logged_in(&app, "læser@testrup.dk", PASSWORD).await;
        assert_eq!(reader.get("/admin/tokens").await.status, StatusCode::FORBIDDEN);
    }

    async fn a_form_without_the_csrf_token_is_refused_and_changes_nothing(app: TestApp) {
        let e = two_teams(&app).await;
        let anna = person().create(&app).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let seat = e.seats[0];
        let path = format!("/admin/seats/{seat}/assign");
        let anna_id = anna.to_string();

        let page = b.post_raw(&path, &[("person_id", &anna_id)]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(page.body.contains("sikkerhedsfelt") && !page.body.contains("security token"), "in the user's language: {}", page.body);
        let page = b.post_raw(&path, &[("person_id", &anna_id), ("_csrf", "gættet")]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        app.settle().await;
        assert_eq!(app.seat_status(seat).await, "vacant");
        assert!(app.fake.to(ANNA).is_empty());

        // Logging out and the login form need their tokens too.
        assert_eq!(b.post_raw("/admin/logout", &[]).await.status, StatusCode::FORBIDDEN);
        let mut fresh = Browser::new(&app);
        fresh.get("/admin/login").await.assert_ok();
        let page = fresh.post_raw("/admin/login", &[("login", SECRETARIAT.0), ("password", SECRETARIAT.1)]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);

        b.get(&format!("/admin/seats/{seat}")).await.assert_ok();
        let page = b.post(&path, &[("person_id", &anna_id)]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        app.settle().await;
        assert_eq!(app.seat_status(seat).await, "invited");
        assert_eq!(app.fake.to(ANNA).len(), 1);
    }

    async fn a_team_responsible_sees_and_staffs_only_their_teams_seats(app: TestApp) {
        let e = two_teams(&app).await;
        let member = person().create(&app).await;
        let outsider = person().name("Ole Udenfor").cpr("010170-1111").phone("+4520000009").create(&app).await;
        team_member(&app, "Venstre", member).await;
        user(&app, "venstre@testrup.dk", "team", Some("Venstre"), None).await;
        let mut b = Browser::logged_in(&app, "venstre@testrup.dk", PASSWORD).await;

        let board = b.get("/admin/board").await;
        board.assert_ok();
        assert_eq!(total(&board.body, "vacant"), 2, "only Venstre's two seats");
        assert!(board.body.contains(">Rådhushallen</a>") && !board.body.contains(">Skolen</a>"), "{}", board.body);
        // Asking for the other team's seats changes nothing.
        let team_ids = app.get_json("/api/teams").await;
        let other = team_ids.as_array().unwrap().iter().find(|t| t["name"] == "Socialdemokratiet").unwrap()["id"].as_i64().unwrap();
        let live = b.get(&format!("/admin/board/live?team={other}")).await;
        assert_eq!(total(&live.body, "vacant"), 2);

        assert_eq!(b.get(&format!("/admin/seats/{}", e.seats[2])).await.status, StatusCode::FORBIDDEN);
        let own = b.get(&format!("/admin/seats/{}", e.seats[0])).await;
        own.assert_ok();
        assert!(own.body.contains("Anna Jensen") && own.body.contains("Vera Vestergaard"), "members, also from the election file: {}", own.body);
        assert!(!own.body.contains("Ole Udenfor"), "only members are offered");

        let m = member.to_string();
        let o = outsider.to_string();
        let page = b.post(&format!("/admin/seats/{}/assign", e.seats[2]), &[("person_id", &m)]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "another team's seat");
        let page = b.post(&format!("/admin/seats/{}/assign", e.seats[0]), &[("person_id", &o)]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "not a member of the team");
        app.settle().await;
        assert_eq!(app.seat_status(e.seats[2]).await, "vacant");
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");

        let page = b.post(&format!("/admin/seats/{}/assign", e.seats[0]), &[("person_id", &m)]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        app.settle().await;
        assert_eq!(app.seat_status(e.seats[0]).await, "invited");

        // The audit log and the JSON API are the secretariat's.
        assert_eq!(b.get("/admin/audit").await.status, StatusCode::FORBIDDEN);
        assert_eq!(b.api(Method::GET, "/api/elections", None).await, StatusCode::FORBIDDEN);
    }

    async fn a_station_responsible_reads_their_station_and_changes_nothing(app: TestApp) {
        let e = two_teams(&app).await;
        let anna = person().create(&app).await;
        user(&app, "skolen@testrup.dk", "station", None, Some("Skolen")).await;
        let mut b = Browser::logged_in(&app, "skolen@testrup.dk", PASSWORD).await;

        let board = b.get("/admin/board").await;
        assert_eq!(total(&board.body, "vacant"), 2, "Skolen's two seats");
        assert!(board.body.contains("data-seat=\"{}\"".replace("{}", &e.seats[2].to_string()).as_str()), "the station's seats are listed");
        assert!(!board.body.contains(&format!("data-seat=\"{}\"", e.seats[0])));

        let own = b.get(&format!("/admin/seats/{}", e.seats[2])).await;
        own.assert_ok();
        assert!(!own.body.contains("assign-form"), "read-only: no assign form");
        assert_eq!(b.get(&format!("/admin/seats/{}", e.seats[0])).await.status, StatusCode::FORBIDDEN);
        let a = anna.to_string();
        let page = b.post(&format!("/admin/seats/{}/assign", e.seats[2]), &[("person_id", &a)]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        app.settle().await;
        assert_eq!(app.seat_status(e.seats[2]).await, "vacant");
        assert_eq!(b.get("/admin/audit").await.status, StatusCode::FORBIDDEN);
    }

    async fn a_reader_reads_everything_and_changes_nothing(app: TestApp) {
        let e = two_teams(&app).await;
        let anna = person().create(&app).await;
        user(&app, "læser@testrup.dk", "reader", None, None).await;
        let mut b = Browser::logged_in(&app, "læser@testrup.dk", PASSWORD).await;
        let board = b.get("/admin/board").await;
        assert_eq!(total(&board.body, "vacant"), 4);
        b.get(&format!("/admin/seats/{}", e.seats[2])).await.assert_ok();
        b.get("/admin/audit").await.assert_ok();
        let a = anna.to_string();
        let page = b.post(&format!("/admin/seats/{}/assign", e.seats[2]), &[("person_id", &a)]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        let csrf = b.csrf.clone();
        assert_eq!(b.api(Method::GET, "/api/elections", None).await, StatusCode::OK);
        assert_eq!(b.api(Method::POST, &format!("/api/seats/{}/no-show", e.seats[0]), csrf.as_deref()).await, StatusCode::FORBIDDEN);
    }

    async fn the_api_needs_a_token_or_a_session_with_its_csrf_header(app: TestApp) {
        let e = two_teams(&app).await;
        let anon = reqwest::Client::new();
        let r = anon.get(app.url("/api/elections")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let r = anon.get(app.url("/api/elections")).bearer_auth("vv_made_up").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(anon.get(app.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);

        let b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        assert_eq!(b.api(Method::GET, "/api/elections", None).await, StatusCode::OK);
        let remove = format!("/api/seats/{}/remove", e.seats[0]);
        assert_eq!(b.api(Method::POST, &remove, None).await, StatusCode::FORBIDDEN, "a session's write needs X-CSRF-Token");
    }

    async fn the_board_changes_when_the_sms_answer_arrives(app: TestApp) {
        let e = two_teams(&app).await;
        let anna = person().create(&app).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let board = b.get("/admin/board").await;
        assert_eq!((total(&board.body, "vacant"), total(&board.body, "invited"), total(&board.body, "confirmed")), (4, 0, 0));

        b.get(&format!("/admin/seats/{}", e.seats[0])).await.assert_ok();
        let a = anna.to_string();
        assert_eq!(b.post(&format!("/admin/seats/{}/assign", e.seats[0]), &[("person_id", &a)]).await.status, StatusCode::SEE_OTHER);
        app.settle().await;
        let live = b.get("/admin/board/live").await;
        assert_eq!((total(&live.body, "vacant"), total(&live.body, "invited"), total(&live.body, "confirmed")), (3, 1, 0));

        let code = code_in(&app.fake.to(ANNA)[0]);
        app.sms_from(ANNA, &format!("JA {code}")).await;
        let live = b.get("/admin/board/live").await;
        assert_eq!((total(&live.body, "vacant"), total(&live.body, "invited"), total(&live.body, "confirmed")), (3, 0, 1));
    }

    async fn a_seats_page_shows_every_message_and_answer_with_channel_and_number(app: TestApp) {
        let e = two_teams(&app).await;
        let anna = person().create(&app).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get(&format!("/admin/seats/{}", e.seats[0])).await.assert_ok();
        let a = anna.to_string();
        b.post(&format!("/admin/seats/{}/assign", e.seats[0]), &[("person_id", &a)]).await;
        app.settle().await;
        let code = code_in(&app.fake.to(ANNA)[0]);
        app.sms_from(ANNA, &format!("ja {code} glæder mig")).await;

        let page = b.get(&format!("/admin/seats/{}", e.seats[0])).await;
        page.assert_ok();
        let body = &page.body;
        assert!(body.contains("id=\"seat-status\" data-status=\"confirmed\""), "{body}");
        assert!(body.contains("data-template=\"invitation\">Invitation<"), "the invitation went out: {body}");
        assert!(body.contains("data-template=\"registration_confirmation\">Bekræftelse af plads<"), "and the confirmation");
        assert!(body.contains("Svarede ja · Anna Jensen") && !body.contains("answered_yes<"), "events in Danish: {body}");
        let answer = body.find("data-event=\"answered_yes\"").expect("the answer is listed");
        let row = &body[answer..answer + body[answer..].find("</tr>").unwrap()];
        assert!(row.contains("<td>SMS</td>") && row.contains(ANNA), "channel and number: {row}");
        assert!(row.contains(&format!("ja {code} glæder mig")), "what was written: {row}");
        // The admin's assignment is audited as the user.
        let audit = b.get("/admin/audit?action=seat.assigned").await;
        audit.assert_ok();
        assert!(audit.body.contains("data-action=\"seat.assigned\""), "{}", audit.body);
        assert!(audit.body.contains("<td>Sat på pladsen</td>"), "the action in words: {}", audit.body);
        assert!(audit.body.contains("<td data-actor=\"user:1\">Valgsekretariatet</td>"), "the user by name: {}", audit.body);
        assert!(audit.body.contains("Rådhushallen, Valgstyrer, 20.11.2029</a>") && audit.body.contains(">Anna Jensen</a>"), "the seat and person by name: {}", audit.body);
    }

    async fn the_audit_log_filters_by_action_and_seat(app: TestApp) {
        let e = two_teams(&app).await;
        let anna = person().create(&app).await;
        support::builders::assign(&app, e.seats[1], anna).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let all = b.get("/admin/audit").await;
        assert!(all.body.contains("data-action=\"user.logged_in\""));
        let only = b.get(&format!("/admin/audit?action=seat.&seat={}", e.seats[1])).await;
        only.assert_ok();
        assert!(!only.body.contains("data-action=\"user.logged_in\""), "{}", only.body);
        assert!(only.body.contains("data-action=\"seat."), "{}", only.body);
        let none = b.get(&format!("/admin/audit?seat={}", e.seats[3])).await;
        assert!(none.body.contains("Ingen hændelser matcher"), "{}", none.body);
    }

    async fn a_user_who_chooses_english_gets_the_pages_in_english(app: TestApp) {
        two_teams(&app).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        assert!(b.get("/admin/board").await.body.contains("Bemanding"));
        let r = b.post("/admin/language", &[("language", "en"), ("back", "/admin/board")]).await;
        assert_eq!(r.location.as_deref(), Some("/admin/board"));
        let board = b.get("/admin/board").await;
        assert!(board.body.contains("<html lang=\"en\">") && board.body.contains("Staffing"), "{}", board.body);
    }
    async fn admin_pages_are_not_cached_or_framed(app: TestApp) {
        let b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let r = reqwest::Client::new()
            .get(app.url("/admin/people"))
            .header("Cookie", format!("valgvagt_session={}", b.cookie("valgvagt_session").unwrap()))
            .send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert_eq!(r.headers()["x-frame-options"], "DENY");
        assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    }

    async fn a_disabled_user_can_neither_log_in_nor_use_their_api_token(app: TestApp) {
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        valgvagt::users::disable(&app.engine().db, &app.engine().clock, SECRETARIAT.0).await.unwrap();
        assert_eq!(b.get("/admin/board").await.status, StatusCode::SEE_OTHER, "the session ended");
        let r = app.http.get(app.url("/api/elections")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "the API token ended");
        let page = Browser::new(&app).log_in(SECRETARIAT.0, SECRETARIAT.1).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }

    async fn a_no_show_or_a_removal_on_the_seat_page_frees_the_seat_and_stays_in_its_history(app: TestApp) {
        let e = two_teams(&app).await;
        let anna = person().create(&app).await;
        let bo = person().name("Bo Nielsen").cpr("030771-2345").phone("+4520000002").create(&app).await;
        support::builders::assign(&app, e.seats[0], anna).await;
        support::builders::assign(&app, e.seats[2], bo).await;
        user(&app, "læser@testrup.dk", "reader", None, None).await;
        user(&app, "venstre@testrup.dk", "team", Some("Venstre"), None).await;

        let mut r = Browser::logged_in(&app, "læser@testrup.dk", PASSWORD).await;
        let page = r.get(&format!("/admin/seats/{}", e.seats[0])).await;
        assert!(!page.body.contains("id=\"no-show\""), "a reader gets no buttons");
        assert_eq!(r.post(&format!("/admin/seats/{}/no-show", e.seats[0]), &[]).await.status, StatusCode::FORBIDDEN);
        let mut t = Browser::logged_in(&app, "venstre@testrup.dk", PASSWORD).await;
        t.get(&format!("/admin/seats/{}", e.seats[0])).await.assert_ok();
        assert_eq!(t.post(&format!("/admin/seats/{}/remove", e.seats[2]), &[("reason", "secretariat")]).await.status, StatusCode::FORBIDDEN, "another team's seat");
        assert_eq!(t.post(&format!("/admin/seats/{}/remove", e.seats[0]), &[("reason", "validation")]).await.status, StatusCode::FORBIDDEN, "validation is the secretariat's");
        assert_eq!(app.seat_status(e.seats[0]).await, "invited");

        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let page = b.get(&format!("/admin/seats/{}", e.seats[0])).await;
        assert!(!page.body.contains("id=\"no-show\""), "not before the seat's day, nor before a yes");
        let early = b.post(&format!("/admin/seats/{}/no-show", e.seats[0]), &[("confirmed", "1")]).await;
        assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
        assert!(early.body.contains("Udeblevet kan først meldes på pladsens dag, 20.11.2029"), "{}", early.body);
        let nowhere = b.get("/admin/seats/1/nowhere").await;
        assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
        assert!(nowhere.body.contains("<h1>Siden findes ikke"), "a page, not an empty 404: {}", nowhere.body);
        assert_eq!(app.seat_status(e.seats[0]).await, "invited");
        // Taking someone off asks first, saying who is told.
        let r = b.post(&format!("/admin/seats/{}/remove", e.seats[2]), &[("reason", "secretariat")]).await;
        assert_eq!(r.location.as_deref(), Some(format!("/admin/seats/{}?confirm=remove&reason=secretariat", e.seats[2]).as_str()));
        assert_eq!(app.seat_status(e.seats[2]).await, "invited", "nothing happens on one click");
        let ask = b.get(r.location.as_deref().unwrap()).await;
        assert!(ask.body.contains("id=\"confirm\"") && ask.body.contains("Fjern personen fra pladsen?"), "{}", ask.body);
        assert!(ask.body.contains("Personen får besked om, at de er fjernet (SMS)"), "{}", ask.body);
        let r = b.post(&format!("/admin/seats/{}/remove", e.seats[2]), &[("reason", "secretariat"), ("confirmed", "1")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location.as_deref(), Some(format!("/admin/seats/{}?done=removed", e.seats[2]).as_str()));
        assert!(b.get(r.location.as_deref().unwrap()).await.body.contains("Personen er fjernet fra pladsen og får besked."));
        assert_eq!(app.seat_status(e.seats[2]).await, "vacant");
        assert_eq!(app.get_json("/api/outbox").await[0]["template"], "invitation_retracted", "Bo is told");
        let again = b.post(&format!("/admin/seats/{}/remove", e.seats[2]), &[("confirmed", "1")]).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "the seat is vacant now");

        app.sms_from("+4520000001", "JA").await;
        app.jump_to("2029-11-20T07:15:00Z").await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let page = b.get(&format!("/admin/seats/{}", e.seats[0])).await;
        assert!(page.body.contains("id=\"no-show\""), "a confirmed seat on its day");
        let r = b.post(&format!("/admin/seats/{}/no-show", e.seats[0]), &[]).await;
        assert_eq!(r.location.as_deref(), Some(format!("/admin/seats/{}?confirm=no-show", e.seats[0]).as_str()));
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed", "nothing happens on one click");
        let ask = b.get(r.location.as_deref().unwrap()).await;
        assert!(ask.body.contains("Meld personen udeblevet?") && ask.body.contains("Anna Jensen"), "{}", ask.body);
        let r = b.post(&format!("/admin/seats/{}/no-show", e.seats[0]), &[("confirmed", "1")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(b.get(r.location.as_deref().unwrap()).await.body.contains("id=\"seat-done\" data-done=\"no_show\""));
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        assert!(app.history(e.seats[0]).await.contains(&"no_show".to_string()));
    }

    async fn readers_look_at_the_followup_page_and_only_the_secretariat_acts_on_it(app: TestApp) {
        two_teams(&app).await;
        let notice = {
            let mut tx = app.engine().db.begin().await.expect("begin");
            let id = tx
                .notify_secretariat("unanswered", Default::default(), &valgvagt::domain::Said::new("Pladsen venter", "Seat waits"), app.engine().clock.now())
                .await
                .expect("notify");
            tx.commit().await.expect("commit");
            id
        };
        user(&app, "læser@testrup.dk", "reader", None, None).await;
        user(&app, "venstre@testrup.dk", "team", Some("Venstre"), None).await;
        let mut r = Browser::logged_in(&app, "læser@testrup.dk", PASSWORD).await;
        let page = r.get("/admin/followup").await;
        page.assert_ok();
        assert!(page.body.contains(&format!("data-notification=\"{notice}\"")) && !page.body.contains("id=\"resolve-"));
        let refused = r.post(&format!("/admin/followup/notifications/{notice}/resolve"), &[]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(r.post("/admin/followup/swaps/1/approve", &[]).await.status, StatusCode::FORBIDDEN);
        // A party secretary has a list of their own, without the secretariat's.
        let mut t = Browser::logged_in(&app, "venstre@testrup.dk", PASSWORD).await;
        let own = t.get("/admin/followup").await;
        own.assert_ok();
        assert!(!own.body.contains(&format!("data-notification=\"{notice}\"")), "{}", own.body);
        t.post(&format!("/admin/followup/notifications/{notice}/resolve"), &[]).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/followup").await;
        assert_eq!(b.post_raw(&format!("/admin/followup/notifications/{notice}/resolve"), &[]).await.status, StatusCode::FORBIDDEN, "no CSRF token");
        assert!(b.get("/admin/followup").await.body.contains(&format!("data-notification=\"{notice}\"")), "still open");
    }
    async fn the_followup_list_groups_notes_by_kind_in_danish_and_marks_several_or_a_kind_as_done(app: TestApp) {
        let e = two_teams(&app).await;
        let anna = person().create(&app).await;
        support::builders::assign(&app, e.seats[0], anna).await;
        app.settle().await;
        for text in ["hvad?", "hvornår?", "hvor?"] {
            app.sms_from(ANNA, text).await;
        }
        app.sms_from(ANNA, "STOP").await;
        app.settle().await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let page = b.get("/admin/followup").await;
        page.assert_ok();
        let body = &page.body;
        assert!(body.contains("id=\"kind-not-understood\"") && body.contains("Beskeder, der ikke blev forstået <span class=\"small\">(3)</span>"), "{body}");
        assert!(body.contains("id=\"kind-sms-stop\"") && body.contains("Personen skrev STOP og får ikke flere SMS&#x27;er."), "in Danish: {body}");
        assert!(body.contains("Rådhushallen, Valgstyrer, 20.11.2029"), "the seat by name: {body}");
        assert!(!body.contains(">#") && !body.contains("A message that is not an answer"), "{body}");

        // Two ticked, then the rest of the kind.
        let ids: Vec<String> = body.match_indices("<tr data-notification=\"").filter_map(|(at, m)| {
            let rest = &body[at + m.len()..];
            let tag = &rest[..rest.find('>').unwrap()];
            tag.contains("data-kind=\"not-understood\"").then(|| tag.split('"').next().unwrap().to_string())
        }).collect();
        assert_eq!(ids.len(), 3);
        let r = b.post("/admin/followup/notifications/resolve", &[("id", &ids[0]), ("id", &ids[1])]).await;
        assert_eq!(r.location.as_deref(), Some("/admin/followup?resolved=2"));
        let page = b.get("/admin/followup?resolved=2").await;
        assert!(page.body.contains("2 hændelser er markeret som klaret.") && page.body.contains("(1)</span>"), "{}", page.body);
        let upto = support::admin::attr_after(&page.body, "name=\"upto\"", "value").expect("upto");
        app.sms_from(ANNA, "og hvem?").await;
        app.settle().await;
        let r = b.post("/admin/followup/notifications/resolve", &[("kind", "not-understood"), ("upto", &upto)]).await;
        assert_eq!(r.location.as_deref(), Some("/admin/followup?resolved=1"), "the note that came after is kept");
        let page = b.get("/admin/followup").await;
        assert!(page.body.contains("id=\"kind-not-understood\""), "the note that came after: {}", page.body);
        assert_eq!(page.body.matches("<tr data-notification").count(), 2, "{}", page.body);
        assert!(page.body.contains("data-kind=\"sms-stop\""), "another kind is left alone");
    }

    async fn the_secretariat_adds_a_user_gives_a_new_password_and_disables_them_after_saying_so(app: TestApp) {
        two_teams(&app).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/users").await.assert_ok();
        let refused = b.post("/admin/users", &[("name", "Vibeke Holm"), ("login", "vibeke@venstre.dk"), ("role", "team")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("data-problem=\"err_user_no_team\"") && refused.body.contains("value=\"vibeke@venstre.dk\""), "the form kept: {}", refused.body);
        let made = b.post("/admin/users", &[("name", "Vibeke Holm"), ("login", "vibeke@venstre.dk"), ("role", "team"), ("team", "Venstre"), ("language", "da")]).await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.body);
        let password = support::admin::attr_after(&made.body, "id=\"new-password\"", "id").map(|_| {
            let at = made.body.find("id=\"new-password\">").unwrap() + "id=\"new-password\">".len();
            made.body[at..at + made.body[at..].find('<').unwrap()].to_string()
        }).expect("the password, shown once");
        assert!(made.body.contains("Holdansvarlig: Venstre") || made.body.contains("holdansvarlig: Venstre"), "{}", made.body);
        let again = b.post("/admin/users", &[("name", "Vibeke Holm"), ("login", "vibeke@venstre.dk"), ("role", "team"), ("team", "Venstre")]).await;
        assert!(again.body.contains("data-problem=\"err_user_taken\""));

        // She logs in; the secretariat gives her a new password, which ends her session.
        let mut v = Browser::logged_in(&app, "vibeke@venstre.dk", &password).await;
        assert_eq!(v.get("/admin/board").await.status, StatusCode::OK);
        let id = {
            let at = made.body.find("<tr data-user=\"").unwrap();
            let ids: Vec<i64> = made.body[at..].match_indices("<tr data-user=\"").map(|(i, m)| {
                let rest = &made.body[at + i + m.len()..];
                rest[..rest.find('"').unwrap()].parse().unwrap()
            }).collect();
            *ids.iter().max().unwrap()
        };
        let reset = b.post(&format!("/admin/users/{id}/password"), &[]).await;
        assert!(reset.body.contains("id=\"new-password\""), "{}", reset.body);
        assert_eq!(v.get("/admin/board").await.status, StatusCode::SEE_OTHER, "her old session ended");
        assert_eq!(Browser::new(&app).log_in("vibeke@venstre.dk", &password).await.status, StatusCode::UNAUTHORIZED);

        // Disabling asks first; nobody disables themselves; a team responsible manages no users.
        let ask = b.post(&format!("/admin/users/{id}/disable"), &[]).await;
        assert_eq!(ask.location.as_deref(), Some(format!("/admin/users?confirm=disable&user={id}").as_str()));
        let page = b.get(ask.location.as_deref().unwrap()).await;
        assert!(page.body.contains("Deaktivér brugeren?") && page.body.contains("Vibeke Holm"), "{}", page.body);
        let done = b.post(&format!("/admin/users/{id}/disable"), &[("confirmed", "1")]).await;
        assert_eq!(done.location.as_deref(), Some("/admin/users?done=disabled"));
        assert!(b.get("/admin/users?done=disabled").await.body.contains("deaktiveret"));
        let me = b.get("/admin/users").await;
        let my_id = me.body[me.body.find("(dig)").map(|at| me.body[..at].rfind("<tr data-user=\"").unwrap() + 15).unwrap()..].split('"').next().unwrap().to_string();
        assert_eq!(b.post(&format!("/admin/users/{my_id}/disable"), &[("confirmed", "1")]).await.status, StatusCode::CONFLICT);
        user(&app, "soc@testrup.dk", "team", Some("Socialdemokratiet"), None).await;
        let mut t = Browser::logged_in(&app, "soc@testrup.dk", PASSWORD).await;
        assert_eq!(t.get("/admin/users").await.status, StatusCode::FORBIDDEN);
        assert_eq!(t.post("/admin/users", &[("name", "X"), ("login", "x@x.dk"), ("role", "secretariat")]).await.status, StatusCode::FORBIDDEN);
    }

    async fn danish_pages_name_things_in_danish_and_never_by_their_internal_names(app: TestApp) {
        let e = two_teams(&app).await;
        let anna = person().create(&app).await;
        let bo = person().name("Bo Nielsen").cpr("030771-2345").phone("+4520000002").create(&app).await;
        support::builders::assign(&app, e.seats[0], anna).await;
        support::builders::assign(&app, e.seats[1], bo).await;
        app.settle().await;
        let code = code_in(&app.fake.to(ANNA)[0]);
        app.sms_from(ANNA, &format!("JA {code}")).await;
        let code = code_in(&app.fake.to("+4520000002")[0]);
        app.sms_from("+4520000002", &format!("NEJ {code}")).await;
        app.sms_from("+4520000002", "hvad sker der nu?").await;
        app.sms_from("+4529999999", "hej").await;
        app.settle().await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let pages = [
            "/admin/board".to_string(),
            format!("/admin/seats/{}", e.seats[0]),
            format!("/admin/seats/{}", e.seats[1]),
            format!("/admin/seats/{}?confirm=remove", e.seats[0]),
            "/admin/people".to_string(),
            format!("/admin/people/{anna}"),
            "/admin/followup".to_string(),
            "/admin/inbound".to_string(),
            "/admin/messages".to_string(),
            "/admin/users".to_string(),
            "/admin/templates".to_string(),
            "/admin/audit".to_string(),
            "/admin/workflows".to_string(),
            "/admin/tokens".to_string(),
            "/admin/nowhere".to_string(),
        ];
        for path in pages {
            let page = b.get(&path).await;
            let text = support::pages::visible_text(&page.body);
            assert!(page.body.contains("<html lang=\"da\">"), "{path}");
            if let Some(term) = support::pages::internal_term_in(&text) {
                panic!("{path} shows the internal term «{term}»: {text}");
            }
        }
    }
}

/// Where a workflow offers a party's seat to every party's standby people
/// (`same_team: no`), the party secretary still sees no other party's
/// people on the seat's page.
async fn a_team_responsible_sees_neither_other_parties_standby_offers_nor_memberships(
    backend: Backend,
) {
    let Some(mut setup) = support::Setup::new(backend).await else {
        return;
    };
    setup.edit_workflows(
        |name, text| match name {
            "fill_seat.yaml" => text.replace("wave: 3", "wave: 3\n      same_team: no"),
            _ => text,
        },
        &[],
    );
    let app = setup.start().await;
    let e = two_teams(&app).await;
    let member = person().create(&app).await;
    team_member(&app, "Venstre", member).await;
    team_member(&app, "Socialdemokratiet", member).await;
    let reserve = person()
        .name("Søren Standby")
        .cpr("010170-1111")
        .phone("+4520000009")
        .create(&app)
        .await;
    support::builders::party_standby(&app, e.id, reserve, "2029-11-20", "Socialdemokratiet").await;
    support::builders::assign(&app, e.seats[0], member).await;
    app.sms_from(ANNA, "NEJ").await;
    assert!(
        app.fake.to("+4520000009").iter().any(|m| m.contains("JA")),
        "the seat was offered to standby"
    );

    let mut secretariat = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
    let all = secretariat
        .get(&format!("/admin/seats/{}", e.seats[0]))
        .await;
    assert!(
        all.body.contains("+4520000009"),
        "the secretariat sees the offer"
    );

    user(&app, "venstre@testrup.dk", "team", Some("Venstre"), None).await;
    let mut b = Browser::logged_in(&app, "venstre@testrup.dk", PASSWORD).await;
    let page = b.get(&format!("/admin/seats/{}", e.seats[0])).await;
    page.assert_ok();
    assert!(
        page.body.contains("answered_no"),
        "the member's own answer is there"
    );
    assert!(
        !page.body.contains("+4520000009") && !page.body.contains("Søren Standby"),
        "{}",
        page.body
    );
    let people = b.get("/admin/people").await;
    assert!(
        people.body.contains("<td>Venstre</td>") && !people.body.contains("Socialdemokratiet"),
        "{}",
        people.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_responsible_sees_neither_other_parties_standby_offers_nor_memberships_on_sqlite() {
    a_team_responsible_sees_neither_other_parties_standby_offers_nor_memberships(Backend::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_responsible_sees_neither_other_parties_standby_offers_nor_memberships_on_postgres()
{
    a_team_responsible_sees_neither_other_parties_standby_offers_nor_memberships(Backend::Postgres)
        .await;
}

/// The README's tour of the API, line by line as written, on fresh demo
/// data: each answers 2xx, but the no-show the README says is refused
/// before the seat's day.
async fn readme_tour(app: TestApp) {
    valgvagt::demo::seed(app.engine()).await.expect("demo data");
    let readme = include_str!("../README.md");
    let from = readme.find("## Trying it").expect("the tour");
    let block = &readme[from..];
    let block = &block[block.find("```sh").expect("its commands") + 5..];
    let block = &block[..block.find("```").expect("their end")];
    let joined = block.replace("\\\n", " ");
    let mut ran = 0;
    for line in joined
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("curl "))
    {
        let words = shell_words(line);
        let comment = line.split_once(" # ").map(|(_, c)| c).unwrap_or_default();
        let mut method = reqwest::Method::GET;
        let mut body = None;
        let mut url = None;
        let mut i = 1;
        while i < words.len() {
            let w = &words[i];
            if let Some(m) = w.strip_prefix("-X") {
                method = m.parse().expect("a method");
            } else if w == "-d" {
                body = Some(words[i + 1].clone());
                i += 1;
            } else if w == "-H" {
                i += 1;
            } else if w.starts_with("localhost:8080") {
                url = Some(w.trim_start_matches("localhost:8080").to_string());
            }
            i += 1;
        }
        let path = url.unwrap_or_else(|| panic!("no address in {line}"));
        let mut request = app.http.request(method, app.url(&path));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let r = request.send().await.expect("request");
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        match comment.contains("409 before") {
            true => assert_eq!(status, StatusCode::CONFLICT, "{line}: {text}"),
            false => assert!(status.is_success(), "{line} answered {status}: {text}"),
        }
        app.settle().await;
        ran += 1;
    }
    assert!(ran >= 10, "{ran} commands");
}

/// A command line's words as a shell splits them (single quotes, and `#`
/// starting a comment).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            '#' if !quoted && !started => break,
            c if c.is_whitespace() && !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

on_both_backends! {
    async fn the_readme_tour_works_verbatim_on_fresh_demo_data(app: TestApp) {
        readme_tour(app).await;
    }
}
