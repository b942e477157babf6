//! The audio-thread side of the conductor.

use std::sync::{Arc, atomic::Ordering};

use kira::{Frame, info::Info, sound::Sound};

use super::{Command, PENDING_RAMPS_PER_CLIP, Shared};
use crate::{
    clip::{Bus, ClipData, GainRamp},
    limiter::{Limiter, LimiterSettings},
};

/// Frames mixed per bus pass: the size of the conductor's scratch buffer.
const SCRATCH_FRAMES: usize = 256;

/// A gain that follows ramps: a clip's own gain, or a bus's.
#[derive(Debug, Clone, Copy)]
struct GainTrack {
    /// Gain in effect when no ramp runs, or the gain a running ramp started from.
    gain: f32,
    /// The running ramp, if any.
    ramp: Option<GainRamp>,
    /// Ramps waiting for their start sample, in arrival order.
    pending: [Option<GainRamp>; PENDING_RAMPS_PER_CLIP],
}

impl GainTrack {
    fn new(gain: f32) -> Self {
        Self {
            gain,
            ramp: None,
            pending: [None; PENDING_RAMPS_PER_CLIP],
        }
    }

    /// Queues `ramp`; false when the pending list is full. The newest
    /// command says what the gain does from its start on: pending ramps
    /// that would start at or after it are dropped (so a game may restate a
    /// future gain as often as it likes without filling the list).
    fn push(&mut self, ramp: GainRamp) -> bool {
        for r in &mut self.pending {
            if r.is_some_and(|r| r.at >= ramp.at) {
                *r = None;
            }
        }
        match self.pending.iter_mut().find(|r| r.is_none()) {
            Some(free) => {
                *free = Some(ramp);
                true
            }
            None => false,
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

    /// Prepares sample `t` and returns the end of the segment from `t` on
    /// (at most `end`) over which the gain is either constant or one ramp,
    /// and whether it ramps.
    fn segment(&mut self, t: u64, end: u64) -> (u64, bool) {
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
        (segment_end, ramping)
    }

    /// Multiplies `frames` (samples `t..`) by the gain, in place.
    fn apply(&mut self, frames: &mut [Frame], t: u64) {
        let end = t + frames.len() as u64;
        let mut u = t;
        while u < end {
            let (segment_end, ramping) = self.segment(u, end);
            let dst = &mut frames[(u - t) as usize..(segment_end - t) as usize];
            if ramping {
                let ramp = self.ramp.expect("ramping");
                for (k, f) in dst.iter_mut().enumerate() {
                    *f *= ramp.gain_at(self.gain, u + k as u64);
                }
            } else if self.gain != 1.0 {
                let g = self.gain;
                for f in dst.iter_mut() {
                    *f *= g;
                }
            }
            u = segment_end;
        }
    }
}

/// A clip on the timeline, as the audio thread holds it.
#[derive(Debug)]
struct Slot {
    id: u64,
    data: ClipData,
    start: u64,
    looping: bool,
    bus: Bus,
    /// First silent sample for good (`u64::MAX`: never).
    stop: u64,
    gain: GainTrack,
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
            let (segment_end, ramping) = self.gain.segment(t, end);
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
        let gain = self.gain.gain;
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
        let ramp = self.gain.ramp.expect("mix_ramp runs with a ramp");
        let mut index = self.data_index(t);
        for (k, d) in dst.iter_mut().enumerate() {
            let gain = ramp.gain_at(self.gain.gain, t + k as u64);
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
    buses: [GainTrack; Bus::COUNT],
    scratch: Vec<Frame>,
    position: u64,
    master: Option<Master>,
}

/// The master bus: the limiter, and what it needs to look ahead without
/// changing the timeline.
#[derive(Debug)]
struct Master {
    limiter: Limiter,
    /// The mix of the samples after the buffer, for the limiter to look at.
    ahead: Vec<Frame>,
    /// The clips' and buses' gain states, saved while the look-ahead is mixed.
    saved_slots: Vec<Option<GainTrack>>,
    saved_buses: [GainTrack; Bus::COUNT],
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
        limiter: Option<LimiterSettings>,
    ) -> Self {
        let master = limiter.map(|settings| {
            let limiter = Limiter::with_valid(settings, SCRATCH_FRAMES);
            Master {
                ahead: vec![Frame::ZERO; limiter.ahead_frames()],
                limiter,
                saved_slots: vec![None; clip_capacity],
                saved_buses: [GainTrack::new(1.0); Bus::COUNT],
            }
        });
        Self {
            commands,
            shared,
            slots: (0..clip_capacity).map(|_| None).collect(),
            buses: [GainTrack::new(1.0); Bus::COUNT],
            scratch: vec![Frame::ZERO; SCRATCH_FRAMES],
            position: 0,
            master,
        }
    }

    /// Mixes every clip and bus into `out` (zeroed) for samples
    /// `start..start + out.len()`, advancing the gain ramps.
    fn mix(&mut self, out: &mut [Frame], start: u64) {
        for (c, chunk) in out.chunks_mut(SCRATCH_FRAMES).enumerate() {
            let chunk_start = start + (c * SCRATCH_FRAMES) as u64;
            let chunk_end = chunk_start + chunk.len() as u64;
            for bus in Bus::ALL {
                let scratch = &mut self.scratch[..chunk.len()];
                let mut any = false;
                for slot in self.slots.iter_mut().flatten() {
                    if slot.bus == bus && slot.start < chunk_end && slot.end() > chunk_start {
                        if !any {
                            scratch.fill(Frame::ZERO);
                            any = true;
                        }
                        slot.mix_into(scratch, chunk_start);
                    }
                }
                if any {
                    self.buses[bus.index()].apply(scratch, chunk_start);
                    for (o, s) in chunk.iter_mut().zip(scratch.iter()) {
                        *o += *s;
                    }
                } else {
                    // Keep the bus's ramps moving even while it is silent.
                    self.buses[bus.index()].segment(chunk_end, chunk_end);
                }
            }
        }
    }

    /// Mixes and limits `out` (zeroed, at most `SCRATCH_FRAMES` long) for
    /// samples `start..`: the look-ahead after it is mixed from the gain
    /// states as they are now, which are then put back, so the timeline
    /// moves on only by `out.len()` samples.
    fn render(&mut self, out: &mut [Frame], start: u64) {
        self.mix(out, start);
        let Some(mut master) = self.master.take() else {
            return;
        };
        let end = start + out.len() as u64;
        for (saved, slot) in master.saved_slots.iter_mut().zip(&self.slots) {
            *saved = slot.as_ref().map(|s| s.gain);
        }
        master.saved_buses = self.buses;
        master.ahead.fill(Frame::ZERO);
        self.mix(&mut master.ahead, end);
        for (saved, slot) in master.saved_slots.iter().zip(&mut self.slots) {
            if let (Some(gain), Some(slot)) = (saved, slot) {
                slot.gain = *gain;
            }
        }
        self.buses = master.saved_buses;
        master.limiter.process(out, &master.ahead);
        self.master = Some(master);
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
                    bus: clip.bus,
                    stop: clip.stop.unwrap_or(u64::MAX),
                    gain: GainTrack::new(clip.gain),
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
                if !slot.gain.push(ramp) {
                    Self::count(&shared.rejected);
                }
            }
            Command::BusRamp { bus, ramp } => {
                if ramp.at < now {
                    Self::count(&self.shared.late);
                }
                if !self.buses[bus.index()].push(ramp) {
                    Self::count(&self.shared.rejected);
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
        let began = std::time::Instant::now();
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
        if dt > 0.0
            && let Some(master) = &mut self.master
        {
            master.limiter.set_sample_rate((1.0 / dt).round() as u32);
        }
        for (c, chunk) in out.chunks_mut(SCRATCH_FRAMES).enumerate() {
            self.render(chunk, buffer_start + (c * SCRATCH_FRAMES) as u64);
        }
        let mut active = 0;
        for entry in &mut self.slots {
            let Some(slot) = entry else { continue };
            // Ended, or stopped before its start (it will never play).
            if slot.end() <= buffer_end || slot.end() <= slot.start {
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
        if let Some(master) = &self.master {
            self.shared
                .limited
                .store(master.limiter.limited_frames(), Ordering::Relaxed);
        }
        self.shared
            .busy_nanos
            .fetch_add(began.elapsed().as_nanos() as u64, Ordering::Relaxed);
        self.shared.position.store(buffer_end, Ordering::Release);
    }

    fn finished(&self) -> bool {
        self.shared.removed.load(Ordering::Acquire)
    }
}
