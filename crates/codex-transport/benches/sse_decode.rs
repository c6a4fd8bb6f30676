//! Decoding throughput of `SseDecoder` on a synthetic Codex stream of
//! `response.output_text.delta` events, fed in realistic chunk sizes.
//!
//! Run with `cargo bench -p codex-transport --bench sse_decode`; docs/performance.md records the
//! figures.

use std::hint::black_box;
use std::time::Duration;

use codex_transport::{SseDecoder, SseFrame};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

/// About 16 MiB of events.
const STREAM_BYTES: usize = 16 * 1024 * 1024;

const WORDS: &[&str] = &[
    "the", "stream", "token", "Rust", "decoder", "answer", "quickly", "and", "with", "a", "few", "words",
    "per", "delta", "is", "what", "Codex", "sends", "while", "it", "thinks", "aloud", "über", "naïve",
];

/// A tiny deterministic generator (64-bit LCG), so every run decodes the same bytes.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }
}

/// The synthetic stream and the number of events in it.
fn codex_stream() -> (Vec<u8>, u64) {
    let mut rng = Lcg(0x5EED);
    let mut stream = Vec::with_capacity(STREAM_BYTES + 512);
    let mut events = 0u64;
    while stream.len() < STREAM_BYTES {
        let mut delta = String::new();
        for _ in 0..1 + rng.next() % 4 {
            delta.push(' ');
            delta.push_str(WORDS[rng.next() % WORDS.len()]);
        }
        let event = format!(
            "event: response.output_text.delta\ndata: {{\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"{delta}\",\"sequence_number\":{events}}}\n\n"
        );
        stream.extend_from_slice(event.as_bytes());
        events += 1;
    }
    (stream, events)
}

/// Chunk sizes to cycle through: one fixed size, or a mix of 1–16 KiB like a TLS reader yields.
fn chunk_plans() -> Vec<(&'static str, Vec<usize>)> {
    let mut rng = Lcg(42);
    let mixed = (0..1024).map(|_| 1024 + rng.next() % (15 * 1024 + 1)).collect();
    vec![("1KiB", vec![1024]), ("4KiB", vec![4 * 1024]), ("16KiB", vec![16 * 1024]), ("mixed_1-16KiB", mixed)]
}

/// Decodes the whole stream in the planned chunks, handing each frame to `black_box`.
fn decode(stream: &[u8], sizes: &[usize]) -> u64 {
    let mut decoder = SseDecoder::new();
    let mut frames: Vec<SseFrame> = Vec::with_capacity(256);
    let mut count = 0u64;
    let mut pos = 0;
    for &size in sizes.iter().cycle() {
        if pos == stream.len() {
            break;
        }
        let end = (pos + size).min(stream.len());
        decoder.feed(&stream[pos..end], &mut frames).expect("the synthetic stream decodes");
        count += frames.len() as u64;
        for frame in frames.drain(..) {
            black_box(frame);
        }
        pos = end;
    }
    assert!(!decoder.finish(), "the synthetic stream ends on a blank line");
    count
}

fn bench(c: &mut Criterion) {
    let (stream, events) = codex_stream();
    eprintln!("synthetic Codex stream: {} bytes, {events} events", stream.len());
    let plans = chunk_plans();
    for (_, sizes) in &plans {
        assert_eq!(decode(&stream, sizes), events, "every event is decoded");
    }

    let mut bytes = c.benchmark_group("sse_decode_bytes");
    // Each iteration decodes the whole stream (tens of milliseconds): equal-sized samples.
    bytes.sampling_mode(SamplingMode::Flat);
    bytes.throughput(Throughput::Bytes(stream.len() as u64));
    for (name, sizes) in &plans {
        bytes.bench_with_input(BenchmarkId::from_parameter(name), sizes, |b, sizes| {
            b.iter(|| decode(black_box(&stream), sizes));
        });
    }
    bytes.finish();

    let mut elements = c.benchmark_group("sse_decode_events");
    elements.sampling_mode(SamplingMode::Flat);
    elements.throughput(Throughput::Elements(events));
    for (name, sizes) in &plans {
        elements.bench_with_input(BenchmarkId::from_parameter(name), sizes, |b, sizes| {
            b.iter(|| decode(black_box(&stream), sizes));
        });
    }
    elements.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
