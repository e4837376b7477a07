//! The `valgvagt` command as the secretariat runs it.

use std::path::Path;
use std::process::Command;

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
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
        let db = valgvagt::store::Db::connect(&url, 1).await.unwrap();
        let mut tx = db.read().await.unwrap();
        tx.elections().await.unwrap().len()
    });
    assert_eq!(elections, 1);
}
