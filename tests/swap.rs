//! Swapping polling station with the shipped `swap_station` workflow: by
//! SMS (`SKIFT`, then the code and a number) and by the link in an
//! invitation e-mail. The old seat is freed and offered to standby; two
//! people choosing the last free seat at once cannot both get it.

mod support;

use support::builders::{assign, code_in, import, party_standby, people, person, swap_code};
use support::pages::post_form;
use support::smtp::SmtpServer;
use support::{Backend, Setup, TestApp};

const DAY: &str = "2029-11-20";

/// An election with one Valgstyrer seat at each of four stations: three
/// in Midtbyen (Rådhushallen, Biblioteket, Skolen) and one in Nord
/// (Hallen). Returns the election and its seats in that order (seats
/// are made in the order the file lists them).
async fn four_stations(app: &TestApp) -> (i64, Vec<i64>) {
    let file = r#"
election: { title: Kommunalvalg 2029, type: Kommunalvalg, election_day: 2029-11-20, starts_on: 2029-11-19 }
areas:
  - name: Midtbyen
    stations:
      - { name: Rådhushallen, address: Rådhuspladsen 1, voting_area: "1" }
      - { name: Biblioteket, address: Bibliotekvej 2, voting_area: "2" }
      - { name: Skolen, address: Skolevej 3, voting_area: "3" }
  - name: Nord
    stations:
      - { name: Hallen, address: Nordvej 4, voting_area: "4" }
teams: [Borgerlisten]
task_types:
  - { name: Valgstyrer, start: "07:30", end: "21:00", payment: 600, trusted: true }
seats:
  - { station: Rådhushallen, task_type: Valgstyrer, team: Borgerlisten, count: 1 }
  - { station: Biblioteket, task_type: Valgstyrer, team: Borgerlisten, count: 1 }
  - { station: Skolen, task_type: Valgstyrer, team: Borgerlisten, count: 1 }
  - { station: Hallen, task_type: Valgstyrer, team: Borgerlisten, count: 1 }
"#;
    let e = import(app, file).await;
    (e.id, e.seats)
}

/// A person assigned to `seat` who answered yes by SMS.
async fn confirmed_on(app: &TestApp, seat: i64, person: i64, phone: &str) {
    assign(app, seat, person).await;
    let code = code_in(app.fake.to(phone).last().expect("an invitation"));
    app.sms_from(phone, &format!("JA {code}")).await;
    assert_eq!(app.seat_status(seat).await, "confirmed");
}

async fn seat_holder(app: &TestApp, seat: i64) -> Option<i64> {
    app.get_json(&format!("/api/seats/{seat}")).await["seat"]["person_id"].as_i64()
}

on_both_backends! {
    async fn skift_lists_the_free_stations_in_the_area_and_a_choice_moves_the_person_and_offers_the_old_seat_to_standby(app: TestApp) {
        let (election, seats) = four_stations(&app).await;
        let workers = people(&app, 2, "3100").await;
        let (anna, anna_phone) = &workers[0];
        let (bo, bo_phone) = &workers[1];
        confirmed_on(&app, seats[0], *anna, anna_phone).await;
        party_standby(&app, election, *bo, DAY, "Borgerlisten").await;

        app.sms_from(anna_phone, "Skift").await;
        let list = app.fake.to(anna_phone).last().unwrap().clone();
        assert!(list.contains("Du kan skifte fra Rådhushallen"), "{list}");
        assert!(list.contains("1) Biblioteket, Bibliotekvej 2; 2) Skolen, Skolevej 3."), "{list}");
        assert!(!list.contains("Hallen, Nordvej"), "another area is not offered: {list}");
        assert_eq!(seat_holder(&app, seats[0]).await, Some(*anna), "asking changes nothing");

        let code = swap_code(&list);
        app.sms_from(anna_phone, &format!("{code} 2")).await;

        assert_eq!(seat_holder(&app, seats[2]).await, Some(*anna), "Anna is at Skolen");
        assert_eq!(app.seat_status(seats[2]).await, "confirmed");
        assert_eq!(app.seat_status(seats[0]).await, "vacant", "Rådhushallen is free again");
        let moved = app.fake.to(anna_phone).last().unwrap().clone();
        assert!(moved.starts_with("Tak, Reserve 1! Du er flyttet."), "{moved}");
        assert!(moved.contains("på Skolen, Skolevej 3"), "{moved}");
        assert!(app.history(seats[0]).await.contains(&"swapped_out".to_string()));
        assert_eq!(app.history(seats[2]).await, ["assigned", "confirmed"]);

        // The freed seat goes to standby like any vacant seat.
        let offer = app.fake.to(bo_phone).last().cloned().expect("an offer to Bo");
        assert!(offer.contains("ledig plads som Valgstyrer") && offer.contains("på Rådhushallen"), "{offer}");

        // The list has been answered: the code does nothing more.
        app.sms_from(anna_phone, &format!("{code} 1")).await;
        assert_eq!(seat_holder(&app, seats[1]).await, None);
        assert_eq!(seat_holder(&app, seats[2]).await, Some(*anna));
    }

    async fn nej_to_the_list_keeps_the_seat_and_a_number_not_on_it_is_refused(app: TestApp) {
        let (_, seats) = four_stations(&app).await;
        let workers = people(&app, 1, "3200").await;
        let (anna, phone) = &workers[0];
        confirmed_on(&app, seats[0], *anna, phone).await;

        app.sms_from(phone, "SKIFT").await;
        let code = swap_code(app.fake.to(phone).last().unwrap());
        app.sms_from(phone, "7").await;
        let refused = app.fake.to(phone).last().unwrap().clone();
        assert!(refused.starts_with(&format!("7 er ikke et af valgstederne på listen {code}")), "{refused}");

        app.sms_from(phone, "nej").await;
        assert!(app.fake.to(phone).last().unwrap().starts_with("Du bliver på Rådhushallen"));
        assert_eq!(seat_holder(&app, seats[0]).await, Some(*anna));
        assert_eq!(app.seat_status(seats[0]).await, "confirmed");
        for seat in &seats[1..] {
            assert_eq!(app.seat_status(*seat).await, "vacant");
        }
    }

    async fn skift_from_someone_without_a_seat_says_so_and_no_free_station_keeps_the_seat(app: TestApp) {
        let (_, seats) = four_stations(&app).await;
        let workers = people(&app, 4, "3300").await;
        app.sms_from(&workers[3].1, "SKIFT").await;
        assert!(app.fake.to(&workers[3].1).last().unwrap().starts_with("Vi kan ikke finde en plads"));

        // Midtbyen is full: Anna, Bo and Carl hold its three seats.
        for (i, (id, phone)) in workers[..3].iter().enumerate() {
            confirmed_on(&app, seats[i], *id, phone).await;
        }
        app.sms_from(&workers[0].1, "SKIFT").await;
        let told = app.fake.to(&workers[0].1).last().unwrap().clone();
        assert!(told.contains("ingen ledige pladser som Valgstyrer på andre valgsteder"), "{told}");
        assert_eq!(seat_holder(&app, seats[0]).await, Some(workers[0].0));
    }

    async fn two_people_choosing_the_last_free_seat_at_once_one_moves_and_the_other_is_told_and_keeps_their_seat(app: TestApp) {
        let (_, seats) = four_stations(&app).await;
        let workers = people(&app, 2, "3400").await;
        // Anna at Rådhushallen, Bo at Biblioteket: Skolen is the one free
        // seat in Midtbyen.
        for (i, (id, phone)) in workers.iter().enumerate() {
            confirmed_on(&app, seats[i], *id, phone).await;
        }
        for (_, phone) in &workers {
            app.sms_from(phone, "SKIFT").await;
            let list = app.fake.to(phone).last().unwrap().clone();
            assert!(list.contains("1) Skolen, Skolevej 3."), "{list}");
        }
        let choices = workers.iter().enumerate().map(|(i, (_, phone))| {
            let code = swap_code(app.fake.to(phone).last().unwrap());
            let app = &app;
            async move {
                let r = app.post_incoming(8_000_000 + i as u64, phone, &format!("{code} 1")).await;
                assert_eq!(r.status(), 200);
            }
        });
        futures::future::join_all(choices).await;
        app.settle().await;

        let winner = seat_holder(&app, seats[2]).await.expect("Skolen is taken");
        let (w, l) = if winner == workers[0].0 { (0, 1) } else { (1, 0) };
        assert_eq!(app.seat_status(seats[w]).await, "vacant", "the winner's old seat is free");
        assert_eq!(seat_holder(&app, seats[l]).await, Some(workers[l].0), "the other keeps their seat");
        assert_eq!(app.seat_status(seats[l]).await, "confirmed");
        let told = app.fake.to(&workers[l].1).last().unwrap().clone();
        assert!(told.starts_with("Skolen blev taget af en anden lige før dig."), "{told}");
        // The list sent again is as things are now: the winner's old
        // station is free.
        let freed = ["Rådhushallen, Rådhuspladsen 1", "Biblioteket, Bibliotekvej 2"][w];
        assert!(told.contains(&format!("1) {freed}.")), "{told}");
        assert!(app.fake.to(&workers[w].1).last().unwrap().contains("Du er flyttet"));
    }
}

/// The `seat` values of the buttons on a swap page, with their station.
fn buttons(page: &str) -> Vec<(String, String)> {
    page.split(r#"name="seat" value=""#)
        .skip(1)
        .map(|rest| {
            let (id, rest) = rest.split_once('"').unwrap();
            let station = rest.split("<button type=\"submit\">").nth(1).unwrap();
            (
                id.to_string(),
                station.split("<br>").next().unwrap().to_string(),
            )
        })
        .collect()
}

with_email_on_both_backends! {
    async fn the_swap_link_in_an_invitation_e_mail_lists_free_stations_and_a_button_moves_the_person(app: TestApp, smtp: SmtpServer) {
        const ANE: &str = "ane@example.dk";
        let (_, seats) = four_stations(&app).await;
        let ane = person().name("Ane Ærø").email(ANE).create(&app).await;
        assign(&app, seats[0], ane).await;
        let invitation = &smtp.to(ANE)[0];
        let text = invitation.part("text/plain").unwrap();
        assert!(text.contains("Ja, men på et andet valgsted:"), "{text}");
        let links = invitation.links();
        assert_eq!(links.len(), 3, "accept, swap and decline: {links:?}");
        let swap = &links[1];

        let r = app.http.get(swap).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        assert!(page.contains("<h1>Skift valgsted</h1>"), "{page}");
        let options = buttons(&page);
        let stations: Vec<&str> = options.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(stations, ["Biblioteket", "Skolen"]);
        assert_eq!(seat_holder(&app, seats[0]).await, Some(ane), "looking changes nothing");
        assert_eq!(app.seat_status(seats[0]).await, "invited");

        // A seat that is not on the list (another area) is refused.
        let (_, page) = post_form(&app, swap, &format!("seat={}", seats[3])).await;
        assert_eq!(seat_holder(&app, seats[3]).await, None, "{page}");

        let (status, page) = post_form(&app, swap, &format!("seat={}", options[1].0)).await;
        assert_eq!(status, 200);
        assert!(page.contains("<h1>Du er flyttet</h1>"), "{page}");
        assert!(page.contains("Skolen, Skolevej 3"), "{page}");
        assert_eq!(seat_holder(&app, seats[2]).await, Some(ane));
        assert_eq!(app.seat_status(seats[2]).await, "confirmed", "choosing a station is a yes");
        assert_eq!(app.seat_status(seats[0]).await, "vacant");
        let history = app.history(seats[0]).await;
        assert!(history.contains(&"swapped_out".to_string()), "{history:?}");

        let mails = smtp.to(ANE);
        let moved = mails.last().unwrap();
        assert_eq!(moved.header("Subject").unwrap(), "Du er flyttet til Skolen, tirsdag 20. november 2029");
        let ics = moved.part("text/calendar").expect("the new seat's calendar entry");
        assert!(ics.replace("\r\n ", "").contains("LOCATION:Skolen\\, Skolevej 3"), "{ics}");

        // The invitation's question is closed: its accept link does nothing.
        let (_, page) = post_form(&app, &links[0], "").await;
        assert!(page.contains("ikke længere åbent"), "{page}");
        assert_eq!(seat_holder(&app, seats[0]).await, None);
        // And the swap link has been used.
        let (_, page) = post_form(&app, swap, &format!("seat={}", options[0].0)).await;
        assert!(page.contains("Linket er allerede brugt"), "{page}");
        assert_eq!(seat_holder(&app, seats[1]).await, None);
    }

    async fn a_swap_link_whose_chosen_seat_was_taken_meanwhile_changes_nothing_and_lists_the_rest(app: TestApp, smtp: SmtpServer) {
        const ANE: &str = "ane@example.dk";
        let (_, seats) = four_stations(&app).await;
        let ane = person().name("Ane Ærø").email(ANE).create(&app).await;
        assign(&app, seats[0], ane).await;
        let swap = smtp.to(ANE)[0].links()[1].clone();
        let page = app.http.get(&swap).send().await.unwrap().text().await.unwrap();
        let options = buttons(&page);

        // Skolen is given to someone else while Ane's page is open.
        let other = people(&app, 1, "3500").await;
        assign(&app, seats[2], other[0].0).await;

        let (status, page) = post_form(&app, &swap, &format!("seat={}", options[1].0)).await;
        assert_eq!(status, 409);
        assert!(page.contains("Skolen blev taget af en anden lige før dig"), "{page}");
        let left: Vec<String> = buttons(&page).into_iter().map(|(_, s)| s).collect();
        assert_eq!(left, ["Biblioteket"]);
        assert_eq!(seat_holder(&app, seats[0]).await, Some(ane));
        assert_eq!(app.seat_status(seats[0]).await, "invited");

        // The link still works for the station that is free.
        let (_, page) = post_form(&app, &swap, &format!("seat={}", options[0].0)).await;
        assert!(page.contains("<h1>Du er flyttet</h1>"), "{page}");
        assert_eq!(seat_holder(&app, seats[1]).await, Some(ane));
    }
}

/// A secretariat that approves each swap: the shipped `swap_station` with
/// an `approval` and a `refused` state.
mod approval {
    use super::*;

    async fn spawn(backend: Backend) -> Option<TestApp> {
        let mut setup = Setup::new(backend).await?;
        setup.edit_workflows(
            |name, text| match name {
                "swap_station.yaml" => {
                    text.replace(
                        "      kept: kept\n",
                        "      kept: kept\n      approval:\n        template: swap_pending\n        refused: refused\n",
                    ) + "\n  refused:\n    do:\n      - send: swap_refused\n"
                }
                _ => text,
            },
            &[],
        );
        Some(setup.start().await)
    }

    macro_rules! with_approval_on_both_backends {
        ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
            $(
                mod $name {
                    use super::*;
                    async fn body($app: TestApp) $body

                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn on_sqlite() {
                        body(spawn(Backend::Sqlite).await.expect("sqlite app")).await;
                    }

                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn on_postgres() {
                        let Some(app) = spawn(Backend::Postgres).await else { return };
                        body(app).await;
                    }
                }
            )*
        };
    }

    async fn decide(app: &TestApp, request: i64, decision: &str) -> (u16, serde_json::Value) {
        let r = app
            .http
            .post(app.url(&format!("/api/swap-requests/{request}/{decision}")))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.json().await.unwrap_or_default();
        app.settle().await;
        (status, body)
    }

    /// Anna holds Rådhushallen, asks to swap and chooses option `n`;
    /// returns her phone and the pending request.
    async fn anna_asks_for(
        app: &TestApp,
        seats: &[i64],
        anna: i64,
        phone: &str,
        n: u8,
    ) -> serde_json::Value {
        confirmed_on(app, seats[0], anna, phone).await;
        app.sms_from(phone, "SKIFT").await;
        let code = swap_code(app.fake.to(phone).last().unwrap());
        app.sms_from(phone, &format!("{code} {n}")).await;
        let pending = app.get_json("/api/swap-requests").await;
        assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
        pending[0].clone()
    }

    with_approval_on_both_backends! {
        async fn a_chosen_station_waits_for_the_secretariat_and_approval_moves_the_person(app: TestApp) {
            let (election, seats) = four_stations(&app).await;
            let workers = people(&app, 2, "3600").await;
            let (anna, phone) = &workers[0];
            let (bo, bo_phone) = &workers[1];
            party_standby(&app, election, *bo, DAY, "Borgerlisten").await;
            let request = anna_asks_for(&app, &seats, *anna, phone, 2).await;

            let told = app.fake.to(phone).last().unwrap().clone();
            assert!(told.starts_with("Tak. Du har bedt om at skifte til Skolen"), "{told}");
            assert_eq!(request["to_seat_id"], seats[2]);
            assert_eq!(request["from_seat_id"], seats[0]);
            assert_eq!(seat_holder(&app, seats[0]).await, Some(*anna), "nothing moves before approval");
            assert_eq!(app.seat_status(seats[2]).await, "vacant");
            assert!(app.history(seats[0]).await.contains(&"swap_awaiting_approval".to_string()));
            let notes = app.get_json("/api/notifications").await;
            assert!(notes.as_array().unwrap().iter().any(|n| n["message"].as_str().unwrap().starts_with(&format!("Swap request {} awaits approval: from Rådhushallen to Skolen", request["id"]))), "{notes}");
            assert!(app.fake.to(bo_phone).is_empty(), "no offer while Anna holds the seat");

            let (status, body) = decide(&app, request["id"].as_i64().unwrap(), "approve").await;
            assert_eq!((status, body["outcome"].as_str()), (200, Some("moved")));
            assert_eq!(seat_holder(&app, seats[2]).await, Some(*anna));
            assert_eq!(app.seat_status(seats[2]).await, "confirmed");
            assert_eq!(app.seat_status(seats[0]).await, "vacant");
            assert!(app.fake.to(phone).last().unwrap().starts_with("Tak, Reserve 1! Du er flyttet."));
            assert!(app.fake.to(bo_phone).last().expect("an offer").contains("på Rådhushallen"));
            assert!(app.get_json("/api/swap-requests").await.as_array().unwrap().is_empty());

            let (status, _) = decide(&app, request["id"].as_i64().unwrap(), "approve").await;
            assert_eq!(status, 409, "a request is decided once");
        }

        async fn the_secretariat_approves_a_swap_on_the_followup_page_and_marks_the_notice_done(app: TestApp) {
            let (_, seats) = four_stations(&app).await;
            let workers = people(&app, 1, "3800").await;
            let (anna, phone) = &workers[0];
            let request = anna_asks_for(&app, &seats, *anna, phone, 2).await;
            let id = request["id"].as_i64().unwrap();
            let mut b = support::admin::Browser::logged_in(&app, support::SECRETARIAT.0, support::SECRETARIAT.1).await;
            let page = b.get("/admin/followup").await;
            page.assert_ok();
            let row = page.body.find(&format!("data-swap=\"{id}\"")).expect("the request is listed");
            assert!(page.body[row..].contains("Skolen"), "{}", page.body);

            let approved = b.post(&format!("/admin/followup/swaps/{id}/approve"), &[]).await;
            assert_eq!(approved.location.as_deref(), Some("/admin/followup?outcome=moved"), "{}", approved.body);
            app.settle().await;
            assert_eq!(seat_holder(&app, seats[2]).await, Some(*anna));
            assert!(app.fake.to(phone).last().unwrap().starts_with("Tak, Reserve 1! Du er flyttet."));
            let again = b.post(&format!("/admin/followup/swaps/{id}/refuse"), &[]).await;
            assert_eq!(again.status, reqwest::StatusCode::CONFLICT, "a request is decided once");

            let page = b.get("/admin/followup?outcome=moved").await;
            assert!(page.body.contains("data-outcome=\"moved\""));
            assert!(!page.body.contains(&format!("data-swap=\"{id}\"")), "no longer waiting");
            let notes = app.get_json("/api/notifications").await;
            let notice = notes.as_array().unwrap().iter().find(|n| n["team_id"].is_null()).expect("the secretariat's")["id"].as_i64().unwrap();
            assert!(page.body.contains(&format!("data-notification=\"{notice}\"")));
            let done = b.post(&format!("/admin/followup/notifications/{notice}/resolve"), &[]).await;
            assert_eq!(done.status, reqwest::StatusCode::SEE_OTHER);
            assert!(!b.get("/admin/followup").await.body.contains(&format!("data-notification=\"{notice}\"")));
        }

        async fn a_refused_swap_keeps_the_seat_and_tells_the_person(app: TestApp) {
            let (_, seats) = four_stations(&app).await;
            let workers = people(&app, 1, "3700").await;
            let (anna, phone) = &workers[0];
            let request = anna_asks_for(&app, &seats, *anna, phone, 1).await;

            let (status, body) = decide(&app, request["id"].as_i64().unwrap(), "refuse").await;
            assert_eq!((status, body["outcome"].as_str()), (200, Some("refused")));
            let told = app.fake.to(phone).last().unwrap().clone();
            assert!(told.starts_with("Valgsekretariatet kunne ikke godkende dit skifte. Du bliver på Rådhushallen"), "{told}");
            assert_eq!(seat_holder(&app, seats[0]).await, Some(*anna));
            assert_eq!(app.seat_status(seats[1]).await, "vacant");
            let (status, _) = decide(&app, request["id"].as_i64().unwrap(), "approve").await;
            assert_eq!(status, 409);
            assert_eq!(seat_holder(&app, seats[1]).await, None, "approving after a refusal moves nobody");
        }

        async fn asking_again_while_a_swap_awaits_approval_ends_the_request(app: TestApp) {
            let (_, seats) = four_stations(&app).await;
            let workers = people(&app, 1, "3900").await;
            let (anna, phone) = &workers[0];
            let request = anna_asks_for(&app, &seats, *anna, phone, 1).await;

            app.sms_from(phone, "SKIFT").await;
            assert!(app.fake.to(phone).last().unwrap().contains("Du kan skifte fra Rådhushallen"), "a new list");
            assert!(app.get_json("/api/swap-requests").await.as_array().unwrap().is_empty(), "the old request ended");
            let ended = app.get_json("/api/swap-requests?status=ended").await;
            assert_eq!(ended[0]["id"], request["id"]);
            let (status, _) = decide(&app, request["id"].as_i64().unwrap(), "approve").await;
            assert_eq!(status, 409);
            assert_eq!(seat_holder(&app, seats[0]).await, Some(*anna), "an ended request moves nobody");
            assert_eq!(seat_holder(&app, seats[1]).await, None);
        }

        async fn approving_a_swap_to_a_seat_taken_meanwhile_changes_nothing_and_sends_the_list_again(app: TestApp) {
            let (_, seats) = four_stations(&app).await;
            let workers = people(&app, 2, "3800").await;
            let (anna, phone) = &workers[0];
            let request = anna_asks_for(&app, &seats, *anna, phone, 1).await;
            // The secretariat gives Biblioteket to Bo before deciding.
            assign(&app, seats[1], workers[1].0).await;

            let (status, body) = decide(&app, request["id"].as_i64().unwrap(), "approve").await;
            assert_eq!((status, body["outcome"].as_str()), (200, Some("taken")));
            assert_eq!(seat_holder(&app, seats[0]).await, Some(*anna), "Anna keeps her seat");
            assert_eq!(seat_holder(&app, seats[1]).await, Some(workers[1].0));
            let list = app.fake.to(phone).last().unwrap().clone();
            assert!(list.contains("Biblioteket blev taget"), "{list}");
            assert!(list.contains("1) Skolen, Skolevej 3"), "{list}");
        }
    }
}
