//! Seats belong to the parties (teams) by the council's constitution: a
//! freed seat is offered only to standby people of its party, a swap lists
//! only free seats of the same party, and the party secretary is told when
//! their member declines, cancels, does not come or swaps. A workflow may
//! widen this with `same_team: no`, never by accident.

mod support;

use support::admin::{Browser, user};
use support::builders::{
    Election, assign, code_in, import, join, party_standby, people, person, swap_code,
};
use support::pages::post_form;
use support::smtp::SmtpServer;
use support::{Backend, SECRETARIAT, Setup, TestApp};

const DAY: &str = "2029-11-20";

/// Rådhushallen has a Venstre and a Socialdemokratiet seat; Biblioteket
/// a Venstre one, Skolen a Socialdemokratiet one, all in Midtbyen. Seats
/// in that order.
async fn two_parties(app: &TestApp) -> Election {
    import(
        app,
        r#"
election: { title: Kommunalvalg 2029, type: Kommunalvalg, election_day: 2029-11-20, starts_on: 2029-11-19 }
areas:
  - name: Midtbyen
    stations:
      - { name: Rådhushallen, address: Rådhuspladsen 1 }
      - { name: Biblioteket, address: Bibliotekvej 2 }
      - { name: Skolen, address: Skolevej 3 }
teams: [Venstre, Socialdemokratiet]
task_types:
  - { name: Valgstyrer, start: "07:30", end: "21:00", payment: 600, trusted: true }
seats:
  - { station: Rådhushallen, task_type: Valgstyrer, team: Venstre, count: 1 }
  - { station: Rådhushallen, task_type: Valgstyrer, team: Socialdemokratiet, count: 1 }
  - { station: Biblioteket, task_type: Valgstyrer, team: Venstre, count: 1 }
  - { station: Skolen, task_type: Valgstyrer, team: Socialdemokratiet, count: 1 }
"#,
    )
    .await
}

fn offers_to(app: &TestApp, phone: &str) -> usize {
    app.fake
        .to(phone)
        .iter()
        .filter(|m| m.contains("ledig plads"))
        .count()
}

/// Anna of Venstre on the Venstre seat at Rådhushallen, who says no; on
/// standby: Bo (Venstre), Carl (Socialdemokratiet) and Dina (no party).
/// Returns the reserves' phones in that order.
async fn anna_declines_with_three_on_standby(app: &TestApp, e: &Election) -> Vec<(i64, String)> {
    let anna = person().create(app).await;
    join(app, anna, "Venstre").await;
    assign(app, e.seats[0], anna).await;
    let reserves = people(app, 3, "3000").await;
    party_standby(app, e.id, reserves[0].0, DAY, "Venstre").await;
    party_standby(app, e.id, reserves[1].0, DAY, "Socialdemokratiet").await;
    support::builders::standby(app, e.id, reserves[2].0, DAY).await;
    app.sms_from("+4520000001", "NEJ").await;
    assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
    reserves
}

/// The shipped workflows with `same_team: no` in every offer and swap.
async fn widened(backend: Backend) -> Option<TestApp> {
    let mut setup = Setup::new(backend).await?;
    setup.edit_workflows(
        |name, text| match name {
            "fill_seat.yaml" => {
                text.replace("      wave: 3\n", "      wave: 3\n      same_team: no\n")
            }
            "swap_station.yaml" => text.replace(
                "      options: 5\n",
                "      options: 5\n      same_team: no\n",
            ),
            _ => text,
        },
        &[],
    );
    Some(setup.start().await)
}

async fn holder(app: &TestApp, seat: i64) -> Option<i64> {
    app.get_json(&format!("/api/seats/{seat}")).await["seat"]["person_id"].as_i64()
}

/// Bo of Venstre, confirmed on the Venstre seat at Rådhushallen, texts
/// SKIFT; returns the list he was sent.
async fn bo_asks_to_swap(app: &TestApp, e: &Election) -> (i64, String, String) {
    let workers = people(app, 1, "3100").await;
    let (bo, phone) = workers[0].clone();
    join(app, bo, "Venstre").await;
    assign(app, e.seats[0], bo).await;
    let code = code_in(app.fake.to(&phone).last().expect("an invitation"));
    app.sms_from(&phone, &format!("JA {code}")).await;
    app.sms_from(&phone, "SKIFT").await;
    let list = app.fake.to(&phone).last().unwrap().clone();
    (bo, phone, list)
}

on_both_backends! {
    async fn a_freed_party_seat_is_offered_only_to_the_partys_standby_people(app: TestApp) {
        let e = two_parties(&app).await;
        let reserves = anna_declines_with_three_on_standby(&app, &e).await;
        let [bo, carl, dina] = [&reserves[0], &reserves[1], &reserves[2]];
        assert_eq!(offers_to(&app, &bo.1), 1, "Venstre's reserve is asked");
        assert_eq!(offers_to(&app, &carl.1), 0, "another party's reserve is not");
        assert_eq!(offers_to(&app, &dina.1), 0, "nor someone of no party");

        let code = code_in(app.fake.to(&bo.1).last().unwrap());
        app.sms_from(&bo.1, &format!("JA {code}")).await;
        assert_eq!(holder(&app, e.seats[0]).await, Some(bo.0));
    }

    async fn skift_lists_only_free_seats_of_the_persons_party(app: TestApp) {
        let e = two_parties(&app).await;
        let (bo, phone, list) = bo_asks_to_swap(&app, &e).await;
        assert!(list.contains("1) Biblioteket, Bibliotekvej 2."), "{list}");
        assert!(!list.contains("Skolen"), "a Socialdemokratiet seat is not Bo's to take: {list}");
        assert!(!list.contains("2)"), "{list}");

        // Only what the list says can be chosen.
        let code = swap_code(&list);
        app.sms_from(&phone, &format!("{code} 2")).await;
        assert!(app.fake.to(&phone).last().unwrap().starts_with("2 er ikke et af valgstederne"));
        assert_eq!(holder(&app, e.seats[3]).await, None);
        app.sms_from(&phone, &format!("{code} 1")).await;
        assert_eq!(holder(&app, e.seats[2]).await, Some(bo));
    }

    async fn a_party_secretary_hears_of_a_no_and_a_no_show_and_a_swap_on_their_own_list(app: TestApp) {
        let e = two_parties(&app).await;
        user(&app, "venstre@testrup.dk", "team", Some("Venstre"), None).await;
        user(&app, "soc@testrup.dk", "team", Some("Socialdemokratiet"), None).await;
        anna_declines_with_three_on_standby(&app, &e).await;

        let notes = app.get_json("/api/notifications").await;
        let venstre = support::builders::team_id(&app, "Venstre").await;
        let for_venstre: Vec<_> = notes.as_array().unwrap().iter().filter(|n| n["team_id"] == venstre).collect();
        assert_eq!(for_venstre.len(), 1, "{notes}");
        assert!(for_venstre[0]["message_da"].as_str().unwrap().contains("har sagt nej tak"), "{notes}");
        assert!(for_venstre[0]["message"].as_str().unwrap().contains("Your member declined"), "and in English: {notes}");
        assert_eq!(for_venstre[0]["seat_id"], e.seats[0]);

        let mut v = Browser::logged_in(&app, "venstre@testrup.dk", support::admin::PASSWORD).await;
        let page = v.get("/admin/followup").await;
        page.assert_ok();
        assert!(page.body.contains("har sagt nej tak"), "{}", page.body);
        assert!(!page.body.contains("id=\"swaps\""), "swaps are the secretariat's to approve");
        let mut s = Browser::logged_in(&app, "soc@testrup.dk", support::admin::PASSWORD).await;
        assert!(!s.get("/admin/followup").await.body.contains("har sagt nej tak"), "not the other party's business");
        let mut sec = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let theirs = sec.get("/admin/followup").await;
        assert!(theirs.body.contains("Personen sagde nej tak; pladsen er ledig igen.") && !theirs.body.contains("har sagt nej tak"), "{}", theirs.body);

        // Marking it seen to takes it off the party's list.
        let id = for_venstre[0]["id"].as_i64().unwrap();
        v.post(&format!("/admin/followup/notifications/{id}/resolve"), &[]).await;
        assert!(!v.get("/admin/followup").await.body.contains("har sagt nej tak"));

        // A no-show and a swap reach the party too.
        let chair = person().name("Formand").cpr("010160-1234").phone("+4520000099").create(&app).await;
        support::builders::responsible_for_station_of(&app, e.seats[2], chair).await;
        let (_, phone, list) = bo_asks_to_swap(&app, &e).await;
        let code = swap_code(&list);
        app.sms_from(&phone, &format!("{code} 1")).await;
        let page = v.get("/admin/followup").await;
        assert!(page.body.contains("er flyttet til et andet valgsted"), "{}", page.body);
        app.jump_to("2029-11-20T07:00:00Z").await;
        // Bo, now at Biblioteket (its seat S1), has not come.
        app.sms_from("+4520000099", "UDEBLEVET S1").await;
        assert_eq!(holder(&app, e.seats[2]).await, None, "{:?}", app.fake.to("+4520000099"));
        // Seven weeks on, the session has ended: log in again.
        let mut v = Browser::logged_in(&app, "venstre@testrup.dk", support::admin::PASSWORD).await;
        let page = v.get("/admin/followup").await;
        assert!(page.body.contains("er ikke mødt op"), "{}", page.body);
    }

    async fn the_standby_pool_is_shown_per_party_on_the_board_the_setup_page_and_the_api(app: TestApp) {
        let e = two_parties(&app).await;
        let reserves = people(&app, 3, "3000").await;
        party_standby(&app, e.id, reserves[0].0, DAY, "Venstre").await;
        party_standby(&app, e.id, reserves[1].0, DAY, "Socialdemokratiet").await;
        support::builders::standby(&app, e.id, reserves[2].0, DAY).await;

        let pool = app.get_json(&format!("/api/elections/{}/standby", e.id)).await;
        let venstre = support::builders::team_id(&app, "Venstre").await;
        let teams: Vec<_> = pool.as_array().unwrap().iter().map(|s| s["team_ids"].clone()).collect();
        assert_eq!(teams[0], serde_json::json!([venstre]), "{pool}");
        assert_eq!(teams[2], serde_json::json!([]), "{pool}");

        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let board = b.get("/admin/board").await;
        // Two people could take a seat; each counts once, though Bo could
        // go to two stations. Dina, of no party, could take none.
        assert!(board.body.contains("id=\"total-standby\">2<"), "{}", board.body);
        let per_team = &board.body[board.body.find("id=\"standby-per-team\"").expect("per team")..];
        assert!(per_team.contains("Socialdemokratiet <b>1</b>") && per_team.contains("Venstre <b>1</b>"), "{per_team}");
        let setup = b.get(&format!("/admin/setup/seats?election={}", e.id)).await;
        assert!(setup.body.contains("uden hold: <b>1</b>"), "{}", setup.body);
        assert!(setup.body.contains("Venstre: <b>1</b>"), "{}", setup.body);
    }
}

/// With `same_team: no`, a freed seat is offered to everyone on standby
/// for it, and a swap lists every party's free seats.
async fn a_workflow_that_says_same_team_no_offers_and_swaps_across_parties(backend: Backend) {
    let Some(app) = widened(backend).await else {
        return;
    };
    let e = two_parties(&app).await;
    let reserves = anna_declines_with_three_on_standby(&app, &e).await;
    for (_, phone) in &reserves {
        assert_eq!(offers_to(&app, phone), 1, "everyone on standby is asked");
    }
    let (_, _, list) = bo_asks_to_swap(&app, &e).await;
    assert!(
        list.contains("Biblioteket") && list.contains("Skolen"),
        "{list}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_that_says_same_team_no_offers_and_swaps_across_parties_on_sqlite() {
    a_workflow_that_says_same_team_no_offers_and_swaps_across_parties(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_that_says_same_team_no_offers_and_swaps_across_parties_on_postgres() {
    a_workflow_that_says_same_team_no_offers_and_swaps_across_parties(Backend::Postgres).await;
}

with_email_on_both_backends! {
    async fn the_swap_link_lists_only_the_partys_seats_and_refuses_a_seat_of_another(app: TestApp, smtp: SmtpServer) {
        const ANE: &str = "ane@example.dk";
        let e = two_parties(&app).await;
        let ane = person().name("Ane Ærø").email(ANE).create(&app).await;
        join(&app, ane, "Venstre").await;
        assign(&app, e.seats[0], ane).await;
        let swap = smtp.to(ANE)[0].links()[1].clone();
        let page = app.http.get(&swap).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Biblioteket") && !page.contains("Skolen"), "{page}");

        // A forged choice of the Socialdemokratiet seat moves nobody.
        post_form(&app, &swap, &format!("seat={}", e.seats[3])).await;
        assert_eq!(holder(&app, e.seats[3]).await, None);
        assert_eq!(holder(&app, e.seats[0]).await, Some(ane));

        let (_, page) = post_form(&app, &swap, &format!("seat={}", e.seats[2])).await;
        assert!(page.contains("<h1>Du er flyttet</h1>"), "{page}");
        assert_eq!(holder(&app, e.seats[2]).await, Some(ane));
    }

    async fn the_party_secretary_is_e_mailed_when_their_member_cancels(app: TestApp, smtp: SmtpServer) {
        const ANE: &str = "ane@example.dk";
        let e = two_parties(&app).await;
        user(&app, "venstre@testrup.dk", "team", Some("Venstre"), None).await;
        user(&app, "soc@testrup.dk", "team", Some("Socialdemokratiet"), None).await;
        let ane = person().name("Ane Ærø").email(ANE).create(&app).await;
        assign(&app, e.seats[0], ane).await;
        let accept = smtp.to(ANE)[0].links()[0].clone();
        post_form(&app, &accept, "").await;
        let cancel = smtp.to(ANE)[1].links()[0].clone();
        let (_, page) = post_form(&app, &cancel, "").await;
        assert!(page.contains("Du er afmeldt"), "{page}");

        let mails = smtp.to("venstre@testrup.dk");
        assert_eq!(mails.len(), 1, "one notice");
        let notice = &mails[0];
        assert_eq!(notice.header("Subject").unwrap(), "Venstre: Valgstyrer på Rådhushallen tirsdag 20. november 2029");
        let text = notice.part("text/plain").unwrap();
        assert!(text.contains("Jeres medlem har meldt fra"), "{text}");
        assert!(text.contains("Det gælder Ane Ærø, Valgstyrer på Rådhushallen"), "{text}");
        assert!(smtp.to("soc@testrup.dk").is_empty(), "the other party hears nothing");
    }
}
