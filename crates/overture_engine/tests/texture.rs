//! The counter-line's texture part through the engine: a mood whose layers
//! name the texture role gets a stem of its own for it, with sound in it
//! (and the same notes as without the layer); without such a layer the
//! texture sounds in the mixed stem of the other roles.

use std::sync::Arc;

use overture_core::{mood::Mood, track::Role};
use overture_engine::{
    ModelSource,
    generator::PieceJob,
    piece::{Part, Piece, PieceKey},
    score::{Layer, MoodSpec},
};

const SR: u32 = 48_000;
const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/pop909-small");
const SEED: u64 = 5;

fn mood(layers: Vec<Layer>) -> MoodSpec {
    let mut m = MoodSpec::new("wander", Mood::new(0.3, 0.2).unwrap())
        .bpm(100.0)
        .palette("ambient");
    m.main_bars = 2;
    m.variants = 1;
    m.layers = layers;
    m
}

fn piece(mood: &MoodSpec) -> Piece {
    let factory = ModelSource::factory(MODEL);
    let mut source = factory().expect("the shipped model loads");
    let job = PieceJob {
        key: PieceKey::new(mood, SEED, Part::Main(0)),
        mood: Arc::new(mood.clone()),
        stinger: None,
        sample_rate: SR,
    };
    source.make(&job).expect("composes and renders")
}

fn peak(frames: &[kira::Frame]) -> f32 {
    frames
        .iter()
        .map(|f| f.left.abs().max(f.right.abs()))
        .fold(0.0, f32::max)
}

#[test]
fn a_texture_layer_gets_its_own_stem_with_the_counter_line_in_it() {
    let layered = piece(&mood(vec![Layer::new(Role::Texture, 0.5, 0.9)]));
    let texture = layered
        .arrangement
        .track(Role::Texture)
        .expect("a texture part");
    assert!(!texture.notes.is_empty());
    let stems: Vec<Option<Role>> = layered.stems.iter().map(|s| s.0).collect();
    assert_eq!(stems, vec![None, Some(Role::Texture)]);
    let (_, data) = &layered.stems[1];
    assert!(
        peak(data.frames()) > 0.01,
        "texture stem peak {}",
        peak(data.frames())
    );

    // Without the layer the same notes play, mixed with the other roles.
    let plain = piece(&mood(Vec::new()));
    assert_eq!(plain.arrangement.track(Role::Texture), Some(texture));
    assert_eq!(plain.stems.len(), 1);
}
