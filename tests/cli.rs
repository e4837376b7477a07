//! The `valgvagt` command as the secretariat runs it.

use std::path::Path;
use std::process::Command;

/// The standard output of a command that must have succeeded.
fn succeeded(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn valgvagt() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_valgvagt"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

#[test]
fn workflow_check_passes_the_shipped_workflows_and_the_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows");
    let files: Vec<_> = [root.clone(), root.join("examples")]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    assert!(files.len() >= 6, "{files:?}");
    let out = valgvagt()
        .args(["workflow", "check"])
        .args(&files)
        .output()
        .unwrap();
    let stdout = succeeded(&out);
    assert!(stdout.contains("no errors"), "{stdout}");
}

#[test]
fn workflow_check_prints_every_problem_with_its_line_and_column_and_fails() {
    let out = valgvagt()
        .args([
            "workflow",
            "check",
            "tests/fixtures/workflows/invalid_invite.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let errors = stdout.lines().filter(|l| l.contains(": error[")).count();
    assert!(errors >= 8, "{stdout}");
    for line in stdout
        .lines()
        .filter(|l| l.contains(": error[") || l.contains(": warning["))
    {
        let mut parts = line.splitn(4, ':');
        assert_eq!(
            parts.next(),
            Some("tests/fixtures/workflows/invalid_invite.yaml"),
            "{line}"
        );
        assert!(
            parts.next().unwrap().parse::<usize>().is_ok(),
            "line number in {line}"
        );
        assert!(
            parts.next().unwrap().parse::<usize>().is_ok(),
            "column in {line}"
        );
    }
}

#[test]
fn importing_a_file_with_bad_rows_reports_each_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("election.yaml");
    std::fs::write(
        &file,
        r#"
election: { title: Valg, type: Folketingsvalg, election_day: 2029-11-20 }
areas: [{ name: Nord, stations: [{ name: Skolen, address: Skolevej 1 }] }]
teams: [A]
task_types: [{ name: Tilforordnet, start: "8", end: "20:00" }]
people:
  - { name: Anna, cpr: 310290-1234, phone: "2000" }
seats:
  - { station: Skolen, task_type: Tilforordnet, team: B }
"#,
    )
    .unwrap();
    let url = format!("sqlite://{}", dir.path().join("v.db").display());
    let good = dir.path().join("good.yaml");
    std::fs::write(
        &good,
        "election: { title: Valg, type: Folketingsvalg, election_day: 2029-11-20 }\n",
    )
    .unwrap();
    let out = valgvagt()
        .args(["--database-url", &url, "import"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = valgvagt()
        .args(["--database-url", &url, "import"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "task_types[0].start: `8` is not a time of day like 07:30",
        "people[0].cpr: the first six digits of a CPR number must be a real date (DDMMYY)",
        "people[0].phone: a phone number has 8 digits",
        "seats[0].team: no team named `B` in this file",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in {stderr}"
        );
    }
    // Nothing of the bad file was stored: still only the first election.
    let elections = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = valgvagt::store::Db::connect(&url, 1, None).await.unwrap();
        let mut tx = db.read().await.unwrap();
        tx.elections().await.unwrap().len()
    });
    assert_eq!(elections, 1);
}

/// `valgvagt rehearse` on a generated 5,000-seat election: its summary's totals are
/// the seats its database holds, it filled seats from standby, and the
/// service's own database is never opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rehearse_prints_a_summary_whose_totals_match_its_database() {
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("rehearsal.db");
    let real = dir.path().join("real.db");
    let out = valgvagt()
        .args(["--database-url", &format!("sqlite://{}", real.display())])
        // The defaults: a week of a 5,000-seat election.
        .arg("rehearse")
        .args(["--keep", kept.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = succeeded(&out);
    assert!(!real.exists(), "the rehearsal touched the real database");

    let line = stdout
        .lines()
        .find(|l| l.starts_with("seats: "))
        .unwrap_or_else(|| panic!("no seats line in {stdout}"));
    let numbers: Vec<i64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().unwrap())
        .collect();
    let db = valgvagt::store::Db::connect(&format!("sqlite://{}", kept.display()), 2, None)
        .await
        .unwrap();
    let mut tx = db.read().await.unwrap();
    let election = tx.elections().await.unwrap()[0].id;
    let counts: std::collections::HashMap<String, i64> = tx
        .seat_counts(election)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let count = |s: &str| counts.get(s).copied().unwrap_or(0);
    assert_eq!(
        numbers,
        [5000, count("confirmed"), count("invited"), count("vacant")],
        "{line}"
    );
    assert!(count("confirmed") > 2500, "{line}");
    let invitations: Vec<&str> = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("invitation "))
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    assert_eq!(invitations, ["invitation", "sms", "5000"], "{stdout}");
    let filled = stdout
        .lines()
        .find_map(|l| l.strip_prefix("replacements from standby: "))
        .unwrap();
    let filled: i64 = filled.parse().unwrap();
    assert!(filled > 0, "{stdout}");
    assert!(stdout.contains("election_eve_reminder"), "{stdout}");

    // Election day per party: the four parties' seats add up, their
    // replacements are those from standby, and the chairs' reports and the
    // people's AFBUD are counted.
    let parties: Vec<Vec<i64>> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("per party"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect()
        })
        .collect();
    assert_eq!(parties.len(), 4, "{stdout}");
    let column = |i: usize| parties.iter().map(|p| p[i]).sum::<i64>();
    assert_eq!(column(0), 5000, "{stdout}");
    assert_eq!(column(1), count("confirmed"), "{stdout}");
    assert_eq!(column(2), filled, "{stdout}");
    assert!(
        column(3) > 0 && column(4) > 0,
        "cancelled and no-shows: {stdout}"
    );
    assert_eq!(column(5), 5000 - count("confirmed"), "{stdout}");
    let checked_in: i64 = tx
        .history_per_party(election, "checked_in", None)
        .await
        .unwrap()
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert!(
        checked_in > 3000,
        "the people came and said MØDT: {checked_in}"
    );
    let flag = stdout
        .lines()
        .find(|l| l.starts_with("flag: "))
        .unwrap_or_else(|| panic!("no flag in {stdout}"));
    assert!(
        flag.contains("on 2029-11-20 were still only invited three days before"),
        "{flag}"
    );
}

/// Runs `valgvagt rehearse` with `args` and returns what it printed, less
/// the line giving its wall time.
fn rehearsal(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = valgvagt()
        .args([
            "--database-url",
            &format!("sqlite://{}", dir.path().join("real.db").display()),
        ])
        .arg("rehearse")
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .filter(|l| !l.starts_with("rehearsed in "))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn the_dev_sms_phone_page_is_not_served_beyond_this_machine() {
    let dir = tempfile::tempdir().unwrap();
    let out = valgvagt()
        .args([
            "--database-url",
            &format!("sqlite://{}", dir.path().join("real.db").display()),
        ])
        .args(["serve", "--bind", "0.0.0.0:0"])
        .env_remove("VALGVAGT_SMS")
        .env_remove("VALGVAGT_DEV_SMS_ON_NETWORK")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("served only on a loopback address"),
        "{stderr}"
    );
}

#[test]
fn logs_go_to_stderr_and_what_a_command_prints_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = valgvagt()
        .args([
            "--database-url",
            &format!("sqlite://{}", dir.path().join("real.db").display()),
        ])
        .args([
            "rehearse",
            "--seats",
            "20",
            "--stations",
            "2",
            "--standby",
            "4",
        ])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.starts_with("timeline"), "{stdout}");
    assert!(
        !stdout.contains(" INFO ") && !stdout.contains(" WARN "),
        "{stdout}"
    );
    // A command run by hand logs warnings only: the report is not drowned.
    assert!(!stderr.contains(" INFO "), "{stderr}");
    // With no e-mail configured, SMS cancel links are still signed.
    assert!(
        stderr.contains(" WARN ") && stderr.contains("set VALGVAGT_LINK_KEY"),
        "the log is on stderr: {stderr}"
    );
}

#[test]
fn rehearse_prints_its_report_in_danish_with_the_worst_stations_first_and_the_sms_cost() {
    let report = rehearsal(&[
        "--seats",
        "120",
        "--stations",
        "6",
        "--standby",
        "20",
        "--language",
        "da",
        "--sms-part-price",
        "0,25",
    ]);
    for heading in [
        "forløb (dansk tid):",
        "pladser pr. valgsted, de dårligste først",
        "sekretariatet blev bedt om at se på:",
    ] {
        assert!(report.contains(heading), "{heading}: {report}");
    }
    let vacant: Vec<i64> = report
        .lines()
        .skip_while(|l| !l.starts_with("pladser pr. valgsted"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.split_whitespace().last().unwrap().parse().unwrap())
        .collect();
    assert_eq!(vacant.len(), 6, "{report}");
    assert!(
        vacant.windows(2).all(|w| w[0] >= w[1]),
        "the most vacant first: {vacant:?}"
    );
    let sms = report
        .lines()
        .find(|l| l.starts_with("SMS: "))
        .unwrap_or_else(|| panic!("{report}"));
    let numbers: Vec<i64> = sms
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().unwrap())
        .collect();
    let (sent, parts) = (numbers[0], numbers[1]);
    assert!(sent >= 120 && parts >= sent, "{sms}");
    assert!(
        sms.ends_with(&format!(
            "pris {},{:02} kr.",
            parts * 25 / 100,
            parts * 25 % 100
        )),
        "{sms}"
    );
    assert!(
        !report.contains("Declined") && !report.contains("no-show"),
        "the secretariat's notes in Danish: {report}"
    );
}

#[test]
fn rehearse_with_the_same_seed_prints_the_same_rehearsal_and_another_seed_another() {
    let small = ["--seats", "120", "--stations", "6", "--standby", "20"];
    let first = rehearsal(&[&small[..], &["--seed", "7"]].concat());
    let again = rehearsal(&[&small[..], &["--seed", "7"]].concat());
    let other = rehearsal(&[&small[..], &["--seed", "8"]].concat());
    assert_eq!(first, again);
    assert_ne!(first, other);
}

/// `valgvagt data-key` makes a key; `valgvagt retention --preview` shows the
/// policy and what would go without purging, and refuses a database whose
/// CPR numbers another key sealed.
#[test]
fn retention_preview_shows_the_policy_and_a_database_needs_its_own_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = valgvagt().arg("data-key").output().unwrap();
    let key = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()),
        "{key}"
    );

    let url = format!("sqlite://{}", dir.path().join("v.db").display());
    let out = valgvagt()
        .args([
            "--database-url",
            &url,
            "--data-key",
            &key,
            "retention",
            "--preview",
        ])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = succeeded(&out);
    assert!(
        stdout.contains(
            "policy: message texts 4 months after the election, audit log 6 months, people 60 days"
        ),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("would go: 0 sent messages, 0 received messages, 0 audit entries, 0 people"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("purged:"),
        "a preview purges nothing: {stdout}"
    );
    // Given a key, none is kept beside the file.
    assert!(!dir.path().join("v.db.key").exists());

    let other = "11".repeat(32);
    let out = valgvagt()
        .args([
            "--database-url",
            &url,
            "--data-key",
            &other,
            "retention",
            "--preview",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not the key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
