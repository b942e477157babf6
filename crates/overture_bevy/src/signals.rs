//! Game state in: named signals the game sets, and threat components the
//! plugin sums into signals each frame.

use bevy::prelude::*;
use overture_moodmap::Signals;

/// The game's named numbers and flags, read by the mood map's rules.
///
/// ```
/// # use overture_bevy::MusicSignals;
/// let mut signals = MusicSignals::default();
/// signals.set("health", 0.3).set_flag("boss_active", true);
/// assert_eq!(signals.get("health"), Some(0.3));
/// ```
#[derive(Resource, Debug, Default, Clone)]
pub struct MusicSignals(pub Signals);

impl MusicSignals {
    /// Sets a number.
    pub fn set(&mut self, name: &str, value: f64) -> &mut Self {
        self.0.set(name, value);
        self
    }

    /// Sets a flag.
    pub fn set_flag(&mut self, name: &str, on: bool) -> &mut Self {
        self.0.set_flag(name, on);
        self
    }

    /// The value of `name` (flags read 1 or 0), if set.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.get(name)
    }
}

/// Where the music "listens" from: usually the player. Threats are weighed
/// by their distance to it.
#[derive(Component, Debug, Default, Clone, Copy)]
pub struct MusicListener;

/// Something that makes the music tense: an enemy, a hazard. Each adds
/// `weight × (1 − distance / radius)` (when closer than `radius`) to the
/// threat signal and 1 to the count signal.
#[derive(Component, Debug, Clone, Copy)]
pub struct ThreatSource {
    /// Threat at zero distance.
    pub weight: f32,
    /// Distance at which it stops counting.
    pub radius: f32,
}

impl Default for ThreatSource {
    fn default() -> Self {
        Self {
            weight: 1.0,
            radius: 400.0,
        }
    }
}

/// Names of the signals the plugin writes from [`ThreatSource`]s.
#[derive(Resource, Debug, Clone)]
pub struct ThreatSignals {
    /// The summed, distance-weighted threat.
    pub threat: String,
    /// How many threats are within their radius.
    pub count: String,
}

impl Default for ThreatSignals {
    fn default() -> Self {
        Self {
            threat: "threat".into(),
            count: "enemies_near".into(),
        }
    }
}

/// Sums threats around the listener into the threat signals (nothing is
/// written while there is no listener).
pub fn aggregate_threats(
    names: Res<ThreatSignals>,
    listener: Query<&GlobalTransform, With<MusicListener>>,
    threats: Query<(&GlobalTransform, &ThreatSource)>,
    mut signals: ResMut<MusicSignals>,
) {
    let Some(listener) = listener.iter().next() else {
        return;
    };
    let here = listener.translation();
    let (mut threat, mut count) = (0.0f64, 0.0f64);
    for (at, source) in &threats {
        let d = at.translation().distance(here);
        if source.radius > 0.0 && d < source.radius {
            threat += f64::from(source.weight * (1.0 - d / source.radius));
            count += 1.0;
        }
    }
    signals.set(&names.threat, threat).set(&names.count, count);
}
