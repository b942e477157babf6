//! The audio-thread side of the conductor.

use std::sync::{Arc, atomic::Ordering};

use kira::{Frame, info::Info, sound::Sound};

use super::{Command, PENDING_RAMPS_PER_CLIP, Shared};
use crate::clip::{ClipData, GainRamp};

/// A clip on the timeline, as the audio thread holds it.
#[derive(Debug)]
struct Slot {
    id: u64,
    data: ClipData,
    start: u64,
    looping: bool,
    /// First silent sample for good (`u64::MAX`: never).
    stop: u64,
    /// Gain in effect when no ramp runs, or the gain a running ramp started from.
    gain: f32,
    /// The running ramp, if any.
    ramp: Option<GainRamp>,
    /// Ramps waiting for their start sample, in arrival order.
    pending: [Option<GainRamp>; PENDING_RAMPS_PER_CLIP],
}

impl Slot {
    /// The first sample after the clip's audio (loops run until stopped).
    fn end(&self) -> u64 {
        if self.looping {
            self.stop
        } else {
            self.stop
                .min(self.start.saturating_add(self.data.len() as u64))
        }
    }

    /// The gain at sample `t`, with the running ramp (not the pending ones).
    fn gain_at(&self, t: u64) -> f32 {
        match &self.ramp {
            Some(r) if t >= r.at => r.gain_at(self.gain, t),
            _ => self.gain,
        }
    }

    /// Starts every pending ramp due at or before `t`, in order of start sample.
    fn start_due_ramps(&mut self, t: u64) {
        loop {
            let due = self
                .pending
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.filter(|r| r.at <= t).map(|r| (i, r.at)))
                .min_by_key(|&(_, at)| at);
            let Some((i, at)) = due else { return };
            let ramp = self.pending[i].take().expect("chosen above");
            self.gain = self.gain_at(at);
            self.ramp = Some(ramp);
        }
    }

    /// The start sample of the earliest pending ramp.
    fn next_pending(&self) -> u64 {
        self.pending
            .iter()
            .flatten()
            .map(|r| r.at)
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Index in the data of the frame playing at sample `t` (`t ≥ start`).
    fn data_index(&self, t: u64) -> usize {
        let offset = t - self.start;
        if self.looping {
            (offset % self.data.len() as u64) as usize
        } else {
            offset as usize
        }
    }

    /// Adds this clip's frames for samples `buffer_start..buffer_start + out.len()`.
    fn mix_into(&mut self, out: &mut [Frame], buffer_start: u64) {
        let buffer_end = buffer_start + out.len() as u64;
        let end = self.end().min(buffer_end);
        let mut t = self.start.max(buffer_start);
        while t < end {
            self.start_due_ramps(t);
            let mut segment_end = end.min(self.next_pending());
            let ramping = match &self.ramp {
                Some(r) if r.end() > t => {
                    segment_end = segment_end.min(r.end());
                    true
                }
                Some(r) => {
                    self.gain = r.target;
                    self.ramp = None;
                    false
                }
                None => false,
            };
            let dst = &mut out[(t - buffer_start) as usize..(segment_end - buffer_start) as usize];
            if ramping {
                self.mix_ramp(dst, t);
            } else {
                self.mix_constant(dst, t);
            }
            t = segment_end;
        }
    }

    fn mix_constant(&self, dst: &mut [Frame], t: u64) {
        let frames = self.data.frames();
        let gain = self.gain;
        let mut index = self.data_index(t);
        let mut dst = dst;
        while !dst.is_empty() {
            let n = dst.len().min(frames.len() - index);
            let (head, rest) = dst.split_at_mut(n);
            for (d, s) in head.iter_mut().zip(&frames[index..index + n]) {
                d.left += s.left * gain;
                d.right += s.right * gain;
            }
            dst = rest;
            index = 0;
        }
    }

    fn mix_ramp(&self, dst: &mut [Frame], t: u64) {
        let frames = self.data.frames();
        let ramp = self.ramp.expect("mix_ramp runs with a ramp");
        let mut index = self.data_index(t);
        for (k, d) in dst.iter_mut().enumerate() {
            let gain = ramp.gain_at(self.gain, t + k as u64);
            let s = frames[index];
            d.left += s.left * gain;
            d.right += s.right * gain;
            index += 1;
            if index == frames.len() {
                index = 0;
            }
        }
    }
}

/// Plays a timeline of clips, each starting on the exact sample it was
/// scheduled for. Built by [`ConductorBuilder`](super::ConductorBuilder).
///
/// Runs on the audio thread: it never allocates, frees, locks or blocks in
/// [`process`](Sound::process). Clips beyond the preallocated capacity are
/// rejected and counted.
pub struct Conductor {
    commands: rtrb::Consumer<Command>,
    shared: Arc<Shared>,
    slots: Vec<Option<Slot>>,
    position: u64,
}

impl std::fmt::Debug for Conductor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conductor")
            .field("position", &self.position)
            .field("clip_capacity", &self.slots.len())
            .finish_non_exhaustive()
    }
}

impl Conductor {
    pub(super) fn new(
        commands: rtrb::Consumer<Command>,
        shared: Arc<Shared>,
        clip_capacity: usize,
    ) -> Self {
        Self {
            commands,
            shared,
            slots: (0..clip_capacity).map(|_| None).collect(),
            position: 0,
        }
    }

    /// Frames rendered so far (the sample clock).
    pub fn position(&self) -> u64 {
        self.position
    }

    fn slot_mut(&mut self, id: u64) -> Option<&mut Slot> {
        self.slots.iter_mut().flatten().find(|s| s.id == id)
    }

    fn count(counter: &std::sync::atomic::AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn apply(&mut self, command: Command) {
        let now = self.position;
        match command {
            Command::Schedule { id, clip } => {
                let Some(free) = self.slots.iter_mut().find(|s| s.is_none()) else {
                    Self::count(&self.shared.rejected);
                    return;
                };
                if clip.start < now {
                    Self::count(&self.shared.late);
                }
                *free = Some(Slot {
                    id,
                    data: clip.data,
                    start: clip.start,
                    looping: clip.looping,
                    stop: clip.stop.unwrap_or(u64::MAX),
                    gain: clip.gain,
                    ramp: None,
                    pending: [None; PENDING_RAMPS_PER_CLIP],
                });
            }
            Command::Ramp { id, ramp } => {
                let shared = &self.shared;
                let Some(slot) = self.slots.iter_mut().flatten().find(|s| s.id == id) else {
                    Self::count(&shared.unknown_clip);
                    return;
                };
                if ramp.at < now {
                    Self::count(&shared.late);
                }
                match slot.pending.iter_mut().find(|r| r.is_none()) {
                    Some(free) => *free = Some(ramp),
                    None => Self::count(&shared.rejected),
                }
            }
            Command::Stop { id, at } => match self.slot_mut(id) {
                Some(slot) => slot.stop = slot.stop.min(at),
                None => Self::count(&self.shared.unknown_clip),
            },
            Command::StopAll { at } => {
                for slot in self.slots.iter_mut().flatten() {
                    slot.stop = slot.stop.min(at);
                }
            }
        }
    }
}

impl Sound for Conductor {
    fn process(&mut self, out: &mut [Frame], dt: f64, _info: &Info) {
        out.fill(Frame::ZERO);
        if self.shared.removed.load(Ordering::Acquire) {
            // The handle is gone and with it the references that keep clip
            // data alive: touch nothing, so nothing is freed here.
            return;
        }
        while let Ok(command) = self.commands.pop() {
            self.apply(command);
        }
        let buffer_start = self.position;
        let buffer_end = buffer_start + out.len() as u64;
        let mut active = 0;
        for entry in &mut self.slots {
            let Some(slot) = entry else { continue };
            slot.mix_into(out, buffer_start);
            if slot.end() <= buffer_end {
                // Not the last reference: the handle keeps one (see `ConductorHandle`).
                *entry = None;
            } else {
                active += 1;
            }
        }
        self.position = buffer_end;
        if dt > 0.0 {
            let sample_rate = (1.0 / dt).round() as u32;
            self.shared
                .sample_rate
                .store(sample_rate, Ordering::Release);
        }
        self.shared.active_clips.store(active, Ordering::Release);
        self.shared.position.store(buffer_end, Ordering::Release);
    }

    fn finished(&self) -> bool {
        self.shared.removed.load(Ordering::Acquire)
    }
}
