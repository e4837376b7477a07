//! People in the admin: a CSV file imported with a preview and every bad
//! row reported (nothing stored while a row is bad, unless the user
//! leaves the bad rows out), and participant lists exported as CSV, Excel
//! and the Valg Central file, on SQLite and PostgreSQL.

mod support;

use std::io::Read;

use reqwest::StatusCode;
use support::admin::{Browser, PASSWORD, user};
use support::builders::{assign, election, person};
use support::{Backend, SECRETARIAT, TestApp};

const FILE: &str = "Navn;CPR;Telefon;E-mail;Hold\r\n\
Anna Jensen;120385-1234;20 00 00 01;;Borgerlisten\r\n\
Bo Nielsen;311385-2345;20 00 00 02;;\r\n\
Carla Hansen;250999-4321;;carla@example.dk;\r\n";

async fn people_count(app: &TestApp) -> usize {
    let mut tx = app.engine().db.read().await.expect("read");
    tx.people(0, 1000).await.expect("people").len()
}

on_both_backends! {
    async fn a_csv_with_a_bad_row_imports_nothing_until_the_user_leaves_the_row_out(app: TestApp) {
        election(&app, 1).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/people/import").await.assert_ok();

        let preview = b.post_file("/admin/people/import", &[("action", "preview")], Some(FILE.as_bytes())).await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        assert!(preview.body.contains("<tr data-line=\"3\" data-column=\"cpr\">"), "Bo's CPR (31/13) is no date: {}", preview.body);
        assert!(preview.body.contains("<b>2</b>") && preview.body.contains("<b>1</b>"), "2 good, 1 bad");
        assert_eq!(people_count(&app).await, 0, "a preview stores nothing");

        let refused = b.post_file("/admin/people/import", &[("action", "import"), ("csv", FILE)], None).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("id=\"nothing-imported\""), "{}", refused.body);
        assert_eq!(people_count(&app).await, 0, "one bad row and nothing is imported");

        let done = b.post_file("/admin/people/import", &[("action", "import"), ("csv", FILE), ("skip_bad", "1")], None).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(done.location.as_deref(), Some("/admin/people?imported=2&skipped=1"));
        assert_eq!(people_count(&app).await, 2);
        let list = b.get("/admin/people?imported=2&skipped=1").await;
        assert!(list.body.contains("id=\"imported-note\""));
        let anna = list.body.find("Anna Jensen").expect("Anna");
        assert!(list.body[anna..anna + 200].contains("Borgerlisten"), "her team: {}", &list.body[anna..anna + 200]);
        assert!(list.body.contains("carla@example.dk"));

        // The same file again updates the people it has, and adds nobody.
        let fixed = FILE.replace("311385-2345", "311285-2345");
        let again = b.post_file("/admin/people/import", &[("action", "import")], Some(fixed.as_bytes())).await;
        assert_eq!(again.location.as_deref(), Some("/admin/people?imported=3&skipped=0"));
        assert_eq!(people_count(&app).await, 3);
    }

    async fn a_file_that_names_no_cpr_column_is_refused_with_the_reason(app: TestApp) {
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/people/import").await;
        let page = b.post_file("/admin/people/import", &[("action", "preview")], Some(b"navn;telefon\nAnna;20000001\n")).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.body.contains("id=\"file-error\"") && page.body.contains("«cpr» mangler") && !page.body.contains("is missing"), "{}", page.body);
    }

    async fn participant_lists_export_the_chosen_columns_as_csv_excel_and_for_valg_central(app: TestApp) {
        let e = election(&app, 2).await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/export").await.assert_ok();

        let (status, csv) = b.download("/admin/export?format=csv&column=name&column=phone&column=status").await;
        assert_eq!(status, StatusCode::OK);
        let text = String::from_utf8(csv).expect("utf-8");
        assert_eq!(text, "\u{feff}Navn;Telefon;Status\r\nAnna Jensen;+4520000001;inviteret\r\n;;ledig\r\n");

        let (_, only_invited) = b.download("/admin/export?format=csv&column=name&status=invited").await;
        assert_eq!(String::from_utf8(only_invited).unwrap(), "\u{feff}Navn\r\nAnna Jensen\r\n");

        let (status, xlsx) = b.download("/admin/export?format=xlsx&column=name&column=station").await;
        assert_eq!(status, StatusCode::OK);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("an xlsx is a zip");
        let mut strings = String::new();
        zip.by_name("xl/sharedStrings.xml").expect("shared strings").read_to_string(&mut strings).unwrap();
        for s in ["Navn", "Valgsted", "Anna Jensen", "Rådhushallen"] {
            assert!(strings.contains(s), "{s} in {strings}");
        }

        let (_, vc) = b.download("/admin/export?format=valg_central").await;
        assert_eq!(
            String::from_utf8(vc).unwrap(),
            "Rolle,Fulde navn,Fødselsdato,Afstemningsområde,Brugernavn,CPR-nummer\nValgstyrer,Anna Jensen,12-03-1985,1,,120385-1234"
        );

        let (status, _) = b.download("/admin/export?format=csv&column=shoe").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let audit = b.get("/admin/audit?action=people.exported").await;
        assert_eq!(audit.body.matches("data-action=\"people.exported\"").count(), 4);

        // A name that a spreadsheet would run stays text in every export.
        let bo = person().name("=HYPERLINK(\"http://x\",\"Bo\")").cpr("010190-1111").phone("+4520000002").create(&app).await;
        assign(&app, e.seats[1], bo).await;
        let (_, vc) = b.download("/admin/export?format=valg_central").await;
        let vc = String::from_utf8(vc).unwrap();
        assert!(vc.contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"Bo\"\")\",01-01-1990,"), "{vc}");
        let (_, csv) = b.download("/admin/export?format=csv&column=name").await;
        assert!(String::from_utf8(csv).unwrap().contains("'=HYPERLINK"));
    }

    async fn only_the_secretariat_imports_and_exports_and_a_team_responsible_lists_their_members(app: TestApp) {
        election(&app, 1).await;
        let member = person().create(&app).await;
        person().name("Ole Udenfor").cpr("010170-1111").phone("+4520000009").create(&app).await;
        support::admin::team_member(&app, "Borgerlisten", member).await;
        user(&app, "læser@testrup.dk", "reader", None, None).await;
        user(&app, "hold@testrup.dk", "team", Some("Borgerlisten"), None).await;

        let mut r = Browser::logged_in(&app, "læser@testrup.dk", PASSWORD).await;
        r.get("/admin/people").await.assert_ok();
        assert_eq!(r.get("/admin/people/import").await.status, StatusCode::FORBIDDEN);
        assert_eq!(r.get("/admin/export?format=csv&column=cpr").await.status, StatusCode::FORBIDDEN);
        let page = r.post_file("/admin/people/import", &[("action", "import")], Some(FILE.as_bytes())).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert_eq!(people_count(&app).await, 2);

        let mut t = Browser::logged_in(&app, "hold@testrup.dk", PASSWORD).await;
        let list = t.get("/admin/people").await;
        list.assert_ok();
        assert!(list.body.contains("Anna Jensen") && !list.body.contains("Ole Udenfor"), "{}", list.body);
    }

    async fn each_look_at_a_person_is_audited_with_who_looked(app: TestApp) {
        let anna = person().create(&app).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get(&format!("/admin/people/{anna}")).await.assert_ok();
        app.get_json(&format!("/api/people/{anna}")).await;
        let audit = b.get("/admin/audit?action=person.viewed").await;
        assert_eq!(audit.body.matches("data-action=\"person.viewed\"").count(), 2, "{}", audit.body);
    }

    async fn a_person_is_erased_only_once_off_their_seats_and_nothing_identifying_stays(app: TestApp) {
        let e = election(&app, 1).await;
        app.jump_to("2029-11-01T09:00:00Z").await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        app.sms_from("+4520000001", "JA").await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let erase = format!("/admin/people/{anna}/erase");

        let r = b.post(&erase, &[("understood", "1")]).await;
        assert_eq!(r.location.as_deref(), Some(format!("/admin/people/{anna}?erase=holds_seat").as_str()));
        let page = b.get(r.location.as_deref().unwrap()).await;
        assert!(page.body.contains("Personen har en plads i dag eller senere"), "{}", page.body);

        let removed = app.http.post(app.url(&format!("/api/seats/{}/remove", e.seats[0]))).json(&serde_json::json!({})).send().await.unwrap();
        assert!(removed.status().is_success());
        app.settle().await;
        let r = b.post(&erase, &[]).await;
        assert_eq!(r.location.as_deref(), Some(format!("/admin/people/{anna}?erase=confirm").as_str()), "the box must be ticked");
        let r = b.post(&erase, &[("understood", "1")]).await;
        assert_eq!(r.location.as_deref(), Some("/admin/people?erased=1"));

        let mut tx = app.engine().db.read().await.unwrap();
        let p = tx.person(anna).await.unwrap().unwrap();
        assert_eq!((p.name.as_str(), p.phone.as_deref(), p.email.as_deref()), ("Slettet person", None, None));
        drop(tx);
        // Her CPR number, phone and name are in no message, received or sent.
        let outbox = app.get_json("/api/outbox").await.to_string();
        for needle in ["120385", "20000001", "Anna"] {
            assert!(!outbox.contains(needle), "{needle} in {outbox}");
        }
        let mut tx = app.engine().db.read().await.unwrap();
        let answer = tx.inbound(1).await.unwrap().unwrap();
        assert_eq!((answer.body.as_str(), answer.sender.as_str()), ("", "slettet"));
        drop(tx);
        // The seat's history keeps that it was held and answered.
        let history = app.history(e.seats[0]).await;
        assert!(history.iter().any(|h| h.contains("confirmed")), "{history:?}");
        let audit = b.get("/admin/audit?action=person.erased").await;
        assert_eq!(audit.body.matches("data-action=\"person.erased\"").count(), 1);
    }
}

/// An election with two teams, Venstre's seats first.
async fn two_teams(app: &TestApp) -> support::builders::Election {
    support::builders::import(
        app,
        r#"
election: { title: Folketingsvalg 2029, type: Folketingsvalg, election_day: 2029-11-20, starts_on: 2029-11-19 }
areas:
  - name: Midtbyen
    stations:
      - { name: Rådhushallen, address: Rådhuspladsen 1 }
teams: [Venstre, Socialdemokratiet]
task_types:
  - { name: Valgstyrer, start: "07:30", end: "21:00", payment: 600 }
seats:
  - { station: Rådhushallen, task_type: Valgstyrer, team: Venstre, count: 2 }
"#,
    )
    .await
}

on_both_backends! {
    async fn the_people_list_pages_says_how_many_match_and_filters_by_seat_channel_and_stop(app: TestApp) {
        let e = election(&app, 2).await;
        let people = support::builders::people(&app, 230, "3100").await;
        assign(&app, e.seats[0], people[4].0).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;

        let first = b.get("/admin/people").await;
        first.assert_ok();
        assert!(first.body.contains("Viser 1–100 af 230 personer"), "{}", first.body);
        assert_eq!(first.body.matches("<tr data-person=").count(), 100);
        assert!(first.body.contains("id=\"page-next\""));
        let last = b.get("/admin/people?page=3").await;
        assert_eq!(last.body.matches("<tr data-person=").count(), 30);
        assert!(last.body.contains("Viser 201–230 af 230 personer") && !last.body.contains("id=\"page-next\""), "{}", last.body);

        let invited = b.get("/admin/people?seat=invited").await;
        assert!(invited.body.contains("data-total=\"1\"") && invited.body.contains("Reserve 5<"), "{}", invited.body);
        let on_day = b.get("/admin/people?seat=any&date=2029-11-20").await;
        assert!(on_day.body.contains("data-total=\"1\""));
        let other_day = b.get("/admin/people?seat=any&date=2029-11-19").await;
        assert!(other_day.body.contains("data-total=\"0\"") && other_day.body.contains("Ingen personer matcher."));
        let without = b.get("/admin/people?seat=none").await;
        assert!(without.body.contains("data-total=\"229\""), "{}", without.body);

        app.sms_from(&people[7].1, "STOP").await;
        app.settle().await;
        let stopped = b.get("/admin/people?opted_out=yes").await;
        assert!(stopped.body.contains("data-total=\"1\"") && stopped.body.contains("data-opted-out"), "{}", stopped.body);
        let by_email = b.get("/admin/people?channel=email").await;
        assert!(by_email.body.contains("data-total=\"0\""));
        // The filter is kept on the next page's link.
        let named = b.get("/admin/people?name=reserve+1&seat=none").await;
        assert!(named.body.contains("data-total=\"111\""), "Reserve 1, 10-19, 100-199: {}", named.body);
        assert!(named.body.contains("href=\"/admin/people?name=reserve+1&amp;seat=none&amp;page=2\""), "{}", named.body);
    }

    async fn the_person_form_shows_and_changes_every_team_and_keeps_a_team_whose_seat_the_person_holds(app: TestApp) {
        let e = two_teams(&app).await;
        let venstre = support::builders::team_id(&app, "Venstre").await.to_string();
        let socialdemokratiet = support::builders::team_id(&app, "Socialdemokratiet").await.to_string();
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/people/new").await.assert_ok();
        let fields = |teams: &[&str]| {
            let mut f: Vec<(&str, String)> = vec![
                ("name", "Anna Jensen".into()),
                ("cpr", "120385-1234".into()),
                ("phone", "20000001".into()),
            ];
            f.extend(teams.iter().map(|t| ("team", t.to_string())));
            f
        };
        let form = fields(&[&venstre, &socialdemokratiet]);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let created = b.post("/admin/people/new", &form).await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        let at = created.location.clone().expect("to the person");
        let id: i64 = at.trim_start_matches("/admin/people/").trim_end_matches("?saved=1").parse().expect("an id");

        let page = b.get(&format!("/admin/people/{id}")).await;
        for t in [&venstre, &socialdemokratiet] {
            assert!(page.body.contains(&format!("id=\"person-team-{t}\" checked")), "both teams ticked: {}", page.body);
        }
        assert!(!page.body.contains("intet hold"));

        // Taken off one team.
        let form = fields(&[&venstre]);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let saved = b.post(&format!("/admin/people/{id}"), &form).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let page = b.get(&format!("/admin/people/{id}")).await;
        assert!(page.body.contains(&format!("id=\"person-team-{venstre}\" checked")));
        assert!(!page.body.contains(&format!("id=\"person-team-{socialdemokratiet}\" checked")), "{}", page.body);

        // Not off the team whose seat they hold.
        assign(&app, e.seats[0], id).await;
        let form = fields(&[]);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = b.post(&format!("/admin/people/{id}"), &form).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("data-error=\"err_team_seat_held\""), "{}", refused.body);
        let page = b.get(&format!("/admin/people/{id}")).await;
        assert!(page.body.contains(&format!("id=\"person-team-{venstre}\" checked")), "nothing changed");
        let api = app.http.delete(app.url(&format!("/api/teams/{venstre}/members/{id}"))).send().await.unwrap();
        assert_eq!(api.status(), StatusCode::CONFLICT, "the API keeps the same rule");

        // A team's responsible sees only their own team, and keeps the other.
        user(&app, "soc@testrup.dk", "team", Some("Socialdemokratiet"), None).await;
        let mut s = Browser::logged_in(&app, "soc@testrup.dk", PASSWORD).await;
        assert_eq!(s.get(&format!("/admin/people/{id}")).await.status, StatusCode::FORBIDDEN, "not their member");
    }
}
