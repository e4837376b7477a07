//! Message templates edited in the admin: the editor with its
//! placeholders and preview (sample data or a real seat, SMS parts), an
//! edit that every host uses from its next tick, a template that does not
//! render refused with nothing stored, and a reset to the file's text. On
//! SQLite and PostgreSQL.

mod support;

use reqwest::StatusCode;
use support::admin::{Browser, PASSWORD, user};
use support::builders::{assign, election, person};
use support::{Backend, SECRETARIAT, TestApp};

const EDIT: &str = "/admin/templates/invitation/sms/da";

/// The newest invitation's text in the outbox.
async fn last_invitation(app: &TestApp) -> String {
    let outbox = app.get_json("/api/outbox").await;
    outbox
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["template"] == "invitation")
        .and_then(|m| m["body"].as_str())
        .expect("an invitation")
        .to_string()
}

/// The invitation's Danish SMS as the engine has it now.
fn used(app: &TestApp) -> String {
    let catalog = app.engine().catalog.get();
    let (text, _) = catalog
        .source("invitation", "sms", "da")
        .expect("invitation");
    text.to_string()
}

on_both_backends! {
    async fn an_edited_invitation_is_what_the_next_person_gets_until_it_is_reset(app: TestApp) {
        let e = election(&app, 2).await;
        let anna = person().create(&app).await;
        let bo = person().name("Bo Nielsen").cpr("030771-2345").phone("+4520000002").create(&app).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let list = b.get("/admin/templates").await;
        list.assert_ok();
        assert!(list.body.contains("data-template=\"invitation.sms.da\""), "{}", list.body);
        let kind = list.body.find("data-template-kind=\"invitation\"").expect("the invitation's kind");
        let section = &list.body[kind..kind + list.body[kind..].find("</section>").unwrap()];
        assert!(section.contains("Sendes, når en person sættes på en plads"), "when, in words: {section}");
        assert!(section.contains("><code>invite</code></a>"), "and by which workflow: {section}");
        assert!(list.body.contains("<h2 id=\"group-invitation\">Invitationer og svar</h2>"), "grouped: {}", list.body);
        let swaps = b.get("/admin/templates?group=swap&channel=sms").await;
        assert!(swaps.body.contains("data-template=\"swap_options.sms.da\"") && !swaps.body.contains("data-template=\"invitation.sms.da\""), "filtered: {}", swaps.body);
        assert!(!swaps.body.contains(".email.da\""), "SMS only");

        let page = b.get(EDIT).await;
        page.assert_ok();
        assert!(page.body.contains("{{ links.accept }}") && page.body.contains("{{ seat_code }}"), "the placeholders are listed");
        assert!(page.body.contains("id=\"parts\""), "an SMS shows its parts");

        let text = "Hej {{ name }}! Vil du være {{ task_type }} på {{ station }} {{ date }}? Svar JA {{ code }} eller NEJ {{ code }}.";
        let saved = b.post(EDIT, &[("body", text)]).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        assert!(b.get(saved.location.as_deref().unwrap()).await.body.contains("id=\"template-saved\""));

        assign(&app, e.seats[0], anna).await;
        let got = last_invitation(&app).await;
        assert!(got.starts_with("Hej Anna Jensen! Vil du være Valgstyrer på Rådhushallen"), "{got}");

        let list = b.get("/admin/templates").await;
        let row = list.body.find("data-template=\"invitation.sms.da\"").expect("row");
        assert!(list.body[row..row + 400].contains("rettet"), "marked as edited");
        let reset = b.post(&format!("{EDIT}/reset"), &[]).await;
        assert_eq!(reset.status, StatusCode::SEE_OTHER);
        assign(&app, e.seats[1], bo).await;
        let got = last_invitation(&app).await;
        assert!(got.starts_with("Hej Bo Nielsen. Vil du være Valgstyrer ved"), "the file's text again: {got}");
        let audit = b.get("/admin/audit?action=template.").await;
        assert!(audit.body.contains("data-action=\"template.saved\"") && audit.body.contains("data-action=\"template.reset\""));
    }

    async fn a_template_that_does_not_render_is_refused_and_nothing_is_stored(app: TestApp) {
        let before = used(&app);
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get(EDIT).await.assert_ok();
        for bad in [
            "Hej {{ nam }}, svar JA {{ code }}",
            "Hej {% if %}",
            "   ",
            "Svar her: {{ links[\"accept\"] }}",
        ] {
            let page = b.post(EDIT, &[("body", bad)]).await;
            assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
            assert!(page.body.contains("id=\"template-error\""), "{}", page.body);
        }
        let page = b.post(EDIT, &[("body", "Hej {{ nam }}")]).await;
        assert!(page.body.contains("Hej {{ nam }}</textarea>"), "what was typed stays in the editor");
        let mut tx = app.engine().db.read().await.expect("read");
        assert!(tx.template_overrides().await.unwrap().is_empty());
        drop(tx);
        assert_eq!(used(&app), before);
        assert_eq!(b.get("/admin/templates/nothing/sms/da").await.status, StatusCode::NOT_FOUND);
    }

    async fn the_preview_counts_sms_parts_and_renders_on_a_real_seat(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get(EDIT).await.assert_ok();
        let preview = |page: support::admin::Page| -> serde_json::Value {
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            serde_json::from_str(&page.body).expect("JSON")
        };
        let p = preview(b.post("/admin/templates/preview", &[("body", "Æblegrød på {{ station }}"), ("channel", "sms"), ("language", "da"), ("seat", "")]).await);
        assert_eq!(p["text"], "Æblegrød på Rådhushallen");
        assert_eq!((p["segments"]["encoding"].as_str(), p["segments"]["parts"].as_i64()), (Some("gsm7"), Some(1)));
        let long = format!("🎉 {}", "x".repeat(70));
        let p = preview(b.post("/admin/templates/preview", &[("body", &long), ("channel", "sms"), ("language", "da")]).await);
        assert_eq!((p["segments"]["encoding"].as_str(), p["segments"]["parts"].as_i64()), (Some("ucs2"), Some(2)));
        let seat = e.seats[0].to_string();
        let p = preview(b.post("/admin/templates/preview", &[("body", "{{ name }}, {{ station }}, {{ seat_code }}"), ("channel", "sms"), ("language", "da"), ("seat", &seat)]).await);
        assert_eq!(p["text"], "Anna Jensen, Rådhushallen, S1");
        let p = preview(b.post("/admin/templates/preview", &[("body", "{{ nam }}"), ("channel", "email"), ("language", "da")]).await);
        assert_eq!(p["ok"], false);
        assert!(p["error"].as_str().unwrap().contains("nam"), "{p}");
        let p = preview(
            b.post(
                "/admin/templates/preview",
                &[("body", "{{ get_env(name=\"PATH\") }}"), ("channel", "sms"), ("language", "da")],
            )
            .await,
        );
        assert_eq!(p["ok"], false, "a template may not read the server's environment: {p}");
        assert!(p["error"].as_str().unwrap().contains("funktionen `get_env` kan ikke bruges"), "{p}");
    }

    async fn another_host_uses_an_edit_from_its_next_tick(app: TestApp) {
        let before = used(&app);
        let mut tx = app.engine().db.begin().await.expect("begin");
        tx.save_template("invitation", "sms", "da", "Hej {{ name }}: JA {{ code }}?", 1, app.engine().clock.now())
            .await
            .expect("save");
        tx.commit().await.expect("commit");
        assert_eq!(used(&app), before, "stored elsewhere, not yet loaded here");
        app.tick().await;
        assert_eq!(used(&app), "Hej {{ name }}: JA {{ code }}?");
    }

    async fn only_the_secretariat_edits_templates_and_readers_look(app: TestApp) {
        user(&app, "læser@testrup.dk", "reader", None, None).await;
        election(&app, 1).await;
        user(&app, "hold@testrup.dk", "team", Some("Borgerlisten"), None).await;
        let mut r = Browser::logged_in(&app, "læser@testrup.dk", PASSWORD).await;
        let page = r.get(EDIT).await;
        page.assert_ok();
        assert!(!page.body.contains("id=\"template-save\""), "a reader gets no save button");
        assert_eq!(r.post(EDIT, &[("body", "Hej")]).await.status, StatusCode::FORBIDDEN);
        assert_eq!(r.post(&format!("{EDIT}/reset"), &[]).await.status, StatusCode::FORBIDDEN);
        let mut t = Browser::logged_in(&app, "hold@testrup.dk", PASSWORD).await;
        assert_eq!(t.get("/admin/templates").await.status, StatusCode::FORBIDDEN);
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get(EDIT).await;
        assert_eq!(b.post_raw(EDIT, &[("body", "Hej")]).await.status, StatusCode::FORBIDDEN, "no CSRF token, no change");
        let mut tx = app.engine().db.read().await.expect("read");
        assert!(tx.template_overrides().await.unwrap().is_empty());
    }

    async fn a_template_that_would_run_away_is_refused_and_the_service_keeps_answering(app: TestApp) {
        // The preview is open to readers: the payloads come from the
        // least trusted role that reaches a renderer.
        user(&app, "læser@testrup.dk", "reader", None, None).await;
        let mut reader = Browser::logged_in(&app, "læser@testrup.dk", PASSWORD).await;
        let mut secretariat = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let doubling = format!("{{% set s = name %}}{}{{{{ s }}}}", "{% set s = s ~ s %}".repeat(40));
        let payloads = [
            (r#"{% include "edited" %}"#.to_string(), "include"),
            ("{% macro m(n) %}{{ self::m(n=n) }}{% endmacro m %}{{ self::m(n=1) }}".to_string(), "macro"),
            (doubling, "set"),
            ("{% for a in range(end=1000) %}{% for b in range(end=1000) %}{% for c in range(end=1000) %}{% for d in range(end=1000) %}x{% endfor %}{% endfor %}{% endfor %}{% endfor %}".to_string(), "for-løkke"),
        ];
        for (payload, why) in &payloads {
            let page = reader.post("/admin/templates/preview", &[("body", payload), ("channel", "sms"), ("language", "da")]).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            let p: serde_json::Value = serde_json::from_str(&page.body).expect("JSON");
            assert_eq!(p["ok"], false, "{payload}: {p}");
            assert!(p["error"].as_str().unwrap().contains(why), "{payload}: {p}");
            let health = app.http.get(app.url("/healthz")).send().await.unwrap();
            assert_eq!(health.status(), StatusCode::OK, "the service lives after {why}");

            // Saved by the secretariat, it is refused and nothing is stored.
            let saved = secretariat.post(EDIT, &[("body", payload)]).await;
            assert_eq!(saved.status, StatusCode::UNPROCESSABLE_ENTITY, "{why}");
        }
        let mut tx = app.engine().db.read().await.expect("read");
        assert!(tx.template_overrides().await.unwrap().is_empty());
    }

    async fn an_edit_stored_before_the_bounds_is_not_used_and_its_file_is(app: TestApp) {
        let before = used(&app);
        let mut tx = app.engine().db.begin().await.expect("begin");
        tx.save_template("invitation", "sms", "da", "{% set s = name ~ name %}{{ s }} JA {{ code }}", 1, app.engine().clock.now())
            .await
            .expect("save");
        tx.commit().await.expect("commit");
        app.tick().await;
        assert_eq!(used(&app), before, "the file's text is used");
    }
}

on_both_backends! {
    async fn the_editor_explains_a_mistake_in_the_readers_words(app: TestApp) {
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get(EDIT).await.assert_ok();
        let preview = |page: support::admin::Page| -> serde_json::Value { serde_json::from_str(&page.body).expect("JSON") };
        let p = preview(b.post("/admin/templates/preview", &[("body", "Hej {{ name"), ("channel", "sms"), ("language", "da")]).await);
        assert_eq!(p["error"], "Skabelonen kan ikke læses i linje 1, tegn 12: et {{ … }} eller {% … %} er ikke skrevet helt eller ikke lukket.", "{p}");
        let p = preview(b.post("/admin/templates/preview", &[("body", "Hej {{ navn }}"), ("channel", "sms"), ("language", "da")]).await);
        assert_eq!(p["error"], "Pladsholderen «navn» findes ikke; brug en af dem i listen.", "{p}");
        let p = preview(b.post("/admin/templates/preview", &[("body", "{{ name | fed }}"), ("channel", "sms"), ("language", "da")]).await);
        assert!(p["error"].as_str().unwrap().starts_with("filteret `fed` kan ikke bruges i en beskedskabelon; brug et af disse: length"), "{p}");
        let saved = b.post(EDIT, &[("body", "Hej {{ navn }}")]).await;
        assert_eq!(saved.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(saved.body.contains("Pladsholderen «navn» findes ikke") && !saved.body.contains("not found"), "{}", saved.body);
    }
}
