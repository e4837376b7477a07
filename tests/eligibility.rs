//! The election type's rules (alive, age on the seat's date, residence in
//! the municipality, Danish citizenship, no guardianship) are kept by one
//! rule function on every path where a person meets a seat: assignment,
//! a batch, standby, whom to offer a seat, a yes to an offer (by SMS, by
//! link), the stations a swap lists and the one chosen, the admin, and
//! the facts as a CSV file gives them.

mod support;

use serde_json::json;
use support::admin::Browser;
use support::builders::{Election, code_in, import, join, swap_code};
use support::pages::post;
use support::smtp::SmtpServer;
use support::{Backend, SECRETARIAT, Setup, TestApp};

const DAY: &str = "2029-11-20";
/// Born 21 November 2011: 17 on election day.
const SEVENTEEN: &str = "211111-4000";

/// The service of Odense (municipality 0461), with e-mail when `smtp`.
async fn odense(backend: Backend, smtp: Option<&SmtpServer>) -> Option<TestApp> {
    let mut setup = Setup::new(backend).await?;
    setup.config.municipality_code =
        Some(valgvagt::domain::MunicipalityCode::parse("461").unwrap());
    if let Some(smtp) = smtp {
        setup.with_email(smtp);
    }
    Some(setup.start().await)
}

macro_rules! in_odense_on_both_backends {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(
            mod $name {
                use super::*;
                async fn body($app: TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() {
                    body(odense(Backend::Sqlite, None).await.expect("sqlite app")).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    let Some(app) = odense(Backend::Postgres, None).await else { return };
                    body(app).await;
                }
            }
        )*
    };
}

/// A Folketingsvalg (citizenship and guardianship are rules) with one
/// station, Valgstyrer seats of Venstre in Midtbyen and one more at
/// Skolen.
async fn folketingsvalg(app: &TestApp, seats: usize) -> Election {
    import(
        app,
        &format!(
            r#"
election: {{ title: Folketingsvalg 2029, type: Folketingsvalg, election_day: 2029-11-20, starts_on: 2029-11-19 }}
areas:
  - name: Midtbyen
    stations:
      - {{ name: Rådhushallen, address: Rådhuspladsen 1 }}
      - {{ name: Skolen, address: Skolevej 3 }}
teams: [Venstre]
task_types:
  - {{ name: Valgstyrer, start: "07:30", end: "21:00", payment: 600, trusted: true }}
seats:
  - {{ station: Rådhushallen, task_type: Valgstyrer, team: Venstre, count: {seats} }}
  - {{ station: Skolen, task_type: Valgstyrer, team: Venstre, count: 1 }}
"#
        ),
    )
    .await
}

/// Creates (or updates, by CPR number) a person through the API with the
/// facts given, a member of Venstre; returns the id.
async fn someone(
    app: &TestApp,
    name: &str,
    cpr: &str,
    phone: &str,
    facts: serde_json::Value,
) -> i64 {
    let mut body = json!({ "name": name, "cpr": cpr, "phone": phone });
    for (k, v) in facts.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app
        .http
        .post(app.url("/api/people"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    join(app, id, "Venstre").await;
    id
}

async fn assign_status(app: &TestApp, seat: i64, person: i64) -> (u16, String) {
    let r = support::builders::assign(app, seat, person).await;
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

async fn standby_status(app: &TestApp, election: i64, person: i64) -> (u16, String) {
    let r = app
        .http
        .post(app.url("/api/standby"))
        .json(&json!({ "election_id": election, "person_id": person, "date": DAY }))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

async fn holder(app: &TestApp, seat: i64) -> Option<i64> {
    app.get_json(&format!("/api/seats/{seat}")).await["seat"]["person_id"].as_i64()
}

/// Anna holds the first seat and says no, so it is offered to standby.
async fn first_seat_freed(app: &TestApp, e: &Election) {
    let anna = someone(app, "Anna", "120385-1234", "+4520000001", json!({})).await;
    assert_eq!(assign_status(app, e.seats[0], anna).await.0, 200);
    app.sms_from("+4520000001", "NEJ").await;
}

in_odense_on_both_backends! {
    async fn an_assignment_is_refused_with_the_rule_named_one_and_in_a_batch(app: TestApp) {
        let e = folketingsvalg(&app, 3).await;
        let young = someone(&app, "Ung", SEVENTEEN, "+4520000011", json!({})).await;
        let aarhus = someone(&app, "Aarhusianer", "110385-1234", "+4520000012", json!({ "municipality_code": "751" })).await;
        let swede = someone(&app, "Svensker", "100385-1234", "+4520000013", json!({ "danish_citizen": false })).await;
        let ward = someone(&app, "Umyndig", "090385-1234", "+4520000014", json!({ "under_guardianship": true })).await;
        let gone = someone(&app, "Forsvundet", "080385-1234", "+4520000015", json!({ "deceased": true })).await;
        let local = someone(&app, "Odenseaner", "070385-1234", "+4520000016", json!({ "municipality_code": "0461", "danish_citizen": true })).await;

        for (who, phone, says) in [
            (young, "+4520000011", "is 17 on 2029-11-20; this election requires 18 on the day of the task"),
            (aarhus, "+4520000012", "lives in municipality 0751; this election requires residence in 0461"),
            (swede, "+4520000013", "is not a Danish citizen"),
            (ward, "+4520000014", "is under guardianship"),
            (gone, "+4520000015", "dead or missing"),
        ] {
            let (status, body) = assign_status(&app, e.seats[0], who).await;
            assert_eq!(status, 422, "{body}");
            assert!(body.contains(says), "{body}");
            assert_eq!(holder(&app, e.seats[0]).await, None);
            assert!(app.fake.to(phone).is_empty(), "nobody refused is invited");
        }

        // A batch with one refused assignment makes none.
        let r = app.http.post(app.url("/api/assignments"))
            .json(&json!({ "assignments": [
                { "seat_id": e.seats[0], "person_id": local },
                { "seat_id": e.seats[1], "person_id": swede },
            ]}))
            .send().await.unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(body.contains("assignments[1]: person") && body.contains("not a Danish citizen"), "{body}");
        assert_eq!(holder(&app, e.seats[0]).await, None, "none was made");

        assert_eq!(assign_status(&app, e.seats[0], local).await.0, 200, "who meets every rule is assigned");
    }

    async fn standby_is_refused_to_someone_who_fails_a_rule(app: TestApp) {
        let e = folketingsvalg(&app, 1).await;
        let young = someone(&app, "Ung", SEVENTEEN, "+4520000011", json!({})).await;
        let (status, body) = standby_status(&app, e.id, young).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("is 17 on 2029-11-20"), "{body}");
        let pool = app.get_json(&format!("/api/elections/{}/standby", e.id)).await;
        assert_eq!(pool.as_array().unwrap().len(), 0);

        // In the admin, by CPR number: the rule in words beside the form.
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get(&format!("/admin/setup/seats?election={}", e.id)).await.assert_ok();
        let page = b.post(&format!("/admin/setup/elections/{}/standby", e.id), &[("cpr", SEVENTEEN), ("date", DAY), ("scope", "")]).await;
        assert_eq!(page.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.body.contains("data-problem=\"err_rule_age\""), "{}", page.body);
        assert!(page.body.contains("17 år den 20.11.2029; der kræves mindst 18"), "{}", page.body);
    }

    async fn a_standby_person_who_no_longer_qualifies_is_passed_over_and_their_yes_refused(app: TestApp) {
        let e = folketingsvalg(&app, 1).await;
        let bo = someone(&app, "Bo", "110385-1234", "+4520000021", json!({ "municipality_code": "0461" })).await;
        let carl = someone(&app, "Carl", "100385-1234", "+4520000022", json!({})).await;
        let dina = someone(&app, "Dina", "090385-1234", "+4520000023", json!({})).await;
        for p in [bo, carl, dina] {
            assert_eq!(standby_status(&app, e.id, p).await.0, 201);
        }
        // Bo moves to Aarhus after being put on standby: he is not asked.
        assert_eq!(someone(&app, "Bo", "110385-1234", "+4520000021", json!({ "municipality_code": "0751" })).await, bo);
        first_seat_freed(&app, &e).await;
        assert!(app.fake.to("+4520000021").is_empty(), "Bo is passed over");
        let offer = app.fake.to("+4520000022").last().cloned().expect("Carl is asked");
        assert!(app.fake.to("+4520000023").last().is_some(), "and Dina");

        // Carl is reported dead or missing before he answers; his yes is
        // refused and the seat stays free for Dina.
        let r = app.http.post(app.url("/api/people")).json(&json!({
            "name": "Carl", "cpr": "100385-1234", "phone": "+4520000022", "deceased": true
        })).send().await.unwrap();
        assert_eq!(r.status(), 201);
        app.sms_from("+4520000022", &format!("JA {}", code_in(&offer))).await;
        assert_eq!(holder(&app, e.seats[0]).await, None);
        let told = app.fake.to("+4520000022").last().unwrap().clone();
        assert!(told.starts_with("Hej Carl. Du kan desværre ikke tage pladsen som Valgstyrer på Rådhushallen"), "{told}");
        let notes = app.get_json("/api/notifications").await;
        assert!(notes.to_string().contains("rules do not give them: alive"), "{notes}");
        app.sms_from("+4520000023", "JA").await;
        assert_eq!(holder(&app, e.seats[0]).await, Some(dina));
    }

    async fn a_swap_lists_and_moves_to_no_seat_the_rules_refuse(app: TestApp) {
        let e = folketingsvalg(&app, 1).await;
        let bo = someone(&app, "Bo", "110385-1234", "+4520000021", json!({})).await;
        assert_eq!(assign_status(&app, e.seats[0], bo).await.0, 200);
        let invite = app.fake.to("+4520000021").last().unwrap().clone();
        app.sms_from("+4520000021", &format!("JA {}", code_in(&invite))).await;

        app.sms_from("+4520000021", "SKIFT").await;
        let list = app.fake.to("+4520000021").last().unwrap().clone();
        assert!(list.contains("1) Skolen"), "{list}");
        // Bo turns out not to be a Danish citizen before he chooses.
        let r = app.http.post(app.url("/api/people")).json(&json!({
            "name": "Bo", "cpr": "110385-1234", "phone": "+4520000021", "danish_citizen": false
        })).send().await.unwrap();
        assert_eq!(r.status(), 201);
        app.sms_from("+4520000021", &format!("{} 1", swap_code(&list))).await;
        assert_eq!(holder(&app, e.seats[1]).await, None, "not moved");
        assert_eq!(holder(&app, e.seats[0]).await, Some(bo));
        assert!(app.fake.to("+4520000021").last().unwrap().contains("valget kræver dansk statsborgerskab"));

        // Asked again, the list has nothing he may take.
        app.sms_from("+4520000021", "SKIFT").await;
        let again = app.fake.to("+4520000021").last().unwrap().clone();
        assert!(again.contains("ingen ledige pladser"), "{again}");
    }

    async fn the_admin_names_the_rule_and_the_secretariat_switches_a_rule_off(app: TestApp) {
        let e = folketingsvalg(&app, 1).await;
        let swede = someone(&app, "Svensker", "100385-1234", "+4520000013", json!({ "danish_citizen": false })).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get(&format!("/admin/seats/{}", e.seats[0])).await.assert_ok();
        let r = b.post(&format!("/admin/seats/{}/assign", e.seats[0]), &[("person_id", &swede.to_string())]).await;
        assert_eq!(r.location.as_deref(), Some(format!("/admin/seats/{}?refused=citizenship", e.seats[0]).as_str()));
        let page = b.get(r.location.as_deref().unwrap()).await;
        assert!(page.body.contains("Personen kan ikke få pladsen: Personen er ikke dansk statsborger"), "{}", page.body);
        assert_eq!(holder(&app, e.seats[0]).await, None);

        // A Folketingsvalg keeps citizenship; the secretariat turns it off.
        let setup = b.get("/admin/setup").await;
        assert!(!setup.body.contains("no-municipality-code"), "Odense's code is set");
        let type_id = {
            let mut tx = app.engine().db.read().await.unwrap();
            tx.election_types().await.unwrap().into_iter().find(|t| t.name == "Folketingsvalg").unwrap()
        };
        assert!(type_id.rule_citizenship && type_id.rule_guardianship && type_id.rule_residence);
        let saved = b.post(&format!("/admin/setup/election-types/{}", type_id.id), &[("age", "on"), ("min_age", "18"), ("residence", "on")]).await;
        assert_eq!(saved.status, reqwest::StatusCode::SEE_OTHER, "{}", saved.body);
        assert_eq!(assign_status(&app, e.seats[0], swede).await.0, 200);
    }

    async fn a_csv_file_brings_the_facts_the_rules_are_checked_against(app: TestApp) {
        let e = folketingsvalg(&app, 1).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/people/import").await.assert_ok();
        let file = "navn;cpr;telefon;hold;kommunekode;statsborger\nAnna;120385-1234;20000031;Venstre;0751;ja\n";
        let done = b.post_file("/admin/people/import", &[("action", "import"), ("csv", file)], None).await;
        assert_eq!(done.location.as_deref(), Some("/admin/people?imported=1&skipped=0"), "{}", done.body);
        let mut tx = app.engine().db.read().await.unwrap();
        let anna = tx.person_by_cpr(&valgvagt::domain::Cpr::parse("120385-1234").unwrap()).await.unwrap().unwrap();
        drop(tx);
        let (status, body) = assign_status(&app, e.seats[0], anna).await;
        assert_eq!(status, 422);
        assert!(body.contains("lives in municipality 0751"), "{body}");
    }
}

/// A yes by the link in an offer e-mail from someone who no longer
/// qualifies is refused on the page.
async fn a_yes_by_link_is_refused_when_the_rules_no_longer_allow_it(backend: Backend) {
    let smtp = SmtpServer::start();
    let Some(app) = odense(backend, Some(&smtp)).await else {
        return;
    };
    let e = folketingsvalg(&app, 1).await;
    let r = app.http.post(app.url("/api/people")).json(&json!({
        "name": "Ea", "cpr": "110385-1234", "email": "ea@example.dk", "preferred_channel": "email"
    })).send().await.unwrap();
    let ea = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    join(&app, ea, "Venstre").await;
    assert_eq!(standby_status(&app, e.id, ea).await.0, 201);
    first_seat_freed(&app, &e).await;
    let offer = smtp
        .to("ea@example.dk")
        .last()
        .cloned()
        .expect("an offer by e-mail");
    let accept = offer.links()[0].clone();
    // Ea turns out to be under guardianship.
    let r = app.http.post(app.url("/api/people")).json(&json!({
        "name": "Ea", "cpr": "110385-1234", "email": "ea@example.dk", "preferred_channel": "email",
        "under_guardianship": true
    })).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let (status, page) = post(&app, &accept).await;
    assert_eq!(status, 200);
    assert!(page.contains("Du kan desværre ikke få pladsen"), "{page}");
    assert_eq!(holder(&app, e.seats[0]).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_yes_by_link_is_refused_when_the_rules_no_longer_allow_it_on_sqlite() {
    a_yes_by_link_is_refused_when_the_rules_no_longer_allow_it(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_yes_by_link_is_refused_when_the_rules_no_longer_allow_it_on_postgres() {
    a_yes_by_link_is_refused_when_the_rules_no_longer_allow_it(Backend::Postgres).await;
}
