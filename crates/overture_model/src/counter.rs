//! The counter-line: a fourth pitched part for the `texture` role (pads,
//! counter-melodies, sustained lines), written by a small causal transformer
//! learned from POP909's `BRIDGE` track (the secondary melodies and
//! instrumental lines of 909 pop songs; Wang et al., ISMIR 2020; MIT).
//!
//! It plays after the composer has written a section, sixteenth-note step by
//! step, one note at a time. At each step it hears what is already there and
//! predicts whether its line rests, holds the note before, or starts a new
//! note (a pitch from G3 to C6 in the key-normalized frame, [`line::RANGE`]):
//! - the **chord** sounding at the step and the **melody** (whether a note
//!   starts there, the pitch it sings), so the line answers the melody and
//!   follows the chords;
//! - the step's place in its **bar** and four-bar **phrase**, the
//!   **section** (intro, main, outro) and the **mode**;
//! - each bar's **density** and **sounding share**, as quantiles of the
//!   corpus lines' bars (the calibration in the model file): a mood's arousal
//!   and intensity raise both, so calm and quiet moods get sparse, sustained
//!   lines; intros start at half and build, outros thin out.
//!
//! Drawing is seeded and held to the key: pitches outside the key's scale
//! (the leading tone allowed in minor) are never drawn, and on beats 1 and 3
//! the current chord's tones get a bonus, as the composer's own parts do,
//! and so do notes a step (at most two semitones) from the line's last
//! pitch ([`STEP_BIAS`], as the composer's melody has one). A
//! bar holds at most half as many onsets again as it asked for
//! ([`max_onsets`]), as the composer caps its bars' note counts. An
//! outro's last bar is one tonic-chord tone held from its downbeat to the
//! end. Where a main section's second eight-bar phrase returns to the first
//! bars of the one before (the composer's form, [`RESTATE_BARS`]), the line
//! returns with it. Elsewhere in a main section it follows a form plan of
//! its own, learned from the `BRIDGE` lines ([`plan`]): a planned bar
//! repeats an earlier bar's rhythm (new pitches) or restates its notes
//! moved by one transposition onto the new chord. Stingers get no
//! counter-line.
//!
//! ```
//! use overture_core::{mood::Mood, section::SectionKind, track::Role};
//! use overture_model::{Composer, Request};
//!
//! let composer = Composer::bundled()?;
//! let mut request = Request::new(Mood::new(0.3, 0.2)?, SectionKind::Main);
//! request.bars = 4;
//! let section = composer.compose(&request)?;
//! assert!(!section.track(Role::Texture).unwrap().notes.is_empty());
//! // Asked not to, the composer writes no texture part.
//! request.counter_line = false;
//! assert!(composer.compose(&request)?.track(Role::Texture).is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod context;
pub mod eval;
pub mod file;
pub mod line;
pub mod network;
pub mod plan;
pub mod train;

use std::path::Path;

use candle_nn::VarMap;
use overture_core::{
    arrangement::Arrangement,
    section::SectionKind,
    track::{Role, Track},
};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use crate::{checkpoint, drums::energy, error::ModelError, form_plan::BarPlan};
use context::{StepContext, is_chord_tone, scale};
use file::CounterFile;
use line::{CLASSES, Event, Line, RANGE, STEPS_PER_BAR};
use network::{CounterNet, CounterStepper};
use plan::StepForm;

/// How the bundled counter-line is named in errors and provenance.
pub const COUNTER_ORIGIN: &str = "<bundled>/pop909-counter";

/// The temperature events are drawn at.
pub const TEMPERATURE: f32 = 0.9;

/// Logit bonus for the current chord's tones on beats 1 and 3 (the
/// composer's default chord-tone bias).
pub const CHORD_TONE_BIAS: f32 = 1.5;

/// Logit bonus for a new note within two semitones of the line's last
/// pitch (the composer's melody has the same kind of step bias). Chosen with
/// `overture eval-counter` as the bias whose stepwise share comes nearest
/// the held-out `BRIDGE` lines' (0.549 against 0.538; 0.331 without, 0.473
/// at 0.5, 0.614 at 1.0).
pub const STEP_BIAS: f32 = 0.75;

/// A trained counter-line, ready to play.
pub struct CounterLine {
    net: CounterNet,
    stepper: CounterStepper,
    file: CounterFile,
    _varmap: VarMap,
}

impl std::fmt::Debug for CounterLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CounterLine")
            .field("name", &self.file.name)
            .finish_non_exhaustive()
    }
}

/// What a counter-line is asked to play over an arrangement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CounterRequest {
    /// The mood's arousal in [-1, 1].
    pub arousal: f32,
    /// Intensity in [0, 1].
    pub intensity: f32,
    /// Seed: the same arrangement, request and seed give the same line.
    pub seed: u64,
    /// Whether a main section follows form plans drawn from the `BRIDGE`
    /// lines' ([`plan`]); the composer passes its request's
    /// [`form_plan`](crate::Request::form_plan).
    pub form_plan: bool,
}

impl CounterLine {
    /// Loads `NAME.safetensors` and `NAME.json` (either path, or the stem).
    ///
    /// # Errors
    ///
    /// [`ModelError::Weights`], naming the file, when a file is missing or
    /// unreadable; when the JSON is not a counter-line file (`not a
    /// counter-line model file: …`), has another format version (`format:
    /// expected 1, found N`), an impossible shape (`config: d_model (64) must
    /// be a positive multiple of n_heads (5)`) or a broken calibration; when
    /// the weights are shorter than the shape needs (checked before any
    /// memory is taken for the network), are not safetensors (`not a valid
    /// safetensors file`), or miss or misshape a tensor.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ModelError> {
        let (file, bytes, weights) =
            checkpoint::read_model_files(path.as_ref(), "counter-line", CounterFile::parse)?;
        let (varmap, net) = file::load_network(&file, &bytes, &weights)?;
        Self::from_parts(net, varmap, file)
    }

    /// Loads a counter-line from its files' contents, named after `origin`
    /// (a path without extension) in errors.
    pub fn from_bytes(weights: &[u8], config: &str, origin: &Path) -> Result<Self, ModelError> {
        let file = CounterFile::parse(config, &checkpoint::with_suffix(origin, ".json"))?;
        let (varmap, net) = file::load_network(
            &file,
            weights,
            &checkpoint::with_suffix(origin, ".safetensors"),
        )?;
        Self::from_parts(net, varmap, file)
    }

    /// The counter-line compiled into this crate; an error when the
    /// `bundled` feature is off.
    pub fn bundled() -> Result<Self, ModelError> {
        let (weights, config) = crate::bundled::counter()?;
        Self::from_bytes(weights, config, Path::new(COUNTER_ORIGIN))
    }

    /// A counter-line from a network in memory (training, tests).
    ///
    /// Fails only if the network's weights are not f32.
    pub fn from_parts(
        net: CounterNet,
        varmap: VarMap,
        file: CounterFile,
    ) -> Result<Self, ModelError> {
        Ok(Self {
            stepper: CounterStepper::new(&net)?,
            net,
            file,
            _varmap: varmap,
        })
    }

    /// The model file: shape, calibration and training record.
    pub fn file(&self) -> &CounterFile {
        &self.file
    }

    /// Writes the `texture` track for `arr` (see the [module docs](self));
    /// `None` for stingers, meters other than 4/4 and empty sections. A main
    /// section with `request.form_plan` follows plans drawn from the bundled
    /// table ([`plan::section_plan`]).
    pub fn play(
        &self,
        arr: &Arrangement,
        request: &CounterRequest,
    ) -> Result<Option<Track>, ModelError> {
        let bars = arr.bars.min(crate::composer::MAX_BARS) as usize;
        let plans = plan::section_plan(
            plan::bundled(),
            arr.section,
            bars,
            request.seed,
            request.form_plan,
        );
        self.play_planned(arr, request, &plans)
    }

    /// [`play`](Self::play) with each bar's plan given: `plans[b]` for bar
    /// `b` (bar numbers counted from the section's start; missing bars are
    /// free), whatever the section and `request.form_plan`. A bar that
    /// returns to the one [`RESTATE_BARS`] before it does so whatever its
    /// plan.
    pub fn play_planned(
        &self,
        arr: &Arrangement,
        request: &CounterRequest,
        plans: &[BarPlan],
    ) -> Result<Option<Track>, ModelError> {
        if arr.section == SectionKind::Stinger
            || arr.meter.ticks_per_bar() != line::BAR_TICKS
            || arr.bars == 0
        {
            return Ok(None);
        }
        let bars = arr.bars.min(crate::composer::MAX_BARS) as usize;
        let plans = &plans[..plans.len().min(bars)];
        let k = i32::from(arr.key.tonic.index());
        let shift = if k > 6 { k - 12 } else { k };
        let asked = self.plan(arr.section, bars, request);
        let contexts = context::from_arrangement(arr, shift, &asked);
        let restated = restated_bars(arr, bars);
        let mut line = self.sample(&contexts, &restated, plans, request.seed)?;
        if arr.section == SectionKind::Outro {
            final_note(&mut line, !arr.key.mode.is_major());
        }
        let velocities = bar_velocities(arr, bars);
        let mut track = Track::new(Role::Texture);
        track.notes = line.to_notes(shift, |step| {
            let accent = if step % STEPS_PER_BAR == 0 { 4 } else { 0 };
            velocities[step / STEPS_PER_BAR]
                .saturating_add(accent)
                .min(127)
        });
        track.sort();
        Ok(Some(track))
    }

    /// Each bar's `(density, sounding)` asked for: arousal and intensity
    /// pick quantiles of the corpus bars, intros build, outros thin out.
    fn plan(&self, section: SectionKind, bars: usize, r: &CounterRequest) -> Vec<(f32, f32)> {
        let e = energy(r.arousal, r.intensity);
        let cal = &self.file.calibration;
        (0..bars)
            .map(|bar| {
                let scale = match section {
                    SectionKind::Intro => 0.5 + 0.5 * (bar + 1) as f32 / bars as f32,
                    SectionKind::Outro => 1.0 - 0.5 * bar as f32 / bars as f32,
                    _ => 1.0,
                };
                (
                    cal.density_at((0.1 + 0.8 * e) * scale),
                    cal.sounding_at((0.3 + 0.5 * e) * scale),
                )
            })
            .collect()
    }

    /// Samples one step after another with the network's cache; when the
    /// cache is full it is rebuilt from the last half window.
    /// A bar marked in `restated` repeats the line of the bar
    /// [`RESTATE_BARS`] before it (a note it holds past its end included);
    /// any other bar follows its plan in `plans` ([`plan::bar_form`]). The
    /// network is fed every event written, drawn or not.
    fn sample(
        &self,
        contexts: &[StepContext],
        restated: &[bool],
        plans: &[BarPlan],
        seed: u64,
    ) -> Result<Line, ModelError> {
        let window = self.net.config().window;
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0063_6f75_6e74_6572);
        let mut line = Line::silent(contexts.len());
        let mut state = self.stepper.state();
        // The first step whose input is in the cache; it sees no previous
        // event, as a training window's first does not.
        let mut fed = 0usize;
        let mut last: Option<u8> = None;
        let back = RESTATE_BARS * STEPS_PER_BAR;
        let mut copying = false;
        let mut form = [StepForm::Free; STEPS_PER_BAR];
        for s in 0..contexts.len() {
            if s - fed == window {
                state = self.stepper.state();
                fed = s - window / 2;
                for (i, &context) in contexts.iter().enumerate().take(s).skip(fed) {
                    let prev = (i > fed).then(|| line.events[i - 1]);
                    self.stepper.step((prev, context), &mut state)?;
                }
            }
            let prev = (s > fed).then(|| line.events[s - 1]);
            let logits = self.stepper.step((prev, contexts[s]), &mut state)?;
            let sounding = s > 0 && line.events[s - 1] != Event::Rest;
            let bar = s - s % STEPS_PER_BAR;
            if s == bar {
                let b = s / STEPS_PER_BAR;
                let chord = contexts[bar..bar + STEPS_PER_BAR]
                    .iter()
                    .find_map(|c| c.chord);
                form = match plans.get(b) {
                    Some(&p) if !restated[b] => plan::bar_form(&line, p, chord, contexts[s].minor),
                    _ => [StepForm::Free; STEPS_PER_BAR],
                };
            }
            let step_form = form[s - bar];
            let onsets = line.events[bar..s]
                .iter()
                .filter(|e| matches!(e, Event::Note(_)))
                .count();
            let full = onsets >= max_onsets(contexts[s].density);
            let source = s.checked_sub(back).map(|x| line.events[x]);
            let (starting, was_copying) = (!copying, copying);
            let onset_forced =
                matches!(step_form, StepForm::Onset | StepForm::Event(Event::Note(_)));
            copying = match source {
                Some(_) if restated[s / STEPS_PER_BAR] => true,
                // A note held across the end of a restated run goes on,
                // into a planned bar too, up to the plan's first onset.
                Some(Event::Hold) => copying && !onset_forced,
                _ => false,
            };
            line.events[s] = match source.filter(|_| copying) {
                // A run that opens on a held note: that note's pitch.
                Some(Event::Hold) if starting => {
                    line.pitches()[s - back].map_or(Event::Rest, Event::Note)
                }
                Some(e) => e,
                None => match step_form {
                    // A restated hold after a rest is a rest.
                    StepForm::Event(Event::Hold) if !sounding => Event::Rest,
                    StepForm::Event(e) => e,
                    // Where a copied note ends, no hold lengthens it.
                    _ => draw(
                        logits,
                        &contexts[s],
                        sounding && !was_copying,
                        full,
                        match step_form {
                            StepForm::Onset => Some(true),
                            StepForm::NoOnset => Some(false),
                            _ => None,
                        },
                        last,
                        &mut rng,
                    ),
                },
            };
            if let Event::Note(p) = line.events[s] {
                last = Some(p);
            }
        }
        Ok(line)
    }
}

/// How far back a restated bar's model lies, in bars: a main section's
/// second eight-bar phrase returns to the first bars of the one before
/// (see [`crate::composer`]).
pub const RESTATE_BARS: usize = 8;

/// Which bars of `arr` restate the bar [`RESTATE_BARS`] before them: main
/// sections' bars whose melody, bass and harmony notes and chords are those
/// of that bar again, moved by whole bars (and not all silent).
fn restated_bars(arr: &Arrangement, bars: usize) -> Vec<bool> {
    let bar_ticks = line::BAR_TICKS;
    let in_bar = |b: usize| -> Vec<(u32, u8, u32, Role)> {
        let (lo, hi) = (b as u32 * bar_ticks, (b as u32 + 1) * bar_ticks);
        arr.tracks
            .iter()
            .filter(|t| matches!(t.role, Role::Melody | Role::Bass | Role::Harmony))
            .flat_map(|t| {
                t.notes
                    .iter()
                    .filter(move |n| (lo..hi).contains(&n.start))
                    .map(move |n| (n.start - lo, n.pitch, n.duration, t.role))
            })
            .collect()
    };
    let chords_in = |b: usize| -> Vec<_> {
        let (lo, hi) = (b as u32 * bar_ticks, (b as u32 + 1) * bar_ticks);
        arr.chords
            .iter()
            .filter(|c| (lo..hi).contains(&c.start))
            .map(|c| (c.start - lo, c.chord))
            .collect()
    };
    (0..bars)
        .map(|b| {
            arr.section == SectionKind::Main && b >= RESTATE_BARS && {
                let notes = in_bar(b);
                !notes.is_empty()
                    && notes == in_bar(b - RESTATE_BARS)
                    && chords_in(b) == chords_in(b - RESTATE_BARS)
            }
        })
        .collect()
}

/// The most onsets a bar asked for `density` may hold: half as many again
/// as asked (at least one), so a network that plays busier than asked is
/// held near the mood's density.
pub fn max_onsets(density: f32) -> usize {
    ((density * 8.0 * 1.5).ceil() as usize).max(1)
}

/// Draws one step's event: out-of-key pitches and a hold after a rest are
/// never drawn, nor a new note in a `full` bar; chord tones get
/// [`CHORD_TONE_BIAS`] on beats 1 and 3, and notes a step from the `last`
/// pitch [`STEP_BIAS`]. `onset` `Some(true)` draws only a new note (even
/// in a full bar), `Some(false)` never one.
fn draw(
    logits: &[f32],
    c: &StepContext,
    sounding: bool,
    full: bool,
    onset: Option<bool>,
    last: Option<u8>,
    rng: &mut ChaCha8Rng,
) -> Event {
    let allowed = scale(c.minor);
    let strong = c.position.is_multiple_of(8);
    let mut weights = [0f64; CLASSES];
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for (class, w) in weights.iter_mut().enumerate() {
        let event = Event::from_class(class);
        let mut z = logits[class];
        match event {
            Event::Hold if !sounding => continue,
            Event::Rest | Event::Hold if onset == Some(true) => continue,
            Event::Note(p) => {
                if onset == Some(false)
                    || (full && onset.is_none())
                    || !allowed[usize::from(p % 12)]
                {
                    continue;
                }
                if strong && c.chord.is_some_and(|ch| is_chord_tone(&ch, p)) {
                    z += CHORD_TONE_BIAS;
                }
                if last.is_some_and(|l| l.abs_diff(p) <= 2) {
                    z += STEP_BIAS;
                }
            }
            _ => {}
        }
        *w = f64::from((z - max) / TEMPERATURE).exp();
    }
    let total: f64 = weights.iter().sum();
    let u = f64::from(rng.next_u32() >> 8) / f64::from(1u32 << 24) * total;
    let mut acc = 0.0;
    for (class, w) in weights.iter().enumerate() {
        acc += w;
        if *w > 0.0 && u < acc {
            return Event::from_class(class);
        }
    }
    Event::Rest
}

/// An outro's last bar: one tonic-chord tone, the one nearest the line's
/// last pitch, from the bar's downbeat to the end.
fn final_note(line: &mut Line, minor: bool) {
    let steps = line.events.len();
    let last = steps - STEPS_PER_BAR;
    let before = line.pitches()[..last].iter().rev().find_map(|p| *p);
    let third = if minor { 3 } else { 4 };
    let target = i32::from(before.unwrap_or(67));
    let pitch = (RANGE.0..=RANGE.1)
        .filter(|p| [0, third, 7].contains(&(p % 12)))
        .min_by_key(|&p| ((i32::from(p) - target).abs(), p))
        .expect("the range holds a tonic chord");
    line.events[last] = Event::Note(pitch);
    for e in &mut line.events[last + 1..] {
        *e = Event::Hold;
    }
}

/// Each bar's velocity for the line: a little under the mean velocity of the
/// notes the composer started in the bar (60 in an empty bar).
fn bar_velocities(arr: &Arrangement, bars: usize) -> Vec<u8> {
    let bar_ticks = line::BAR_TICKS;
    let mut sums = vec![(0u32, 0u32); bars];
    for t in arr
        .tracks
        .iter()
        .filter(|t| matches!(t.role, Role::Melody | Role::Bass | Role::Harmony))
    {
        for n in &t.notes {
            if let Some(s) = sums.get_mut((n.start / bar_ticks) as usize) {
                s.0 += u32::from(n.velocity);
                s.1 += 1;
            }
        }
    }
    sums.iter()
        .map(|&(sum, n)| {
            sum.checked_div(n)
                .map_or(60, |mean| mean.saturating_sub(8).clamp(30, 110) as u8)
        })
        .collect()
}
