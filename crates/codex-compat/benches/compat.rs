//! Benchmarks of codex-compat: `files.create` throughput, and vector-store search latency
//! (p50/p99) over a large synthetic corpus.
//!
//! Run with `cargo bench -p codex-compat --bench compat`; docs/performance.md records the
//! figures. The corpus size is set by `COMPAT_BENCH_FILES` (default 10,000 files) and
//! `COMPAT_BENCH_FILE_BYTES` (default 10,000 bytes each, so about 100 MB). The corpus is
//! generated and indexed once per run, in a temporary directory; the build times are printed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use codex_compat::{CompatStore, FileSource, SearchParams, StorageLocation, VectorStoreCreateParams};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

/// A tiny deterministic generator (64-bit LCG), so every run indexes the same text.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// A Zipf-like rank in `0..n`: small ranks are much more frequent.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        // Inverse of a continuous 1/x law on [1, n].
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qui", "dor", "fen", "gal", "hum", "jor",
    "bel", "cas", "dri", "eth", "ful", "gri", "hol", "isk", "jun", "kel", "lum", "mor", "nix", "orb",
];

/// A vocabulary of `n` distinct made-up words.
fn vocabulary(n: usize) -> Vec<String> {
    let mut words = Vec::with_capacity(n);
    let mut i = 0usize;
    while words.len() < n {
        let mut word = String::new();
        let mut x = i;
        loop {
            word.push_str(SYLLABLES[x % SYLLABLES.len()]);
            x /= SYLLABLES.len();
            if x == 0 {
                break;
            }
        }
        words.push(word);
        i += 1;
    }
    words
}

/// About `bytes` bytes of sentences drawn from the vocabulary.
fn document(rng: &mut Lcg, vocab: &[String], bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + 64);
    while text.len() < bytes {
        let sentence = 6 + rng.next() as usize % 12;
        for w in 0..sentence {
            let word = &vocab[rng.zipf(vocab.len())];
            if w == 0 {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    text.extend(first.to_uppercase());
                    text.push_str(chars.as_str());
                }
            } else {
                text.push(' ');
                text.push_str(word);
            }
        }
        text.push_str(". ");
    }
    text
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn files_create(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = CompatStore::open(StorageLocation::dir(dir.path())).expect("open");
    let mut group = c.benchmark_group("files_create");
    group.sampling_mode(SamplingMode::Flat);
    for size in [1024usize, 16 * 1024, 256 * 1024] {
        let mut data = vec![b'x'; size];
        let mut counter = 0u64;
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::from_parameter(format!("{} KiB", size / 1024)), &size, |b, _| {
            b.iter(|| {
                // Distinct bytes each time, so no upload is deduplicated.
                counter += 1;
                data[..8].copy_from_slice(&counter.to_le_bytes());
                let file = store
                    .files()
                    .create(FileSource::bytes("bench.txt", data.clone()), "assistants", None)
                    .expect("create");
                black_box(file);
            });
        });
    }
    group.finish();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn search(c: &mut Criterion) {
    let files = env_usize("COMPAT_BENCH_FILES", 10_000);
    let file_bytes = env_usize("COMPAT_BENCH_FILE_BYTES", 10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = CompatStore::open(StorageLocation::dir(dir.path())).expect("open");
    let vocab = vocabulary(30_000);
    let mut rng = Lcg(0x5EED);

    let started = Instant::now();
    let mut ids = Vec::with_capacity(files);
    let mut total_bytes = 0usize;
    for i in 0..files {
        let text = document(&mut rng, &vocab, file_bytes);
        total_bytes += text.len();
        let file = store.files().create(FileSource::bytes(format!("doc-{i}.txt"), text), "assistants", None);
        ids.push(file.expect("create").id);
    }
    let uploaded = started.elapsed();
    let started = Instant::now();
    let vs = store
        .vector_stores()
        .create(&VectorStoreCreateParams::new().name("bench").file_ids(ids))
        .expect("index");
    let indexed = started.elapsed();
    println!(
        "corpus: {files} files, {:.1} MB; uploaded in {:.1} s ({:.0} files/s), indexed in {:.1} s ({:.1} MB/s); \
         usage_bytes {}",
        total_bytes as f64 / 1e6,
        uploaded.as_secs_f64(),
        files as f64 / uploaded.as_secs_f64(),
        indexed.as_secs_f64(),
        total_bytes as f64 / 1e6 / indexed.as_secs_f64(),
        vs.usage_bytes,
    );

    // Queries of two or three words: a mix of frequent (ranks 10–99 of the Zipf vocabulary,
    // found in most chunks, like stop words), middling (100–1,999) and rare (2,000+) words.
    let queries: Vec<(String, bool)> = (0..200)
        .map(|q| {
            let n = 2 + q % 2;
            let classes: Vec<usize> = (0..n).map(|k| (q + k) % 3).collect();
            let text = classes
                .iter()
                .map(|class| {
                    let rank = match class {
                        0 => 10 + rng.next() as usize % 90,
                        1 => 100 + rng.next() as usize % 1_900,
                        _ => 2_000 + rng.next() as usize % 20_000,
                    };
                    vocab[rank].clone()
                })
                .collect::<Vec<_>>()
                .join(" ");
            (text, classes.contains(&0))
        })
        .collect();

    // Latency distribution: every query 5 times, after one warm-up pass.
    let run = |query: &str| store.vector_stores().search(&vs.id, &SearchParams::new(query)).expect("search");
    for (query, _) in &queries {
        black_box(run(query));
    }
    let mut all = Vec::with_capacity(queries.len() * 5);
    let mut with_frequent = Vec::new();
    let mut without_frequent = Vec::new();
    let mut hits = 0usize;
    for _ in 0..5 {
        for (query, frequent) in &queries {
            let started = Instant::now();
            let page = run(query);
            let elapsed = started.elapsed();
            all.push(elapsed);
            if *frequent {
                with_frequent.push(elapsed)
            } else {
                without_frequent.push(elapsed)
            }
            hits += page.data.len();
        }
    }
    let searches = all.len();
    for (label, latencies) in [
        ("all queries", &mut all),
        ("with a frequent word", &mut with_frequent),
        ("without", &mut without_frequent),
    ] {
        latencies.sort();
        let mean = latencies.iter().sum::<Duration>() / latencies.len().max(1) as u32;
        println!(
            "search over {files} files, {label}: {} searches, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, mean {:.2} ms",
            latencies.len(),
            percentile(latencies, 0.50).as_secs_f64() * 1e3,
            percentile(latencies, 0.99).as_secs_f64() * 1e3,
            latencies.last().map(|d| d.as_secs_f64() * 1e3).unwrap_or(0.0),
            mean.as_secs_f64() * 1e3,
        );
    }
    println!("{:.1} hits per search", hits as f64 / searches as f64);

    let mut group = c.benchmark_group("search");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(1));
    let mut next = 0usize;
    group.bench_function(BenchmarkId::from_parameter(format!("{files} files")), |b| {
        b.iter(|| {
            next = (next + 1) % queries.len();
            black_box(run(&queries[next].0))
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = files_create, search
}
criterion_main!(benches);
