//! The audio thread never allocates or frees: every allocation and
//! deallocation on the current thread is counted while the conductor (alone,
//! and inside kira's renderer) processes, with commands arriving between
//! callbacks, clips ending and clips being rejected.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
};

use kira::{Frame, info::MockInfoBuilder, sound::Sound};
use overture_engine::{
    Clip, ClipData, ConductorBuilder, ConductorHandle, Engine, GainRamp, OfflineEngineSettings,
    OfflineSettings,
};

struct CountingAllocator;

// Both the switch and the count are per thread: tests run in parallel, and
// another test's allocations must not show up in this one's count.
thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static EVENTS: Cell<usize> = const { Cell::new(0) };
}

fn note_event() {
    if COUNTING.with(Cell::get) {
        EVENTS.with(|e| e.set(e.get() + 1));
    }
}

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_event();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_event();
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_event();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_event();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Allocations and frees on this thread while `f` runs.
fn heap_events(f: impl FnOnce()) -> usize {
    let before = EVENTS.with(Cell::get);
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    EVENTS.with(Cell::get) - before
}

#[test]
fn the_counter_sees_allocations_and_frees() {
    assert_eq!(heap_events(|| drop(std::hint::black_box(vec![1u8; 64]))), 2);
}

/// Sends a different mix of commands before each callback: clips that loop,
/// clips that end (freeing their slot), clips that do not fit, ramps, stops.
fn send_commands(handle: &mut ConductorHandle, block: u64, shared: &ClipData) {
    let now = handle.position();
    let c = block % 4;
    let short = ClipData::from_frames(vec![Frame::new(0.01, -0.01); 37]);
    if c == 0 {
        let id = handle
            .schedule(Clip::new(shared.clone(), now + 100).looping(true).gain(0.0))
            .unwrap();
        handle
            .set_gain(id, GainRamp::equal_power(now + 100, 300, 0.2))
            .unwrap();
        handle.stop(id, now + 2_000).unwrap();
    }
    if c == 1 {
        // One-shots that end within a few callbacks: their slots are freed
        // on the audio thread while the handle still holds the data.
        for k in 0..3 {
            handle
                .schedule(Clip::new(short.clone(), now + 50 * k))
                .unwrap();
        }
    }
    if c == 2 {
        let id = handle
            .schedule(Clip::new(shared.clone(), now + 1).stop_at(now + 600))
            .unwrap();
        handle.set_gain(id, GainRamp::linear(now, 64, 0.5)).unwrap();
    }
    if block % 32 == 5 {
        // More clips than the table holds (8): the rest are rejected.
        for k in 0..10 {
            handle
                .schedule(
                    Clip::new(shared.clone(), now + k)
                        .looping(true)
                        .stop_at(now + 1_500),
                )
                .unwrap();
        }
    }
    if c == 3 && block % 16 == 3 {
        handle.stop_all(now + 10).unwrap();
    }
}

#[test]
fn conductor_process_neither_allocates_nor_frees() {
    let (mut conductor, mut handle) = ConductorBuilder::new().clip_capacity(8).build();
    let info = MockInfoBuilder::new().build();
    let shared = ClipData::from_frames(vec![Frame::new(0.1, 0.2); 1000]);
    let mut out = vec![Frame::ZERO; 512];
    let mut events = 0;
    for block in 0..400u64 {
        send_commands(&mut handle, block, &shared);
        let n = [512, 64, 333, 128][block as usize % 4];
        events += heap_events(|| conductor.process(&mut out[..n], 1.0 / 48_000.0, &info));
    }
    let stats = handle.stats();
    assert!(
        stats.rejected > 0,
        "the table overflowed at some point: {stats:?}"
    );
    assert_eq!(events, 0, "allocations or frees in Conductor::process");
}

#[test]
fn kira_rendering_with_the_conductor_neither_allocates_nor_frees() {
    let mut engine = Engine::offline_with(OfflineEngineSettings {
        backend: OfflineSettings {
            sample_rate: 44_100,
            block_size: 256,
        },
        internal_buffer_size: 128,
        conductor: ConductorBuilder::new().clip_capacity(8),
    })
    .unwrap();
    let shared = ClipData::from_frames(vec![Frame::new(0.1, 0.2); 1000]);
    let (mut left, mut right) = (vec![0.0; 256], vec![0.0; 256]);
    let mut events = 0;
    for block in 0..400u64 {
        send_commands(engine.conductor(), block, &shared);
        events += heap_events(|| engine.render_into(&mut left, &mut right));
    }
    assert!(engine.conductor().stats().rejected > 0);
    assert!(left.iter().any(|&x| x != 0.0) || engine.conductor().stats().active_clips > 0);
    assert_eq!(events, 0, "allocations or frees while kira rendered");
}

#[test]
fn the_master_bus_limiter_neither_allocates_nor_frees_while_it_limits() {
    // Loud overlapping clips on both buses, so the limiter works hard, with
    // its look-ahead crossing clip starts, stops and ramps.
    let (mut conductor, mut handle) = ConductorBuilder::new().clip_capacity(8).build();
    let info = MockInfoBuilder::new().build();
    let loud: Vec<Frame> = (0..4_800)
        .map(|i| {
            let x = (i as f32 * 0.37).sin() * 0.8;
            Frame::new(x, -x)
        })
        .collect();
    let loud = ClipData::from_frames(loud);
    let mut out = vec![Frame::ZERO; 512];
    let mut events = 0;
    for block in 0..400u64 {
        let now = handle.position();
        if block % 8 == 0 {
            let id = handle
                .schedule(Clip::new(loud.clone(), now + 70).looping(true))
                .unwrap();
            handle
                .set_gain(id, GainRamp::equal_power(now + 200, 900, 0.0))
                .unwrap();
            handle.stop(id, now + 1_100).unwrap();
            handle
                .schedule(
                    Clip::new(loud.clone(), now + 300)
                        .on_bus(overture_engine::Bus::Stinger)
                        .stop_at(now + 2_000),
                )
                .unwrap();
        }
        send_commands(&mut handle, block, &loud);
        let n = [512, 64, 333, 128, 1][block as usize % 5];
        events += heap_events(|| conductor.process(&mut out[..n], 1.0 / 48_000.0, &info));
    }
    let stats = handle.stats();
    assert!(
        stats.limited_frames > 10_000,
        "the limiter engaged: {stats:?}"
    );
    assert_eq!(events, 0, "allocations or frees in the limited conductor");
}
