//! Rendering speed: 16 bars at 120 BPM (32 s of music), 5 stems, one thread.

use criterion::{Criterion, criterion_group, criterion_main};
use overture_core::prelude::*;
use overture_synth::{Palette, RenderSettings, render};

/// A busy 16-bar main section with every role playing.
pub fn sixteen_bars() -> Arrangement {
    let mut a = Arrangement::new(
        SectionKind::Main,
        Tempo::from_bpm(120.0).unwrap(),
        Meter::FOUR_FOUR,
        "D:min".parse().unwrap(),
        16,
    );
    let q = TICKS_PER_QUARTER;
    let roots = [38u8, 34, 41, 36];
    for bar in 0..16u32 {
        let t = bar * 4 * q;
        let root = roots[(bar % 4) as usize];
        for beat in 0..4 {
            let b = t + beat * q;
            let d = &mut a.track_mut(Role::Drums).notes;
            d.push(Note::new(b, if beat % 2 == 0 { 36 } else { 38 }, 120, 110));
            d.push(Note::new(b, 42, 60, 70));
            d.push(Note::new(b + q / 2, 42, 60, 60));
            a.track_mut(Role::Bass)
                .notes
                .push(Note::new(b, root, q / 2, 100));
            a.track_mut(Role::Bass)
                .notes
                .push(Note::new(b + q / 2, root + 12, q / 2, 80));
            for (i, p) in [0u8, 3, 7].into_iter().enumerate() {
                a.track_mut(Role::Harmony).notes.push(Note::new(
                    b + i as u32 * 10,
                    root + 24 + p,
                    q - 30,
                    70,
                ));
            }
            a.track_mut(Role::Melody).notes.push(Note::new(
                b,
                root + 36 + [0, 3, 7, 10][beat as usize],
                q / 2,
                95,
            ));
        }
        for p in [0u8, 7, 15] {
            a.track_mut(Role::Texture)
                .notes
                .push(Note::new(t, root + 24 + p, 4 * q, 60));
        }
    }
    a
}

fn bench_render(c: &mut Criterion) {
    let a = sixteen_bars();
    let mut group = c.benchmark_group("render_16_bars_120bpm_5_stems");
    group.sample_size(10);
    for name in Palette::BUILTIN {
        let palette = Palette::builtin(name).unwrap();
        group.bench_function(name, |b| {
            b.iter(|| render(&a, &palette, &RenderSettings::default()).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_render);
criterion_main!(benches);
