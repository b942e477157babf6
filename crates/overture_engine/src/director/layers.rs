//! Layers: the bed's per-role gains follow the intensity, changing on the
//! mood's layer quantization point with a linear ramp.

use overture_core::track::Role;

use super::{Director, Segment};
use crate::{
    GainRamp,
    score::{MoodId, layer_gain},
};

/// Layer gains of the bed mood: committed gains and the ramp in flight.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Layers {
    pub(super) from: [f32; 5],
    pub(super) to: [f32; 5],
    pub(super) at: u64,
    pub(super) duration: u64,
}

impl Layers {
    pub(super) fn steady(gains: [f32; 5]) -> Self {
        Self {
            from: gains,
            to: gains,
            at: 0,
            duration: 0,
        }
    }

    pub(super) fn gain_at(&self, role: usize, t: u64) -> f32 {
        if t <= self.at {
            self.from[role]
        } else if self.duration == 0 || t >= self.at + self.duration {
            self.to[role]
        } else {
            let x = (t - self.at) as f32 / self.duration as f32;
            self.from[role] + (self.to[role] - self.from[role]) * x
        }
    }
}

pub(super) fn role_index(role: Role) -> usize {
    Role::ALL
        .iter()
        .position(|r| *r == role)
        .expect("every role is in ALL")
}

impl Director {
    pub(super) fn layer_gains(&self, mood: MoodId) -> [f32; 5] {
        let spec = self.spec(mood);
        Role::ALL.map(|r| layer_gain(&spec.layers, r, self.intensity))
    }
}

impl Director {
    /// Moves layer gains toward the intensity, on the layer quantization point.
    pub(super) fn update_layers(&mut self, pos: u64) {
        let Some(mood) = self.bed_mood() else { return };
        let wanted = self.layer_gains(mood);
        let l = self.layers;
        if wanted.iter().zip(&l.to).all(|(a, b)| (a - b).abs() < 1e-3) {
            return;
        }
        let spec = self.spec(mood).clone();
        let not_before = pos + self.settings.safety_frames;
        let Some(at) = self.next_line(spec.layer_quantize, not_before.max(l.at + 1)) else {
            return;
        };
        if at > pos + self.settings.commit_frames {
            return;
        }
        let Some(grid) = self.bed_at(at).map(Segment::grid) else {
            return;
        };
        let duration = grid.beats_to_frames(spec.layer_smoothing_beats);
        let from = std::array::from_fn(|r| l.gain_at(r, at));
        let mut ramps = Vec::new();
        for s in self.segments.iter().filter(|s| !s.leaving && s.end > at) {
            for (role, id) in &s.clips {
                let Some(role) = role else { continue };
                let r = role_index(*role);
                if (wanted[r] - l.to[r]).abs() >= 1e-3 {
                    let ramp = match s.fade_in {
                        // Not started yet: fade in to the new gain instead
                        // (a ramp at its start would replace the fade-in).
                        Some((frames, shape)) if at <= s.start => GainRamp {
                            at: s.start,
                            duration: frames,
                            target: wanted[r],
                            shape,
                        },
                        _ => GainRamp::linear(at.max(s.start), duration, wanted[r]),
                    };
                    ramps.push((*id, ramp));
                }
            }
        }
        for (id, ramp) in ramps {
            self.send_ramp(id, ramp);
        }
        self.layers = Layers {
            from,
            to: wanted,
            at,
            duration,
        };
        self.stats.layer_changes += 1;
    }
}
