//! Palettes: one instrument per track role plus a shared reverb character.
//!
//! Four built-in palettes suit common game moods; a palette can also be read
//! from a RON file, which may name SoundFont presets.
//!
//! ```
//! use overture_synth::palette::Palette;
//! use overture_core::{drumming::DrumStyle, track::Role};
//!
//! let battle = Palette::builtin("battle").unwrap();
//! assert!(battle.instrument(Role::Drums).gain > 0.0);
//! assert!(Palette::builtin("polka").is_err());
//! ```

use std::path::Path;

use overture_core::{drumming::DrumStyle, track::Role};

use crate::{
    envelope::Adsr,
    error::SynthError,
    instrument::{DrumKit, Instrument, Voice},
};

/// The room the palette's instruments share.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReverbSettings {
    /// Room size in metres (10..=30).
    pub room_size: f32,
    /// Reverberation time to −60 dB, in seconds.
    pub time: f32,
    /// High-frequency damping, 0..=1.
    pub damping: f32,
}

/// The longest reverberation time a palette may ask for, in seconds.
pub const MAX_REVERB_SECS: f32 = 20.0;
/// The longest attack, decay or release a palette may ask for, in seconds.
pub const MAX_ENVELOPE_SECS: f32 = 30.0;
/// The highest instrument gain a palette may ask for (linear).
pub const MAX_GAIN: f32 = 4.0;

/// An instrument for every role.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Palette {
    /// The palette's name.
    pub name: String,
    /// Percussion.
    pub drums: Instrument,
    /// Bass line.
    pub bass: Instrument,
    /// Chords and accompaniment.
    pub harmony: Instrument,
    /// Lead line.
    pub melody: Instrument,
    /// Pads and atmosphere.
    pub texture: Instrument,
    /// The shared room.
    pub reverb: ReverbSettings,
    /// The drumming that suits the palette's sound, used when neither the
    /// mood nor its prompt asks for a style (`drum_style: Some(rock)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drum_style: Option<DrumStyle>,
}

impl Palette {
    /// Names of the built-in palettes.
    pub const BUILTIN: [&'static str; 4] = ["ambient", "orchestral", "battle", "chiptune"];

    /// A built-in palette by name (case-insensitive).
    pub fn builtin(name: &str) -> Result<Palette, SynthError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "ambient" => Ok(Self::ambient()),
            "orchestral" => Ok(Self::orchestral()),
            "battle" => Ok(Self::battle()),
            "chiptune" => Ok(Self::chiptune()),
            _ => Err(SynthError::UnknownPalette {
                name: name.to_string(),
            }),
        }
    }

    /// A built-in palette by name, or a palette RON file when `name` ends in `.ron`.
    pub fn resolve(name: &str) -> Result<Palette, SynthError> {
        if name.ends_with(".ron") {
            Self::load(name)
        } else {
            Self::builtin(name)
        }
    }

    /// Reads a palette from a RON file.
    pub fn load(path: impl AsRef<Path>) -> Result<Palette, SynthError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| SynthError::Asset {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::parse(&text, path)
    }

    /// Reads a palette from RON text; `path` names the file in errors.
    /// Every number must lie in its range ([`Palette::validate`]).
    pub fn parse(text: &str, path: &Path) -> Result<Palette, SynthError> {
        let palette: Palette = ron::from_str(text).map_err(|e| SynthError::Asset {
            path: path.to_path_buf(),
            reason: format!(
                "line {}, column {}: {}",
                e.span.start.line, e.span.start.col, e.code
            ),
        })?;
        palette.validate().map_err(|e| SynthError::Asset {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Ok(palette)
    }

    /// Checks that every number is finite and in range, so a render's
    /// length, memory and level stay bounded: reverb time 0 to
    /// [`MAX_REVERB_SECS`] s, room size 10 to 30 m, damping, sustain, send
    /// 0 to 1, pan −1 to 1, gain 0 to [`MAX_GAIN`], velocity curve 0 to 8,
    /// envelope times 0 to [`MAX_ENVELOPE_SECS`] s. [`render`](crate::render())
    /// checks it too, for palettes built in code.
    pub fn validate(&self) -> Result<(), SynthError> {
        let check = |field: String, value: f32, lo: f32, hi: f32, expected: &'static str| {
            if value.is_finite() && (lo..=hi).contains(&value) {
                Ok(())
            } else {
                Err(SynthError::InvalidPalette {
                    field,
                    expected,
                    found: value.to_string(),
                })
            }
        };
        let r = &self.reverb;
        check(
            "reverb.room_size".into(),
            r.room_size,
            10.0,
            30.0,
            "10 to 30 (metres)",
        )?;
        check(
            "reverb.time".into(),
            r.time,
            0.0,
            MAX_REVERB_SECS,
            "0 to 20 (seconds)",
        )?;
        check("reverb.damping".into(), r.damping, 0.0, 1.0, "0 to 1")?;
        for role in Role::ALL {
            let i = self.instrument(role);
            let at = |field: &str| format!("{}.{field}", role.name());
            check(at("gain"), i.gain, 0.0, MAX_GAIN, "0 to 4")?;
            check(at("pan"), i.pan, -1.0, 1.0, "-1 to 1")?;
            check(at("velocity_curve"), i.velocity_curve, 0.0, 8.0, "0 to 8")?;
            check(at("reverb_send"), i.reverb_send, 0.0, 1.0, "0 to 1")?;
            let e = &i.envelope;
            let secs = "0 to 30 (seconds)";
            check(
                at("envelope.attack"),
                e.attack,
                0.0,
                MAX_ENVELOPE_SECS,
                secs,
            )?;
            check(at("envelope.decay"), e.decay, 0.0, MAX_ENVELOPE_SECS, secs)?;
            check(at("envelope.sustain"), e.sustain, 0.0, 1.0, "0 to 1")?;
            check(
                at("envelope.release"),
                e.release,
                0.0,
                MAX_ENVELOPE_SECS,
                secs,
            )?;
        }
        Ok(())
    }

    /// The instrument that plays `role`.
    pub fn instrument(&self, role: Role) -> &Instrument {
        match role {
            Role::Drums => &self.drums,
            Role::Bass => &self.bass,
            Role::Harmony => &self.harmony,
            Role::Melody => &self.melody,
            Role::Texture => &self.texture,
        }
    }

    /// The instrument that plays `role`, to change it.
    pub fn instrument_mut(&mut self, role: Role) -> &mut Instrument {
        match role {
            Role::Drums => &mut self.drums,
            Role::Bass => &mut self.bass,
            Role::Harmony => &mut self.harmony,
            Role::Melody => &mut self.melody,
            Role::Texture => &mut self.texture,
        }
    }

    /// Pads, soft keys, flute and a soft kit in a large room: exploration, calm.
    pub fn ambient() -> Palette {
        Palette {
            name: "ambient".into(),
            drums: Instrument::drums(DrumKit::Soft).gain(0.35).reverb(0.25),
            bass: Instrument::voice(Voice::SubBass, Adsr::new(0.02, 0.4, 0.8, 0.4)).gain(0.55),
            harmony: Instrument::voice(Voice::SoftKeys, Adsr::new(0.005, 1.8, 0.35, 0.8))
                .gain(0.3)
                .pan(-0.2)
                .reverb(0.45),
            melody: Instrument::voice(Voice::Flute, Adsr::new(0.06, 0.5, 0.8, 0.5))
                .gain(0.4)
                .pan(0.15)
                .reverb(0.4),
            texture: Instrument::voice(Voice::WarmPad, Adsr::new(0.8, 1.0, 0.8, 1.5))
                .gain(0.22)
                .reverb(0.6),
            reverb: ReverbSettings {
                room_size: 25.0,
                time: 3.5,
                damping: 0.6,
            },
            drum_style: Some(DrumStyle::Jazz),
        }
    }

    /// Strings, brass, harp and timpani-like drums in a hall: adventure, drama.
    pub fn orchestral() -> Palette {
        Palette {
            name: "orchestral".into(),
            drums: Instrument::drums(DrumKit::Orchestral)
                .gain(0.5)
                .reverb(0.35),
            bass: Instrument::voice(Voice::Strings, Adsr::new(0.05, 0.6, 0.85, 0.4))
                .gain(0.45)
                .pan(0.25),
            harmony: Instrument::voice(Voice::Harp, Adsr::new(0.002, 2.5, 0.0, 0.6))
                .gain(0.45)
                .pan(-0.3)
                .reverb(0.35),
            melody: Instrument::voice(Voice::Strings, Adsr::new(0.12, 0.6, 0.9, 0.5))
                .gain(0.42)
                .pan(0.1)
                .reverb(0.35),
            texture: Instrument::voice(Voice::Brass, Adsr::new(0.25, 0.8, 0.7, 0.7))
                .gain(0.22)
                .pan(-0.1)
                .reverb(0.45),
            reverb: ReverbSettings {
                room_size: 20.0,
                time: 2.5,
                damping: 0.5,
            },
            drum_style: Some(DrumStyle::Orchestral),
        }
    }

    /// Synth bass, saw leads and a punchy kit in a tight room: combat, chase.
    pub fn battle() -> Palette {
        Palette {
            name: "battle".into(),
            drums: Instrument::drums(DrumKit::Punchy).gain(0.7).reverb(0.08),
            bass: Instrument::voice(Voice::SynthBass, Adsr::new(0.003, 0.25, 0.7, 0.08)).gain(0.5),
            harmony: Instrument::voice(Voice::Brass, Adsr::new(0.01, 0.3, 0.6, 0.15))
                .gain(0.28)
                .pan(-0.25)
                .reverb(0.15),
            melody: Instrument::voice(Voice::SawLead, Adsr::new(0.005, 0.2, 0.85, 0.12))
                .gain(0.33)
                .pan(0.15)
                .reverb(0.2),
            texture: Instrument::voice(Voice::WarmPad, Adsr::new(0.3, 0.6, 0.7, 0.5))
                .gain(0.18)
                .reverb(0.3),
            reverb: ReverbSettings {
                room_size: 12.0,
                time: 1.2,
                damping: 0.4,
            },
            drum_style: Some(DrumStyle::Rock),
        }
    }

    /// Square, pulse and triangle voices with noise drums, nearly dry: retro.
    pub fn chiptune() -> Palette {
        let dry = |voice, env| Instrument {
            velocity_curve: 0.6,
            ..Instrument::voice(voice, env)
        };
        Palette {
            name: "chiptune".into(),
            drums: Instrument::drums(DrumKit::Chip).gain(0.45),
            bass: dry(Voice::ChipTriangle, Adsr::new(0.001, 0.1, 0.9, 0.03)).gain(0.6),
            harmony: dry(Voice::ChipPulse, Adsr::new(0.001, 0.15, 0.5, 0.04))
                .gain(0.22)
                .pan(-0.3),
            melody: dry(Voice::ChipSquare, Adsr::new(0.001, 0.1, 0.8, 0.04))
                .gain(0.3)
                .pan(0.2)
                .reverb(0.05),
            texture: dry(Voice::ChipPulse, Adsr::new(0.05, 0.3, 0.6, 0.2))
                .gain(0.12)
                .reverb(0.1),
            reverb: ReverbSettings {
                room_size: 10.0,
                time: 0.6,
                damping: 0.3,
            },
            drum_style: Some(DrumStyle::Electronic),
        }
    }
}
