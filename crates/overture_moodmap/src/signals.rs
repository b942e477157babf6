//! What the game tells the music: named numbers and flags.

use std::collections::BTreeMap;

use crate::map::MoodMap;

/// The game's signals: named numbers and flags, set each frame or when they
/// change. A signal the game has not set has its declared default; a flag
/// not set is off.
///
/// ```
/// use overture_moodmap::Signals;
/// let mut signals = Signals::new();
/// signals.set("threat", 0.8).set_flag("boss_active", true);
/// assert_eq!(signals.get("threat"), Some(0.8));
/// assert_eq!(signals.get("boss_active"), Some(1.0));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    values: BTreeMap<String, f64>,
}

impl Signals {
    /// No signals set: every signal has its default.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a numeric signal (values outside its declared range are
    /// clamped when rules read them).
    pub fn set(&mut self, name: &str, value: f64) -> &mut Self {
        match self.values.get_mut(name) {
            Some(v) => *v = value,
            None => {
                self.values.insert(name.to_string(), value);
            }
        }
        self
    }

    /// Sets a flag on or off (stored as 1 or 0).
    pub fn set_flag(&mut self, name: &str, on: bool) -> &mut Self {
        self.set(name, if on { 1.0 } else { 0.0 })
    }

    /// The value the game set, if it set one.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.get(name).copied()
    }

    /// Forgets the value of `name`, so that it has its default again.
    pub fn unset(&mut self, name: &str) -> Option<f64> {
        self.values.remove(name)
    }

    /// The signals set, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.values.iter().map(|(k, &v)| (k.as_str(), v))
    }

    /// The value rules and expressions see for `name` under `map`: the
    /// value set or the default, clamped into the declared range; a flag is
    /// 1 when set above 0 and 0 otherwise. A NaN value counts as unset.
    pub fn value(&self, map: &MoodMap, name: &str) -> f64 {
        let set = self.get(name).filter(|v| !v.is_nan());
        if let Some(def) = map.signals.iter().find(|s| s.name == name) {
            let v = set.unwrap_or(def.default);
            return match def.range {
                // max/min rather than clamp: a map changed in code may hold
                // a reversed range, and clamp would panic on it.
                Some((lo, hi)) => v.max(lo).min(hi),
                None => v,
            };
        }
        if map.flags.iter().any(|f| f == name) {
            return if set.is_some_and(|v| v > 0.0) {
                1.0
            } else {
                0.0
            };
        }
        set.unwrap_or(0.0)
    }
}

impl<S: Into<String>> FromIterator<(S, f64)> for Signals {
    fn from_iter<I: IntoIterator<Item = (S, f64)>>(iter: I) -> Self {
        Self {
            values: iter.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        }
    }
}
