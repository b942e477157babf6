//! The counter-line end to end: a tiny one trains on POP909's BRIDGE lines
//! and its loss falls; it round-trips through its files; the same request
//! gives the same line; corrupt model files give the documented errors; the
//! composer's texture part is in key, in range, follows the chords, ends
//! outros on the tonic chord and leaves the other parts as they were.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use overture_core::{
    arrangement::Arrangement, key::PitchClass, mood::Mood, section::SectionKind,
    time::TICKS_PER_SIXTEENTH, track::Role,
};
use overture_model::{
    Composer, ModelError, Request,
    corpus::{is_held_out, load_pop909},
    counter::{
        CounterLine, CounterRequest, file,
        line::RANGE,
        network::CounterConfig,
        train::{CounterTrainOptions, LineSong, held_out_loss, train_counter},
    },
    form::{MelodyForm, bar_onsets},
    form_plan::{BarPlan, FormPlan},
};

#[path = "../../../tests/fixtures/locate.rs"]
mod locate;

const BAR: u32 = 16 * TICKS_PER_SIXTEENTH;

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("overture-counter-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn request(valence: f32, arousal: f32, section: SectionKind, seed: u64) -> Request {
    let mut r = Request::new(Mood::new(valence, arousal).unwrap(), section);
    r.seed = seed;
    r.tonic = PitchClass::new((seed * 7 % 12) as u8);
    r
}

#[test]
fn a_tiny_counter_line_trains_its_loss_falls_and_it_round_trips_through_its_files() {
    let (corpus, source) = locate::corpus("pop909");
    let limit = (source == locate::Source::Full).then_some(30);
    let (songs, _) = load_pop909(&corpus, limit).unwrap();
    let lines: Vec<LineSong> = songs
        .iter()
        .map(LineSong::new)
        .filter(LineSong::has_line)
        .collect();
    let (held, train): (Vec<LineSong>, Vec<LineSong>) =
        lines.into_iter().partition(|s| is_held_out(&s.id));
    assert!(
        !train.is_empty() && !held.is_empty(),
        "songs with a BRIDGE line"
    );
    let opts = CounterTrainOptions {
        config: CounterConfig::tiny(),
        steps: 60,
        batch: 8,
        learning_rate: 1e-2,
        seed: 3,
    };
    let mut losses = Vec::new();
    let (varmap, net, record) =
        train_counter(&train, &held, &opts, "fixture", |_, l| losses.push(l)).unwrap();
    assert_eq!(losses.len(), 60);
    let first: f64 = losses[..10].iter().sum::<f64>() / 10.0;
    let last: f64 = losses[50..].iter().sum::<f64>() / 10.0;
    assert!(last < 0.7 * first, "training loss {first:.3} → {last:.3}");
    let t = &record.training;
    assert!(
        t.held_out_loss < 0.8 * t.initial_held_out_loss,
        "held-out loss {:.3} → {:.3}",
        t.initial_held_out_loss,
        t.held_out_loss
    );
    assert!((held_out_loss(&net, &held, 8).unwrap() - t.held_out_loss).abs() < 1e-6);

    // Saved and loaded, it plays exactly what it played in memory.
    let out = scratch("tiny").join("tiny-counter");
    file::save(&varmap, &record, &out).unwrap();
    let loaded = CounterLine::load(&out).unwrap();
    let memory = CounterLine::from_parts(net, varmap, record).unwrap();
    let arr = Composer::bundled()
        .unwrap()
        .with_counter_line(None)
        .compose(&request(0.2, 0.4, SectionKind::Main, 4))
        .unwrap();
    let r = CounterRequest {
        arousal: 0.4,
        intensity: 0.5,
        seed: 11,
        form_plan: true,
    };
    let a = loaded.play(&arr, &r).unwrap().unwrap();
    assert_eq!(Some(a.clone()), memory.play(&arr, &r).unwrap());
    assert_eq!(a.role, Role::Texture);
}

#[test]
fn the_same_request_gives_the_same_line_and_seeds_differ() {
    let counter = CounterLine::bundled().unwrap();
    let arr = Composer::bundled()
        .unwrap()
        .compose(&request(-0.3, 0.2, SectionKind::Main, 2))
        .unwrap();
    let r = CounterRequest {
        arousal: 0.2,
        intensity: 0.5,
        seed: 5,
        form_plan: true,
    };
    let a = counter.play(&arr, &r).unwrap().unwrap();
    assert!(!a.notes.is_empty());
    assert_eq!(counter.play(&arr, &r).unwrap().unwrap(), a);
    let b = counter
        .play(&arr, &CounterRequest { seed: 6, ..r })
        .unwrap()
        .unwrap();
    assert_ne!(a, b);
}

#[test]
fn a_form_plan_decodes_to_a_texture_line_whose_bars_repeat_as_asked() {
    let counter = CounterLine::bundled().unwrap();
    let composer = Composer::bundled().unwrap();
    let plan: FormPlan = ". . r0 . s1 r2 s0 s4".parse().unwrap();
    let mut planned_repeats = 0;
    let mut free_repeats = 0;
    for seed in 0..6u64 {
        let valence = if seed % 2 == 0 { 0.5 } else { -0.5 };
        let mut r = request(valence, seed as f32 / 3.0 - 0.8, SectionKind::Main, seed);
        r.counter_line = false;
        let arr = composer.compose(&r).unwrap();
        let cr = CounterRequest {
            arousal: r.mood.arousal,
            intensity: 0.5,
            seed,
            form_plan: false,
        };
        let track = counter.play_planned(&arr, &cr, &plan.0).unwrap().unwrap();
        // Planned again: the same line.
        assert_eq!(
            counter.play_planned(&arr, &cr, &plan.0).unwrap().unwrap(),
            track
        );
        let notes: Vec<(u32, u8)> = track.notes.iter().map(|n| (n.start, n.pitch)).collect();
        let bars = bar_onsets(&notes, BAR, 8);
        let rhythm = |b: usize| overture_model::form::rhythm(&bars[b]);
        let steps = |b: usize| overture_model::form::intervals(&bars[b]);
        for (b, p) in plan.0.iter().enumerate() {
            match *p {
                BarPlan::Rhythm(a) => {
                    let a = usize::from(a);
                    assert!(!bars[a].is_empty(), "seed {seed}: bar {a} is empty");
                    assert_eq!(rhythm(b), rhythm(a), "seed {seed}: bar {b} r{a}");
                }
                BarPlan::Restate(a) => {
                    let a = usize::from(a);
                    assert!(!bars[a].is_empty(), "seed {seed}: bar {a} is empty");
                    assert_eq!(rhythm(b), rhythm(a), "seed {seed}: bar {b} s{a}");
                    assert_eq!(steps(b), steps(a), "seed {seed}: bar {b} s{a}");
                }
                _ => {}
            }
        }
        // Measured as the evaluation measures, every planned bar repeats.
        let form = MelodyForm::measure(&notes, BAR, 8);
        assert!(
            form.rhythm_repeats >= plan.repeats(),
            "seed {seed}: {form:?}"
        );
        planned_repeats += form.rhythm_repeats;
        // With every bar free, the play is the unplanned one.
        let free = counter.play(&arr, &cr).unwrap().unwrap();
        assert_eq!(
            counter
                .play_planned(&arr, &cr, &[BarPlan::Free; 8])
                .unwrap()
                .unwrap(),
            free
        );
        let free_notes: Vec<(u32, u8)> = free.notes.iter().map(|n| (n.start, n.pitch)).collect();
        free_repeats += MelodyForm::measure(&free_notes, BAR, 8).rhythm_repeats;
    }
    assert!(
        planned_repeats > free_repeats,
        "{planned_repeats} planned, {free_repeats} free"
    );
}

#[test]
fn the_request_s_form_plan_switch_turns_the_texture_plan_off_too() {
    let composer = Composer::bundled().unwrap();
    let counter = CounterLine::bundled().unwrap();
    let mut differ = 0;
    for seed in 0..6u64 {
        let mut r = request(0.4, 0.3, SectionKind::Main, seed);
        r.form_plan = false;
        let arr = composer.compose(&r).unwrap();
        let cr = CounterRequest {
            arousal: 0.3,
            intensity: 0.5,
            seed,
            form_plan: false,
        };
        let mut bare = arr.clone();
        bare.tracks.retain(|t| t.role != Role::Texture);
        // The composer's texture part without a plan is the unplanned line.
        assert_eq!(
            arr.track(Role::Texture).cloned(),
            counter.play(&bare, &cr).unwrap()
        );
        let planned = counter
            .play(
                &bare,
                &CounterRequest {
                    form_plan: true,
                    ..cr
                },
            )
            .unwrap();
        differ += usize::from(planned != arr.track(Role::Texture).cloned());
    }
    // Most drawn plans repeat some bar, so most planned lines differ.
    assert!(differ >= 3, "{differ} of 6 differ");
}

/// The lowest and highest pitch a texture note may have in `arr`'s key: the
/// range moved by the key's transposition from C (−5 to +6 semitones).
fn range_in(arr: &Arrangement) -> (u8, u8) {
    let k = i32::from(arr.key.tonic.index());
    let shift = if k > 6 { k - 12 } else { k };
    (
        (i32::from(RANGE.0) + shift) as u8,
        (i32::from(RANGE.1) + shift) as u8,
    )
}

#[test]
fn the_texture_part_is_in_key_in_range_and_leaves_the_other_parts_as_they_were() {
    let composer = Composer::bundled().unwrap();
    let (mut strong, mut tones) = (0, 0);
    for seed in 0..6u64 {
        for section in [SectionKind::Intro, SectionKind::Main, SectionKind::Outro] {
            let valence = if seed % 2 == 0 { 0.5 } else { -0.5 };
            let mut r = request(valence, seed as f32 / 3.0 - 0.8, section, seed);
            if section == SectionKind::Main {
                r.bars = 8;
            }
            let with = composer.compose(&r).unwrap();
            r.counter_line = false;
            let without = composer.compose(&r).unwrap();
            assert!(without.track(Role::Texture).is_none());
            for role in [Role::Drums, Role::Melody, Role::Bass, Role::Harmony] {
                assert_eq!(with.track(role), without.track(role), "{role:?} {r:?}");
            }
            assert_eq!(with.chords, without.chords);
            let texture = with.track(Role::Texture).expect("a texture part");
            assert!(!texture.notes.is_empty(), "{r:?}");
            let (lo, hi) = range_in(&with);
            let minor = !with.key.mode.is_major();
            let leading = with.key.tonic.transpose(11);
            let end = with.bars * BAR;
            for n in &texture.notes {
                assert!((lo..=hi).contains(&n.pitch), "{n:?} outside {lo}..={hi}");
                let pc = PitchClass::of_midi(n.pitch);
                assert!(
                    with.key.contains_class(pc) || (minor && pc == leading),
                    "{n:?} out of {:?}",
                    with.key
                );
                assert!(n.end() <= end && n.duration > 0, "{n:?}");
                if n.start % (BAR / 2) == 0
                    && let Some(span) = with
                        .chords
                        .iter()
                        .find(|c| c.start <= n.start && n.start < c.start + c.duration)
                {
                    strong += 1;
                    tones += usize::from(span.chord.contains(pc));
                }
            }
            assert!(texture.notes.is_sorted_by_key(|n| (n.start, n.pitch)));
            // One note at a time.
            assert!(texture.notes.windows(2).all(|w| w[0].end() <= w[1].start));
            if section == SectionKind::Outro {
                // The last bar is one tonic-chord tone held to the end.
                let last: Vec<_> = texture
                    .notes
                    .iter()
                    .filter(|n| n.end() > end - BAR)
                    .collect();
                assert_eq!(last.len(), 1, "{last:?}");
                assert_eq!((last[0].start, last[0].end()), (end - BAR, end));
                let interval = PitchClass::of_midi(last[0].pitch).interval_from(with.key.tonic);
                let third = if minor { 3 } else { 4 };
                assert!([0, third, 7].contains(&interval), "{:?}", last[0]);
            }
        }
    }
    // The line follows the chords: most notes on beats 1 and 3 are chord tones.
    assert!(
        tones * 10 >= strong * 7,
        "{tones} of {strong} strong-beat notes are chord tones"
    );
}

#[test]
fn stingers_get_no_texture_part_and_calm_moods_get_a_sparser_one() {
    let composer = Composer::bundled().unwrap();
    let stinger = composer
        .compose(&request(0.5, 0.5, SectionKind::Stinger, 1))
        .unwrap();
    assert!(stinger.track(Role::Texture).is_none());
    let onsets = |arousal: f32, intensity: f32| -> usize {
        (0..6)
            .map(|seed| {
                let mut r = request(0.3, arousal, SectionKind::Main, seed);
                r.intensity = intensity;
                composer
                    .compose(&r)
                    .unwrap()
                    .track(Role::Texture)
                    .map_or(0, |t| t.notes.len())
            })
            .sum()
    };
    let (calm, excited) = (onsets(-0.9, 0.1), onsets(0.9, 0.9));
    assert!(
        3 * calm < 2 * excited,
        "texture onsets: calm {calm}, excited {excited} (6 mains each)"
    );
}

#[test]
fn a_composer_without_a_counter_line_writes_no_texture_part() {
    let composer = Composer::bundled().unwrap().with_counter_line(None);
    let arr = composer
        .compose(&request(0.5, 0.5, SectionKind::Main, 3))
        .unwrap();
    assert!(arr.track(Role::Texture).is_none());
    let with = Composer::bundled()
        .unwrap()
        .compose(&request(0.5, 0.5, SectionKind::Main, 3))
        .unwrap();
    assert_eq!(with.tracks.len(), arr.tracks.len() + 1);
}

#[test]
fn corrupt_counter_files_give_the_documented_errors() {
    let dir = scratch("corrupt");
    let (weights, config) = overture_model::bundled::counter().unwrap();
    let stem = dir.join("c");
    let write = |w: &[u8], c: &str| {
        std::fs::write(dir.join("c.safetensors"), w).unwrap();
        std::fs::write(dir.join("c.json"), c).unwrap();
    };
    let message = |e: ModelError| e.to_string();

    write(&weights[..weights.len() / 2], config);
    let e = message(CounterLine::load(&stem).unwrap_err());
    assert!(
        e.contains("c.safetensors") && e.contains("not a valid safetensors file"),
        "{e}"
    );

    write(weights, &config[..config.len() / 2]);
    let e = message(CounterLine::load(&stem).unwrap_err());
    assert!(
        e.contains("c.json") && e.contains("not a counter-line model file"),
        "{e}"
    );

    write(
        weights,
        &config.replacen("\"format\": 1", "\"format\": 9", 1),
    );
    let e = message(CounterLine::load(&stem).unwrap_err());
    assert!(e.contains("format: expected 1, found 9"), "{e}");

    write(
        weights,
        &config.replacen("\"n_heads\": 4", "\"n_heads\": 5", 1),
    );
    let e = message(CounterLine::load(&stem).unwrap_err());
    assert!(
        e.contains("d_model (64) must be a positive multiple of n_heads (5)"),
        "{e}"
    );

    let broken = config.replacen("\"density\": [", "\"density\": [2.5, ", 1);
    assert_ne!(broken, config);
    write(weights, &broken);
    let e = message(CounterLine::load(&stem).unwrap_err());
    assert!(
        e.contains("calibration.density: expected 11 rising quantiles in [0, 1]"),
        "{e}"
    );

    // A header that promises tensors the file does not hold.
    let mut cut = weights.to_vec();
    let header = u64::from_le_bytes(cut[..8].try_into().unwrap()) as usize;
    cut.truncate(8 + header + 16);
    write(&cut, config);
    let e = message(CounterLine::load(&stem).unwrap_err());
    assert!(e.contains("c.safetensors"), "{e}");

    // The right size but another network's tensors (the drummer's).
    let (drummer, _) = overture_model::bundled::drummer().unwrap();
    write(drummer, config);
    let e = message(CounterLine::load(&stem).unwrap_err());
    assert!(e.contains("c.safetensors"), "{e}");

    let e = message(CounterLine::load(dir.join("missing")).unwrap_err());
    assert!(e.contains("missing"), "{e}");
}

#[test]
fn a_config_asking_for_a_huge_network_is_refused_before_it_is_built() {
    let dir = scratch("huge");
    let (weights, config) = overture_model::bundled::counter().unwrap();
    let huge = config
        .replacen("\"d_model\": 64", "\"d_model\": 4096", 1)
        .replacen("\"n_layers\": 2", "\"n_layers\": 64", 1)
        .replacen("\"d_ff\": 256", "\"d_ff\": 16384", 1);
    assert_ne!(huge, config);
    std::fs::write(dir.join("c.safetensors"), weights).unwrap();
    std::fs::write(dir.join("c.json"), huge).unwrap();
    let e = CounterLine::load(dir.join("c")).unwrap_err().to_string();
    assert!(
        e.contains("less than the") && e.contains("parameters its config describes"),
        "{e}"
    );
    // The shipped counter-line's parameters, counted, match its file.
    let c = CounterLine::bundled().unwrap();
    let header = u64::from_le_bytes(weights[..8].try_into().unwrap()) as usize;
    assert_eq!(c.file().config.parameters() * 4, weights.len() - 8 - header);
    let _ = Arc::new(c);
}
