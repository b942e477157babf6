//! Instruments: how one note of a track becomes sound.
//!
//! A built-in [`Voice`] is a small fundsp graph built per note (oscillators,
//! filters, noise) whose amplitude follows the instrument's [`Adsr`]. A
//! [`DrumKit`] maps General MIDI percussion keys to synthesized drums. A
//! [`Source::SoundFont`] plays a preset from an `.sf2` file through rustysynth.

// fundsp graphs read `a * gain >> filter` as "scale, then filter" (`*` binds first),
// the notation fundsp's own documentation uses.
#![allow(clippy::precedence)]

use std::path::PathBuf;

use fundsp::prelude32::*;

use crate::{
    envelope::Adsr,
    filter::{bandpass_hz, highpass_hz, lowpass_hz},
    oscillator::{pulse_hz, saw_hz, sine_hz, square_hz},
};

/// A band-limited triangle: its first four odd harmonics.
fn triangle_hz(f: f32) -> An<impl AudioNode<Inputs = U0, Outputs = U1>> {
    sine_hz(f) * 0.811 - sine_hz(3.0 * f) * 0.0901 + sine_hz(5.0 * f) * 0.0324
        - sine_hz(7.0 * f) * 0.0166
}

/// A frequency-driven sine oscillator with a 64-bit phase accumulator.
fn sine64() -> An<impl AudioNode<Inputs = U1, Outputs = U1>> {
    fundsp::prelude::sine::<f64>()
}

/// A built-in melodic voice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Voice {
    /// Electric-piano-like sine partials.
    SoftKeys,
    /// Three detuned saws through a gentle low-pass.
    WarmPad,
    /// Two detuned saws, a string-section tone.
    Strings,
    /// A bright saw with a velocity-opened filter.
    Brass,
    /// A plucked string (Karplus–Strong).
    Harp,
    /// A near-sine flute with a breathy partial.
    Flute,
    /// Inharmonic partials with a long ring.
    Bell,
    /// A low drum pitched by the note.
    Timpani,
    /// Saw and square through a resonant low-pass.
    SynthBass,
    /// A round sine sub-bass with a hint of the octave.
    SubBass,
    /// Two detuned saws, a cutting lead.
    SawLead,
    /// A square wave, as on old consoles.
    ChipSquare,
    /// A 25% pulse wave.
    ChipPulse,
    /// A triangle wave, the classic console bass.
    ChipTriangle,
}

/// The drum kit flavours of the built-in percussion synthesizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DrumKit {
    /// Soft, lowpassed kit (brushes and mallets feel).
    Soft,
    /// Concert percussion: deep bass drum, orchestral cymbals.
    Orchestral,
    /// Punchy electronic kit with a clicky kick and bright snare.
    Punchy,
    /// Console-style noise and square drums.
    Chip,
}

/// Where an instrument's sound comes from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Source {
    /// A built-in synthesized voice.
    Voice(Voice),
    /// The built-in drum synthesizer, mapped from General MIDI percussion keys.
    Drums(DrumKit),
    /// A preset of a SoundFont 2 file.
    SoundFont {
        /// The `.sf2` file.
        path: PathBuf,
        /// The bank (128 for percussion in General MIDI SoundFonts).
        bank: u8,
        /// The preset (General MIDI program, 0-based).
        preset: u8,
    },
}

/// One instrument of a palette: a sound source and how it is played and mixed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Instrument {
    /// The sound.
    pub source: Source,
    /// Amplitude envelope of built-in voices (drums use their own per-drum envelopes).
    pub envelope: Adsr,
    /// Level in the mix, linear.
    pub gain: f32,
    /// Stereo position, −1 (left) … 1 (right).
    pub pan: f32,
    /// How strongly velocity changes loudness: level = (velocity/127)^`velocity_curve`;
    /// 0 ignores velocity.
    pub velocity_curve: f32,
    /// Share of the signal sent to the palette's reverb, 0..=1.
    pub reverb_send: f32,
}

impl Instrument {
    /// A built-in voice with default mixing (centre, no reverb, gain 0.5, velocity curve 1.5).
    pub fn voice(voice: Voice, envelope: Adsr) -> Self {
        Self {
            source: Source::Voice(voice),
            envelope,
            gain: 0.5,
            pan: 0.0,
            velocity_curve: 1.5,
            reverb_send: 0.0,
        }
    }

    /// The built-in drum kit with default mixing.
    pub fn drums(kit: DrumKit) -> Self {
        Self {
            source: Source::Drums(kit),
            envelope: Adsr::new(0.001, 0.3, 0.0, 0.05),
            gain: 0.6,
            pan: 0.0,
            velocity_curve: 1.2,
            reverb_send: 0.1,
        }
    }

    /// Sets the gain.
    #[must_use]
    pub fn gain(mut self, gain: f32) -> Self {
        self.gain = gain;
        self
    }

    /// Sets the pan.
    #[must_use]
    pub fn pan(mut self, pan: f32) -> Self {
        self.pan = pan;
        self
    }

    /// Sets the reverb send.
    #[must_use]
    pub fn reverb(mut self, send: f32) -> Self {
        self.reverb_send = send;
        self
    }

    /// Level for a MIDI velocity.
    pub fn velocity_gain(&self, velocity: u8) -> f32 {
        (f32::from(velocity.clamp(1, 127)) / 127.0).powf(self.velocity_curve.max(0.0))
    }
}

/// A mono fundsp unit for one note of a built-in voice at `freq` Hz.
/// `brightness` in 0..=1 (from velocity) opens filters.
pub fn voice_unit(voice: Voice, freq: f32, brightness: f32) -> Box<dyn AudioUnit> {
    let f = freq;
    let b = brightness.clamp(0.0, 1.0);
    let cut = |mult: f32, min: f32| (f * mult).clamp(min, 16_000.0);
    match voice {
        Voice::SoftKeys => Box::new(
            sine_hz(f) * 0.7 + sine_hz(2.0 * f) * (0.15 + 0.15 * b) + sine_hz(3.0 * f) * (0.05 * b),
        ),
        Voice::WarmPad => Box::new(
            (saw_hz(f) + saw_hz(f * 1.004) + saw_hz(f * 0.996)) * 0.33
                >> lowpass_hz(cut(2.5 + 2.0 * b, 300.0), 0.6),
        ),
        Voice::Strings => Box::new(
            (saw_hz(f) + saw_hz(f * 1.003)) * 0.5 >> lowpass_hz(cut(3.0 + 3.0 * b, 400.0), 0.5),
        ),
        Voice::Brass => Box::new(
            (saw_hz(f) * 0.8 + square_hz(f) * 0.2) >> lowpass_hz(cut(2.0 + 5.0 * b, 300.0), 0.9),
        ),
        Voice::Harp => Box::new(zero() >> pluck(f, 0.4, 0.3 + 0.5 * (1.0 - b))),
        Voice::Flute => Box::new(
            sine_hz(f) * 0.85
                + sine_hz(2.0 * f) * 0.1
                + (noise() >> bandpass_hz(cut(2.0, 200.0), 2.0)) * (0.03 + 0.03 * b),
        ),
        Voice::Bell => {
            Box::new(sine_hz(f) * 0.6 + sine_hz(f * 2.76) * 0.25 + sine_hz(f * 5.4) * 0.1 * b)
        }
        Voice::Timpani => Box::new(
            (envelope(move |t: f32| f * (1.0 + 0.08 * exp(-t * 12.0))) >> sine64()) * 0.8
                + (noise() >> lowpass_hz(cut(3.0, 200.0), 0.7)) * 0.15,
        ),
        Voice::SynthBass => Box::new(
            (saw_hz(f) * 0.6 + square_hz(f) * 0.4) >> lowpass_hz(cut(2.0 + 6.0 * b, 120.0), 1.4),
        ),
        Voice::SubBass => Box::new(sine_hz(f) * 0.9 + triangle_hz(2.0 * f) * 0.1),
        Voice::SawLead => Box::new(
            (saw_hz(f) + saw_hz(f * 1.006) * 0.7) * 0.6
                >> lowpass_hz(cut(5.0 + 6.0 * b, 800.0), 0.8),
        ),
        Voice::ChipSquare => Box::new(square_hz(f) * 0.5),
        Voice::ChipPulse => Box::new(pulse_hz(f, 0.25) * 0.5),
        Voice::ChipTriangle => Box::new(triangle_hz(f) * 0.8),
    }
}

/// The drum sounds of the built-in kit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DrumSound {
    /// Bass drum.
    Kick,
    /// Snare drum.
    Snare,
    /// Hand clap.
    Clap,
    /// Side stick.
    Rim,
    /// Closed hi-hat.
    HatClosed,
    /// Pedal hi-hat.
    HatPedal,
    /// Open hi-hat.
    HatOpen,
    /// A tom at a pitch in Hz.
    Tom(u16),
    /// Crash cymbal.
    Crash,
    /// Ride cymbal.
    Ride,
}

impl DrumSound {
    /// The drum a General MIDI percussion key plays (unknown keys fall back to
    /// the nearest family).
    pub fn from_gm(key: u8) -> DrumSound {
        match key {
            0..=36 => DrumSound::Kick,
            37 => DrumSound::Rim,
            38 | 40 => DrumSound::Snare,
            39 => DrumSound::Clap,
            41 | 43 => DrumSound::Tom(90),
            45 | 47 => DrumSound::Tom(120),
            48 | 50 => DrumSound::Tom(160),
            42 => DrumSound::HatClosed,
            44 => DrumSound::HatPedal,
            46 => DrumSound::HatOpen,
            49 | 52 | 55 | 57 => DrumSound::Crash,
            51 | 53 | 59 => DrumSound::Ride,
            54 | 56 | 58 => DrumSound::HatClosed,
            _ => DrumSound::Rim,
        }
    }
}

/// A mono fundsp unit and its amplitude envelope for one drum hit.
pub fn drum_unit(kit: DrumKit, sound: DrumSound, brightness: f32) -> (Box<dyn AudioUnit>, Adsr) {
    let b = brightness.clamp(0.0, 1.0);
    let soft = matches!(kit, DrumKit::Soft);
    let chip = matches!(kit, DrumKit::Chip);
    let decay_scale = match kit {
        DrumKit::Soft => 0.8,
        DrumKit::Orchestral => 1.4,
        DrumKit::Punchy => 1.0,
        DrumKit::Chip => 0.6,
    };
    let perc = |decay: f32| Adsr::new(0.0005, decay * decay_scale, 0.0, 0.02);
    match sound {
        DrumSound::Kick => {
            let (lo, hi, drop) = match kit {
                DrumKit::Orchestral => (42.0, 70.0, 18.0),
                DrumKit::Punchy => (48.0, 160.0, 30.0),
                DrumKit::Soft => (55.0, 90.0, 25.0),
                DrumKit::Chip => (55.0, 220.0, 40.0),
            };
            let body: Box<dyn AudioUnit> = if chip {
                Box::new(
                    (fundsp::prelude::envelope(move |t: f64| {
                        f64::from(lo) + f64::from(hi) * (-t * f64::from(drop)).exp()
                    }) >> fundsp::prelude::poly_square::<f64>())
                        * 0.6,
                )
            } else {
                Box::new(
                    (envelope(move |t: f32| lo + hi * exp(-t * drop)) >> sine64()) * 0.95
                        + (noise() >> lowpass_hz(3_000.0, 0.7))
                            * (if soft { 0.0 } else { 0.08 + 0.1 * b }),
                )
            };
            (
                body,
                perc(if matches!(kit, DrumKit::Orchestral) {
                    0.9
                } else {
                    0.45
                }),
            )
        }
        DrumSound::Snare => {
            let unit: Box<dyn AudioUnit> = if chip {
                Box::new(noise() * 0.5)
            } else {
                Box::new(
                    (noise() >> bandpass_hz(if soft { 1_800.0 } else { 2_600.0 }, 0.6))
                        * (0.6 + 0.3 * b)
                        + (envelope(|t: f32| 185.0 + 60.0 * exp(-t * 40.0)) >> sine64()) * 0.45,
                )
            };
            (unit, perc(0.22))
        }
        DrumSound::Clap => (
            Box::new(noise() >> bandpass_hz(1_200.0, 1.2) * 0.9),
            perc(0.16),
        ),
        DrumSound::Rim => (
            Box::new((noise() >> bandpass_hz(1_900.0, 3.0)) * 0.6 + sine_hz(820.0) * 0.3),
            perc(0.05),
        ),
        DrumSound::HatClosed | DrumSound::HatPedal | DrumSound::HatOpen => {
            let decay = match sound {
                DrumSound::HatClosed => 0.07,
                DrumSound::HatPedal => 0.05,
                _ => 0.5,
            };
            let unit: Box<dyn AudioUnit> = if chip {
                Box::new(noise() >> highpass_hz(6_000.0, 0.7) * 0.5)
            } else {
                Box::new(
                    noise()
                        >> highpass_hz(if soft { 6_000.0 } else { 8_000.0 }, 0.8)
                            * (0.35 + 0.2 * b),
                )
            };
            (unit, perc(decay))
        }
        DrumSound::Tom(hz) => {
            let hz = f32::from(hz);
            let unit: Box<dyn AudioUnit> = if chip {
                Box::new((envelope(move |t: f32| hz * (1.0 + exp(-t * 20.0))) >> sine64()) * 0.7)
            } else {
                Box::new(
                    (envelope(move |t: f32| hz * (1.0 + 0.5 * exp(-t * 25.0))) >> sine64()) * 0.85
                        + (noise() >> lowpass_hz(1_500.0, 0.7)) * 0.05,
                )
            };
            (unit, perc(0.5))
        }
        DrumSound::Crash => (
            Box::new(noise() >> highpass_hz(4_500.0, 0.6) * (0.35 + 0.15 * b)),
            perc(if chip { 0.6 } else { 1.8 }),
        ),
        DrumSound::Ride => (
            Box::new((noise() >> bandpass_hz(6_500.0, 1.5)) * 0.3 + sine_hz(3_150.0) * 0.05),
            perc(1.1),
        ),
    }
}
