//! The checks [`MoodMap::parse`] runs after the RON is read: names,
//! references, expressions and ranges, each error located in the source;
//! and the checks of what the map refers to outside itself (palettes,
//! leitmotif files), through an [`Environment`].
//!
//! Every check runs, and every problem is kept: [`MoodMap::parse`] reports
//! the first, `overture map check` all of them.

use std::{cell::RefCell, collections::BTreeMap, fmt::Display, path::Path};

use overture_core::drumming::{DrumPlayer, DrumStyle};
use overture_core::score::Quantize;
use overture_core::track::Role;

use crate::{
    environment::Environment,
    error::{ErrorKind, MoodMapError, quoted_list},
    expr::{Expr, is_signal_name},
    locate::{Locator, Seg, path_string},
    map::{LayerDef, MoodMap, parse_key},
};

/// Checks `map`; `source` (when the map was read from text) locates errors.
/// The first problem, as [`check_all`] finds them.
pub(crate) fn check(map: &MoodMap, source: Option<&str>) -> Result<(), MoodMapError> {
    match check_all(map, source).into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Every problem of `map` itself, in the order the checks find them.
pub(crate) fn check_all(map: &MoodMap, source: Option<&str>) -> Vec<MoodMapError> {
    let cx = Cx::new(map, source);
    cx.globals();
    cx.signals();
    cx.moods();
    cx.rules();
    cx.transitions();
    cx.stingers();
    if cx.problems.borrow().is_empty()
        && let Err(e) = map.to_score().validate()
    {
        cx.report(MoodMapError::new(
            cx.file,
            None,
            ErrorKind::Score,
            e.at,
            e.expected,
            e.found,
        ));
    }
    cx.problems.into_inner()
}

/// Every problem with what `map` refers to outside itself: palettes that
/// are neither built in nor a readable palette file, leitmotif files that
/// are missing or unusable.
pub(crate) fn check_references(
    map: &MoodMap,
    source: Option<&str>,
    env: &dyn Environment,
) -> Vec<MoodMapError> {
    let cx = Cx::new(map, source);
    cx.references(env);
    cx.problems.into_inner()
}

struct Cx<'a> {
    map: &'a MoodMap,
    file: &'a Path,
    locator: Option<Locator<'a>>,
    problems: RefCell<Vec<MoodMapError>>,
}

/// Where an error points: the field's name (or key) or its value.
#[derive(Clone, Copy, PartialEq)]
enum At {
    Name,
    Value,
}

fn f(name: &'static str) -> Seg {
    Seg::Field(name)
}

fn with(path: &[Seg], last: Seg) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(last);
    p
}

impl<'a> Cx<'a> {
    fn new(map: &'a MoodMap, source: Option<&'a str>) -> Self {
        Cx {
            map,
            file: map.path(),
            locator: source.map(Locator::new),
            problems: RefCell::new(Vec::new()),
        }
    }

    /// Keeps a problem; checking goes on.
    fn report(&self, problem: MoodMapError) {
        self.problems.borrow_mut().push(problem);
    }

    fn error(
        &self,
        kind: ErrorKind,
        path: &[Seg],
        at: At,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> MoodMapError {
        let location = self.locator.as_ref().and_then(|l| {
            let found = l.find(path)?;
            let offset = if found.complete && at == At::Value {
                found.value
            } else {
                found.anchor
            };
            Some(l.location(offset))
        });
        MoodMapError::new(
            self.file,
            location,
            kind,
            path_string(path),
            expected,
            found,
        )
    }

    fn range<T: PartialOrd + Display + Copy>(
        &self,
        path: &[Seg],
        value: T,
        lo: T,
        hi: T,
        expected: &str,
    ) {
        // `!(…)` so that NaN fails too.
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        if !(value >= lo && value <= hi) {
            self.report(self.error(
                ErrorKind::OutOfRange,
                path,
                At::Value,
                expected,
                value.to_string(),
            ));
        }
    }

    fn finite(&self, path: &[Seg], value: f64) {
        if !value.is_finite() {
            self.report(self.error(
                ErrorKind::OutOfRange,
                path,
                At::Value,
                "a finite number",
                value.to_string(),
            ));
        }
    }

    fn tempo(&self, path: &[Seg], bpm: f64) {
        use overture_core::time::Tempo;
        self.range(
            path,
            bpm,
            Tempo::MIN_MUSIC_BPM,
            Tempo::MAX_MUSIC_BPM,
            "a tempo between 20 and 300 BPM",
        )
    }

    fn key(&self, path: &[Seg], key: &str) {
        if parse_key(key).is_none() {
            self.report(self.error(
                ErrorKind::InvalidKey,
                path,
                At::Value,
                "a key such as \"D minor\", \"F# major\", \"Bb dorian\", or a tonic alone \
                 (\"D\") whose mode follows valence",
                format!("{key:?}"),
            ));
        }
    }

    fn palette(&self, path: &[Seg], palette: &str) {
        if palette.trim().is_empty() {
            self.report(self.error(
                ErrorKind::InvalidName,
                path,
                At::Value,
                "a palette name or file",
                "\"\"",
            ));
        }
    }

    fn drummer(&self, path: &[Seg], drummer: &str) {
        if drummer.parse::<DrumPlayer>().is_err() {
            self.report(self.error(
                ErrorKind::OutOfRange,
                path,
                At::Value,
                "\"learned\" or \"pattern\"",
                format!("{drummer:?}"),
            ));
        }
    }

    fn drum_style(&self, path: &[Seg], style: &str) {
        if style.parse::<DrumStyle>().is_err() {
            let names: Vec<String> = DrumStyle::ALL
                .iter()
                .map(|d| format!("{:?}", d.name()))
                .collect();
            self.report(self.error(
                ErrorKind::OutOfRange,
                path,
                At::Value,
                format!("a drum style: {}", names.join(", ")),
                format!("{style:?}"),
            ));
        }
    }

    fn quantize(&self, path: &[Seg], q: Quantize) {
        if q == Quantize::Phrase(0) {
            self.report(self.error(
                ErrorKind::OutOfRange,
                path,
                At::Value,
                "`Beat`, `Bar` or `Phrase(n)` with n ≥ 1",
                "Phrase(0)",
            ));
        }
    }

    fn layers(&self, path: &[Seg], layers: &BTreeMap<Role, LayerDef>) {
        for (role, layer) in layers {
            let at = |field| with(&with(path, f(role.name())), f(field));
            for (field, v) in [("enter", layer.enter), ("full", layer.full)] {
                self.range(&at(field), v, 0.0, 1.0, "an intensity between 0 and 1");
            }
        }
    }

    fn globals(&self) {
        let m = self.map;
        self.tempo(&[f("tempo")], m.tempo);
        self.key(&[f("key")], &m.key);
        self.palette(&[f("palette")], &m.palette);
        self.range(
            &[f("main_bars")],
            m.main_bars,
            1,
            64,
            "between 1 and 64 bars",
        );
        self.range(
            &[f("variants")],
            m.variants,
            1,
            16,
            "between 1 and 16 variants",
        );
        self.drummer(&[f("drummer")], &m.drummer);
        if let Some(style) = &m.drum_style {
            self.drum_style(&[f("drum_style")], style);
        }
        self.range(
            &[f("feel")],
            m.feel,
            0.0,
            1.0,
            "between 0 (on the grid) and 1 (as played)",
        );
        self.layers(&[f("layers")], &m.layers);
        self.range(
            &[f("layer_smoothing_beats")],
            m.layer_smoothing_beats,
            0.0,
            64.0,
            "between 0 and 64 beats",
        );
        self.quantize(&[f("layer_quantize")], m.layer_quantize);
        self.range(
            &[f("min_dwell_secs")],
            m.min_dwell_secs,
            0.0,
            3600.0,
            "between 0 and 3600 seconds",
        );
    }

    fn signal_name(&self, path: &[Seg], name: &str) {
        if !is_signal_name(name) {
            self.report(self.error(
                ErrorKind::InvalidName,
                path,
                At::Name,
                "a signal name of ASCII letters, digits and `_`, not starting with a digit and \
                 not a word of the expression language (`max`, `sin`, `E`, `true`, …)",
                format!("{name:?}"),
            ));
        }
    }

    fn signals(&self) {
        let m = self.map;
        let mut seen: Vec<&str> = Vec::new();
        for s in &m.signals {
            let nth = seen.iter().filter(|&&n| n == s.name).count();
            let path = [f("signals"), Seg::Key(s.name.clone(), nth)];
            self.signal_name(&path, &s.name);
            if nth > 0 {
                self.report(self.error(
                    ErrorKind::Duplicate,
                    &path,
                    At::Name,
                    "each signal declared once",
                    format!("`{}` a second time", s.name),
                ));
                continue;
            }
            seen.push(&s.name);
            self.finite(&with(&path, f("default")), s.default);
            if let Some((lo, hi)) = s.range {
                let at = with(&path, f("range"));
                if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                    self.report(self.error(
                        ErrorKind::OutOfRange,
                        &at,
                        At::Value,
                        "a range (min, max) of finite numbers with min < max",
                        format!("({lo}, {hi})"),
                    ));
                    continue;
                }
                self.range(
                    &with(&path, f("default")),
                    s.default,
                    lo,
                    hi,
                    &format!("a default within the range ({lo}, {hi})"),
                );
            }
        }
        for (i, name) in m.flags.iter().enumerate() {
            let path = [f("flags"), Seg::Index(i)];
            self.signal_name(&path, name);
            if seen.contains(&name.as_str()) {
                self.report(self.error(
                    ErrorKind::Duplicate,
                    &path,
                    At::Name,
                    "each signal declared once, as a signal or as a flag",
                    format!("`{name}` a second time"),
                ));
                continue;
            }
            seen.push(name);
        }
    }

    fn declared(&self) -> Vec<&str> {
        let m = self.map;
        m.signals
            .iter()
            .map(|s| s.name.as_str())
            .chain(m.flags.iter().map(String::as_str))
            .collect()
    }

    fn expr(&self, path: &[Seg], e: &Expr) {
        if let Some(msg) = e.error() {
            return self.report(self.error(
                ErrorKind::Expression,
                path,
                At::Value,
                msg.to_string(),
                format!("{:?}", e.as_str()),
            ));
        }
        let declared = self.declared();
        for name in e.signals() {
            if !declared.contains(&name.as_str()) {
                let mut err = self.error(
                    ErrorKind::UndeclaredSignal,
                    path,
                    At::Value,
                    format!(
                        "a declared signal: one of {} (declare it under `signals` or `flags`)",
                        quoted_list(&declared)
                    ),
                    format!("`{name}`"),
                );
                err.location = self.locate_in_expr(path, e.as_str(), name).or(err.location);
                return self.report(err);
            }
        }
    }

    /// The location of signal `name` inside the expression string at `path`.
    fn locate_in_expr(
        &self,
        path: &[Seg],
        text: &str,
        name: &str,
    ) -> Option<crate::error::Location> {
        let l = self.locator.as_ref()?;
        let found = l.find(path).filter(|f| f.complete)?;
        let content = l.string_content_start(found.value)?;
        let offset = word_offset(text, name)?;
        Some(l.location(content + offset))
    }

    fn mood_name(&self, path: &[Seg], name: &str) {
        if self.map.mood(name).is_none() {
            let names: Vec<&str> = self.map.moods.iter().map(|m| m.name.as_str()).collect();
            self.report(self.error(
                ErrorKind::UnknownMood,
                path,
                At::Value,
                format!("one of the moods {}", quoted_list(&names)),
                format!("`{name}`"),
            ));
        }
    }

    fn moods(&self) {
        let m = self.map;
        if m.moods.is_empty() {
            self.report(self.error(
                ErrorKind::Missing,
                &[f("moods")],
                At::Name,
                "at least one mood",
                "none",
            ));
        }
        for (i, mood) in m.moods.iter().enumerate() {
            let nth = m.moods[..i].iter().filter(|o| o.name == mood.name).count();
            let path = [f("moods"), Seg::Key(mood.name.clone(), nth)];
            if mood.name.trim().is_empty() {
                self.report(self.error(
                    ErrorKind::InvalidName,
                    &path,
                    At::Name,
                    "a mood name",
                    format!("{:?}", mood.name),
                ));
            }
            if nth > 0 {
                self.report(self.error(
                    ErrorKind::Duplicate,
                    &path,
                    At::Name,
                    "each mood defined once",
                    format!("`{}` a second time", mood.name),
                ));
                continue;
            }
            let at = |field| with(&path, f(field));
            for (field, v) in [("valence", mood.valence), ("arousal", mood.arousal)] {
                match v {
                    Some(v) => self.range(&at(field), v, -1.0, 1.0, "between -1 and 1"),
                    None if mood.prompt.is_none() => self.report(self.error(
                        ErrorKind::Missing,
                        &path,
                        At::Name,
                        format!("the field `{field}` (or a `prompt` describing the mood)"),
                        "neither",
                    )),
                    None => {}
                }
            }
            if let Some(t) = mood.tempo {
                self.tempo(&at("tempo"), t);
            }
            if let Some(key) = &mood.key {
                self.key(&at("key"), key);
            }
            if let Some(p) = &mood.palette {
                self.palette(&at("palette"), p);
            }
            if let Some(b) = mood.main_bars {
                self.range(&at("main_bars"), b, 1, 64, "between 1 and 64 bars");
            }
            if let Some(v) = mood.variants {
                self.range(&at("variants"), v, 1, 16, "between 1 and 16 variants");
            }
            if let Some(d) = &mood.drummer {
                self.drummer(&at("drummer"), d);
            }
            if let Some(style) = &mood.drum_style {
                self.drum_style(&at("drum_style"), style);
            }
            if let Some(feel) = mood.feel {
                self.range(
                    &at("feel"),
                    feel,
                    0.0,
                    1.0,
                    "between 0 (on the grid) and 1 (as played)",
                );
            }
            if let Some(layers) = &mood.layers {
                self.layers(&at("layers"), layers);
            }
            if let Some(s) = mood.layer_smoothing_beats {
                self.range(
                    &at("layer_smoothing_beats"),
                    s,
                    0.0,
                    64.0,
                    "between 0 and 64 beats",
                );
            }
            if let Some(q) = mood.layer_quantize {
                self.quantize(&at("layer_quantize"), q);
            }
            if let Some(e) = &mood.intensity {
                self.expr(&at("intensity"), e);
            }
            if let Some(p) = &mood.leitmotif
                && (p.as_os_str().is_empty() || p.is_absolute() || p.has_root())
            {
                self.report(self.error(
                    ErrorKind::InvalidPath,
                    &at("leitmotif"),
                    At::Value,
                    "a MIDI file path relative to the map file",
                    format!("{:?}", p.display().to_string()),
                ));
            }
        }
        if let Some(name) = &m.default_mood {
            self.mood_name(&[f("default_mood")], name);
        }
        self.expr(&[f("intensity")], &m.intensity)
    }

    fn rules(&self) {
        for (i, rule) in self.map.rules.iter().enumerate() {
            let at = |field| vec![f("rules"), Seg::Index(i), f(field)];
            self.mood_name(&at("mood"), &rule.mood);
            self.expr(&at("when"), &rule.when);
            if let Some(v) = rule.above {
                self.finite(&at("above"), v);
            }
            if let Some(v) = rule.below {
                self.finite(&at("below"), v);
            }
            if let (Some(lo), Some(hi)) = (rule.above, rule.below)
                && lo >= hi
            {
                self.report(self.error(
                    ErrorKind::OutOfRange,
                    &at("below"),
                    At::Value,
                    format!("a value greater than `above` ({lo})"),
                    hi.to_string(),
                ));
            }
            self.range(
                &at("hysteresis"),
                rule.hysteresis,
                0.0,
                f64::MAX,
                "a finite margin ≥ 0",
            );
        }
    }

    fn transitions(&self) {
        let defs = &self.map.transitions;
        for (i, t) in defs.iter().enumerate() {
            let at = |field| vec![f("transitions"), Seg::Index(i), f(field)];
            if let Some(from) = &t.from {
                self.mood_name(&at("from"), from);
            }
            if let Some(to) = &t.to {
                self.mood_name(&at("to"), to);
            }
            if defs[..i].iter().any(|o| o.from == t.from && o.to == t.to) {
                let pair = |o: &Option<String>| o.clone().unwrap_or_else(|| "any".into());
                self.report(self.error(
                    ErrorKind::Duplicate,
                    &[f("transitions"), Seg::Index(i)],
                    At::Name,
                    "one transition for each pair of moods",
                    format!("a second one from {} to {}", pair(&t.from), pair(&t.to)),
                ));
            }
            if let Some(q) = t.quantize {
                self.quantize(&at("quantize"), q);
            }
            if let Some(c) = t.crossfade_beats {
                self.range(
                    &at("crossfade_beats"),
                    c,
                    0.0,
                    64.0,
                    "between 0 and 64 beats",
                );
            }
        }
    }

    fn stingers(&self) {
        let stingers = &self.map.stingers;
        for (i, s) in stingers.iter().enumerate() {
            let nth = stingers[..i].iter().filter(|o| o.name == s.name).count();
            let path = [f("stingers"), Seg::Key(s.name.clone(), nth)];
            if s.name.trim().is_empty() {
                self.report(self.error(
                    ErrorKind::InvalidName,
                    &path,
                    At::Name,
                    "a stinger name",
                    format!("{:?}", s.name),
                ));
            }
            if nth > 0 {
                self.report(self.error(
                    ErrorKind::Duplicate,
                    &path,
                    At::Name,
                    "each stinger defined once",
                    format!("`{}` a second time", s.name),
                ));
            }
            let at = |field| with(&path, f(field));
            if !matches!(s.quantize, Quantize::Beat | Quantize::Bar) {
                self.report(self.error(
                    ErrorKind::OutOfRange,
                    &at("quantize"),
                    At::Value,
                    "`Beat` or `Bar`",
                    format!("{:?}", s.quantize),
                ));
            }
            self.range(&at("duck_db"), s.duck_db, 0.0, 60.0, "between 0 and 60 dB");
            self.range(&at("bars"), s.bars, 1, 8, "between 1 and 8 bars");
            self.range(
                &at("arousal_shift"),
                s.arousal_shift,
                -2.0,
                2.0,
                "between -2 and 2",
            );
        }
    }

    fn references(&self, env: &dyn Environment) {
        let m = self.map;
        self.palette_exists(&[f("palette")], &m.palette, env);
        for (i, mood) in m.moods.iter().enumerate() {
            let nth = m.moods[..i].iter().filter(|o| o.name == mood.name).count();
            let path = [f("moods"), Seg::Key(mood.name.clone(), nth)];
            if let Some(p) = &mood.palette {
                self.palette_exists(&with(&path, f("palette")), p, env);
            }
            // Paths that are not relative are reported by `moods`.
            if let Some(rel) = &mood.leitmotif
                && !(rel.as_os_str().is_empty() || rel.is_absolute() || rel.has_root())
            {
                let full = match m.path().parent() {
                    Some(dir) => dir.join(rel),
                    None => rel.clone(),
                };
                if let Err(why) = env.leitmotif(&full) {
                    self.report(self.error(
                        ErrorKind::UnreadableFile,
                        &with(&path, f("leitmotif")),
                        At::Value,
                        "a readable MIDI file with a melody, relative to the map file",
                        format!("{:?} ({why})", rel.display().to_string()),
                    ));
                }
            }
        }
    }

    /// A palette is a built-in name, or a file when it ends in `.ron`.
    fn palette_exists(&self, path: &[Seg], name: &str, env: &dyn Environment) {
        if name.trim().is_empty() {
            // Reported by `palette`.
            return;
        }
        if name.ends_with(".ron") {
            if let Err(why) = env.palette_file(Path::new(name)) {
                self.report(self.error(
                    ErrorKind::UnreadableFile,
                    path,
                    At::Value,
                    "a readable palette file",
                    format!("{name:?} ({why})"),
                ));
            }
            return;
        }
        let builtins = env.builtin_palettes();
        let wanted = name.trim().to_ascii_lowercase();
        if !builtins.iter().any(|b| b.to_ascii_lowercase() == wanted) {
            self.report(self.error(
                ErrorKind::UnknownPalette,
                path,
                At::Value,
                format!(
                    "a built-in palette ({}) or a palette file ending in `.ron`",
                    quoted_list(&builtins)
                ),
                format!("{name:?}"),
            ));
        }
    }
}

/// The byte offset of `name` in `text` as a whole word.
fn word_offset(text: &str, name: &str) -> Option<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name).map(|(i, _)| i).find(|&i| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}
