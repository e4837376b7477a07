//! The admin in a real browser: headless Chromium driven over WebDriver
//! (chromedriver), against the real service. It logs in, puts a person on
//! a seat, and watches the staffing board change by itself when the SMS
//! answer arrives, and sets up an election from nothing. Screenshots go to
//! `target/screenshots/`, and a step that gives up leaves one there too.
//!
//! Every step waits for what it needs, up to [`PATIENCE`]: an action that
//! leads to another page waits for that page to be loaded (the old one
//! gone, the new one's scripts run) and for the element the next step
//! uses; an update a script makes waits for what it shows. Nothing sleeps
//! a fixed time and nothing is looked up the moment after a click.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs
//! them). Without them the test says so loudly and skips, unless
//! `VALGVAGT_REQUIRE_BROWSER=1`, where it fails.

mod support;

use std::fmt::Display;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::error::{CmdError, ErrorStatus};
use fantoccini::{Client, ClientBuilder, Locator};
use support::builders::{code_in, import, person};
use support::{Backend, SECRETARIAT, TestApp};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long a step waits for what it needs before the test fails, naming
/// what it waited for. Generous, for a machine whose cores are busy with a
/// build: a step that is ready returns at once.
const PATIENCE: Duration = Duration::from_secs(60);
/// How often a waiting step looks again.
const LOOK_EVERY: Duration = Duration::from_millis(50);

/// chromedriver on a port of its own choosing, ended when dropped.
struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    /// Ends chromedriver and the browser it started, also when a test
    /// failed without closing its session: they share a process group.
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn driver() -> Option<Driver> {
    let present =
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
    if !present {
        if std::env::var("VALGVAGT_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("VALGVAGT_REQUIRE_BROWSER=1 but {CHROMEDRIVER} or {CHROMIUM} is missing");
        }
        eprintln!(
            "\n*** SKIPPED browser test: install Debian's chromium and chromium-driver to run it ***\n"
        );
        return None;
    }
    // Port 0: chromedriver picks a free port and says which. It takes one
    // for IPv6 and then the same number for IPv4, which another program
    // may hold; then it ends, and a second start picks another.
    let mut said = Vec::new();
    for _ in 0..5 {
        match start_chromedriver() {
            Ok((child, port)) => {
                return Some(Driver {
                    child,
                    port,
                    _profile: tempfile::tempdir().expect("profile dir"),
                });
            }
            Err(output) => said.push(output),
        }
    }
    panic!(
        "chromedriver ended five times before it listened; it said:\n{}",
        said.join("\n---\n")
    );
}

/// chromedriver listening, and its port; or what it said before it ended.
fn start_chromedriver() -> Result<(Child, u16), String> {
    let mut child = Command::new(CHROMEDRIVER)
        .arg("--port=0")
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let mut out = child.stdout.take().expect("chromedriver's output");
    let (told, port) = mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        let mut buf = [0u8; 1024];
        let mut told = Some(told);
        // Read to the end, so that chromedriver never blocks on a full pipe.
        while let Ok(n @ 1..) = out.read(&mut buf) {
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            if let Some(port) = listening_port(&seen)
                && let Some(told) = told.take()
            {
                let _ = told.send(Ok(port));
            }
        }
        if let Some(told) = told {
            let _ = told.send(Err(seen));
        }
    });
    let answer = port.recv_timeout(PATIENCE);
    if !matches!(answer, Ok(Ok(_))) {
        let _ = child.kill();
        let _ = child.wait();
    }
    match answer {
        Ok(Ok(port)) => Ok((child, port)),
        Ok(Err(said)) => Err(said),
        Err(_) => Err(format!("nothing that says it listens within {PATIENCE:?}")),
    }
}

/// The port in chromedriver's "ChromeDriver was started successfully on
/// port 41283." line.
fn listening_port(said: &str) -> Option<u16> {
    let (_, rest) = said.split_once("started successfully on port ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A browser on the admin whose every step waits for what it needs.
struct Browser {
    c: Client,
    /// Names the screenshot left by a step that gives up.
    test: &'static str,
}

async fn browser(driver: &Driver, test: &'static str) -> Browser {
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--no-first-run", "--window-size=1280,900", "--lang=da",
                format!("--user-data-dir={}", driver._profile.path().display()),
            ]
        }
    });
    let caps = caps.as_object().expect("an object").clone();
    // Two rustls providers are built in (ring, and aws-lc-rs by way of
    // the WebDriver client): say which.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = format!("http://127.0.0.1:{}", driver.port);
    let c = ClientBuilder::rustls()
        .expect("rustls")
        .capabilities(caps)
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("chromedriver did not start a browser: {e}"));
    Browser { c, test }
}

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

impl Browser {
    /// Asks `probe` again and again until it finds what it looks for, and
    /// fails after [`PATIENCE`] saying what it waited for, on which page,
    /// and what the browser last answered. An error is an answer too: the
    /// page may be between two documents.
    async fn until<T>(
        &self,
        what: impl Display,
        mut probe: impl AsyncFnMut(&Client) -> Result<Option<T>, CmdError>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let last = match probe(&self.c).await {
                Ok(Some(found)) => return found,
                Ok(None) => String::from("not there yet"),
                Err(e) => e.to_string(),
            };
            if tokio::time::Instant::now() >= deadline {
                let page = match self.c.current_url().await {
                    Ok(url) => url.to_string(),
                    Err(e) => format!("an unknown page ({e})"),
                };
                let shot = format!("failed-{}.png", self.test);
                if let Ok(png) = self.c.screenshot().await {
                    let _ = std::fs::write(screenshot_dir().join(&shot), png);
                }
                panic!(
                    "waited {PATIENCE:?} for {what} on {page}; the browser last said: {last} \
                     (screenshot target/screenshots/{shot})"
                );
            }
            tokio::time::sleep(LOOK_EVERY).await;
        }
    }

    /// The element `at` on the page shown, once it is there.
    async fn element(&self, at: Locator<'_>) -> Element {
        let what = format!("{at:?}");
        self.until(what, async |c: &Client| c.find(at).await.map(Some))
            .await
    }

    /// The element matching `css` on the page shown, once it is there.
    async fn find(&self, css: &str) -> Element {
        self.element(Locator::Css(css)).await
    }

    /// Waits until the element with `id` reads `text`, as a page's script
    /// updates it (the board fetches its numbers every two seconds).
    async fn reads(&self, id: &str, text: &str) {
        let xpath = format!("//*[@id='{id}' and normalize-space(text())='{text}']");
        self.element(Locator::XPath(&xpath)).await;
    }

    /// Types `text` into the field `css` (emptied first).
    async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("empty {css}: {e}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Clicks what stays on this page (a box to tick).
    async fn click(&self, css: &str) {
        self.click_at(Locator::Css(css)).await;
    }

    /// Marks the document shown, so that [`Browser::arrive`] can tell it
    /// from the next one.
    async fn leave(&self) {
        self.c
            .execute("window.__valgvagtLeft = true;", vec![])
            .await
            .expect("mark the page being left");
    }

    /// Waits for the next document: the marked one gone, the new one
    /// loaded with its scripts run, and `css` on it.
    async fn arrive(&self, css: &str) -> Element {
        let ready = "return window.__valgvagtLeft !== true \
                     && document.readyState === 'complete' \
                     && document.querySelector(arguments[0]) !== null;";
        let what = format!("the next page, with {css}");
        self.until(what, async |c: &Client| {
            let ok = c.execute(ready, vec![serde_json::json!(css)]).await?;
            Ok((ok == serde_json::Value::Bool(true)).then_some(()))
        })
        .await;
        self.find(css).await
    }

    /// Clicks `at`, which leads to another page, and waits for that page
    /// with `then` on it.
    async fn click_to(&self, at: Locator<'_>, then: &str) -> Element {
        self.leave().await;
        self.click_at(at).await;
        self.arrive(then).await
    }

    /// Clicks `at` once it is there. A click the browser refused (the
    /// element replaced by a script, or covered for a moment) is tried
    /// again; such a click did nothing, so nothing is done twice.
    async fn click_at(&self, at: Locator<'_>) {
        let what = format!("a click on {at:?}");
        self.until(what, async |c: &Client| {
            match c.find(at).await?.click().await {
                Ok(()) => Ok(Some(())),
                Err(CmdError::Standard(e))
                    if matches!(
                        e.error,
                        ErrorStatus::StaleElementReference
                            | ErrorStatus::ElementClickIntercepted
                            | ErrorStatus::ElementNotInteractable
                    ) =>
                {
                    Err(CmdError::Standard(e))
                }
                Err(e) => panic!("click {at:?}: {e}"),
            }
        })
        .await
    }

    /// Clicks the button or link `css`, which leads to another page, and
    /// waits for that page with `then` on it.
    async fn press(&self, css: &str, then: &str) -> Element {
        self.click_to(Locator::Css(css), then).await
    }

    /// Opens `url` and waits for `then` on it.
    async fn open(&self, url: &str, then: &str) -> Element {
        self.leave().await;
        self.c
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        self.arrive(then).await
    }

    /// Opens `path`, is sent to the login page, logs in as the secretariat,
    /// typing as a person does, and waits for `then` on the page asked for.
    async fn log_in(&self, app: &TestApp, path: &str, then: &str) -> Element {
        self.c
            .goto(&app.url(path))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
        self.fill("input[name=login]", SECRETARIAT.0).await;
        self.fill("input[name=password]", SECRETARIAT.1).await;
        let landed = self.press("form button[type=submit]", then).await;
        let url = self.c.current_url().await.expect("url");
        assert!(
            url.path().ends_with(path.split('?').next().unwrap_or(path)),
            "logging in leads back to {path}, not {url}"
        );
        landed
    }

    /// Runs a script on the page shown.
    async fn run(&self, script: &str, args: Vec<serde_json::Value>) {
        self.c
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("run {script}: {e}"));
    }

    async fn screenshot(&self, name: &str) {
        let png = self.c.screenshot().await.expect("screenshot");
        let path = screenshot_dir().join(name);
        std::fs::write(&path, png).expect("write screenshot");
        eprintln!("screenshot: {}", path.display());
    }

    async fn close(self) {
        self.c.close().await.expect("close the browser");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secretariat_assigns_a_seat_and_watches_the_board_change_when_the_sms_answer_arrives() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let e = import(
        &app,
        r#"
election: { title: Folketingsvalg 2029, type: Folketingsvalg, election_day: 2029-11-20, starts_on: 2029-11-19 }
areas:
  - name: Midtbyen
    stations:
      - { name: Rådhushallen, address: Rådhuspladsen 1 }
      - { name: Skolen, address: Skolevej 2 }
  - name: Nordbyen
    stations:
      - { name: Hallen, address: Hallvej 3 }
teams: [Venstre, Socialdemokratiet]
task_types:
  - { name: Valgstyrer, start: "07:30", end: "21:00", payment: 600, trusted: true }
  - { name: Tilforordnet, start: "08:00", end: "20:00", payment: 500 }
seats:
  - { station: Rådhushallen, task_type: Valgstyrer, team: Venstre, count: 3 }
  - { station: Rådhushallen, task_type: Tilforordnet, team: Socialdemokratiet, count: 4 }
  - { station: Skolen, task_type: Valgstyrer, team: Socialdemokratiet, count: 2 }
  - { station: Hallen, task_type: Tilforordnet, team: Venstre, count: 5 }
"#,
    )
    .await;
    let anna = person().create(&app).await;
    let b = browser(&driver, "board").await;

    // Logging in lands on the board.
    b.log_in(&app, "/admin/board", "#board-live").await;
    b.reads("total-vacant", "14").await;

    // To the seat, by the station's list, and assign Anna.
    let seat = e.seats[0];
    let seat_link = format!("tr[data-seat='{seat}'] a");
    b.click_to(Locator::LinkText("Rådhushallen"), &seat_link)
        .await;
    b.press(&seat_link, "#assign-person")
        .await
        .select_by_value(&anna.to_string())
        .await
        .expect("choose Anna");
    b.press("#assign-submit", "#seat-status").await;
    app.settle().await;
    b.reads("seat-status", "inviteret").await;

    b.open(&app.url("/admin/board"), "#board-live").await;
    b.reads("total-invited", "1").await;
    b.reads("total-confirmed", "0").await;

    // Anna answers by SMS; the open board shows it without a reload.
    let code = code_in(&app.fake.to("+4520000001")[0]);
    app.sms_from("+4520000001", &format!("JA {code}")).await;
    b.reads("total-confirmed", "1").await;
    b.reads("total-invited", "0").await;
    b.screenshot("board.png").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secretariat_edits_a_workflow_sees_the_mistake_at_its_line_and_publishes_the_fix() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let b = browser(&driver, "workflow").await;
    // The published workflow has no problems.
    b.log_in(&app, "/admin/workflows/invite", "#no-problems")
        .await;

    // Put the caret after `max: 2` and type a letter, as a person would.
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/workflows/invite.yaml"
    ))
    .unwrap();
    let line = source.lines().position(|l| l.contains("max: 2")).unwrap() + 1;
    let end = source.find("max: 2").unwrap() + "max: 2".len();
    // The browser counts in UTF-16 units.
    let caret = source[..end].encode_utf16().count();
    b.run(
        "const t = document.getElementById('source'); t.focus(); t.setSelectionRange(arguments[0], arguments[0]);",
        vec![serde_json::json!(caret)],
    )
    .await;
    let textarea = b.find("#source").await;
    textarea.send_keys("x").await.expect("type a mistake");
    // The check answers a moment after the typing stops.
    b.find(&format!("li.diag.error[data-line='{line}']")).await;
    b.find(&format!("#gutter span.error[data-line='{line}']"))
        .await;
    // The diagram drawn before the mistake stays, marked as not matching.
    b.find("#diagram.stale svg").await;
    assert!(
        b.find("#diagram-stale")
            .await
            .is_displayed()
            .await
            .expect("shown?"),
        "the diagram is said to be stale"
    );
    b.screenshot("workflow-editor-mistake.png").await;

    // Fix it: two backspaces and a 3 make it three reminders.
    textarea
        .send_keys("\u{E003}\u{E003}3")
        .await
        .expect("fix it");
    b.find("#no-problems").await;
    b.until("the diagram drawn anew", async |c: &Client| {
        let stale = c
            .find(Locator::Css("#diagram-stale"))
            .await?
            .is_displayed()
            .await?;
        Ok((!stale).then_some(()))
    })
    .await;
    b.find("#diagram svg text.remind").await;
    // Saving shows the page again, now with the draft to review.
    b.press("#save-draft", "#review-link").await;
    b.press("#review-link", "#diff tr.added").await;
    let note = b.press("#publish", "#published-note").await;
    assert!(note.text().await.expect("text").contains('2'), "revision 2");
    b.find("#diagram svg g.state[data-state='asking']").await;
    b.run(
        "document.getElementById('diagram').scrollIntoView();",
        vec![],
    )
    .await;
    b.screenshot("workflow-diagram.png").await;
    b.close().await;

    let mut tx = app.engine().db.read().await.expect("read");
    let latest = tx
        .latest_revision("invite")
        .await
        .expect("revision")
        .expect("invite");
    assert_eq!(latest.revision, 2);
    assert!(latest.source.contains("max: 3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secretariat_imports_a_csv_sees_the_bad_row_and_imports_the_rest() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("personer.csv");
    std::fs::write(
        &file,
        "Navn;CPR;Telefon\r\nAnna Jensen;120385-1234;20 00 00 01\r\nBo Nielsen;311385-2345;20 00 00 02\r\nCarla Hansen;250999-4321;20 00 00 03\r\n",
    )
    .expect("write the file");
    let b = browser(&driver, "import").await;
    b.log_in(&app, "/admin/people/import", "#import-file")
        .await
        .send_keys(&file.display().to_string())
        .await
        .expect("choose the file");
    let bad = b
        .press(
            "#import-preview-button",
            "#import-errors tr[data-line='3'][data-column='cpr']",
        )
        .await;
    assert!(
        bad.text()
            .await
            .expect("text")
            .contains("en rigtig dato (DDMMÅÅ)"),
        "the row's problem in Danish"
    );
    b.screenshot("people-import-errors.png").await;

    b.click("#skip-bad").await;
    let note = b.press("#import-submit", "#imported-note").await;
    assert!(note.text().await.expect("text").starts_with("2 "));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secretariat_sets_up_an_election_in_the_browser_and_changes_a_station_in_place() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let b = browser(&driver, "setup").await;
    b.log_in(&app, "/admin/setup", "#new-election").await;
    b.fill("#new-election input[name=title]", "Kommunalvalg 2029")
        .await;
    b.fill("#new-election input[name=election_type]", "Kommunalvalg")
        .await;
    // A date field is typed as the browser's locale writes dates; set it.
    b.run(
        "document.querySelector('#new-election input[name=election_day]').value = '2029-11-20'",
        vec![],
    )
    .await;
    b.press("#new-election button[type=submit]", "#add-standby")
        .await;

    b.open(&app.url("/admin/setup/places"), "#add-area").await;
    b.fill("#add-area input[name=name]", "Midtbyen").await;
    b.press("#add-area button", "tr[data-area]").await;
    b.fill("input[form=add-station][name=name]", "Rådhushallen")
        .await;
    b.fill("input[form=add-station][name=address]", "Rådhuspladsen 1")
        .await;
    b.press("button[form=add-station]", "tr[data-station]")
        .await;
    b.fill("#add-team input[name=name]", "Venstre").await;
    b.press("#add-team button", "tr[data-team]").await;
    b.fill("input[form=add-task-type][name=name]", "Tilforordnet")
        .await;
    b.fill("input[form=add-task-type][name=start]", "08:00")
        .await;
    b.fill("input[form=add-task-type][name=end]", "20:00").await;
    b.fill("input[form=add-task-type][name=payment]", "450")
        .await;
    b.press("button[form=add-task-type]", "tr[data-task-type]")
        .await;

    // The station's address changed in its row.
    let row = b.find("tr[data-station]").await;
    let id = row.attr("data-station").await.expect("attr").expect("id");
    b.fill(
        &format!("input[form=station-{id}][name=address]"),
        "Torvet 2",
    )
    .await;
    b.press(
        &format!("button[form=station-{id}]"),
        &format!("input[form=station-{id}][name=address][value='Torvet 2']"),
    )
    .await;
    b.screenshot("setup-places.png").await;

    b.open(&app.url("/admin/setup/seats"), "#add-seats").await;
    b.fill("#add-seats input[name=count]", "2").await;
    let seats = b
        .press("#add-seats button[value=add]", "#seat-plan td.seats")
        .await;
    assert_eq!(seats.text().await.expect("text"), "2");
    b.screenshot("setup-seats.png").await;
    let mut tx = app.engine().db.read().await.expect("read");
    let stations = tx.stations().await.expect("stations");
    assert_eq!(stations[0].address, "Torvet 2");
    drop(tx);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_template_editor_previews_the_sms_and_its_parts_as_it_is_typed() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let b = browser(&driver, "template").await;
    b.log_in(&app, "/admin/templates/invitation/sms/da", "#template-body")
        .await;
    // ChromeDriver types characters of the Basic Multilingual Plane only.
    b.fill("#template-body", "Hej {{ name }} på {{ station }} ✓")
        .await;
    let preview = b
        .element(Locator::XPath(
            "//*[@id='template-preview' and normalize-space(text())='Hej Anna Jensen på Rådhushallen ✓']",
        ))
        .await;
    assert!(preview.is_displayed().await.expect("shown"));
    // A tick needs UCS-2.
    b.reads("encoding", "UCS2").await;
    b.screenshot("template-editor.png").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_secretariat_answers_a_message_marks_the_note_done_and_confirms_a_no_show() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    // The election is today: a confirmed seat can be reported absent.
    let e = support::builders::election_on(&app, 1, "2029-10-01", "2029-10-01").await;
    let anna = person().create(&app).await;
    support::builders::assign(&app, e.seats[0], anna).await;
    app.settle().await;
    let code = code_in(&app.fake.to("+4520000001")[0]);
    app.sms_from("+4520000001", &format!("JA {code}")).await;
    app.sms_from("+4520000001", "Hvor skal jeg parkere?").await;
    app.settle().await;

    let b = browser(&driver, "phone").await;
    b.c.set_window_size(390, 844)
        .await
        .expect("a phone-sized window");
    b.log_in(&app, "/admin/followup", "#kind-not-understood")
        .await;

    // The menu is folded behind one button on a phone.
    let menu = b.find("#main-menu").await;
    assert!(
        !menu.is_displayed().await.expect("shown?"),
        "the menu starts folded"
    );
    b.click("#menu-button").await;
    b.until("the menu unfolded", async |c: &Client| {
        Ok(c.find(Locator::Css("#main-menu"))
            .await?
            .is_displayed()
            .await?
            .then_some(()))
    })
    .await;
    b.click_to(Locator::LinkText("Indgående"), "#inbound").await;

    // The message the engine could not place, answered from its page.
    let open = b.find("#inbound tr.attention a[id^='open-']").await;
    let id = open.attr("id").await.expect("id").expect("an id");
    b.press(&format!("#{id}"), "#answer-form").await;
    b.fill("#answer-text", "Brug P-pladsen bag Rådhushallen.")
        .await;
    let before = app.fake.to("+4520000001").len();
    b.press("#answer-send", "#answer-sent").await;
    app.settle().await;
    let got = app.fake.to("+4520000001");
    assert_eq!(got.len(), before + 1);
    assert!(
        got.last()
            .unwrap()
            .starts_with("Brug P-pladsen bag Rådhushallen."),
        "{got:?}"
    );

    // The note is ticked and marked done.
    b.open(&app.url("/admin/followup"), "#kind-not-understood")
        .await;
    b.click("#kind-not-understood input[name=id]").await;
    b.press("#resolve-picked-not-understood", "#resolved-note")
        .await;
    assert!(
        b.c.find(Locator::Css("#kind-not-understood"))
            .await
            .is_err(),
        "no such note is left"
    );

    // A no-show is asked about first, then done.
    b.open(
        &app.url(&format!("/admin/seats/{}", e.seats[0])),
        "#no-show",
    )
    .await;
    b.press("#no-show", "#confirm").await;
    assert_eq!(
        app.seat_status(e.seats[0]).await,
        "confirmed",
        "nothing happened on one click"
    );
    b.press("#confirm-yes", "#seat-done").await;
    assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
    b.screenshot("phone-seat.png").await;
    b.close().await;
}
