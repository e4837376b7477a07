//! Who this service process is, among the processes sharing a database:
//! its delivery claims carry its id, and another process decides from its
//! heartbeat, or from the host it ran on, whether it is still alive.

use std::path::Path;

use crate::store::processes::ProcessRow;

#[derive(Debug, Clone)]
pub struct ProcessIdentity {
    /// Unique to this start: `host:pid:nonce`.
    pub id: String,
    /// The host name and its boot id: a pid is meaningful on it alone.
    pub host: String,
    pub pid: i64,
}

impl ProcessIdentity {
    /// This process, with a fresh id.
    pub fn current() -> ProcessIdentity {
        let name = read_trimmed("/proc/sys/kernel/hostname")
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "host".into());
        let boot = read_trimmed("/proc/sys/kernel/random/boot_id").unwrap_or_default();
        let pid = i64::from(std::process::id());
        let nonce: u32 = rand::random();
        ProcessIdentity {
            id: format!("{name}:{pid}:{nonce:08x}"),
            host: format!("{name}/{boot}"),
            pid,
        }
    }

    /// Whether `other` is known to be gone without waiting for its
    /// heartbeat to lapse: it ran on this host since its last boot, and its
    /// pid is now this process's own (a former start of it) or no longer
    /// running. Where that cannot be seen (no `/proc`), only the heartbeat
    /// tells.
    pub fn outlived(&self, other: &ProcessRow) -> bool {
        if other.host != self.host || !Path::new("/proc/self").exists() {
            return false;
        }
        other.pid == self.pid || !Path::new(&format!("/proc/{}", other.pid)).exists()
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    let s = std::fs::read_to_string(path).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn row(host: &str, pid: i64) -> ProcessRow {
        ProcessRow {
            id: format!("x:{pid}:0"),
            host: host.into(),
            pid,
            beat_at: Utc::now(),
        }
    }

    #[test]
    fn a_process_on_this_host_is_gone_when_its_pid_is_not_running_or_is_ours() {
        let me = ProcessIdentity::current();
        if !Path::new("/proc/self").exists() {
            return;
        }
        // Pid 1 always runs; a pid above the kernel's maximum never does.
        assert!(!me.outlived(&row(&me.host, 1)));
        assert!(me.outlived(&row(&me.host, 1 << 40)));
        assert!(me.outlived(&row(&me.host, me.pid)), "a former start");
        assert!(
            !me.outlived(&row("elsewhere/boot", 1 << 40)),
            "another host is judged by its heartbeat"
        );
    }
}
