//! Personal data at rest and over time: CPR numbers sealed in the
//! database and shown masked unless revealed (each reveal audited), and
//! the retention policy's preview and purge, which never touch an
//! election that has not ended, on SQLite and PostgreSQL.

mod support;

use reqwest::StatusCode;
use support::admin::Browser;
use support::builders::{assign, election, person};
use support::{Backend, SECRETARIAT, TestApp};
use valgvagt::store::Pool;

const ANNA_CPR: &str = "120385-1234";

/// Every row of the tables a CPR number could reach, as text.
async fn stored_text(app: &TestApp) -> String {
    let tables = [
        "people",
        "audit_events",
        "outbox",
        "inbound",
        "seat_history",
        "secrets",
    ];
    let mut all = String::new();
    for table in tables {
        let rows: Vec<String> = match &app.engine().db.pool {
            Pool::Sqlite(pool, _) => {
                // Every column of every row, joined.
                let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT name FROM pragma_table_info('{table}')"
                )))
                .fetch_all(pool)
                .await
                .unwrap();
                let concat = columns
                    .iter()
                    .map(|c| format!("COALESCE(CAST({c} AS TEXT), '')"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {concat} FROM {table}")))
                    .fetch_all(pool)
                    .await
                    .unwrap()
            }
            Pool::Postgres(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT t::text FROM {table} t"
            )))
            .fetch_all(pool)
            .await
            .unwrap(),
        };
        all.push_str(&rows.join("\n"));
    }
    all
}

async fn execute(app: &TestApp, sql: &str) {
    match &app.engine().db.pool {
        Pool::Sqlite(pool, _) => sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
        Pool::Postgres(pool) => sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
    }
    .unwrap();
}

fn holds_cpr(text: &str) -> bool {
    text.contains("120385-1234") || text.contains("1203851234")
}

on_both_backends! {
    async fn a_cpr_number_is_sealed_in_the_database_and_shown_masked_unless_revealed(app: TestApp) {
        let anna = person().name("Anna Jensen").cpr(ANNA_CPR).phone("+4520000001").create(&app).await;
        assert!(!holds_cpr(&stored_text(&app).await), "a CPR number in clear in the database");

        // The API shows the birth date only, unless asked, and audits the reveal.
        let shown = app.get_json(&format!("/api/people/{anna}")).await;
        assert_eq!(shown["cpr"], "120385-xxxx", "{shown}");
        assert!(!holds_cpr(&shown.to_string()));
        let revealed = app.get_json(&format!("/api/people/{anna}?reveal=cpr")).await;
        assert_eq!(revealed["cpr"], ANNA_CPR);
        let bad = app.http.get(app.url(&format!("/api/people/{anna}?reveal=phone"))).send().await.unwrap();
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

        // The same number again finds the same person by its keyed hash.
        let again = person().name("Anna J.").cpr("1203851234").phone("+4520000001").create(&app).await;
        assert_eq!(again, anna);

        // The admin form: masked, revealed on request (audited), and saved
        // unchanged without the number being typed again.
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let page = b.get(&format!("/admin/people/{anna}")).await;
        assert!(page.body.contains("value=\"120385-xxxx\"") && !holds_cpr(&page.body), "{}", page.body);
        assert!(page.body.contains("id=\"reveal-cpr\""));
        let page = b.get(&format!("/admin/people/{anna}?reveal=cpr")).await;
        assert!(page.body.contains(&format!("value=\"{ANNA_CPR}\"")), "{}", page.body);
        let saved = b.post(&format!("/admin/people/{anna}"), &[("name", "Anna Jensen"), ("cpr", "120385-xxxx"), ("phone", "20000001"), ("preferred_channel", "sms")]).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let mut tx = app.engine().db.read().await.unwrap();
        let p = tx.person(anna).await.unwrap().unwrap();
        assert_eq!(p.cpr.map(|c| c.as_string()).as_deref(), Some(ANNA_CPR), "the number is kept");
        drop(tx);
        // A masked form of another birth date is not a number.
        let wrong = b.post(&format!("/admin/people/{anna}"), &[("name", "Anna Jensen"), ("cpr", "130385-xxxx"), ("phone", "20000001")]).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);

        let audit = b.get("/admin/audit?action=person.cpr_revealed").await;
        assert_eq!(audit.body.matches("data-action=\"person.cpr_revealed\"").count(), 2, "{}", audit.body);
        assert!(!holds_cpr(&stored_text(&app).await), "a CPR number in clear in the database");
    }

    async fn numbers_stored_in_clear_by_an_older_version_are_sealed_at_the_next_start(app: TestApp) {
        let mut app = app;
        let anna = person().name("Anna Jensen").cpr(ANNA_CPR).phone("+4520000001").create(&app).await;
        // As the rows were before CPR numbers were sealed.
        execute(&app, &format!("UPDATE people SET cpr_sealed = '{ANNA_CPR}', cpr_hash = NULL WHERE id = {anna}")).await;
        app.restart().await;
        assert!(!holds_cpr(&stored_text(&app).await), "still in clear after the start");
        let mut tx = app.engine().db.read().await.unwrap();
        let cpr = valgvagt::domain::Cpr::parse(ANNA_CPR).unwrap();
        assert_eq!(tx.person_by_cpr(&cpr).await.unwrap(), Some(anna));
        assert_eq!(tx.person(anna).await.unwrap().unwrap().cpr, Some(cpr));
    }

    async fn the_service_refuses_to_start_with_another_data_key(app: TestApp) {
        let mut app = app;
        person().cpr(ANNA_CPR).phone("+4520000001").create(&app).await;
        app.stop().await;
        let mut config = app.config.clone();
        config.data_key = Some("00".repeat(32));
        let err = valgvagt::app::App::start(config).await.err().expect("refused");
        assert!(format!("{err:#}").contains("not the key"), "{err:#}");
    }
}

/// A copy of the SQLite file (and its write-ahead log) holds no CPR number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_file_holds_no_cpr_number_in_clear() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    let e = election(&app, 1).await;
    let anna = person()
        .name("Anna Jensen")
        .cpr(ANNA_CPR)
        .phone("+4520000001")
        .create(&app)
        .await;
    assign(&app, e.seats[0], anna).await;
    app.sms_from("+4520000001", "JA").await;
    app.get_json(&format!("/api/people/{anna}?reveal=cpr"))
        .await;
    let file = app
        .config
        .database_url
        .trim_start_matches("sqlite://")
        .to_string();
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.extend(std::fs::read(format!("{file}-wal")).unwrap_or_default());
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("Anna Jensen"), "the file is the database");
    assert!(
        !holds_cpr(&text),
        "a CPR number in clear in the database file"
    );
    assert!(
        std::path::Path::new(&format!("{file}.key")).exists(),
        "the key is beside it"
    );
}

/// The figures of the retention page's totals, by kind.
fn totals(body: &str) -> Vec<(String, i64)> {
    [
        "sent_messages",
        "received_messages",
        "audit_entries",
        "people",
    ]
    .iter()
    .map(|kind| {
        let at = body
            .find(&format!("data-kind=\"{kind}\""))
            .unwrap_or_else(|| panic!("no {kind} in {body}"));
        let cell = &body[at..];
        let start = cell.find("<td>").unwrap() + 4;
        let end = cell[start..].find("</td>").unwrap() + start;
        (kind.to_string(), cell[start..end].trim().parse().unwrap())
    })
    .collect()
}

fn count(t: &[(String, i64)], kind: &str) -> i64 {
    t.iter().find(|(k, _)| k == kind).map(|(_, n)| *n).unwrap()
}

on_both_backends! {
    async fn retention_shows_what_would_go_and_purges_it_but_never_an_election_still_running(app: TestApp) {
        // Election day 2029-11-20; the clock starts 2029-10-01.
        let e = election(&app, 1).await;
        let anna = person().name("Anna Jensen").cpr(ANNA_CPR).phone("+4520000001").create(&app).await;
        let bo = person().name("Bo Nielsen").cpr("030771-2345").phone("+4520000002").create(&app).await;
        let carl = person().name("Carl Hansen").cpr("141160-3456").phone("+4520000003").create(&app).await;
        assign(&app, e.seats[0], anna).await;
        app.sms_from("+4520000001", "JA tak, jeg glæder mig").await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        // The first tick sets the first purge a week ahead; nothing goes before.
        let page = b.get("/admin/retention").await;
        assert!(page.body.contains("begynder en uge efter"), "{}", page.body);
        app.tick().await;
        let page = b.get("/admin/retention").await;
        assert!(page.body.contains("Næste automatiske sletning: 08.10.2029 11.00"), "{}", page.body);

        // The shortest policy, while the election runs: only Bo, who takes
        // no part in it, would go; nothing written for it would.
        let r = b.post("/admin/retention", &[("message_months", "1"), ("audit_months", "1"), ("people_days", "1")]).await;
        assert_eq!(r.location.as_deref(), Some("/admin/retention?done=saved"));
        let bad = b.post("/admin/retention", &[("message_months", "0"), ("audit_months", "x"), ("people_days", "1")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("id=\"error-message_months\"") && bad.body.contains("id=\"error-audit_months\"") && !bad.body.contains("id=\"error-people_days\""), "{}", bad.body);
        app.clock.advance(chrono::Duration::days(45)); // 2029-11-15, no tick
        // A session lasts hours; each jump of the clock logs in again.
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let page = b.get("/admin/retention").await;
        let t = totals(&page.body);
        assert_eq!((count(&t, "sent_messages"), count(&t, "received_messages"), count(&t, "audit_entries"), count(&t, "people")), (0, 0, 0, 2), "{t:?}");
        // Carl is imported again for the coming election: kept from now.
        assert_eq!(person().name("Carl Hansen").cpr("141160-3456").phone("+4520000003").create(&app).await, carl);
        app.tick().await; // the daily purge
        let mut tx = app.engine().db.read().await.unwrap();
        assert_eq!(tx.person(bo).await.unwrap().unwrap().name, "Slettet person");
        assert_eq!(tx.person(carl).await.unwrap().unwrap().name, "Carl Hansen", "just imported again");
        assert_eq!(tx.person(anna).await.unwrap().unwrap().name, "Anna Jensen", "she holds a seat of a running election");
        drop(tx);
        let outbox = app.get_json("/api/outbox").await.to_string();
        assert!(outbox.contains("Anna"), "her messages are kept while the election runs");

        // People kept a year: four months after the last day the texts go,
        // by hand from the admin (the box must be ticked).
        b.post("/admin/retention", &[("message_months", "4"), ("audit_months", "6"), ("people_days", "365")]).await;
        app.clock.set("2030-03-25T09:00:00Z".parse().unwrap());
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let page = b.get("/admin/retention").await;
        let t = totals(&page.body);
        assert!(count(&t, "sent_messages") >= 1 && count(&t, "received_messages") == 1 && count(&t, "people") == 0, "{t:?}");
        assert!(page.body.contains(&format!("data-election=\"{}\"", e.id)), "{}", page.body);
        let r = b.post("/admin/retention/purge", &[]).await;
        assert_eq!(r.location.as_deref(), Some("/admin/retention?done=confirm"));
        let r = b.post("/admin/retention/purge", &[("understood", "1")]).await;
        assert_eq!(r.location.as_deref(), Some("/admin/retention?done=purged"));
        let stored = stored_text(&app).await;
        for needle in ["glæder", "Rådhushallen"] {
            assert!(!stored.contains(needle), "{needle} is still stored: {}", stored.lines().filter(|l| l.contains(needle)).collect::<Vec<_>>().join("\n"));
        }
        let mut tx = app.engine().db.read().await.unwrap();
        assert_eq!(tx.person(anna).await.unwrap().unwrap().name, "Anna Jensen", "people are kept a year");
        drop(tx);

        // The complaint window of 60 days: she goes with the daily purge,
        // and the seat's history keeps that it was held.
        b.post("/admin/retention", &[("message_months", "4"), ("audit_months", "6"), ("people_days", "60")]).await;
        let page = b.get("/admin/retention").await;
        assert_eq!(count(&totals(&page.body), "people"), 2, "Anna and Carl");
        app.tick().await;
        let mut tx = app.engine().db.read().await.unwrap();
        let gone = tx.person(anna).await.unwrap().unwrap();
        assert_eq!((gone.name.as_str(), gone.phone.as_deref(), gone.cpr.is_none()), ("Slettet person", None, true));
        drop(tx);
        assert!(app.history(e.seats[0]).await.iter().any(|h| h.contains("confirmed")), "the seat's history stays");
        assert!(!stored_text(&app).await.contains("+4520000001"));

        // Each purge is audited, until the audit log's own six months pass.
        let audit = b.get("/admin/audit?action=retention.purged").await;
        assert_eq!(audit.body.matches("data-action=\"retention.purged\"").count(), 3, "{}", audit.body);
        app.clock.set("2030-10-01T09:00:00Z".parse().unwrap());
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let page = b.get("/admin/retention").await;
        assert!(count(&totals(&page.body), "audit_entries") > 0);
        app.tick().await;
        let page = b.get("/admin/retention").await;
        assert_eq!(totals(&page.body).iter().map(|(_, n)| n).sum::<i64>(), 0, "{}", page.body);
    }
}

on_both_backends! {
    async fn erasing_one_of_a_family_sharing_a_phone_keeps_what_the_other_sent(app: TestApp) {
        let e = election(&app, 2).await;
        let anna = person().name("Anna Jensen").cpr(ANNA_CPR).phone("+4520000001").create(&app).await;
        let sis = person().name("Sara Jensen").cpr("010190-1235").phone("+4520000001").create(&app).await;
        assign(&app, e.seats[1], sis).await;
        app.sms_from("+4520000001", "JA").await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let r = b.post(&format!("/admin/people/{anna}/erase"), &[("understood", "1")]).await;
        assert_eq!(r.location.as_deref(), Some("/admin/people?erased=1"));
        let mut tx = app.engine().db.read().await.unwrap();
        let answer = tx.inbound(1).await.unwrap().unwrap();
        assert_eq!((answer.body.as_str(), answer.sender.as_str()), ("JA", "+4520000001"), "Sara's answer is hers");
    }
}
