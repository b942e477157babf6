//! Choosing the mood and the intensity from the signals, frame by frame.

use crate::{error::UnknownMood, map::MoodMap, signals::Signals};

/// What [`MoodSelector::update`] chose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Selection<'m> {
    /// The mood to play (empty only for a map without moods).
    pub mood: &'m str,
    /// The intensity in [0, 1], unsmoothed (the engine glides layer gains).
    pub intensity: f32,
    /// Whether the mood differs from the previous update's (true on the first).
    pub changed: bool,
}

/// Evaluates a map's rules against the game's signals, with the state that
/// hysteresis, the minimum dwell time and cutscene overrides need.
///
/// Each update:
///
/// 1. Every rule is tested. A rule that did not hold holds once its value
///    passes its threshold (above `above`, below `below`; with neither,
///    above 0); a rule that held keeps holding until the value falls past
///    the threshold by its `hysteresis`. So a noisy signal near a threshold
///    does not flip the mood back and forth.
/// 2. The highest-priority rule that holds names the wanted mood (on a tie,
///    the rule written first); with none, the map's default mood.
/// 3. The mood changes to the wanted one only after the current mood has
///    played `min_dwell_secs` (measured on the `now_secs` clock the caller
///    passes), unless the current mood has gone from the map (a hot
///    reload) or an override starts or ends.
/// 4. The intensity is the mood's intensity expression (or the map's),
///    clamped to [0, 1] (NaN gives 0), or the locked intensity.
///
/// [`force_mood`](MoodSelector::force_mood) plays a mood whatever the rules
/// say and [`lock_intensity`](MoodSelector::lock_intensity) holds the
/// intensity, for cutscenes; rules keep being tested meanwhile, so their
/// hysteresis state is current when the override ends.
#[derive(Debug, Clone, Default)]
pub struct MoodSelector {
    current: Option<String>,
    changed_at: f64,
    holding: Vec<bool>,
    forced: Option<String>,
    locked: Option<f32>,
    skip_dwell: bool,
    scratch: Vec<f64>,
}

impl MoodSelector {
    /// A selector that has chosen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Chooses the mood and the intensity for `signals` at time `now_secs`
    /// (seconds on any clock that does not run backwards, such as the game's
    /// elapsed time). Does not allocate except when the mood changes.
    pub fn update<'m>(
        &mut self,
        map: &'m MoodMap,
        signals: &Signals,
        now_secs: f64,
    ) -> Selection<'m> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let wanted = self.wanted(map, signals, &mut scratch);
        let current = self
            .current
            .as_deref()
            .and_then(|c| map.mood(c))
            .map(|m| m.name.as_str());
        let elapsed = now_secs - self.changed_at;
        // A clock that went backwards (or NaN) does not hold the mood.
        let dwelt = elapsed >= map.min_dwell_secs || elapsed.is_nan() || elapsed < 0.0;
        let (mood, changed) = match current {
            Some(cur) if cur == wanted => (cur, false),
            Some(cur) if !(dwelt || self.forced.is_some() || self.skip_dwell) => (cur, false),
            _ => (wanted, true),
        };
        if changed {
            self.current = Some(mood.to_string());
            self.changed_at = now_secs;
            self.skip_dwell = false;
        }
        let intensity = match self.locked {
            Some(i) => i,
            None => {
                let v = map
                    .intensity_of(mood)
                    .eval(&mut scratch, |name| signals.value(map, name));
                clamp_unit(v as f32)
            }
        };
        self.scratch = scratch;
        Selection {
            mood,
            intensity,
            changed,
        }
    }

    /// The mood the rules (or the override) ask for now, updating each
    /// rule's holding state.
    fn wanted<'m>(
        &mut self,
        map: &'m MoodMap,
        signals: &Signals,
        scratch: &mut Vec<f64>,
    ) -> &'m str {
        if self.holding.len() != map.rules.len() {
            self.holding = vec![false; map.rules.len()];
        }
        let mut best: Option<(i32, &'m str)> = None;
        for (rule, holding) in map.rules.iter().zip(self.holding.iter_mut()) {
            let v = rule.when.eval(scratch, |name| signals.value(map, name));
            let margin = if *holding && rule.hysteresis > 0.0 {
                rule.hysteresis
            } else {
                0.0
            };
            let (low, high) = rule.bounds();
            *holding = !v.is_nan()
                && low.is_none_or(|low| v > low - margin)
                && high.is_none_or(|high| v < high + margin);
            if *holding
                && let Some(m) = map.mood(&rule.mood)
                && best.is_none_or(|(p, _)| rule.priority > p)
            {
                best = Some((rule.priority, m.name.as_str()));
            }
        }
        if let Some(m) = self.forced.as_deref().and_then(|f| map.mood(f)) {
            return &m.name;
        }
        if let Some((_, mood)) = best {
            return mood;
        }
        map.default_mood()
            .and_then(|d| map.mood(d))
            .or(map.moods.first())
            .map_or("", |m| m.name.as_str())
    }

    /// The mood chosen by the last update.
    pub fn mood(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// Plays `mood` from the next update on, whatever the rules say and
    /// without waiting for the dwell time, until [`release_mood`](MoodSelector::release_mood).
    pub fn force_mood(&mut self, map: &MoodMap, mood: &str) -> Result<(), UnknownMood> {
        if map.mood(mood).is_none() {
            return Err(UnknownMood {
                name: mood.to_string(),
                known: map.moods.iter().map(|m| m.name.clone()).collect(),
            });
        }
        self.forced = Some(mood.to_string());
        Ok(())
    }

    /// Ends [`force_mood`](MoodSelector::force_mood): the next update
    /// follows the rules again, without waiting for the dwell time.
    pub fn release_mood(&mut self) {
        if self.forced.take().is_some() {
            self.skip_dwell = true;
        }
    }

    /// Holds the intensity at `intensity` (clamped to [0, 1]) until
    /// [`unlock_intensity`](MoodSelector::unlock_intensity).
    pub fn lock_intensity(&mut self, intensity: f32) {
        self.locked = Some(clamp_unit(intensity));
    }

    /// Ends [`lock_intensity`](MoodSelector::lock_intensity).
    pub fn unlock_intensity(&mut self) {
        self.locked = None;
    }
}

fn clamp_unit(x: f32) -> f32 {
    if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) }
}
