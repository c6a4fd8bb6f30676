//! `compat-bench`: the local stand-ins workload (`compat`) of `cargo xtask bench`, and the
//! deterministic corpus that both this runner and `bench/python/local_store.py` read.
//!
//! ```text
//! compat-bench gen-corpus DIR [--files N] [--bytes-per-file B] [--queries Q] [--seed S]
//! compat-bench run [--corpus DIR] [--files N] [--queries Q] [--max-results K] [--storage DIR]
//!                  [--bytes-per-file B] [--base-url URL --access-token T --refresh-token R
//!                   --account-id A --model M]
//! ```
//!
//! `gen-corpus` writes `DIR/docs/doc-00000.txt` … (`N` files, default 10,000, of about `B`
//! bytes each, default 10,000: about 100 MB of English-shaped text over a Zipf-distributed
//! vocabulary) and `DIR/queries.txt` (`Q` queries, default 200, one a line). The same seed
//! always gives the same bytes.
//!
//! `run` measures the facade's local stand-ins (`files().create`, `vector_stores().create`,
//! `vector_stores().search`) on the first `N` files and first `Q` queries of the corpus, in a
//! fresh store (a temporary directory unless `--storage` is given). Without `--corpus` it
//! generates a corpus of `--files` files in a temporary directory first (the CI smoke run:
//! `compat-bench run --files 50 --queries 20`). The options of the shared runner command line
//! (`--base-url` …) are accepted for uniformity; the stand-ins never touch the network.
//!
//! It prints one JSON line on stdout: `workload` = `compat`, `impl` = `ours`, `wall_s` and
//! `cpu_s` of the search section (after one warm-up query), `items` = queries searched,
//! `max_rss_kb`, and `p50_ms`, `p99_ms`, `mean_ms`, `max_ms` per search, `files`,
//! `corpus_bytes`, `create_wall_s`, `create_cpu_s`, `files_per_s` (the `files.create` section),
//! `index_wall_s` (the vector store's creation with every file attached), `results` (search
//! results returned in total). Every query must find something, or the run fails.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use codex_auth::{MemoryTokenStore, OAuthConfig};
use codex_compat::{FileSource, SearchParams, VectorStoreCreateParams};
use oauth_codex::{AsyncOAuthCodexClient, LoginMode};

const USAGE: &str = "usage:
  compat-bench gen-corpus DIR [--files N] [--bytes-per-file B] [--queries Q] [--seed S]
  compat-bench run [--corpus DIR] [--files N] [--queries Q] [--max-results K] [--storage DIR] \
[--bytes-per-file B]";

/// Where the documents live inside a corpus directory.
const DOCS_DIR: &str = "docs";
/// The query file inside a corpus directory.
const QUERIES_FILE: &str = "queries.txt";
/// Distinct words of the generated vocabulary.
const VOCABULARY: usize = 30_000;
/// A loopback address nothing listens on: the client needs a base URL with the Codex path to
/// use the Codex profile (whose files and vector stores are local), and never calls it here.
const UNUSED_BASE_URL: &str = "http://127.0.0.1:9/backend-api/codex";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("gen-corpus") => gen_corpus_command(&args[1..]),
        Some("run") => run_command(&args[1..]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("compat-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The corpus's shape.
#[derive(Debug, Clone, Copy)]
struct CorpusSpec {
    files: usize,
    bytes_per_file: usize,
    queries: usize,
    seed: u64,
}

impl Default for CorpusSpec {
    fn default() -> Self {
        CorpusSpec { files: 10_000, bytes_per_file: 10_000, queries: 200, seed: 0x5eed_c0de }
    }
}

/// The value after a flag.
fn value<'a>(flag: &str, args: &mut impl Iterator<Item = &'a String>) -> Result<&'a str, BoxError> {
    args.next().map(String::as_str).ok_or_else(|| format!("{flag} needs a value").into())
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, BoxError> {
    text.parse().map_err(|_| format!("{flag}: not a number: {text:?}").into())
}

fn gen_corpus_command(args: &[String]) -> Result<(), BoxError> {
    let mut spec = CorpusSpec::default();
    let mut dir = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--files" => spec.files = number("--files", value(arg, &mut args)?)?,
            "--bytes-per-file" => spec.bytes_per_file = number(arg, value(arg, &mut args)?)?,
            "--queries" => spec.queries = number(arg, value(arg, &mut args)?)?,
            "--seed" => spec.seed = number(arg, value(arg, &mut args)?)?,
            other if !other.starts_with("--") && dir.is_none() => dir = Some(PathBuf::from(other)),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
        }
    }
    let dir = dir.ok_or_else(|| format!("gen-corpus needs a directory\n{USAGE}"))?;
    let started = Instant::now();
    let bytes = write_corpus(&dir, spec)?;
    eprintln!(
        "wrote {} files ({bytes} bytes) and {} queries to {} in {:.1} s",
        spec.files,
        spec.queries,
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// SplitMix64: small, fast, and the same on every machine.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `0.0..1.0`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A vocabulary of distinct pronounceable lowercase words, most frequent first, with the
/// cumulative Zipf (s = 1) weights used to draw from it.
struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Vocabulary {
    fn new(rng: &mut Rng, size: usize) -> Self {
        const ONSETS: &[&str] = &[
            "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br",
            "ch", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "st", "th", "tr",
        ];
        const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ai", "ea", "ou", "io", "y"];
        const CODAS: &[&str] = &["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck"];
        let mut seen = std::collections::HashSet::new();
        let mut words = Vec::with_capacity(size);
        while words.len() < size {
            // Frequent words are short, as in natural language (one or two syllables give
            // about 900,000 distinct words, so this always terminates).
            let max_syllables = 2 + (words.len() * 3 / size.max(1)).min(2);
            let syllables = rng.between(1, max_syllables);
            let mut word = String::new();
            for _ in 0..syllables {
                word.push_str(ONSETS[rng.below(ONSETS.len())]);
                word.push_str(VOWELS[rng.below(VOWELS.len())]);
            }
            word.push_str(CODAS[rng.below(CODAS.len())]);
            if seen.insert(word.clone()) {
                words.push(word);
            }
        }
        let mut total = 0.0;
        let cumulative = (1..=size)
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect::<Vec<_>>();
        Vocabulary { words, cumulative }
    }

    /// A word drawn with Zipf weights.
    fn draw(&self, rng: &mut Rng) -> &str {
        let target = rng.unit() * self.cumulative[self.cumulative.len() - 1];
        let index = self.cumulative.partition_point(|&c| c < target).min(self.words.len() - 1);
        &self.words[index]
    }
}

/// One document of about `bytes` bytes: a title, then paragraphs of sentences.
fn document(rng: &mut Rng, vocabulary: &Vocabulary, number: usize, bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + 200);
    text.push_str(&format!("Document {number:05}\n\n"));
    while text.len() < bytes {
        for _ in 0..rng.between(3, 7) {
            for i in 0..rng.between(6, 18) {
                let word = vocabulary.draw(rng);
                if i == 0 {
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
        text.push_str("\n\n");
    }
    text
}

/// A query: two mid-frequency words and one rarer one, all present in the vocabulary.
fn query(rng: &mut Rng, vocabulary: &Vocabulary) -> String {
    let size = vocabulary.words.len();
    let mid = |rng: &mut Rng| vocabulary.words[rng.between(50, (size / 15).max(51))].clone();
    let rare = vocabulary.words[rng.between(size / 15 + 1, size / 2)].clone();
    format!("{} {} {}", mid(rng), rare, mid(rng))
}

/// The name of document `i`.
fn doc_name(i: usize) -> String {
    format!("doc-{i:05}.txt")
}

/// Writes the corpus; returns the document bytes written.
fn write_corpus(dir: &Path, spec: CorpusSpec) -> Result<u64, BoxError> {
    let docs = dir.join(DOCS_DIR);
    fs::create_dir_all(&docs).map_err(|e| format!("cannot create {}: {e}", docs.display()))?;
    let mut rng = Rng(spec.seed);
    let vocabulary = Vocabulary::new(&mut rng, VOCABULARY);
    let mut total = 0u64;
    for i in 0..spec.files {
        let text = document(&mut rng, &vocabulary, i, spec.bytes_per_file);
        total += text.len() as u64;
        let path = docs.join(doc_name(i));
        fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let mut queries = String::new();
    for _ in 0..spec.queries {
        queries.push_str(&query(&mut rng, &vocabulary));
        queries.push('\n');
    }
    let path = dir.join(QUERIES_FILE);
    fs::write(&path, queries).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(total)
}

/// The first `files` documents (by name) and first `queries` queries of a corpus.
fn read_corpus(dir: &Path, files: usize, queries: usize) -> Result<(Vec<PathBuf>, Vec<String>), BoxError> {
    let docs = dir.join(DOCS_DIR);
    let mut paths: Vec<PathBuf> = fs::read_dir(&docs)
        .map_err(|e| format!("cannot read {}: {e}; run gen-corpus first", docs.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    paths.retain(|p| p.extension().is_some_and(|e| e == "txt"));
    paths.sort();
    if paths.len() < files {
        return Err(format!(
            "{} holds {} documents, fewer than --files {files}",
            docs.display(),
            paths.len()
        )
        .into());
    }
    paths.truncate(files);
    let text = fs::read_to_string(dir.join(QUERIES_FILE))
        .map_err(|e| format!("cannot read {}: {e}", dir.join(QUERIES_FILE).display()))?;
    let all: Vec<String> = text.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect();
    if all.len() < queries {
        return Err(format!("the corpus has {} queries, fewer than --queries {queries}", all.len()).into());
    }
    Ok((paths, all.into_iter().take(queries).collect()))
}

/// User plus system CPU time of this process so far, from `/proc/self/stat` (clock ticks of
/// 1/100 s, the Linux `USER_HZ` on every architecture Rust supports).
fn cpu_time() -> Result<Duration, BoxError> {
    let stat = fs::read_to_string("/proc/self/stat")?;
    // The command name may hold spaces; the fields after it are space-separated.
    let rest = stat.rsplit_once(')').map(|(_, rest)| rest).ok_or("unexpected /proc/self/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let ticks: u64 = fields.get(11).ok_or("no utime")?.parse::<u64>()?
        + fields.get(12).ok_or("no stime")?.parse::<u64>()?;
    Ok(Duration::from_millis(ticks * 10))
}

/// Peak resident set size in KiB (`VmHWM`).
fn max_rss_kb() -> Result<u64, BoxError> {
    let status = fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).ok_or("no VmHWM in /proc/self/status")?;
    Ok(line.split_whitespace().nth(1).ok_or("malformed VmHWM")?.parse()?)
}

/// The `p`-th percentile (nearest rank) of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[derive(Debug)]
struct RunOptions {
    corpus: Option<PathBuf>,
    storage: Option<PathBuf>,
    files: Option<usize>,
    queries: Option<usize>,
    max_results: u32,
    bytes_per_file: usize,
}

fn run_command(args: &[String]) -> Result<(), BoxError> {
    let mut options = RunOptions {
        corpus: None,
        storage: None,
        files: None,
        queries: None,
        max_results: 10,
        bytes_per_file: CorpusSpec::default().bytes_per_file,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--corpus" => options.corpus = Some(value(arg, &mut args)?.into()),
            "--storage" => options.storage = Some(value(arg, &mut args)?.into()),
            "--files" => options.files = Some(number(arg, value(arg, &mut args)?)?),
            "--queries" | "--n" => options.queries = Some(number(arg, value(arg, &mut args)?)?),
            "--max-results" => options.max_results = number(arg, value(arg, &mut args)?)?,
            "--bytes-per-file" => options.bytes_per_file = number(arg, value(arg, &mut args)?)?,
            // The shared runner command line; the local stand-ins have no use for it.
            "--base-url" | "--access-token" | "--refresh-token" | "--account-id" | "--model" => {
                value(arg, &mut args)?;
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
        }
    }
    let scratch = tempfile::tempdir()?;
    let corpus = match &options.corpus {
        Some(dir) => dir.clone(),
        None => {
            let dir = scratch.path().join("corpus");
            let spec = CorpusSpec {
                files: options.files.unwrap_or(CorpusSpec::default().files),
                bytes_per_file: options.bytes_per_file,
                queries: options.queries.unwrap_or(CorpusSpec::default().queries),
                ..CorpusSpec::default()
            };
            write_corpus(&dir, spec)?;
            dir
        }
    };
    let storage = options.storage.clone().unwrap_or_else(|| scratch.path().join("store"));
    if storage.join(codex_compat::DATABASE_FILE).exists() {
        return Err(format!("{} already holds a store; give an empty directory", storage.display()).into());
    }
    let files = match options.files {
        Some(n) => n,
        None => fs::read_dir(corpus.join(DOCS_DIR))?.count(),
    };
    let queries = match options.queries {
        Some(n) => n,
        None => {
            fs::read_to_string(corpus.join(QUERIES_FILE))?.lines().filter(|l| !l.trim().is_empty()).count()
        }
    };
    let (paths, queries) = read_corpus(&corpus, files, queries)?;
    if paths.is_empty() || queries.is_empty() {
        return Err("need at least one file and one query".into());
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let report = runtime.block_on(measure(&storage, &paths, &queries, options.max_results))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{report}")?;
    Ok(())
}

async fn measure(
    storage: &Path,
    paths: &[PathBuf],
    queries: &[String],
    max_results: u32,
) -> Result<serde_json::Value, BoxError> {
    let client = AsyncOAuthCodexClient::builder()
        .base_url(UNUSED_BASE_URL)
        .oauth_config(OAuthConfig::for_issuer("http://127.0.0.1:9"))
        .token_store(Arc::new(MemoryTokenStore::new()))
        .login_mode(LoginMode::Never)
        .compat_storage_dir(storage)
        .build()?;

    // files.create: every document, from its path.
    let corpus_bytes: u64 = paths.iter().map(|p| fs::metadata(p).map(|m| m.len())).sum::<Result<_, _>>()?;
    let (cpu0, wall0) = (cpu_time()?, Instant::now());
    let mut ids = Vec::with_capacity(paths.len());
    for path in paths {
        let file = client.files().create(FileSource::path(path), "assistants", None).await?;
        ids.push(file.id);
    }
    let create_wall = wall0.elapsed().as_secs_f64();
    let create_cpu = (cpu_time()? - cpu0).as_secs_f64();
    eprintln!("files.create: {} files in {create_wall:.2} s", ids.len());

    // The vector store, every file attached (and so indexed).
    let index_start = Instant::now();
    let store =
        client.vector_stores().create(VectorStoreCreateParams::new().name("bench").file_ids(&ids)).await?;
    let index_wall = index_start.elapsed().as_secs_f64();
    if store.file_counts.completed != ids.len() as u64 {
        return Err(
            format!("only {} of {} files were indexed", store.file_counts.completed, ids.len()).into()
        );
    }
    eprintln!("vector_stores.create: {} files indexed in {index_wall:.2} s", ids.len());

    let search = |query: &str| SearchParams::new(query).max_num_results(max_results);
    // Warm-up: one search, not counted.
    client.vector_stores().search(&store.id, search(&queries[0])).await?;

    let mut samples = Vec::with_capacity(queries.len());
    let mut results = 0usize;
    let (cpu0, wall0) = (cpu_time()?, Instant::now());
    for query in queries {
        let started = Instant::now();
        let page = client.vector_stores().search(&store.id, search(query)).await?;
        samples.push(started.elapsed().as_secs_f64() * 1e3);
        if page.data.is_empty() {
            return Err(format!("the query {query:?} found nothing: the measurement would be void").into());
        }
        results += page.data.len();
    }
    let wall = wall0.elapsed().as_secs_f64();
    let cpu = (cpu_time()? - cpu0).as_secs_f64();
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    samples.sort_by(f64::total_cmp);
    eprintln!(
        "search: {} queries, p50 {:.3} ms, p99 {:.3} ms",
        samples.len(),
        percentile(&samples, 50.0),
        percentile(&samples, 99.0)
    );
    Ok(serde_json::json!({
        "workload": "compat",
        "impl": "ours",
        "wall_s": wall,
        "cpu_s": cpu,
        "items": samples.len(),
        "max_rss_kb": max_rss_kb()?,
        "p50_ms": percentile(&samples, 50.0),
        "p99_ms": percentile(&samples, 99.0),
        "mean_ms": mean,
        "max_ms": samples[samples.len() - 1],
        "files": ids.len(),
        "corpus_bytes": corpus_bytes,
        "create_wall_s": create_wall,
        "create_cpu_s": create_cpu,
        "files_per_s": ids.len() as f64 / create_wall,
        "index_wall_s": index_wall,
        "results": results,
    }))
}
