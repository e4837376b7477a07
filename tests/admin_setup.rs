//! Setting up an election in the admin without touching a file: elections
//! created, copied from the last one and activated; areas, stations, teams
//! and task types; seats per station × team × task type × date; standby
//! pools; people one by one with their CPR number checked; stations and
//! seats from CSV files. On SQLite and PostgreSQL.

mod support;

use reqwest::StatusCode;
use support::admin::{Browser, PASSWORD, user};
use support::builders::{assign, election, person};
use support::{Backend, SECRETARIAT, TestApp};

/// The election's seats as (date, status).
async fn seats_of(app: &TestApp, election: i64) -> Vec<(String, String)> {
    let mut tx = app.engine().db.read().await.expect("read");
    tx.seats_of_election(election, 0, 10_000)
        .await
        .expect("seats")
        .into_iter()
        .map(|s| (s.date.to_string(), s.status))
        .collect()
}

/// The id in a `?election=ID` redirect.
fn election_in(location: &str) -> i64 {
    location
        .rsplit("election=")
        .next()
        .and_then(|s| s.split(['&', '#']).next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no election in {location}"))
}

/// The value of `data-problem` on a refused form's page.
fn problem(body: &str) -> String {
    support::admin::attr_after(body, "id=\"problem\"", "data-problem")
        .unwrap_or_else(|| panic!("no problem shown: {body}"))
}

/// The id of the row with `marker` (`data-station`) whose text has `name`.
fn row_id(body: &str, marker: &str, name: &str) -> String {
    let at = body
        .find(name)
        .unwrap_or_else(|| panic!("{name} in {body}"));
    let key = format!("{marker}=\"");
    let start = body[..at].rfind(&key).expect("row") + key.len();
    body[start..start + body[start..].find('"').expect("end")].to_string()
}

on_both_backends! {
    async fn the_secretariat_sets_up_an_election_from_nothing_and_the_board_shows_its_seats(app: TestApp) {
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let page = b.get("/admin/setup").await;
        page.assert_ok();
        assert!(page.body.contains("Der er ingen valg endnu"), "{}", page.body);

        let created = b.post("/admin/setup/elections", &[
            ("title", "Regionsrådsvalg 2029"), ("election_type", "Regionsrådsvalg"), ("min_age", "18"),
            ("election_day", "2029-11-20"), ("starts_on", "19-11-2029"), ("ends_on", ""), ("lock_days", "0"),
        ]).await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        let id = election_in(created.location.as_deref().unwrap());
        let list = b.get("/admin/setup").await;
        assert!(list.body.contains(&format!("id=\"active-{id}\"")), "the first election is active");

        b.get("/admin/setup/places").await.assert_ok();
        assert_eq!(b.post("/admin/setup/areas", &[("name", "Midtbyen")]).await.status, StatusCode::SEE_OTHER);
        let places = b.get("/admin/setup/places").await;
        let area = row_id(&places.body, "data-area", "Midtbyen");
        let r = b.post("/admin/setup/stations", &[("area", &area), ("name", "Rådhushallen"), ("address", "Rådhuspladsen 1"), ("voting_area", "1")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(b.post("/admin/setup/teams", &[("name", "Venstre")]).await.status, StatusCode::SEE_OTHER);
        let r = b.post("/admin/setup/task-types", &[("name", "Tilforordnet"), ("start", "08.00"), ("end", "20:00"), ("payment", "450,50")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let places = b.get("/admin/setup/places").await;
        assert!(places.body.contains("value=\"450,50\""), "the payment reads back in kroner: {}", places.body);
        let station = row_id(&places.body, "data-station", "Rådhuspladsen 1");
        let team = row_id(&places.body, "data-team", "Venstre");
        let task = row_id(&places.body, "data-task-type", "value=\"Tilforordnet\"");

        b.get(&format!("/admin/setup/seats?election={id}")).await.assert_ok();
        let add = b.post(&format!("/admin/setup/elections/{id}/seats"), &[
            ("station", &station), ("team", &team), ("task_type", &task), ("date", "2029-11-20"), ("count", "3"),
        ]).await;
        assert_eq!(add.status, StatusCode::SEE_OTHER, "{}", add.body);
        let plan = b.get(&format!("/admin/setup/seats?election={id}")).await;
        assert!(plan.body.contains("<td class=\"num seats\">3</td>"), "{}", plan.body);
        assert_eq!(seats_of(&app, id).await, vec![("2029-11-20".to_string(), "vacant".to_string()); 3]);

        let board = b.get("/admin/board").await;
        assert!(board.body.contains("Rådhushallen") && board.body.contains("Regionsrådsvalg 2029"), "{}", board.body);
        let audit = b.get("/admin/audit").await;
        for action in ["election.created", "area.saved", "station.saved", "team.saved", "task_type.saved", "seats.added"] {
            assert!(audit.body.contains(&format!("data-action=\"{action}\"")), "{action} audited");
        }
    }

    async fn a_setup_form_with_a_mistake_comes_back_with_the_problem_and_stores_nothing(app: TestApp) {
        let e = election(&app, 1).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/setup").await;
        let bad = b.post("/admin/setup/elections", &[
            ("title", "Valg"), ("election_type", "Kommunalvalg"), ("election_day", "2029-11-20"), ("starts_on", "2029-11-21"),
        ]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(&bad.body), "err_election_dates");
        assert!(bad.body.contains("Første dag skal ligge før valgdagen"), "in Danish");
        let bad = b.post("/admin/setup/elections", &[("title", "Valg"), ("election_type", "K"), ("election_day", "30.02.2029")]).await;
        assert_eq!(problem(&bad.body), "err_date");
        let age = b.post("/admin/setup/elections", &[("title", "Valg"), ("election_type", "kommunalvalg"), ("min_age", "21"), ("election_day", "2030-01-01")]).await;
        assert_eq!(problem(&age.body), "err_type_age", "an existing type keeps the age its elections use");

        b.get("/admin/setup/places").await;
        let taken = b.post("/admin/setup/teams", &[("name", "borgerlisten")]).await;
        assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(&taken.body), "err_name_taken");
        let times = b.post("/admin/setup/task-types", &[("name", "Fintæller"), ("start", "20:00"), ("end", "08:00")]).await;
        assert_eq!(problem(&times.body), "err_times");
        let pay = b.post("/admin/setup/task-types", &[("name", "Fintæller"), ("start", "08:00"), ("end", "12:00"), ("payment", "mange")]).await;
        assert_eq!(problem(&pay.body), "err_payment");

        b.get(&format!("/admin/setup/seats?election={}", e.id)).await;
        let outside = b.post(&format!("/admin/setup/elections/{}/seats", e.id), &[
            ("station", "1"), ("team", "1"), ("task_type", "1"), ("date", "2029-12-24"), ("count", "2"),
        ]).await;
        assert_eq!(problem(&outside.body), "err_outside_election");
        let many = b.post(&format!("/admin/setup/elections/{}/seats", e.id), &[
            ("station", "1"), ("team", "1"), ("task_type", "1"), ("date", ""), ("count", "100000"),
        ]).await;
        assert_eq!(problem(&many.body), "err_count");

        let mut tx = app.engine().db.read().await.expect("read");
        assert_eq!(tx.elections().await.unwrap().len(), 1, "no election was added");
        assert_eq!(tx.teams().await.unwrap().len(), 1);
        assert_eq!(tx.task_types().await.unwrap().len(), 1);
        drop(tx);
        assert_eq!(seats_of(&app, e.id).await.len(), 1, "no seat was added");
    }

    async fn copying_the_last_election_moves_its_seats_to_the_new_day_all_vacant(app: TestApp) {
        let old = election(&app, 2).await;
        let anna = person().create(&app).await;
        assign(&app, old.seats[0], anna).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/setup").await.assert_ok();
        let copied = b.post("/admin/setup/elections/copy", &[
            ("from", &old.id.to_string()), ("title", "Kommunalvalg 2033"), ("election_day", "2033-11-15"),
        ]).await;
        assert_eq!(copied.status, StatusCode::SEE_OTHER, "{}", copied.body);
        let new = election_in(copied.location.as_deref().unwrap());
        assert_eq!(seats_of(&app, new).await, vec![("2033-11-15".to_string(), "vacant".to_string()); 2]);
        assert_eq!(seats_of(&app, old.id).await[0].1, "invited", "the old election keeps its answers");
        let mut tx = app.engine().db.read().await.expect("read");
        let e = tx.election(new).await.unwrap().unwrap();
        assert_eq!(e.starts_on.to_string(), "2033-11-14", "the window moves with the day");
        drop(tx);

        b.get("/admin/setup").await;
        let activate = b.post(&format!("/admin/setup/elections/{}/activate", old.id), &[]).await;
        assert_eq!(activate.status, StatusCode::SEE_OTHER);
        let board = b.get("/admin/board").await;
        assert!(board.body.contains("Bemanding: Kommunalvalg 2029</h1>"), "the active election is shown, not the newest");
        let activate = b.post(&format!("/admin/setup/elections/{new}/activate"), &[]).await;
        assert_eq!(activate.status, StatusCode::SEE_OTHER);
        let board = b.get("/admin/board").await;
        assert!(board.body.contains("Bemanding: Kommunalvalg 2033</h1>"), "the board opens on the active election: {}", board.body);
        let list = b.get("/admin/setup").await;
        assert!(list.body.contains(&format!("id=\"active-{}\"", old.id)), "several elections may be active");
        assert!(list.body.contains(&format!("id=\"active-{new}\"")));
        let stop = b.post(&format!("/admin/setup/elections/{}/deactivate", old.id), &[]).await;
        assert_eq!(stop.status, StatusCode::SEE_OTHER);
        let list = b.get("/admin/setup").await;
        assert!(list.body.contains(&format!("id=\"inactive-{}\"", old.id)), "{}", list.body);
    }

    async fn vacant_seats_nobody_was_asked_about_can_be_removed_and_the_rest_stay(app: TestApp) {
        let e = election(&app, 3).await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[2], anna).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let page = b.get(&format!("/admin/setup/seats?election={}", e.id)).await;
        let station = row_id(&page.body, "data-station", "<td>Rådhushallen</td>");
        let kind = [("station", station.as_str()), ("team", "1"), ("task_type", "1"), ("date", "2029-11-20"), ("count", "3")];
        let removed = b.post(&format!("/admin/setup/elections/{}/seats/remove", e.id), &kind).await;
        assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
        assert_eq!(seats_of(&app, e.id).await, [("2029-11-20".to_string(), "invited".to_string())]);
        let again = b.post(&format!("/admin/setup/elections/{}/seats/remove", e.id), &kind).await;
        assert_eq!(problem(&again.body), "err_none_removable");
    }

    async fn stations_and_seats_import_from_csv_and_a_bad_row_stops_the_import_until_left_out(app: TestApp) {
        let e = election(&app, 0).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/setup/import/stations").await.assert_ok();
        let stations = "Område;Valgsted;Adresse;Afstemningsområde\n\
                        Nord;Nordskolen;Nordvej 3;2\n\
                        Nord;;Sydvej 4;3\n";
        let preview = b.post_file("/admin/setup/import/stations", &[("action", "preview")], Some(stations.as_bytes())).await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        assert!(preview.body.contains("<tr data-line=\"3\" data-column=\"valgsted\">"), "{}", preview.body);
        let refused = b.post_file("/admin/setup/import/stations", &[("action", "import"), ("csv", stations)], None).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("id=\"nothing-imported\""));
        let done = b.post_file("/admin/setup/import/stations", &[("action", "import"), ("csv", stations), ("skip_bad", "1")], None).await;
        assert_eq!(done.location.as_deref(), Some("/admin/setup/places?imported=1"), "{}", done.body);
        let places = b.get("/admin/setup/places?imported=1").await;
        assert!(places.body.contains("value=\"Nordskolen\"") && places.body.contains("id=\"imported-note\""));

        let seats = "valgsted;hold;opgave;dato;antal\n\
                             Nordskolen;Borgerlisten;Valgstyrer;;2\n\
                             Rådhushallen;Borgerlisten;Valgstyrer;19-11-2029;1\n\
                             Sydskolen;Borgerlisten;Valgstyrer;;1\n";
        let url = format!("/admin/setup/import/seats?election={}", e.id);
        b.get(&url).await.assert_ok();
        let preview = b.post_file(&url, &[("action", "preview")], Some(seats.as_bytes())).await;
        assert!(preview.body.contains("there is no station named `Sydskolen`"), "{}", preview.body);
        let done = b.post_file(&url, &[("action", "import"), ("csv", seats), ("skip_bad", "1")], None).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let mut got = seats_of(&app, e.id).await;
        got.sort();
        assert_eq!(got, [
            ("2029-11-19".to_string(), "vacant".to_string()),
            ("2029-11-20".to_string(), "vacant".to_string()),
            ("2029-11-20".to_string(), "vacant".to_string()),
        ]);
    }

    async fn a_person_is_added_by_form_with_the_cpr_number_checked_beside_its_field(app: TestApp) {
        election(&app, 1).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/people/new").await.assert_ok();
        let bad = b.post("/admin/people/new", &[("name", "Søren Ærø"), ("cpr", "320185-1234"), ("phone", "2000"), ("email", ""), ("team", "")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(support::admin::attr_after(&bad.body, "id=\"error-cpr\"", "data-error").as_deref(), Some("err_cpr_date"));
        assert_eq!(support::admin::attr_after(&bad.body, "id=\"error-phone\"", "data-error").as_deref(), Some("err_phone"));
        assert!(bad.body.contains("value=\"Søren Ærø\""), "what was typed stays in the form");
        assert!(app.engine().db.read().await.unwrap().people(0, 10).await.unwrap().is_empty());

        let ok = b.post("/admin/people/new", &[("name", "Søren Ærø"), ("cpr", "0101851234"), ("phone", "20 00 00 05"), ("team", "1")]).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let to = ok.location.unwrap();
        let saved = b.get(&to).await;
        assert!(saved.body.contains("id=\"person-saved\"") && saved.body.contains("value=\"010185-xxxx\""), "{}", saved.body);
        let list = b.get("/admin/people").await;
        let at = list.body.find("Søren Ærø").expect("listed");
        let row = &list.body[at..at + list.body[at..].find("</tr>").expect("row end")];
        assert!(row.contains("Borgerlisten"), "{row}");

        let twin = b.post("/admin/people/new", &[("name", "Anden"), ("cpr", "010185-1234"), ("phone", "20000006")]).await;
        assert_eq!(support::admin::attr_after(&twin.body, "id=\"error-cpr\"", "data-error").as_deref(), Some("err_cpr_taken"));
        let changed = b.post(&to.replace("?saved=1", ""), &[("name", "Søren Ærø Hansen"), ("cpr", "010185-1234"), ("email", "soren@example.dk"), ("preferred_channel", "email")]).await;
        assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
        let people = app.engine().db.read().await.unwrap().people(0, 10).await.unwrap();
        assert_eq!(people.len(), 1);
        assert_eq!((people[0].name.as_str(), people[0].preferred_channel.as_str(), people[0].phone.as_deref()), ("Søren Ærø Hansen", "email", None));
    }

    async fn a_team_responsible_adds_people_to_their_own_team_and_changes_only_them(app: TestApp) {
        election(&app, 1).await;
        let outsider = person().name("Ole Udenfor").cpr("010170-1111").phone("+4520000009").create(&app).await;
        user(&app, "hold@testrup.dk", "team", Some("Borgerlisten"), None).await;
        let mut t = Browser::logged_in(&app, "hold@testrup.dk", PASSWORD).await;
        t.get("/admin/people/new").await.assert_ok();
        let ok = t.post("/admin/people/new", &[("name", "Mette Medlem"), ("cpr", "020290-2222"), ("phone", "20000010"), ("team", "")]).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let list = t.get("/admin/people").await;
        assert!(list.body.contains("Mette Medlem"), "put in their own team even without choosing it");
        assert!(!list.body.contains("Ole Udenfor"));
        assert_eq!(t.get(&format!("/admin/people/{outsider}")).await.status, StatusCode::FORBIDDEN);
        let r = t.post(&format!("/admin/people/{outsider}"), &[("name", "X"), ("cpr", "010170-1111"), ("phone", "20000009")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(t.get("/admin/setup").await.status, StatusCode::FORBIDDEN);
    }

    async fn the_standby_pool_takes_people_by_cpr_number_and_lets_them_go(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let url = format!("/admin/setup/seats?election={}", e.id);
        b.get(&url).await.assert_ok();
        let add = format!("/admin/setup/elections/{}/standby", e.id);
        let unknown = b.post(&add, &[("cpr", "010101-0101"), ("date", "2029-11-20"), ("scope", "")]).await;
        assert_eq!(problem(&unknown.body), "err_no_such_person");
        let ok = b.post(&add, &[("cpr", "1203851234"), ("date", "2029-11-20"), ("scope", "area:1")]).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let again = b.post(&add, &[("cpr", "120385-1234"), ("date", "2029-11-20"), ("scope", "area:1")]).await;
        assert_eq!(problem(&again.body), "err_already_standby");
        let page = b.get(&url).await;
        let entry = row_id(&page.body, "data-standby", "Anna Jensen");
        assert!(page.body.contains(&format!("data-person=\"{anna}\"")));
        assert!(page.body.contains("<td>Midtbyen</td>"), "standby for the area: {}", page.body);
        let gone = b.post(&format!("/admin/setup/elections/{}/standby/{entry}/remove", e.id), &[]).await;
        assert_eq!(gone.status, StatusCode::SEE_OTHER);
        assert!(!b.get(&url).await.body.contains("data-standby="));
    }

    async fn only_the_secretariat_changes_the_setup_and_every_change_needs_the_csrf_token(app: TestApp) {
        let e = election(&app, 1).await;
        user(&app, "læser@testrup.dk", "reader", None, None).await;
        user(&app, "valgsted@testrup.dk", "station", None, Some("Rådhushallen")).await;
        let mut r = Browser::logged_in(&app, "læser@testrup.dk", PASSWORD).await;
        let page = r.get("/admin/setup/places").await;
        page.assert_ok();
        assert!(!page.body.contains("id=\"add-area\""), "a reader sees no forms");
        r.get(&format!("/admin/setup/seats?election={}", e.id)).await.assert_ok();
        for (path, form) in [
            ("/admin/setup/areas".to_string(), vec![("name", "Syd")]),
            ("/admin/setup/elections".to_string(), vec![("title", "X"), ("election_type", "Y"), ("election_day", "2030-01-01")]),
            (format!("/admin/setup/elections/{}/activate", e.id), vec![]),
            ("/admin/people/new".to_string(), vec![("name", "X"), ("cpr", "010101-0101"), ("phone", "20000001")]),
        ] {
            assert_eq!(r.post(&path, &form).await.status, StatusCode::FORBIDDEN, "{path}");
        }
        let mut s = Browser::logged_in(&app, "valgsted@testrup.dk", PASSWORD).await;
        for path in ["/admin/setup", "/admin/setup/places", "/admin/setup/seats", "/admin/setup/import/stations", "/admin/people/new"] {
            assert_eq!(s.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
        }

        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/setup/places").await;
        let forged = b.post_raw("/admin/setup/areas", &[("name", "Syd")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let areas = app.engine().db.read().await.unwrap().areas().await.unwrap();
        assert_eq!(areas.len(), 1, "nothing stored without the token");
    }
}
