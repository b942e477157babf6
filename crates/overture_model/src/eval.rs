//! Evaluation: held-out loss, controllability over a valence × arousal grid,
//! musical sanity against the held-out songs, melodic form against the
//! held-out songs ([`crate::form`]), and speed. `overture eval` writes the
//! report as JSON and Markdown.

use std::time::Instant;

use candle_core::Device;
use overture_core::{
    analysis,
    arrangement::Arrangement,
    key::{Key, Mode, PitchClass},
    mood::Mood,
    note::Note,
    section::SectionKind,
    time::{Meter, TICKS_PER_SIXTEENTH, Tempo},
    track::Role,
};

use crate::{
    composer::{Composer, Request, Sampling},
    corpus::{self, GridSong, Segment},
    error::ModelError,
    form::MelodyForm,
    tokens::{DURATIONS, TokenMode},
    train::{Dataset, held_out_loss},
};

/// The pitched roles the model writes (drums come from the pattern generator).
pub const PITCHED: [Role; 3] = [Role::Melody, Role::Bass, Role::Harmony];

/// How much to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalOptions {
    /// The POP909 folder (for held-out songs).
    pub corpus: std::path::PathBuf,
    /// Seeds per grid cell.
    pub seeds: u32,
    /// Grid levels per axis (5 gives -1, -0.5, 0, 0.5, 1).
    pub levels: u32,
    /// Sampling settings for the main pass.
    pub sampling: Sampling,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            corpus: "../shared/corpus/pop909".into(),
            seeds: 8,
            levels: 5,
            sampling: Sampling::default(),
        }
    }
}

/// A measured value with its goal.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Check {
    /// What is measured.
    pub name: String,
    /// The measured value.
    pub value: f64,
    /// The goal, as text (e.g. `≥ 0.8`).
    pub goal: String,
    /// Whether the goal is met.
    pub pass: bool,
}

fn at_least(name: &str, value: f64, goal: f64) -> Check {
    Check {
        name: name.into(),
        value,
        goal: format!(">= {goal}"),
        pass: value >= goal,
    }
}

fn at_most(name: &str, value: f64, goal: f64) -> Check {
    Check {
        name: name.into(),
        value,
        goal: format!("<= {goal}"),
        pass: value <= goal,
    }
}

/// The length of the windows whose melodic form is compared: generated main
/// sections of this many bars and held-out main windows of this many bars.
pub const FORM_BARS: usize = 8;

/// One melodic-form statistic on both sides (see [`crate::form`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FormRow {
    /// The statistic.
    pub statistic: String,
    /// Over the held-out POP909 8-bar main windows.
    pub held_out: f64,
    /// Over the generated 8-bar main sections, composed with a form plan
    /// ([`Request::form_plan`](crate::Request::form_plan)).
    pub generated: f64,
    /// Over the same main requests composed unconstrained: without a form
    /// plan and without a step bias (`None` when not measured).
    #[serde(default)]
    pub generated_without_plan: Option<f64>,
}

impl FormRow {
    /// The four statistics of [`MelodyForm`], held-out beside generated (and
    /// generated without a form plan, when measured).
    pub fn table(
        held_out: &MelodyForm,
        generated: &MelodyForm,
        without_plan: Option<&MelodyForm>,
    ) -> Vec<FormRow> {
        type Statistic = fn(&MelodyForm) -> f64;
        let stats: [(&str, Statistic); 4] = [
            (
                "bars whose onset rhythm repeats an earlier bar's",
                MelodyForm::rhythm_repeat_share,
            ),
            (
                "bars whose interval sequence (>= 2 intervals) repeats an earlier bar's (motif)",
                MelodyForm::motif_repeat_share,
            ),
            (
                "stepwise motion (intervals of at most 2 semitones)",
                MelodyForm::stepwise_share,
            ),
            (
                "phrase parallelism (rhythm Jaccard of bars i and i+4)",
                MelodyForm::phrase_parallelism,
            ),
        ];
        stats
            .into_iter()
            .map(|(name, f)| FormRow {
                statistic: name.into(),
                held_out: f(held_out),
                generated: f(generated),
                generated_without_plan: without_plan.map(f),
            })
            .collect()
    }
}

/// The melody's form over the held-out songs' main windows of exactly
/// [`FORM_BARS`] bars ([`corpus::segments`]: one window from each phrase
/// start inside a main part, so windows may overlap), each built by
/// [`segment_arrangement`] and measured by [`MelodyForm::of_track`] like a
/// generated section.
pub fn reference_form(songs: &[GridSong]) -> MelodyForm {
    let mut form = MelodyForm::default();
    for seg in corpus::segments(songs)
        .iter()
        .filter(|s| s.kind == SectionKind::Main && s.len == FORM_BARS)
    {
        let arr = segment_arrangement(&songs[seg.song], seg);
        form.add(&MelodyForm::of_track(&arr, Role::Melody));
    }
    form
}

/// The form checks: repetition statistics at least the held-out values,
/// stepwise motion within 0.05 of the held-out share.
pub fn form_checks(held_out: &MelodyForm, generated: &MelodyForm) -> Vec<Check> {
    let not_below = |name: &str, f: fn(&MelodyForm) -> f64| {
        let (value, goal) = (f(generated), f(held_out));
        Check {
            name: format!("melody form: {name}"),
            value,
            goal: format!(">= {goal:.3} (held-out)"),
            pass: value >= goal,
        }
    };
    let distance = (generated.stepwise_share() - held_out.stepwise_share()).abs();
    vec![
        not_below(
            "bars repeating an earlier bar's rhythm",
            MelodyForm::rhythm_repeat_share,
        ),
        not_below(
            "bars repeating an earlier bar's intervals (motif)",
            MelodyForm::motif_repeat_share,
        ),
        not_below(
            "phrase parallelism (bars i and i+4)",
            MelodyForm::phrase_parallelism,
        ),
        Check {
            name: "melody form: |stepwise share - held-out stepwise share|".into(),
            value: distance,
            goal: format!("<= 0.05 (held-out {:.3})", held_out.stepwise_share()),
            pass: distance <= 0.05,
        },
    ]
}

/// One grid cell's averages.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cell {
    /// Requested valence.
    pub valence: f32,
    /// Requested arousal.
    pub arousal: f32,
    /// Mean pitched notes per bar.
    pub notes_per_bar: f64,
    /// Mean velocity of pitched notes.
    pub mean_velocity: f64,
    /// Mean measured major-ness.
    pub majorness: f64,
}

/// The evaluation report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EvalReport {
    /// Model name.
    pub model: String,
    /// Parameters.
    pub parameters: usize,
    /// Held-out loss (nats per token).
    pub held_out_loss: f64,
    /// Held-out perplexity.
    pub perplexity: f64,
    /// Threads candle used.
    pub threads: usize,
    /// Grid cells.
    pub cells: Vec<Cell>,
    /// Every check with its goal.
    pub checks: Vec<Check>,
    /// Extra measurements without goals (unconstrained sampling, drums…).
    pub notes: Vec<(String, f64)>,
    /// Melodic form: held-out windows beside generated main sections.
    #[serde(default)]
    pub form: Vec<FormRow>,
}

impl EvalReport {
    /// Whether every check passes.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.pass)
    }

    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut s = format!(
            "# Evaluation of `{}`\n\n{} parameters; held-out loss {:.3} nats/token (perplexity {:.2}); candle threads: {}.\n\n",
            self.model, self.parameters, self.held_out_loss, self.perplexity, self.threads
        );
        s.push_str("| check | value | goal | |\n|---|---|---|---|\n");
        for c in &self.checks {
            s.push_str(&format!(
                "| {} | {:.3} | {} | {} |\n",
                c.name,
                c.value,
                c.goal,
                if c.pass { "pass" } else { "FAIL" }
            ));
        }
        if !self.form.is_empty() {
            s.push_str(&format!(
                "\n## Melody form ({FORM_BARS}-bar windows, top note per onset)\n\nGenerated: the grid's main sections as composed by default (a form plan: {}; step bias {}), and the same requests unconstrained (no form plan, no step bias), the network's own form. The checks measure the default.\n\n| statistic | POP909 held-out | generated | generated, unconstrained |\n|---|---|---|---|\n",
                if crate::Request::DEFAULT_FORM_PLAN { "yes" } else { "no" },
                Sampling::DEFAULT_STEP_BIAS,
            ));
            for r in &self.form {
                let off = r
                    .generated_without_plan
                    .map_or("-".to_string(), |v| format!("{v:.3}"));
                s.push_str(&format!(
                    "| {} | {:.3} | {:.3} | {off} |\n",
                    r.statistic, r.held_out, r.generated
                ));
            }
        }
        s.push_str("\n## Other measurements\n\n| measurement | value |\n|---|---|\n");
        for (k, v) in &self.notes {
            s.push_str(&format!("| {k} | {v:.3} |\n"));
        }
        s.push_str("\n## Grid (main sections, mean over seeds)\n\n| valence | arousal | pitched notes/bar | mean velocity | major-ness |\n|---|---|---|---|---|\n");
        for c in &self.cells {
            s.push_str(&format!(
                "| {:+.1} | {:+.1} | {:.2} | {:.1} | {:.3} |\n",
                c.valence, c.arousal, c.notes_per_bar, c.mean_velocity, c.majorness
            ));
        }
        s
    }
}

/// Share of half-bar windows whose chord, estimated from the sounding notes,
/// has a major third (major, dominant 7th, major 7th, augmented).
pub fn major_chord_share(arr: &Arrangement) -> f64 {
    let half = arr.meter.ticks_per_bar() / 2;
    let (mut major, mut all) = (0.0, 0.0);
    for w in 0..arr.bars * 2 {
        let (start, end) = (w * half, (w + 1) * half);
        let notes: Vec<(u8, u32)> = arr
            .tracks
            .iter()
            .filter(|t| t.role != Role::Drums)
            .flat_map(|t| t.notes.iter())
            .filter(|n| n.start < end && n.end() > start)
            .map(|n| (n.pitch, n.end().min(end) - n.start.max(start)))
            .collect();
        if let Some(c) = analysis::estimate_chord(&notes) {
            all += 1.0;
            if c.quality.is_major() {
                major += 1.0;
            }
        }
    }
    if all > 0.0 { major / all } else { 0.5 }
}

/// Duration-weighted share of the arrangement's chord progression held by
/// chords with a major third (major, dominant 7th, major 7th, augmented).
pub fn major_progression_share(arr: &Arrangement) -> f64 {
    let (mut major, mut all) = (0.0, 0.0);
    for span in &arr.chords {
        let d = f64::from(span.duration);
        all += d;
        if span.chord.quality.is_major() {
            major += d;
        }
    }
    if all > 0.0 { major / all } else { 0.5 }
}

/// Measured major-ness in [0, 1]: the mean of the tonic's major-third share
/// in the notes ([`analysis::majorness`]) and the major share of the chord
/// progression ([`major_progression_share`]) — exactly the measure the
/// valence labels are made of in training (where the chords are POP909's
/// annotations).
pub fn measured_majorness(arr: &Arrangement) -> f64 {
    0.5 * analysis::majorness(arr) + 0.5 * major_progression_share(arr)
}

/// A corpus section as an arrangement in C major or C minor.
pub fn segment_arrangement(song: &GridSong, seg: &Segment) -> Arrangement {
    let mode = match song.mode {
        TokenMode::Major => Mode::Major,
        TokenMode::Minor => Mode::Minor,
    };
    let tempo = Tempo::from_bpm(song.bpm.clamp(Tempo::MIN_MUSIC_BPM, Tempo::MAX_MUSIC_BPM))
        .expect("clamped");
    let mut arr = Arrangement::new(
        seg.kind,
        tempo,
        Meter::FOUR_FOUR,
        Key::new(PitchClass::C, mode),
        seg.len as u32,
    );
    let bar_ticks = Meter::FOUR_FOUR.ticks_per_bar();
    let mut chords: Vec<(u32, overture_core::chord::Chord)> = Vec::new();
    for (b, bar) in song.bars[seg.start..seg.start + seg.len].iter().enumerate() {
        let b = b as u32;
        for n in &bar.notes {
            let dur = DURATIONS[crate::tokens::duration_index(n.dur) as usize];
            arr.track_mut(n.part.role()).notes.push(Note::new(
                b * bar_ticks + n.pos * TICKS_PER_SIXTEENTH,
                n.pitch,
                dur * TICKS_PER_SIXTEENTH,
                n.velocity,
            ));
        }
        for &(pos, chord) in &bar.chords {
            if let Some(c) = chord {
                chords.push((b * bar_ticks + pos * TICKS_PER_SIXTEENTH, c));
            }
        }
    }
    let end = arr.length_ticks() as u32;
    arr.chords = crate::composer::chord_spans(&chords, end);
    for t in &mut arr.tracks {
        t.sort();
    }
    arr
}

fn mean(v: &[f64]) -> f64 {
    let v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Runs the whole evaluation. `progress` receives (done, total) grid cells.
pub fn evaluate(
    composer: &Composer,
    opts: &EvalOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<EvalReport, ModelError> {
    let file = composer.file();
    let max_len = file.config.max_len;
    let data = Dataset::load(&opts.corpus, None, max_len, Some(file.calibration.clone()))?;
    let loss = held_out_loss(composer.network(), &data.held_out, usize::MAX, &Device::Cpu)?;

    // Reference statistics from the held-out songs' main sections.
    let held_segs = corpus::segments(&data.held_out_songs);
    let reference: Vec<Arrangement> = held_segs
        .iter()
        .filter(|s| s.kind == SectionKind::Main)
        .map(|s| segment_arrangement(&data.held_out_songs[s.song], s))
        .collect();
    let ref_hist = |f: fn(&Arrangement) -> Vec<f64>| {
        analysis::mean_histogram(&reference.iter().map(f).collect::<Vec<_>>())
    };
    let form_held_out = reference_form(&data.held_out_songs);
    let mut form_generated = MelodyForm::default();
    let mut form_without_plan = MelodyForm::default();
    let (ref_pc, ref_dur, ref_ioi) = (
        ref_hist(analysis::pitch_class_histogram),
        ref_hist(analysis::duration_histogram),
        ref_hist(analysis::ioi_histogram),
    );

    let levels = opts.levels.max(2);
    let value = |i: u32| -1.0 + 2.0 * i as f32 / (levels - 1) as f32;
    let mut cells = Vec::new();
    let (mut xs_a, mut xs_v, mut dens, mut vels, mut majs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut in_key, mut chord_tone) = (Vec::new(), Vec::new());
    let mut note_chords = Vec::new();
    let (mut hist_pc, mut hist_dur, mut hist_ioi) = (Vec::new(), Vec::new(), Vec::new());
    let (mut mains_without_empty, mut mains) = (0usize, 0usize);
    let (mut intro_sparser, mut outro_tonic, mut sets) = (0usize, 0usize, 0usize);
    let mut set_times = Vec::new();
    let mut tokens_sampled = 0usize;
    let mut sampling_seconds = 0.0;
    let total = (levels * levels) as usize;
    for vi in 0..levels {
        for ai in 0..levels {
            let mood = Mood::new(value(vi), value(ai)).expect("in range");
            // One batch per cell: every seed's intro, main and outro.
            let mut requests = Vec::new();
            for s in 0..opts.seeds {
                let seed = u64::from(vi * 1000 + ai * 100 + s);
                let base = Request {
                    tonic: PitchClass::new((s * 5 % 12) as u8),
                    seed,
                    sampling: opts.sampling,
                    ..Request::new(mood, SectionKind::Main)
                };
                requests.push(Request {
                    section: SectionKind::Intro,
                    bars: 2,
                    ..base
                });
                requests.push(base);
                requests.push(Request {
                    section: SectionKind::Outro,
                    bars: 2,
                    ..base
                });
            }
            let started = Instant::now();
            let (arrs, sampled) = composer.compose_batch_counted(&requests)?;
            let secs = started.elapsed().as_secs_f64();
            // The same main requests unconstrained: no form plan, no step
            // bias (the network's own form).
            let free: Vec<Request> = requests
                .iter()
                .filter(|r| r.section == SectionKind::Main)
                .map(|r| Request {
                    form_plan: false,
                    sampling: Sampling {
                        step_bias: 0.0,
                        ..r.sampling
                    },
                    ..*r
                })
                .collect();
            for main in composer.compose_batch(&free)? {
                if main.bars as usize == FORM_BARS {
                    form_without_plan.add(&MelodyForm::of_track(&main, Role::Melody));
                }
            }
            tokens_sampled += sampled;
            sampling_seconds += secs;
            set_times.push(secs / f64::from(opts.seeds));
            let (mut cd, mut cv, mut cm) = (Vec::new(), Vec::new(), Vec::new());
            for set in arrs.chunks(3) {
                let (intro, main, outro) = (&set[0], &set[1], &set[2]);
                let d = analysis::notes_per_bar(main, &PITCHED);
                let v = analysis::mean_velocity(main, &PITCHED);
                let m = measured_majorness(main);
                note_chords.push(0.5 * analysis::majorness(main) + 0.5 * major_chord_share(main));
                xs_a.push(f64::from(mood.arousal));
                xs_v.push(f64::from(mood.valence));
                dens.push(d);
                vels.push(v);
                majs.push(m);
                cd.push(d);
                cv.push(v);
                cm.push(m);
                for a in set {
                    in_key.push(analysis::in_key_ratio(a));
                    chord_tone.push(analysis::chord_tone_ratio_strong_beats(a));
                }
                if main.bars as usize == FORM_BARS {
                    form_generated.add(&MelodyForm::of_track(main, Role::Melody));
                }
                hist_pc.push(analysis::pitch_class_histogram(main));
                hist_dur.push(analysis::duration_histogram(main));
                hist_ioi.push(analysis::ioi_histogram(main));
                mains += 1;
                if analysis::empty_bars(main, &PITCHED).is_empty() {
                    mains_without_empty += 1;
                }
                sets += 1;
                if analysis::notes_per_bar(intro, &PITCHED) < d {
                    intro_sparser += 1;
                }
                if analysis::ends_on_tonic(outro) {
                    outro_tonic += 1;
                }
            }
            cells.push(Cell {
                valence: mood.valence,
                arousal: mood.arousal,
                notes_per_bar: mean(&cd),
                mean_velocity: mean(&cv),
                majorness: mean(&cm),
            });
            progress(cells.len(), total);
        }
    }

    // One mood set (2-bar intro, 8-bar main, 2-bar outro), timed alone.
    let request = Request::new(Mood::new(0.3, 0.4).expect("in range"), SectionKind::Main);
    let mut single = Vec::new();
    for i in 0..5 {
        let started = Instant::now();
        composer.compose_set(&Request { seed: i, ..request }, 2, 2, 1)?;
        single.push(started.elapsed().as_secs_f64());
    }
    single.sort_by(f64::total_cmp);

    // The same grid corner cases without the key and chord constraints.
    let free = Sampling {
        in_key: false,
        chord_tone_bias: 0.0,
        ..opts.sampling
    };
    let mut free_in_key = Vec::new();
    let mut free_chord = Vec::new();
    for (v, a) in [
        (-1.0, -1.0),
        (-1.0, 1.0),
        (1.0, -1.0),
        (1.0, 1.0),
        (0.0, 0.0),
    ] {
        let reqs: Vec<Request> = (0..4)
            .map(|s| Request {
                seed: 500 + s,
                sampling: free,
                ..Request::new(Mood::new(v, a).expect("in range"), SectionKind::Main)
            })
            .collect();
        for arr in composer.compose_batch(&reqs)? {
            free_in_key.push(analysis::in_key_ratio(&arr));
            free_chord.push(analysis::chord_tone_ratio_strong_beats(&arr));
        }
    }
    let reference_in_key = mean(
        &reference
            .iter()
            .map(analysis::in_key_ratio)
            .collect::<Vec<_>>(),
    );
    let reference_chord = mean(
        &reference
            .iter()
            .map(analysis::chord_tone_ratio_strong_beats)
            .collect::<Vec<_>>(),
    );

    let n = sets.max(1) as f64;
    let mut checks = vec![
        at_least(
            "Spearman(arousal, pitched notes per bar)",
            analysis::spearman(&xs_a, &dens),
            0.8,
        ),
        at_least(
            "Spearman(arousal, mean velocity)",
            analysis::spearman(&xs_a, &vels),
            0.8,
        ),
        at_least(
            "Spearman(valence, major-ness)",
            analysis::spearman(&xs_v, &majs),
            0.8,
        ),
        at_least("in-key note ratio", mean(&in_key), 0.95),
        at_least("chord-tone ratio on strong beats", mean(&chord_tone), 0.7),
        at_least(
            "pitch-class histogram overlap",
            analysis::histogram_overlap(&analysis::mean_histogram(&hist_pc), &ref_pc),
            0.7,
        ),
        at_least(
            "duration histogram overlap",
            analysis::histogram_overlap(&analysis::mean_histogram(&hist_dur), &ref_dur),
            0.7,
        ),
        at_least(
            "inter-onset histogram overlap",
            analysis::histogram_overlap(&analysis::mean_histogram(&hist_ioi), &ref_ioi),
            0.7,
        ),
        at_least(
            "main sections with no empty bar",
            mains_without_empty as f64 / mains.max(1) as f64,
            1.0,
        ),
        at_least(
            "intros sparser than their main",
            intro_sparser as f64 / n,
            0.8,
        ),
        at_least(
            "outros ending on the tonic chord",
            outro_tonic as f64 / n,
            0.8,
        ),
        at_most(
            "mood set (2+8+2 bars, all roles) seconds, median of 5",
            single[single.len() / 2],
            0.5,
        ),
    ];
    let form_default = if Request::DEFAULT_FORM_PLAN {
        &form_generated
    } else {
        &form_without_plan
    };
    checks.extend(form_checks(&form_held_out, form_default));
    let notes = vec![
        (
            "Spearman(valence, major-ness with chords estimated from the notes per half bar)"
                .to_string(),
            analysis::spearman(&xs_v, &note_chords),
        ),
        (
            "tokens per second (batched grid sampling)".to_string(),
            tokens_sampled as f64 / sampling_seconds.max(1e-9),
        ),
        (
            "mood set seconds, amortized in batches of 8".to_string(),
            mean(&set_times),
        ),
        (
            "in-key ratio without key constraint".to_string(),
            mean(&free_in_key),
        ),
        (
            "chord-tone ratio without chord bias".to_string(),
            mean(&free_chord),
        ),
        (
            "in-key ratio of held-out songs".to_string(),
            reference_in_key,
        ),
        (
            "chord-tone ratio of held-out songs".to_string(),
            reference_chord,
        ),
        (
            "held-out main sections compared".to_string(),
            reference.len() as f64,
        ),
        ("generated mood sets".to_string(), sets as f64),
        (
            "held-out 8-bar main windows for melody form".to_string(),
            form_held_out.windows as f64,
        ),
        (
            "generated 8-bar mains for melody form (each with and without a plan)".to_string(),
            form_generated.windows as f64,
        ),
    ];
    Ok(EvalReport {
        model: composer.name().to_string(),
        parameters: file.config.parameters(),
        held_out_loss: loss,
        perplexity: loss.exp(),
        threads: candle_core::utils::get_num_threads(),
        cells,
        checks,
        notes,
        form: FormRow::table(&form_held_out, &form_generated, Some(&form_without_plan)),
    })
}
