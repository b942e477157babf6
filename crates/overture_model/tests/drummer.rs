//! The learned drummer end to end: a tiny drummer trains on Groove MIDI
//! performances and its loss falls; the shipped drummer plays on the grid at
//! feel 0 and off it at feel 1, inside its section, the same for a seed;
//! sections and styles shape what it plays; corrupt model files give the
//! documented errors.

use overture_core::{
    drumming::{DrumPlayer, DrumStyle, Drumming},
    mood::Mood,
    note::drums,
    section::SectionKind,
    time::TICKS_PER_SIXTEENTH,
    track::Role,
};
use overture_model::{
    Composer, ModelError, Request,
    drummer::{
        Drummer, file,
        groove::{self, Split},
        network::DrummerConfig,
        train::{DrummerTrainOptions, held_out_loss, train_drummer},
    },
    drums::{DrumRequest, compose_drums},
};

#[path = "../../../tests/fixtures/locate.rs"]
mod locate;

const BAR: u32 = 16 * TICKS_PER_SIXTEENTH;

#[path = "../../../tests/fixtures/scratch.rs"]
mod scratch;
use scratch::Scratch;

fn request(section: SectionKind, bars: u32, seed: u64) -> DrumRequest {
    DrumRequest::new(section, bars, seed)
}

#[test]
fn a_tiny_drummer_trains_its_loss_falls_and_it_round_trips_through_its_files() {
    let (corpus, source) = locate::corpus("groove");
    // The fixture's splits differ from the whole corpus's: train on every
    // split but test, hold out test.
    let train = groove::load(&corpus, |s| s != Split::Test).unwrap();
    let held = groove::load(&corpus, |s| s == Split::Test).unwrap();
    let (train, held) = if source == locate::Source::Full {
        (train[..12].to_vec(), held[..4].to_vec())
    } else {
        (train, held)
    };
    assert!(!train.is_empty() && !held.is_empty());
    let opts = DrummerTrainOptions {
        config: DrummerConfig::tiny(),
        steps: 60,
        batch: 8,
        learning_rate: 1e-2,
        seed: 3,
    };
    let mut losses = Vec::new();
    let (varmap, net, record) =
        train_drummer(&train, &held, &opts, "fixture", |_, l| losses.push(l)).unwrap();
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
    let dir = Scratch::created("drummer-tiny");
    let out = dir.join("tiny-drummer");
    file::save(&varmap, &record, &out).unwrap();
    let loaded = Drummer::load(&out).unwrap();
    let memory = Drummer::from_parts(net, varmap, record).unwrap();
    let r = request(SectionKind::Main, 4, 11);
    assert_eq!(loaded.play(&r).unwrap(), memory.play(&r).unwrap());
}

#[test]
fn feel_zero_sits_on_the_grid_and_feel_one_plays_off_it_inside_the_section() {
    let drummer = Drummer::bundled().unwrap();
    for section in [SectionKind::Intro, SectionKind::Main, SectionKind::Outro] {
        for seed in 0..4 {
            let bars = if section == SectionKind::Main { 8 } else { 2 };
            let mut r = request(section, bars, seed);
            r.arousal = seed as f32 / 2.0 - 0.75;
            r.feel = 0.0;
            let grid = drummer.play(&r).unwrap();
            assert!(!grid.notes.is_empty(), "{r:?}");
            assert!(
                grid.notes
                    .iter()
                    .all(|n| n.start % TICKS_PER_SIXTEENTH == 0),
                "{r:?}"
            );
            r.feel = 1.0;
            let played = drummer.play(&r).unwrap();
            let end = bars * BAR;
            assert!(played.notes.iter().all(|n| n.end() <= end), "{r:?}");
            assert!(played.notes.is_sorted_by_key(|n| (n.start, n.pitch)));
            if section == SectionKind::Main {
                let off = played
                    .notes
                    .iter()
                    .filter(|n| n.start % TICKS_PER_SIXTEENTH != 0)
                    .count();
                assert!(
                    off * 4 > played.notes.len(),
                    "{off} of {} off the grid",
                    played.notes.len()
                );
            }
            // The feel moves hits; it does not change which are played.
            let pitches = |t: &overture_core::track::Track| {
                let mut p: Vec<u8> = t.notes.iter().map(|n| n.pitch).collect();
                p.sort_unstable();
                p
            };
            assert_eq!(pitches(&grid), pitches(&played));
        }
    }
}

#[test]
fn the_same_request_gives_the_same_part_and_seeds_differ() {
    let drummer = Drummer::bundled().unwrap();
    let r = request(SectionKind::Main, 8, 5);
    let a = drummer.play(&r).unwrap();
    assert_eq!(drummer.play(&r).unwrap(), a);
    assert_ne!(drummer.play(&request(SectionKind::Main, 8, 6)).unwrap(), a);
}

#[test]
fn intros_build_outros_end_on_one_hit_and_phrases_end_in_fills() {
    let drummer = Drummer::bundled().unwrap();
    let (mut first, mut last, mut toms_end, mut toms_inside) = (0, 0, 0, 0);
    for seed in 0..12 {
        let intro = drummer.play(&request(SectionKind::Intro, 4, seed)).unwrap();
        first += intro.notes.iter().filter(|n| n.start < BAR).count();
        last += intro
            .notes
            .iter()
            .filter(|n| n.start >= 2 * BAR && n.start < 3 * BAR)
            .count();

        let outro = drummer.play(&request(SectionKind::Outro, 2, seed)).unwrap();
        let end: Vec<_> = outro.notes.iter().filter(|n| n.start >= BAR).collect();
        assert_eq!(end.len(), 2, "seed {seed}: {end:?}");
        assert!(end.iter().all(|n| n.start == BAR));
        assert!(
            end.iter().any(|n| n.pitch == drums::KICK)
                && end.iter().any(|n| n.pitch == drums::CRASH)
        );

        let main = drummer.play(&request(SectionKind::Main, 8, seed)).unwrap();
        for n in &main.notes {
            if [drums::TOM_LOW, drums::TOM_MID, drums::TOM_HIGH].contains(&n.pitch) {
                if (n.start / BAR) % 4 == 3 {
                    toms_end += 1;
                } else {
                    toms_inside += 1;
                }
            }
        }
    }
    assert!(
        first < last,
        "intro's first bar {first} hits, third bar {last} (12 seeds)"
    );
    // Fill bars are a quarter of the bars; they hold most of the tom hits.
    assert!(
        toms_end > 2 * toms_inside,
        "toms in fill bars {toms_end}, elsewhere {toms_inside}"
    );
}

#[test]
fn styles_shape_the_kit_jazz_rides_and_rock_hits_the_hats() {
    let drummer = Drummer::bundled().unwrap();
    let count = |style: DrumStyle, pitch: u8| {
        (0..8)
            .map(|seed| {
                let mut r = request(SectionKind::Main, 8, seed);
                r.style = Some(style);
                drummer
                    .play(&r)
                    .unwrap()
                    .notes
                    .iter()
                    .filter(|n| n.pitch == pitch)
                    .count()
            })
            .sum::<usize>()
    };
    let (jazz_ride, rock_ride) = (
        count(DrumStyle::Jazz, drums::RIDE),
        count(DrumStyle::Rock, drums::RIDE),
    );
    let (jazz_hat, rock_hat) = (
        count(DrumStyle::Jazz, drums::HAT_CLOSED),
        count(DrumStyle::Rock, drums::HAT_CLOSED),
    );
    eprintln!(
        "ride: jazz {jazz_ride}, rock {rock_ride}; closed hat: jazz {jazz_hat}, rock {rock_hat}"
    );
    // Jazz keeps time on the ride, rock on the hi-hat: over 64 bars each,
    // the ride's share of the two differs by half again or more.
    let share = |ride: usize, hat: usize| ride as f64 / (ride + hat).max(1) as f64;
    let (jazz, rock) = (share(jazz_ride, jazz_hat), share(rock_ride, rock_hat));
    assert!(
        jazz > 1.5 * rock,
        "ride share: jazz {jazz:.2}, rock {rock:.2}"
    );
    assert!(
        rock_hat as f64 > 1.5 * jazz_hat as f64,
        "closed hat: rock {rock_hat}, jazz {jazz_hat}"
    );
}

#[test]
fn the_composer_plays_learned_drums_by_default_and_the_pattern_drummer_on_request() {
    let composer = Composer::bundled().unwrap();
    let mut r = Request::new(Mood::new(0.4, 0.5).unwrap(), SectionKind::Main);
    r.bars = 4;
    r.seed = 9;
    let learned = composer.compose(&r).unwrap();
    r.drumming = Drumming {
        player: DrumPlayer::Pattern,
        ..Drumming::default()
    };
    let pattern = composer.compose(&r).unwrap();
    let drums_of =
        |a: &overture_core::arrangement::Arrangement| a.track(Role::Drums).unwrap().notes.clone();
    let mut expected = DrumRequest::new(SectionKind::Main, 4, 9);
    expected.valence = 0.4;
    expected.arousal = 0.5;
    expected.intensity = r.intensity;
    assert_eq!(drums_of(&pattern), compose_drums(&expected).notes);
    assert_ne!(drums_of(&learned), drums_of(&pattern));
    // The drummer changes the drums and nothing else.
    for role in [Role::Melody, Role::Bass, Role::Harmony] {
        assert_eq!(learned.track(role), pattern.track(role), "{role:?}");
    }
    // A composer without a drummer falls back to the pattern drummer.
    r.drumming = Drumming::default();
    let plain = Composer::bundled().unwrap().with_drummer(None);
    assert_eq!(drums_of(&plain.compose(&r).unwrap()), drums_of(&pattern));
}

#[test]
fn corrupt_drummer_files_give_the_documented_errors() {
    let dir = Scratch::created("drummer-corrupt");
    let (weights, config) = overture_model::bundled::drummer().unwrap();
    let stem = dir.join("d");
    let write = |w: &[u8], c: &str| {
        std::fs::write(dir.join("d.safetensors"), w).unwrap();
        std::fs::write(dir.join("d.json"), c).unwrap();
    };
    let message = |e: ModelError| e.to_string();

    write(&weights[..weights.len() / 2], config);
    let e = message(Drummer::load(&stem).unwrap_err());
    assert!(
        e.contains("d.safetensors") && e.contains("not a valid safetensors file"),
        "{e}"
    );

    write(weights, &config[..config.len() / 2]);
    let e = message(Drummer::load(&stem).unwrap_err());
    assert!(
        e.contains("d.json") && e.contains("not a drummer model file"),
        "{e}"
    );

    write(
        weights,
        &config.replacen("\"format\": 1", "\"format\": 9", 1),
    );
    let e = message(Drummer::load(&stem).unwrap_err());
    assert!(e.contains("format: expected 1, found 9"), "{e}");

    write(
        weights,
        &config.replacen("\"n_heads\": 4", "\"n_heads\": 5", 1),
    );
    let e = message(Drummer::load(&stem).unwrap_err());
    assert!(
        e.contains("d_model (64) must be a positive multiple of n_heads (5)"),
        "{e}"
    );

    let mut flipped = weights.to_vec();
    let header = u64::from_le_bytes(flipped[..8].try_into().unwrap()) as usize;
    flipped.truncate(8 + header + 16);
    write(&flipped, config);
    let e = message(Drummer::load(&stem).unwrap_err());
    assert!(e.contains("d.safetensors"), "{e}");

    let e = message(Drummer::load(dir.join("missing")).unwrap_err());
    assert!(e.contains("missing"), "{e}");
}

#[test]
fn a_config_asking_for_a_huge_network_is_refused_before_it_is_built() {
    let dir = Scratch::created("drummer-huge");
    let (weights, config) = overture_model::bundled::drummer().unwrap();
    let huge = config
        .replacen("\"d_model\": 64", "\"d_model\": 4096", 1)
        .replacen("\"n_layers\": 3", "\"n_layers\": 64", 1)
        .replacen("\"d_ff\": 256", "\"d_ff\": 16384", 1);
    assert_ne!(huge, config);
    std::fs::write(dir.join("d.safetensors"), weights).unwrap();
    std::fs::write(dir.join("d.json"), huge).unwrap();
    let e = Drummer::load(dir.join("d")).unwrap_err().to_string();
    assert!(
        e.contains("less than the") && e.contains("parameters its config describes"),
        "{e}"
    );
    // The shipped drummer's parameters, counted, match its file.
    let d = Drummer::bundled().unwrap();
    let header = u64::from_le_bytes(weights[..8].try_into().unwrap()) as usize;
    assert_eq!(d.file().config.parameters() * 4, weights.len() - 8 - header);
}
