//! Anchor phrases: short labelled descriptions (`"lullaby"`, `"boss battle"`,
//! `"brushed drums"`) whose labels a prompt takes in proportion to how close
//! it comes to them in the encoder's space. The reviewed list is
//! `data/prompt_anchors.json`, compiled in.

use candle_core::{Device, Tensor};
use serde::Deserialize;

use super::{
    encoder::{EncoderError, TextEncoder},
    style::{DrumStyle, SectionHint},
};
use overture_core::track::Role;

/// The anchor file, compiled in.
pub const ANCHORS_JSON: &str = include_str!("../../data/prompt_anchors.json");

/// The built-in palettes an anchor may name.
pub const PALETTES: [&str; 4] = ["ambient", "orchestral", "battle", "chiptune"];

/// One labelled anchor phrase. Every label is optional: an anchor sets only
/// what it says.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    /// The phrase.
    pub text: String,
    /// Valence in [-1, 1].
    #[serde(default)]
    pub valence: Option<f32>,
    /// Arousal in [-1, 1].
    #[serde(default)]
    pub arousal: Option<f32>,
    /// Tempo in BPM.
    #[serde(default)]
    pub tempo: Option<f64>,
    /// Intensity in [0, 1].
    #[serde(default)]
    pub intensity: Option<f32>,
    /// A built-in palette.
    #[serde(default)]
    pub palette: Option<String>,
    /// Drums on or off.
    #[serde(default)]
    pub drums: Option<bool>,
    /// The drum style it suggests.
    #[serde(default)]
    pub drum_style: Option<DrumStyle>,
    /// Layers it asks for.
    #[serde(default)]
    pub layers: Vec<Role>,
    /// The section it suggests.
    #[serde(default)]
    pub section: Option<SectionHint>,
    /// Whether it comes from the word list that prompts used before issue 13
    /// (kept as tested anchors).
    #[serde(default)]
    pub old: bool,
}

/// The anchors with their vectors.
#[derive(Debug)]
pub struct AnchorSet {
    /// The anchors, in file order.
    pub anchors: Vec<Anchor>,
    /// Their unit vectors, [anchors, dim].
    pub(crate) matrix: Tensor,
}

impl AnchorSet {
    /// Reads and checks an anchor list (JSON) and encodes every phrase.
    /// Errors name the anchor and the field.
    pub fn new(json: &str, encoder: &TextEncoder) -> Result<AnchorSet, String> {
        let anchors: Vec<Anchor> =
            serde_json::from_str(json).map_err(|e| format!("prompt anchors: {e}"))?;
        let mut flat = Vec::with_capacity(anchors.len() * encoder.dim());
        for (i, a) in anchors.iter().enumerate() {
            let at = || format!("prompt anchor {} `{}`", i + 1, a.text);
            for (field, v) in [("valence", a.valence), ("arousal", a.arousal)] {
                if let Some(v) = v
                    && !(-1.0..=1.0).contains(&v)
                {
                    return Err(format!("{}: {field} {v} is outside [-1, 1]", at()));
                }
            }
            if let Some(x) = a.intensity
                && !(0.0..=1.0).contains(&x)
            {
                return Err(format!("{}: intensity {x} is outside [0, 1]", at()));
            }
            if let Some(t) = a.tempo
                && !overture_core::time::Tempo::is_music_bpm(t)
            {
                return Err(format!("{}: tempo {t} is outside 20 to 300 BPM", at()));
            }
            if let Some(p) = &a.palette
                && !PALETTES.contains(&p.as_str())
            {
                return Err(format!(
                    "{}: palette `{p}` is not one of {}",
                    at(),
                    PALETTES.join(", ")
                ));
            }
            let v = encoder
                .encode(&a.text)
                .ok_or_else(|| format!("{}: the encoder knows none of its words", at()))?;
            flat.extend_from_slice(&v);
        }
        let matrix = Tensor::from_vec(flat, (anchors.len(), encoder.dim()), &Device::Cpu)
            .map_err(|e| format!("prompt anchors: {e}"))?;
        Ok(AnchorSet { anchors, matrix })
    }

    /// The compiled-in anchors encoded with `encoder`.
    pub fn builtin(encoder: &TextEncoder) -> Result<AnchorSet, EncoderError> {
        AnchorSet::new(ANCHORS_JSON, encoder).map_err(|message| EncoderError::Corrupt {
            path: "data/prompt_anchors.json".into(),
            message,
        })
    }

    /// Similarity of `v` to every anchor.
    pub fn similarities(&self, v: &[f32]) -> Vec<f32> {
        TextEncoder::similarities(&self.matrix, v).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_anchor_file_is_valid_and_every_anchor_word_is_a_whole_word_of_the_encoder() {
        let enc = TextEncoder::bundled().unwrap();
        let set = AnchorSet::builtin(enc).unwrap();
        assert!(set.anchors.len() > 500);
        for a in &set.anchors {
            for w in super::super::encoder::words(&a.text) {
                assert!(
                    matches!(enc.lookup(w), super::super::encoder::Lookup::Whole(_)),
                    "anchor `{}`: `{w}` is spelled from pieces",
                    a.text
                );
            }
        }
    }

    #[test]
    fn bad_anchor_files_name_the_anchor_and_field() {
        let enc = TextEncoder::bundled().unwrap();
        let e = AnchorSet::new(r#"[{"text": "calm", "valence": 3}]"#, enc).unwrap_err();
        assert_eq!(e, "prompt anchor 1 `calm`: valence 3 is outside [-1, 1]");
        let e = AnchorSet::new(r#"[{"text": "calm", "palette": "polka"}]"#, enc).unwrap_err();
        assert!(e.contains("palette `polka`"), "{e}");
        let e = AnchorSet::new(r#"[{"text": "calm", "colour": 1}]"#, enc).unwrap_err();
        assert!(e.contains("colour"), "{e}");
    }
}
