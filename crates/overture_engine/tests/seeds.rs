//! Composition seeds hash the fields that shape the notes, and only those:
//! editing how a mood plays (layer curves, smoothing, quantization) keeps
//! its notes and its rendered stems; changing its palette keeps the notes
//! (but for the drum style a palette suggests) and renders them anew; how
//! the drums are played changes the drums alone; changing its valence
//! composes new notes.

use std::sync::Arc;

use overture_core::{
    drumming::{DrumPlayer, DrumStyle},
    mood::Mood,
    track::Role,
};
use overture_engine::{
    ModelSource,
    generator::PieceJob,
    piece::{Part, PieceKey},
    score::{Layer, LayerCurve, MoodSpec, Quantize},
};

const SR: u32 = 48_000;
const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/pop909-small");
const SEED: u64 = 7;

fn explore() -> MoodSpec {
    let mut m = MoodSpec::new("explore", Mood::new(0.4, -0.3).unwrap())
        .bpm(96.0)
        .palette("ambient");
    m.main_bars = 2;
    m.variants = 1;
    m.layers = vec![Layer::new(Role::Drums, 0.3, 0.7)];
    m
}

/// The notes the shipped composer writes for `part` of `mood`.
fn notes(mood: &MoodSpec, part: Part) -> overture_core::arrangement::Arrangement {
    let factory = ModelSource::factory(MODEL);
    let mut source = factory().expect("the shipped model loads");
    let job = PieceJob {
        key: PieceKey::new(mood, SEED, part),
        mood: Arc::new(mood.clone()),
        stinger: None,
        sample_rate: SR,
    };
    let piece = source.make(&job).expect("composes and renders");
    (*piece.arrangement).clone()
}

#[test]
fn playback_only_fields_keep_the_seed_and_the_cache_key() {
    let a = explore();
    let mut b = explore();
    b.layers[0].curve = LayerCurve::Switch;
    b.layers[0].enter = 0.1;
    b.layer_smoothing_beats = 8.0;
    b.layer_quantize = Quantize::Bar;
    for part in [Part::Intro, Part::Main(0), Part::Outro] {
        let (ka, kb) = (PieceKey::new(&a, SEED, part), PieceKey::new(&b, SEED, part));
        assert_eq!(ka.composition_seed(), kb.composition_seed(), "{part:?}");
        assert_eq!(ka, kb, "{part:?}: the stems are reused, not rendered again");
    }
}

#[test]
fn the_palette_and_layered_roles_change_the_stems_not_the_notes() {
    let a = explore();
    let mut b = explore();
    b.palette = "orchestral".into();
    let mut c = explore();
    c.layers.push(Layer::new(Role::Bass, 0.5, 0.9));
    let ka = PieceKey::new(&a, SEED, Part::Main(0));
    for other in [&b, &c] {
        let k = PieceKey::new(other, SEED, Part::Main(0));
        assert_eq!(ka.composition_seed(), k.composition_seed());
        assert_ne!(ka.spec, k.spec, "a new sound needs a new render");
    }
}

#[test]
fn fields_that_shape_the_notes_change_the_seed() {
    let a = explore();
    let base = PieceKey::new(&a, SEED, Part::Main(0)).composition_seed();
    let mut edits: Vec<(&str, MoodSpec)> = Vec::new();
    let mut m = explore();
    m.mood.valence = -0.4;
    edits.push(("valence", m));
    let mut m = explore();
    m.mood.arousal = 0.6;
    edits.push(("arousal", m));
    edits.push(("bpm", explore().bpm(120.0)));
    let mut m = explore();
    m.drums = false;
    edits.push(("drums", m));
    let mut m = explore();
    m.main_bars = 4;
    edits.push(("main_bars", m));
    let mut m = explore();
    m.name = "wander".into();
    edits.push(("name", m));
    for (field, m) in &edits {
        assert_ne!(
            base,
            PieceKey::new(m, SEED, Part::Main(0)).composition_seed(),
            "{field}"
        );
    }
    // The score's seed and the part, too.
    assert_ne!(
        base,
        PieceKey::new(&a, SEED + 1, Part::Main(0)).composition_seed()
    );
    assert_ne!(
        base,
        PieceKey::new(&a, SEED, Part::Main(1)).composition_seed()
    );
}

#[test]
fn a_new_layer_curve_keeps_the_notes_and_a_new_valence_changes_them() {
    let a = explore();
    let mut curve = explore();
    curve.layers[0].curve = LayerCurve::Linear;
    curve.layer_smoothing_beats = 4.0;
    let mut palette = explore();
    palette.palette = "chiptune".into();
    let mut valence = explore();
    valence.mood.valence = -0.6;

    let reference = notes(&a, Part::Main(0));
    assert!(reference.tracks.iter().any(|t| !t.notes.is_empty()));
    assert_eq!(notes(&curve, Part::Main(0)), reference);
    // A palette suggests a drum style (ambient jazz, chiptune electronic):
    // a new one keeps every pitched part and changes only the drums.
    let new_palette = notes(&palette, Part::Main(0));
    assert_eq!(pitched(&new_palette), pitched(&reference));
    assert_ne!(new_palette.track(Role::Drums), reference.track(Role::Drums));
    assert_ne!(notes(&valence, Part::Main(0)).tracks, reference.tracks);

    // With the mood's own drum style, a new palette keeps every note.
    let (mut styled, mut styled_palette) = (explore(), palette.clone());
    styled.drumming.style = Some(DrumStyle::Rock);
    styled_palette.drumming.style = Some(DrumStyle::Rock);
    assert_eq!(
        notes(&styled_palette, Part::Main(0)),
        notes(&styled, Part::Main(0))
    );
}

/// Every track but the drums.
fn pitched(a: &overture_core::arrangement::Arrangement) -> Vec<overture_core::track::Track> {
    a.tracks
        .iter()
        .filter(|t| t.role != Role::Drums)
        .cloned()
        .collect()
}

#[test]
fn how_the_drums_are_played_changes_the_drums_and_the_stems_not_the_seed() {
    let a = explore();
    let mut feel = explore();
    feel.drumming.feel = 0.0;
    let mut style = explore();
    style.drumming.style = Some(DrumStyle::Latin);
    let mut pattern = explore();
    pattern.drumming.player = DrumPlayer::Pattern;
    let reference = notes(&a, Part::Main(0));
    let ka = PieceKey::new(&a, SEED, Part::Main(0));
    for (what, m) in [("feel", &feel), ("style", &style), ("player", &pattern)] {
        let k = PieceKey::new(m, SEED, Part::Main(0));
        assert_eq!(ka.composition_seed(), k.composition_seed(), "{what}");
        assert_ne!(ka.spec, k.spec, "{what}: new drums need a new render");
        let other = notes(m, Part::Main(0));
        assert_eq!(pitched(&other), pitched(&reference), "{what}");
        assert_ne!(
            other.track(Role::Drums),
            reference.track(Role::Drums),
            "{what}"
        );
    }
    // Feel 0 puts the same hits on the grid.
    let grid = notes(&feel, Part::Main(0));
    let drums = grid.track(Role::Drums).unwrap();
    assert!(
        drums
            .notes
            .iter()
            .all(|n| n.start % overture_core::time::TICKS_PER_SIXTEENTH == 0)
    );
    assert_eq!(
        drums.notes.len(),
        reference.track(Role::Drums).unwrap().notes.len()
    );
}

#[test]
fn a_redefined_stinger_is_composed_again_and_its_playback_fields_keep_it() {
    use overture_engine::score::Stinger;

    let mood = explore();
    let key = |s: &Stinger| PieceKey::new(&mood, SEED, Part::Stinger(0)).with_stinger(s);
    let hit = Stinger::new("hit");
    let base = key(&hit);
    // What shapes its notes: its name, length and arousal shift.
    for other in [
        Stinger::new("fanfare"),
        Stinger {
            bars: 2,
            ..hit.clone()
        },
        Stinger {
            arousal_shift: 0.5,
            ..hit.clone()
        },
    ] {
        let k = key(&other);
        assert_ne!(k.composition_seed(), base.composition_seed(), "{other:?}");
        assert_ne!(k, base, "{other:?}");
    }
    // Where and how loud it plays do not.
    let placed = Stinger {
        quantize: Quantize::Bar,
        duck_db: 0.0,
        ..hit.clone()
    };
    assert_eq!(key(&placed), base);
    // And the mood's other parts are keyed as before.
    assert_ne!(base, PieceKey::new(&mood, SEED, Part::Stinger(0)));
}

#[test]
fn the_shared_stem_sounds_as_the_tracks_rendered_on_their_own_and_mixed() {
    use overture_engine::generator::PieceSource;

    let mood = explore();
    let job = PieceJob {
        key: PieceKey::new(&mood, SEED, Part::Main(0)),
        mood: Arc::new(mood.clone()),
        stinger: None,
        sample_rate: SR,
    };
    let make = |shared: bool| {
        let composer = overture_model::Composer::load(MODEL).expect("the shipped model loads");
        let mut source = ModelSource::new(composer).with_shared_stem(shared);
        source.make(&job).expect("composes and renders")
    };
    let (shared, own) = (make(true), make(false));
    assert_eq!(shared.arrangement, own.arrangement);
    let roles = |p: &overture_engine::piece::Piece| -> Vec<Option<Role>> {
        p.stems.iter().map(|s| s.0).collect()
    };
    // The layered drums on their own, the rest in one stem, both ways.
    assert_eq!(roles(&shared), vec![None, Some(Role::Drums)]);
    assert_eq!(roles(&own), roles(&shared));
    let frames = |i: usize, p: &overture_engine::piece::Piece| p.stems[i].1.frames().to_vec();
    let (a, b) = (frames(0, &shared), frames(0, &own));
    assert_eq!(a.len(), b.len());
    let peak = b
        .iter()
        .map(|f| f.left.abs().max(f.right.abs()))
        .fold(0.0, f32::max);
    let diff = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x.left - y.left).abs().max((x.right - y.right).abs()))
        .fold(0.0, f32::max);
    assert!(peak > 0.05, "the music sounds ({peak})");
    // To float rounding, and the reverb tails each track's own reverb cuts
    // 1.2 reverb times after its last note (about −72 dB).
    assert!(diff < 2e-3 * peak, "{diff} against a peak of {peak}");
    // A layered stem is rendered the same way either way, up to the
    // loudness gain the whole piece shares.
    let (da, db) = (frames(1, &shared), frames(1, &own));
    let ratio = |f: &[kira::Frame]| f.iter().map(|x| x.left.abs()).fold(0.0, f32::max);
    assert!((ratio(&da) / ratio(&db) - 1.0).abs() < 1e-3);
}
