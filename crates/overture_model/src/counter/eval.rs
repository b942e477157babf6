//! Measuring the counter-line: its form (the melody's statistics, by the same
//! code, [`MelodyForm`]), how well it sits in the key and on the chords, and
//! how busy it is, on generated main sections and on the held-out POP909
//! songs' `BRIDGE` lines.
//!
//! * **Held-out side**: every 8-bar main window of the held-out songs (one
//!   per phrase start, as for the melody's form,
//!   [`corpus::segments`]) in which the `BRIDGE`
//!   line starts a note in at least half of the bars (the track is silent
//!   through much of many songs, and a window of rests has no form to
//!   measure). The line is read as the network learns it ([`Line::from_bars`]:
//!   top note per onset, moved by octaves into the range).
//! * **Generated side**: 8-bar main sections from the composer with its
//!   counter-line, over a grid of moods and seeds; the `texture` track,
//!   following its form plans ([`super::plan`]) as the composer plays it,
//!   and beside it the unconstrained line: the same sections' texture
//!   written again with the plans off (a constraint that forces a statistic
//!   is reported beside the number without it).
//! * **In key**: the share of notes whose pitch class is in the key's scale
//!   (the leading tone counts in minor); **chord tones on strong beats**: of
//!   the notes starting on beat 1 or 3 while a chord sounds, the share that
//!   are its tones; both as
//!   [`overture_core::analysis`] defines them for whole arrangements, here
//!   for the texture line alone, pooled over windows.

use overture_core::{
    analysis,
    arrangement::Arrangement,
    chord::ChordSpan,
    key::{Key, Mode, PitchClass},
    mood::Mood,
    section::SectionKind,
    time::{Meter, TICKS_PER_SIXTEENTH, Tempo},
    track::{Role, Track},
};

use super::{
    CounterLine, CounterRequest,
    line::{BAR_TICKS, Line, STEPS_PER_BAR},
    plan::plays_in_half,
    train::{LineSong, held_out_loss},
};
use crate::{
    Composer, Request,
    corpus::{self, GridSong},
    error::ModelError,
    form::MelodyForm,
    tokens::TokenMode,
};

/// Bars per measured window.
pub const WINDOW_BARS: usize = 8;

/// Statistics of a set of texture lines, pooled over windows.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LineStats {
    /// The form counts ([`MelodyForm`], as for the melody).
    pub form: MelodyForm,
    /// Notes measured.
    pub notes: usize,
    /// Of those, notes in the key.
    pub in_key: usize,
    /// Notes starting on a strong beat while a chord sounds.
    pub strong: usize,
    /// Of those, chord tones.
    pub strong_chord_tones: usize,
    /// Sixteenth steps at which a note sounds.
    pub sounding_steps: usize,
}

impl LineStats {
    /// Adds one window's texture line (the `texture` track of `arr`, with
    /// its key and chords).
    pub fn add(&mut self, arr: &Arrangement) {
        self.form.add(&MelodyForm::of_track(arr, Role::Texture));
        let Some(track) = arr.track(Role::Texture) else {
            return;
        };
        let alone = Arrangement {
            tracks: vec![track.clone()],
            ..arr.clone()
        };
        let n = track.notes.len();
        self.notes += n;
        self.in_key += (analysis::in_key_ratio(&alone) * n as f64).round() as usize;
        let strong = track
            .notes
            .iter()
            .filter(|note| {
                let in_bar = note.start % BAR_TICKS;
                (in_bar == 0 || in_bar == BAR_TICKS / 2)
                    && arr
                        .chords
                        .iter()
                        .any(|c| c.start <= note.start && note.start < c.start + c.duration)
            })
            .count();
        let ratio = analysis::chord_tone_ratio_strong_beats(&alone);
        self.strong += strong;
        if strong > 0 {
            self.strong_chord_tones += (ratio * strong as f64).round() as usize;
        }
        let steps = arr.bars as usize * STEPS_PER_BAR;
        let mut sounding = vec![false; steps];
        for note in &track.notes {
            let s = (note.start / TICKS_PER_SIXTEENTH) as usize;
            let e = (note.end().div_ceil(TICKS_PER_SIXTEENTH) as usize).min(steps);
            for x in sounding.iter_mut().take(e).skip(s) {
                *x = true;
            }
        }
        self.sounding_steps += sounding.iter().filter(|&&x| x).count();
    }

    /// Share of notes in the key.
    pub fn in_key_share(&self) -> f64 {
        ratio(self.in_key, self.notes)
    }

    /// Share of strong-beat notes that are chord tones.
    pub fn chord_tone_share(&self) -> f64 {
        ratio(self.strong_chord_tones, self.strong)
    }

    /// Note onsets per bar.
    pub fn onsets_per_bar(&self) -> f64 {
        ratio(self.notes, self.form.bars)
    }

    /// Share of steps at which a note sounds.
    pub fn sounding_share(&self) -> f64 {
        ratio(self.sounding_steps, self.form.bars * STEPS_PER_BAR)
    }
}

fn ratio(part: usize, all: usize) -> f64 {
    if all == 0 {
        f64::NAN
    } else {
        part as f64 / all as f64
    }
}

/// A held-out window as an arrangement in C: its `BRIDGE` line (as the
/// network reads it) as the texture track, and its chords.
pub fn window_arrangement(song: &GridSong, line: &Line, start: usize, bars: usize) -> Arrangement {
    let mode = match song.mode {
        TokenMode::Major => Mode::Major,
        TokenMode::Minor => Mode::Minor,
    };
    let mut arr = Arrangement::new(
        SectionKind::Main,
        Tempo::from_bpm(100.0).expect("valid"),
        Meter::FOUR_FOUR,
        Key::new(PitchClass::C, mode),
        bars as u32,
    );
    let window = Line {
        events: line.events[start * STEPS_PER_BAR..(start + bars) * STEPS_PER_BAR].to_vec(),
    };
    let mut track = Track::new(Role::Texture);
    track.notes = window.to_notes(0, |_| 80);
    arr.tracks.push(track);
    let mut changes: Vec<(u32, overture_core::chord::Chord)> = Vec::new();
    for (b, bar) in song.bars[start..start + bars].iter().enumerate() {
        for &(pos, chord) in &bar.chords {
            if let Some(c) = chord {
                let tick = b as u32 * BAR_TICKS + pos * TICKS_PER_SIXTEENTH;
                if changes.last().is_none_or(|l| l.1 != c) {
                    changes.push((tick, c));
                }
            }
        }
    }
    let end = bars as u32 * BAR_TICKS;
    arr.chords = changes
        .iter()
        .enumerate()
        .map(|(i, &(start, chord))| ChordSpan {
            start,
            duration: changes.get(i + 1).map_or(end, |c| c.0) - start,
            chord,
        })
        .collect();
    arr
}

/// The held-out side (see the [module docs](self)): windows measured.
pub fn held_out_stats(songs: &[GridSong]) -> LineStats {
    let lines: Vec<Line> = songs.iter().map(|s| Line::from_bars(&s.bars)).collect();
    let mut stats = LineStats::default();
    for seg in corpus::segments(songs)
        .iter()
        .filter(|s| s.kind == SectionKind::Main && s.len == WINDOW_BARS)
    {
        let line = &lines[seg.song];
        if !plays_in_half(line, seg.start, WINDOW_BARS) {
            continue;
        }
        stats.add(&window_arrangement(
            &songs[seg.song],
            line,
            seg.start,
            WINDOW_BARS,
        ));
    }
    stats
}

/// The moods of the generated grid: two valences × four arousals.
pub const MOODS: [(f32, f32); 8] = [
    (-0.6, -0.8),
    (-0.6, -0.3),
    (-0.6, 0.3),
    (-0.6, 0.8),
    (0.6, -0.8),
    (0.6, -0.3),
    (0.6, 0.3),
    (0.6, 0.8),
];

/// One arousal level's generated lines.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ArousalRow {
    /// The requested arousal.
    pub arousal: f32,
    /// Note onsets per bar.
    pub onsets_per_bar: f64,
    /// Share of steps sounding.
    pub sounding_share: f64,
}

/// The counter-line's evaluation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CounterReport {
    /// The counter-line's name.
    pub model: String,
    /// Its parameters.
    pub parameters: usize,
    /// Mean loss per step on the held-out songs' windows.
    pub held_out_loss: f64,
    /// Held-out windows measured.
    pub held_out: LineStats,
    /// Generated main sections measured (the counter-line following its
    /// form plans, as the composer plays it).
    pub generated: LineStats,
    /// The same sections' texture lines written again without form plans
    /// (the same seed, over the same other parts): the unconstrained line.
    #[serde(default)]
    pub generated_unplanned: LineStats,
    /// Generated lines by requested arousal.
    pub by_arousal: Vec<ArousalRow>,
    /// Seeds per mood.
    pub seeds: u32,
}

/// Evaluates `counter` as `composer` plays it (the composer's own
/// counter-line is replaced) against held-out corpus `songs`, with `seeds`
/// seeds per mood of [`MOODS`] (8-bar mains, intensity 0.5, tonic varying
/// with the seed, every section its own seed).
pub fn evaluate_counter(
    composer: Composer,
    counter: std::sync::Arc<CounterLine>,
    songs: &[GridSong],
    seeds: u32,
) -> Result<CounterReport, ModelError> {
    let lines: Vec<LineSong> = songs.iter().map(LineSong::new).collect();
    let loss = held_out_loss(&counter.net, &lines, 16)?;
    let held_out = held_out_stats(songs);
    let (model, parameters) = (
        counter.file().name.clone(),
        counter.file().config.parameters(),
    );
    let composer = composer.with_counter_line(Some(counter.clone()));
    let mut generated = LineStats::default();
    let mut generated_unplanned = LineStats::default();
    let mut by_arousal: Vec<(f32, LineStats)> = Vec::new();
    for (m, &(valence, arousal)) in MOODS.iter().enumerate() {
        for seed in 0..seeds {
            let mut r = Request::new(
                Mood::new(valence, arousal).expect("in range"),
                SectionKind::Main,
            );
            r.bars = WINDOW_BARS as u32;
            // Every section its own seed, as every mood of a game has (the
            // form plan is drawn from the seed: shared seeds would draw the
            // same few plans for every mood).
            r.seed = 1000 * m as u64 + u64::from(seed);
            r.tonic = PitchClass::new((seed * 5 % 12) as u8);
            r.drums = false;
            let arr = composer.compose(&r)?;
            generated.add(&arr);
            let mut unplanned = arr.clone();
            unplanned.tracks.retain(|t| t.role != Role::Texture);
            let request = CounterRequest {
                arousal: r.mood.arousal,
                intensity: r.intensity,
                seed: r.seed,
                form_plan: false,
            };
            unplanned.tracks.extend(counter.play(&unplanned, &request)?);
            generated_unplanned.add(&unplanned);
            match by_arousal.iter_mut().find(|(a, _)| *a == arousal) {
                Some((_, s)) => s.add(&arr),
                None => {
                    let mut s = LineStats::default();
                    s.add(&arr);
                    by_arousal.push((arousal, s));
                }
            }
        }
    }
    by_arousal.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(CounterReport {
        model,
        parameters,
        held_out_loss: loss,
        held_out,
        generated,
        generated_unplanned,
        by_arousal: by_arousal
            .iter()
            .map(|(arousal, s)| ArousalRow {
                arousal: *arousal,
                onsets_per_bar: s.onsets_per_bar(),
                sounding_share: s.sounding_share(),
            })
            .collect(),
        seeds,
    })
}

impl CounterReport {
    /// The report as Markdown tables.
    pub fn to_markdown(&self) -> String {
        let (h, g, u) = (&self.held_out, &self.generated, &self.generated_unplanned);
        let mut md = format!(
            "# Counter-line evaluation: `{}`\n\n{} parameters; held-out loss {:.3} nats per step.\n\
             Held-out: {} POP909 BRIDGE 8-bar main windows; generated: {} 8-bar mains ({} moods × {} seeds).\n\n\
             | statistic (8-bar window, texture line) | POP909 held-out BRIDGE | generated (form plans) | generated, no form plan |\n| --- | --- | --- | --- |\n",
            self.model,
            self.parameters,
            self.held_out_loss,
            h.form.windows,
            g.form.windows,
            MOODS.len(),
            self.seeds
        );
        type Row = (&'static str, fn(&LineStats) -> f64);
        let rows: [Row; 8] = [
            ("bars whose onset rhythm repeats an earlier bar's", |s| {
                s.form.rhythm_repeat_share()
            }),
            (
                "bars whose interval sequence (≥ 2 intervals) repeats an earlier bar's",
                |s| s.form.motif_repeat_share(),
            ),
            ("stepwise motion (intervals of at most 2 semitones)", |s| {
                s.form.stepwise_share()
            }),
            ("phrase parallelism (bars i and i + 4)", |s| {
                s.form.phrase_parallelism()
            }),
            ("notes in key", LineStats::in_key_share),
            (
                "strong-beat notes that are chord tones",
                LineStats::chord_tone_share,
            ),
            ("note onsets per bar", LineStats::onsets_per_bar),
            ("share of steps sounding", LineStats::sounding_share),
        ];
        for (name, f) in rows {
            md.push_str(&format!(
                "| {name} | {:.3} | {:.3} | {:.3} |\n",
                f(h),
                f(g),
                f(u)
            ));
        }
        md.push_str(
            "\nThe texture line with form plans is the composer's; without, the same \
             sections' lines written again over the same other parts with the plans off.\n",
        );
        md.push_str("\n| requested arousal | onsets per bar | share of steps sounding |\n| --- | --- | --- |\n");
        for r in &self.by_arousal {
            md.push_str(&format!(
                "| {:+.1} | {:.2} | {:.3} |\n",
                r.arousal, r.onsets_per_bar, r.sounding_share
            ));
        }
        md
    }
}
