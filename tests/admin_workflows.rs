//! The workflow editor in the admin: problems at their lines as the text
//! is typed, drafts that change nothing until published, the diff and the
//! migration preview, publishing (moving running instances along when
//! asked), and a published revision surviving a restart, on SQLite and
//! PostgreSQL.

mod support;

use reqwest::StatusCode;
use support::admin::{Browser, PASSWORD, user};
use support::builders::{assign, election, person};
use support::{Backend, SECRETARIAT, TestApp};

fn shipped_invite() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/workflows/invite.yaml"
    ))
    .expect("invite.yaml")
}

/// The 1-based line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle")
        + 1
}

/// The revision number the list shows for a workflow.
async fn listed_revision(b: &mut Browser, name: &str) -> String {
    let page = b.get("/admin/workflows").await;
    page.assert_ok();
    let at = page
        .body
        .find(&format!("data-workflow=\"{name}\""))
        .expect("listed");
    let row = &page.body[at..at + page.body[at..].find("</tr>").expect("row end")];
    let num = row.find("<td class=\"num\">").expect("revision cell") + "<td class=\"num\">".len();
    row[num..num + row[num..].find('<').expect("end")].to_string()
}

/// The revision ids of the seat's waiting instances.
async fn waiting_revisions(app: &TestApp, seat: i64) -> Vec<i64> {
    let v = app.get_json(&format!("/api/seats/{seat}")).await;
    v["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .filter(|i| i["status"] == "waiting")
        .map(|i| i["revision_id"].as_i64().expect("revision"))
        .collect()
}

on_both_backends! {
    async fn a_mistake_is_shown_at_its_line_and_a_draft_with_it_cannot_be_published(app: TestApp) {
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let editor = b.get("/admin/workflows/invite").await;
        editor.assert_ok();
        assert!(editor.body.contains("data-state=\"asking\""), "the diagram of the published revision");
        assert!(editor.body.contains("id=\"no-problems\""));

        let broken = shipped_invite().replace("yes: confirmed", "yes: confirmd");
        let line = line_of(&broken, "yes: confirmd");
        let csrf = b.csrf.clone().expect("token");
        let r = reqwest::Client::new()
            .post(app.url("/admin/workflows/check"))
            .header("Cookie", format!("valgvagt_session={}", b.cookie("valgvagt_session").unwrap()))
            .header("X-CSRF-Token", &csrf)
            .form(&[("source", broken.as_str())])
            .send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let answer: serde_json::Value = r.json().await.unwrap();
        let d = answer["diagnostics"].as_array().unwrap().iter()
            .find(|d| d["severity"] == "error").expect("an error");
        assert_eq!(d["line"], line, "{answer}");
        assert_eq!(d["code"], "unknown-state");
        assert!(d["help"].as_str().unwrap_or_default().contains("confirmed"), "did you mean: {answer}");
        assert!(answer["diagram"].is_null(), "no diagram of a broken definition");

        let saved = b.post("/admin/workflows/invite/draft", &[("source", &broken)]).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);
        let editor = b.get("/admin/workflows/invite?saved=1").await;
        assert!(editor.body.contains(&format!("class=\"diag error\" data-line=\"{line}\"")), "{}", editor.body);
        assert!(editor.body.contains(&format!("<span data-line=\"{line}\" class=\"error\">")), "the gutter marks the line");
        let review = b.get("/admin/workflows/invite/review").await;
        review.assert_ok();
        assert!(!review.body.contains("id=\"publish-form\""), "no publish button for a broken draft");
        assert!(review.body.contains("<tr class=\"added\">") && review.body.contains("confirmd"), "the diff shows the change");
        let r = b.post("/admin/workflows/invite/publish", &[]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(listed_revision(&mut b, "invite").await, "1", "nothing was published");

        // The draft is not what runs: an assignment still invites.
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        assert_eq!(app.seat_status(e.seats[0]).await, "invited");
    }

    async fn publishing_a_draft_moves_running_instances_only_when_asked_and_only_where_they_fit(app: TestApp) {
        let e = election(&app, 3).await;
        for (i, seat) in e.seats.iter().enumerate() {
            let p = person().name(&format!("Person {i}")).cpr(&format!("0101{}0-123{i}", 7 + i)).phone(&format!("+452000010{i}")).create(&app).await;
            assign(&app, *seat, p).await;
        }
        let before = waiting_revisions(&app, e.seats[0]).await;
        assert_eq!(before.len(), 1);
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/workflows/invite").await.assert_ok();

        // A third reminder: those asking can move along.
        let edited = shipped_invite().replace("max: 2", "max: 3");
        b.post("/admin/workflows/invite/draft", &[("source", &edited)]).await;
        let review = b.get("/admin/workflows/invite/review").await;
        assert!(review.body.contains("data-state=\"asking\" data-outcome=\"moves\""), "{}", review.body);
        assert!(review.body.contains("<td class=\"num\">3</td>"), "three instances asking: {}", review.body);
        // Unticked, as the box starts, the preview says they stay; ticked (the script), that they move.
        assert!(review.body.contains("<div class=\"migration-preview\" id=\"migration-preview\">"), "{}", review.body);
        assert!(review.body.contains("<span class=\"if-stay\">3 bliver på deres revision (kryds af nedenfor"), "{}", review.body);
        assert!(review.body.contains("<span class=\"if-migrate\">3 flyttes til den nye revision"), "{}", review.body);
        let r = b.post("/admin/workflows/invite/publish", &[("migrate", "1")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location.as_deref(), Some("/admin/workflows/invite?published=2&moved=3"));
        assert_eq!(listed_revision(&mut b, "invite").await, "2");
        let after = waiting_revisions(&app, e.seats[0]).await;
        assert_ne!(after, before, "moved onto revision 2");

        // Without a timeout the waiting instances' timers would mean
        // nothing: they stay, even when asked to move.
        let text = shipped_invite().replace("max: 2", "max: 3");
        let cut = text.find("      timeout:").expect("timeout");
        let end = text[cut..].find("\n\n").map(|i| cut + i).expect("end of ask");
        let no_timeout = format!("{}{}", &text[..cut], &text[end..]).replace("\n  unanswered:", "\n  unanswered_unused:");
        b.get("/admin/workflows/invite").await;
        b.post("/admin/workflows/invite/draft", &[("source", &no_timeout)]).await;
        let review = b.get("/admin/workflows/invite/review").await;
        assert!(review.body.contains("data-outcome=\"stays\""), "{}", review.body);
        assert!(review.body.contains("no timeout"), "{}", review.body);
        let r = b.post("/admin/workflows/invite/publish", &[("migrate", "1")]).await;
        assert_eq!(r.location.as_deref(), Some("/admin/workflows/invite?published=3&moved=0"), "{}", r.body);
        assert_eq!(waiting_revisions(&app, e.seats[0]).await, after);
    }

    async fn a_workflow_published_in_the_admin_survives_a_restart(app: TestApp) {
        let mut app = app;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/workflows/invite").await;
        let edited = shipped_invite().replace("every: P4D", "every: P3D");
        b.post("/admin/workflows/invite/draft", &[("source", &edited)]).await;
        b.get("/admin/workflows/invite/review").await;
        b.post("/admin/workflows/invite/publish", &[]).await;
        assert_eq!(listed_revision(&mut b, "invite").await, "2");

        app.restart().await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        assert_eq!(listed_revision(&mut b, "invite").await, "2", "the unchanged file did not overwrite it");
        let editor = b.get("/admin/workflows/invite").await;
        assert!(editor.body.contains("every: P3D"), "{}", editor.body);
    }

    async fn a_draft_sent_with_a_browsers_line_ends_shows_only_the_edited_line_changed(app: TestApp) {
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/workflows/invite").await;
        // A browser sends a textarea's lines ended by CRLF.
        let edited = shipped_invite()
            .replace("every: P4D", "every: P3D")
            .replace('\n', "\r\n");
        b.post("/admin/workflows/invite/draft", &[("source", &edited)]).await;
        let review = b.get("/admin/workflows/invite/review").await;
        review.assert_ok();
        assert_eq!(review.body.matches("<tr class=\"added\">").count(), 1, "{}", review.body);
        assert_eq!(review.body.matches("<tr class=\"removed\">").count(), 1, "{}", review.body);
        b.post("/admin/workflows/invite/publish", &[]).await;
        assert_eq!(listed_revision(&mut b, "invite").await, "2");
        let editor = b.get("/admin/workflows/invite").await;
        assert!(editor.body.contains("every: P3D") && !editor.body.contains('\r'), "stored with LF line ends");
    }

    async fn a_reader_may_look_at_workflows_and_a_team_responsible_may_not(app: TestApp) {
        user(&app, "læser@testrup.dk", "reader", None, None).await;
        let mut r = Browser::logged_in(&app, "læser@testrup.dk", PASSWORD).await;
        r.get("/admin/workflows").await.assert_ok();
        let editor = r.get("/admin/workflows/invite").await;
        editor.assert_ok();
        assert!(editor.body.contains("readonly") && !editor.body.contains("id=\"save-draft\""));
        let page = r.post("/admin/workflows/invite/draft", &[("source", &shipped_invite())]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);

        election(&app, 1).await;
        user(&app, "hold@testrup.dk", "team", Some("Borgerlisten"), None).await;
        let mut t = Browser::logged_in(&app, "hold@testrup.dk", PASSWORD).await;
        assert_eq!(t.get("/admin/workflows").await.status, StatusCode::FORBIDDEN);
        assert_eq!(t.get("/admin/workflows/invite").await.status, StatusCode::FORBIDDEN);
    }
}
