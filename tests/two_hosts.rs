//! Two `valgvagt serve` processes on one PostgreSQL database, as two hosts
//! would run: each message goes out once, and when one is killed (kill -9)
//! the other carries its work at once.

mod support;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{Backend, Setup, TEST_DATA_KEY};
use valgvagt::engine::Assignment;

/// A child process, killed when the test ends, pass or fail.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `valgvagt serve` on the test's database, delivering into its fake
/// gateway on the real clock.
fn serve(setup: &Setup, log: &std::path::Path) -> Serving {
    let child = Command::new(env!("CARGO_BIN_EXE_valgvagt"))
        .arg("--database-url")
        .arg(&setup.config.database_url)
        .arg("--templates")
        .arg(&setup.config.templates_dir)
        .arg("--workflows")
        .arg(&setup.config.workflows_dir)
        .args(["serve", "--bind", "127.0.0.1:0", "--sms", "gatewayapi"])
        .arg("--gatewayapi-base-url")
        .arg(setup.fake.base_url())
        .arg("--gatewayapi-token")
        .arg(&setup.fake.token)
        .env("VALGVAGT_DATA_KEY", TEST_DATA_KEY)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("valgvagt serve starts");
    Serving(child)
}

/// How many times the gateway got each message (by its idempotency key).
fn times(setup: &Setup) -> HashMap<String, usize> {
    let mut times = HashMap::new();
    for r in setup.fake.received() {
        *times.entry(r.userref.unwrap_or_default()).or_default() += 1;
    }
    times
}

/// Waits until the gateway has `n` distinct messages, for up to `within`.
async fn distinct(setup: &Setup, n: usize, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if times(setup).len() >= n {
            return true;
        }
        let _ = setup
            .fake
            .wait_for(setup.fake.count() + 1, Duration::from_millis(200))
            .await;
    }
    times(setup).len() >= n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_send_each_message_once_and_carry_a_killed_ones_work() {
    let Some(mut setup) = Setup::new(Backend::Postgres).await else {
        return;
    };
    // The child processes live on the real clock; so does this engine.
    setup.config.clock = valgvagt::clock::Clock::System;
    let engine = Setup::engine_of(&setup.config).await;
    let generated = valgvagt::generate::election(&engine, 400, 400, 1)
        .await
        .expect("an election");
    let pairs: Vec<Assignment> = generated
        .seats
        .iter()
        .zip(&generated.people)
        .map(|(s, p)| Assignment {
            seat_id: *s,
            person_id: *p,
        })
        .collect();
    let logs = tempfile::tempdir().unwrap();
    let mut a = serve(&setup, &logs.path().join("a.log"));
    let b = serve(&setup, &logs.path().join("b.log"));

    // Both take delivery jobs from the same queue: none is sent twice.
    for batch in pairs[..200].chunks(20) {
        engine.assign_many(batch, "test").await.expect("assign");
    }
    assert!(
        distinct(&setup, 200, Duration::from_secs(60)).await,
        "every invitation sent; logs: {}",
        std::fs::read_to_string(logs.path().join("a.log")).unwrap_or_default()
    );
    let once = times(&setup);
    assert!(once.values().all(|n| *n == 1), "none sent twice");

    // One is killed in the middle of a fan-out; the other carries on.
    setup.fake.set_latency(Duration::from_millis(250));
    for batch in pairs[200..].chunks(20) {
        engine.assign_many(batch, "test").await.expect("assign");
    }
    assert!(setup.fake.wait_for(230, Duration::from_secs(60)).await);
    a.0.kill().expect("kill -9");
    a.0.wait().unwrap();
    assert!(times(&setup).len() < 400, "killed in the middle");
    let carried = distinct(&setup, 400, Duration::from_secs(60)).await;
    drop(b);
    assert!(carried, "the survivor sent the rest within 60 s");
    let times = times(&setup);
    let twice: Vec<&String> = times
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, _)| k)
        .collect();
    assert!(times.values().all(|n| *n <= 2));
    assert!(
        twice.len() <= 64,
        "at most the killed process's calls in flight: {}",
        twice.len()
    );
    let mut tx = engine.db.read().await.unwrap();
    let marked = tx.maybe_sent_keys().await.unwrap();
    for key in twice {
        assert!(marked.contains(key), "{key} went twice unmarked");
    }
}
