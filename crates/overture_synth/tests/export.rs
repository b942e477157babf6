//! WAV export with provenance.

use overture_synth::{StereoBuffer, wav};

#[test]
fn wav_files_carry_provenance_in_list_info_and_read_back_exactly() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("overture-wav-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("stem.wav");
    let audio = StereoBuffer {
        left: (0..1000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect(),
        right: (0..1000).map(|i| (i as f32 * 0.02).cos() * 0.25).collect(),
    };
    let info = wav::WavInfo {
        title: "main / melody".into(),
        software: "overture 0.1.0".into(),
        comment: "seed=7; valence=0.50 arousal=-0.20; tempo=120 BPM; key=A:min".into(),
        genre: "main".into(),
    };
    wav::write_wav(&path, &audio, 48_000, &info).unwrap();
    let (back, sr) = wav::read_wav(&path).unwrap();
    assert_eq!(sr, 48_000);
    assert_eq!(back, audio);
    let fields = wav::read_info(&path).unwrap();
    assert!(
        fields.contains(&("ISFT".into(), "overture 0.1.0".into())),
        "{fields:?}"
    );
    assert!(
        fields
            .iter()
            .any(|(id, t)| id == "ICMT" && t.contains("seed=7"))
    );
    assert!(!dir.join("stem.wav.partial").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
