//! Prompt speed with the shipped encoder: encoding a prompt (tokenise, look
//! up, pool, normalise) and reading it whole (phrases, facts, anchors).
//! Run with `RAYON_NUM_THREADS=1` to measure one core.

use criterion::{Criterion, criterion_group, criterion_main};
use overture_model::prompt::{PromptReader, TextEncoder};

const PROMPT: &str = "cinematic ambient in D minor, 90 BPM, sparse percussion, evolving pad layers";

fn prompt(c: &mut Criterion) {
    let encoder = TextEncoder::bundled().expect("the shipped encoder loads");
    let reader = PromptReader::bundled().expect("the shipped anchors load");
    let mut group = c.benchmark_group("prompt");
    group.bench_function("encode_prompt", |b| {
        b.iter(|| {
            encoder
                .encode(std::hint::black_box(PROMPT))
                .expect("encodes")
        })
    });
    group.bench_function("read_prompt", |b| {
        b.iter(|| {
            reader
                .read(std::hint::black_box(PROMPT), false)
                .expect("reads")
        })
    });
    group.finish();
}

criterion_group!(benches, prompt);
criterion_main!(benches);
