//! Watch latency: how long from a file written into a watched folder until a search
//! finds it, over 20 writes (p50/p95), with the real encoder and the default watch
//! settings.
//!
//! `PLAIT_HOME=... cargo bench -p plait-ingest --bench watch`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use plait_colbert::{Encoder, Index, OnnxEncoderBuilder, OnnxRuntime, SearchParams};
use plait_ingest::manifest::Manifest;
use plait_ingest::{
    ChunkBudget, DiscoverConfig, IngestConfig, Ingester, Trigger, WatchConfig, WatchEvent, CODE,
};

const WRITES: usize = 20;
const ANIMALS: [&str; 20] = [
    "axolotl", "pangolin", "narwhal", "quokka", "okapi", "tapir", "wombat", "dugong", "kinkajou",
    "gharial", "saola", "fossa", "numbat", "aye-aye", "markhor", "takin", "vaquita", "dhole",
    "serval", "jerboa",
];

fn asset(rel: &str) -> PathBuf {
    let home = std::env::var_os("PLAIT_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/plait")))
        .expect("set PLAIT_HOME to the directory scripts/setup filled");
    let p = home.join(rel);
    assert!(p.exists(), "missing {}: run scripts/setup", p.display());
    p
}

fn main() {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = OnnxRuntime::load(&plait_testkit::onnxruntime()).unwrap();
    let encoder = OnnxEncoderBuilder::new(asset("models/encoder/minilm-l6-int8"))
        .threads(threads)
        .build(&runtime)
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let watched = tmp.path().join("watched");
    std::fs::create_dir_all(&watched).unwrap();
    // A starting corpus, so the index is past its first build.
    for code in std::fs::read_dir(asset("samples/quickstart/code")).unwrap() {
        let code = code.unwrap().path();
        std::fs::copy(&code, watched.join(code.file_name().unwrap())).unwrap();
    }
    let watched = std::fs::canonicalize(&watched).unwrap();
    let index_root = tmp.path().join("idx");
    let config = IngestConfig {
        index_root: index_root.clone(),
        discover: DiscoverConfig::default(),
        budget: ChunkBudget::default(),
        index: plait_colbert::IndexConfig::default(),
    };
    let stop = AtomicBool::new(false);
    let watch_config = WatchConfig::default();
    println!(
        "watch settings: debounce {:?}, settle {:?}",
        watch_config.debounce, watch_config.settle
    );
    let (tx, rx) = mpsc::channel::<Trigger>();
    std::thread::scope(|s| {
        let ingester = Ingester::new(config, &encoder, &encoder, None);
        let roots = [watched.clone()];
        let (stop, watch_config) = (&stop, &watch_config);
        s.spawn(move || {
            let mut on_event = |e: WatchEvent<'_>| {
                if let WatchEvent::Synced { trigger, .. } = e {
                    let _ = tx.send(trigger);
                }
            };
            plait_ingest::watch(&ingester, &roots, watch_config, stop, &mut on_event).unwrap();
        });
        assert_eq!(rx.recv().unwrap(), Trigger::Start);

        let mut latencies = Vec::new();
        for (i, animal) in ANIMALS.iter().enumerate().take(WRITES) {
            let name = format!("{}_{i}.py", animal.replace('-', "_"));
            let path = watched.join(&name);
            let query = format!("where does the {animal} live and what does the {animal} eat");
            let q = encoder.encode_queries(&[&query]).unwrap().remove(0);
            let text = format!(
                "def describe_{a}():\n    \"\"\"The {animal} lives in its habitat and eats what a {animal} eats.\"\"\"\n    return \"{animal}\"\n",
                a = animal.replace('-', "_")
            );
            let written = Instant::now();
            std::fs::write(&path, text).unwrap();
            let latency = loop {
                if written.elapsed() > Duration::from_secs(30) {
                    panic!("{name} not searchable after 30 s");
                }
                std::thread::sleep(Duration::from_millis(10));
                let Ok(index) = Index::open(&index_root.join(CODE)) else {
                    continue;
                };
                let manifest = Manifest::open(&index_root).unwrap();
                let hits = index.search(&q, &SearchParams::default(), None).unwrap();
                let found = hits.iter().any(|h| {
                    manifest
                        .chunks_of(CODE, h.key)
                        .unwrap()
                        .iter()
                        .any(|c| c.path == path)
                });
                if found {
                    break written.elapsed();
                }
            };
            latencies.push(latency.as_secs_f64());
            std::thread::sleep(Duration::from_millis(300));
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut sorted = latencies.clone();
        sorted.sort_by(f64::total_cmp);
        let pct = |p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize];
        println!(
            "write -> searchable over {WRITES} writes: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms (goal p95 < 2000 ms)",
            pct(0.5) * 1e3,
            pct(0.95) * 1e3,
            sorted[sorted.len() - 1] * 1e3
        );
    });
}
