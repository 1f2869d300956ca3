//! End-to-end test of `plait watch`: files created, edited, renamed, moved and deleted in
//! a watched folder reach search, and Ctrl-C stops it cleanly.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support {
    pub mod assets;
}

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::assets;

/// How long one change may take to be synced before the test fails (generous: CI is slow).
const SYNC_TIMEOUT: Duration = Duration::from_secs(60);

fn search(idx: &Path, query: &str) -> Vec<serde_json::Value> {
    let o = Command::new(env!("CARGO_BIN_EXE_plait"))
        .args(["search", "code", query, "--json", "-k", "3", "--index-dir"])
        .arg(idx)
        .env("PLAIT_HOME", assets::home())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn top_path(idx: &Path, query: &str) -> Option<String> {
    search(idx, query)
        .first()
        .map(|r| r["path"].as_str().unwrap().to_string())
}

struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Counts summed over the syncs that followed one change.
#[derive(Debug, Default)]
struct Totals {
    added: u64,
    changed: u64,
    removed: u64,
    encoded: u64,
}

/// Waits until the syncs since the last call add up to `done`, and returns the totals.
/// (One change may be seen as several syncs: a move can arrive as a removal and a
/// creation.)
fn wait_for(events: &mpsc::Receiver<serde_json::Value>, done: impl Fn(&Totals) -> bool) -> Totals {
    let mut t = Totals::default();
    while !done(&t) {
        let e = events
            .recv_timeout(SYNC_TIMEOUT)
            .unwrap_or_else(|_| panic!("plait watch reported no sync in time; so far {t:?}"));
        assert_ne!(e["event"], "failed", "{e}");
        if e["event"] == "synced" {
            let n = |k: &str| e["report"][k].as_u64().unwrap();
            t.added += n("files_added");
            t.changed += n("files_changed");
            t.removed += n("files_removed");
            t.encoded += n("chunks_encoded");
        }
    }
    t
}

/// `plait watch --json` on `dir` into `idx`, killed when the guard drops, and its
/// reports as they come (read by the returned thread).
fn start_watch(
    dir: &Path,
    idx: &Path,
) -> (
    KillOnDrop,
    mpsc::Receiver<serde_json::Value>,
    std::thread::JoinHandle<()>,
) {
    let child = Command::new(env!("CARGO_BIN_EXE_plait"))
        .args(["watch", "--json", "--debounce-ms", "100", "--index-dir"])
        .arg(idx)
        .arg(dir)
        .env("PLAIT_HOME", assets::home())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Killed if the test fails before the clean stop.
    let mut guard = KillOnDrop(Some(child));
    let (tx, events) = mpsc::channel();
    let stdout = guard.0.as_mut().unwrap().stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            if tx.send(v).is_err() {
                break;
            }
        }
    });
    (guard, events, reader)
}

#[test]
fn watched_changes_reach_search_and_ctrl_c_stops_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("watched");
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(
        dir.join("pkg/base.py"),
        "def base_helper():\n    return 'present from the start'\n",
    )
    .unwrap();
    let idx = tmp.path().join("idx");
    let (mut guard, events, reader) = start_watch(&dir, &idx);
    let child = guard.0.as_mut().unwrap();
    let start = wait_for(&events, |t| t.added >= 1);
    assert_eq!(start.added, 1, "{start:?}");

    // Create: a new file becomes searchable.
    let canon = std::fs::canonicalize(&dir).unwrap();
    std::fs::write(
        dir.join("pkg/wombat.py"),
        "def count_wombats(burrows):\n    \"\"\"Count the wombats living in the burrows.\"\"\"\n    return sum(b.wombats for b in burrows)\n\n\ndef feed_platypus(river):\n    \"\"\"Feed the platypus swimming in the river.\"\"\"\n    return river.fish\n",
    )
    .unwrap();
    let r = wait_for(&events, |t| t.added >= 1);
    assert_eq!(r.added, 1, "{r:?}");
    let wombat = canon.join("pkg/wombat.py").to_string_lossy().into_owned();
    assert_eq!(
        top_path(&idx, "count wombats in burrows").as_deref(),
        Some(wombat.as_str())
    );

    // Modify one function: exactly that chunk is encoded again.
    let text = std::fs::read_to_string(dir.join("pkg/wombat.py")).unwrap();
    std::fs::write(
        dir.join("pkg/wombat.py"),
        text.replace("return river.fish", "return river.fish + river.shrimp"),
    )
    .unwrap();
    let r = wait_for(&events, |t| t.changed >= 1);
    assert_eq!(r.encoded, 1, "{r:?}");

    // Rename: nothing is encoded, search shows the new path.
    std::fs::rename(dir.join("pkg/wombat.py"), dir.join("pkg/marsupials.py")).unwrap();
    let r = wait_for(&events, |t| t.added >= 1 && t.removed >= 1);
    assert_eq!(r.encoded, 0, "{r:?}");
    let renamed = canon
        .join("pkg/marsupials.py")
        .to_string_lossy()
        .into_owned();
    assert_eq!(
        top_path(&idx, "count wombats in burrows").as_deref(),
        Some(renamed.as_str())
    );

    // A whole folder moved out of the watched tree leaves the index.
    std::fs::rename(dir.join("pkg"), tmp.path().join("elsewhere")).unwrap();
    let r = wait_for(&events, |t| t.removed >= 2);
    assert_eq!((r.removed, r.added), (2, 0), "{r:?}");
    assert!(search(&idx, "count wombats in burrows").is_empty());

    // ...and moved back in, it returns without encoding anything.
    std::fs::rename(tmp.path().join("elsewhere"), dir.join("pkg2")).unwrap();
    let r = wait_for(&events, |t| t.added >= 2);
    assert_eq!(r.encoded, 0, "{r:?}");

    // Delete.
    std::fs::remove_file(dir.join("pkg2/marsupials.py")).unwrap();
    let r = wait_for(&events, |t| t.removed >= 1);
    assert_eq!(r.removed, 1, "{r:?}");
    let left: Vec<String> = search(&idx, "count wombats in burrows")
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect();
    assert!(left.iter().all(|p| p.ends_with("base.py")), "{left:?}");

    // Ctrl-C: a clean stop with status 0.
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let out = guard.0.take().unwrap().wait_with_output().unwrap();
    reader.join().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {err}", out.status);
    assert!(err.contains("stopped"), "{err}");
}
