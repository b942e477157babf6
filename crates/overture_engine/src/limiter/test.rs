use kira::Frame;
use overture_synth::{buffer::StereoBuffer, loudness::true_peak_dbtp};

use super::*;

const SR: u32 = 48_000;

/// Deterministic noise in [-amp, amp), different on each channel.
fn noise(frames: usize, amp: f32, seed: u32) -> Vec<Frame> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        ((state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0) * amp
    };
    (0..frames).map(|_| Frame::new(next(), next())).collect()
}

/// Runs `input` through a limiter in blocks of `block`, handing it the true
/// look-ahead each time (as the conductor does).
fn limit(settings: LimiterSettings, input: &[Frame], block: usize) -> Vec<Frame> {
    let mut limiter = Limiter::new(settings, block).unwrap();
    limiter.set_sample_rate(SR);
    let a = limiter.ahead_frames();
    let mut out = Vec::with_capacity(input.len());
    for start in (0..input.len()).step_by(block) {
        let end = (start + block).min(input.len());
        let mut frames = input[start..end].to_vec();
        let ahead = &input[end..(end + a).min(input.len())];
        limiter.process(&mut frames, ahead);
        out.extend(frames);
    }
    out
}

fn stereo(frames: &[Frame]) -> StereoBuffer {
    StereoBuffer {
        left: frames.iter().map(|f| f.left).collect(),
        right: frames.iter().map(|f| f.right).collect(),
    }
}

fn bits(frames: &[Frame]) -> Vec<(u32, u32)> {
    frames
        .iter()
        .map(|f| (f.left.to_bits(), f.right.to_bits()))
        .collect()
}

#[test]
fn material_below_the_ceiling_passes_bit_for_bit() {
    let input = noise(20_000, 0.5, 1);
    let out = limit(LimiterSettings::default(), &input, 128);
    assert_eq!(bits(&out), bits(&input));
}

#[test]
fn a_full_scale_sum_is_brought_under_minus_one_dbtp() {
    // Two uncorrelated noises and a loud sine: peaks near +6 dBFS.
    let mut input = noise(48_000, 0.9, 2);
    for (i, (f, g)) in input.iter_mut().zip(noise(48_000, 0.6, 3)).enumerate() {
        let s = (std::f32::consts::TAU * 997.0 * i as f32 / SR as f32).sin() * 0.5;
        *f = Frame::new(f.left + g.left + s, f.right + g.right - s);
    }
    assert!(true_peak_dbtp(&stereo(&input), SR, false) > 3.0);
    let out = limit(LimiterSettings::default(), &input, 128);
    let peak = true_peak_dbtp(&stereo(&out), SR, false);
    assert!(peak <= -1.0, "true peak {peak:.3} dBTP");
}

#[test]
fn inter_sample_peaks_near_nyquist_are_caught() {
    // A sine at fs/4 with a 45° phase: every sample is at 0.707 of the
    // peak, so the sample peak is 3 dB below the true peak.
    let input: Vec<Frame> = (0..24_000)
        .map(|i| {
            let x = (std::f32::consts::FRAC_PI_2 * i as f32 + std::f32::consts::FRAC_PI_4).sin();
            Frame::new(x, x)
        })
        .collect();
    let sample_peak = input.iter().map(|f| f.left.abs()).fold(0.0, f32::max);
    assert!(sample_peak < 0.72);
    let out = limit(LimiterSettings::default(), &input, 64);
    let peak = true_peak_dbtp(&stereo(&out[1_000..]), SR, false);
    assert!(peak <= -1.0, "true peak {peak:.3} dBTP");
    // And only as much as needed: within 0.3 dB of the target.
    assert!(peak > -1.4, "true peak {peak:.3} dBTP");
}

#[test]
fn the_gain_comes_down_before_a_peak_not_after() {
    let settings = LimiterSettings {
        release_ms: 5.0,
        ..Default::default()
    };
    let mut input = vec![Frame::new(0.1, 0.1); 6_000];
    input[1_000] = Frame::new(2.0, -2.0);
    let out = limit(settings, &input, 100);
    let l = settings.lookahead_frames;
    // Untouched until the look-ahead window reaches the peak.
    assert!(out[..1_000 - l].iter().all(|f| f.left == 0.1));
    // Already turned down on the way to it, and the peak itself at the target.
    assert!(out[1_000 - l / 2].left < 0.1);
    assert!(out[1_000].left.abs() <= settings.target() * 1.000_01);
    // Released afterwards, back to exactly 1 eventually.
    assert!(out[1_100].left < 0.1);
    assert_eq!(out[5_999], Frame::new(0.1, 0.1));
}

#[test]
fn output_does_not_depend_on_the_block_size() {
    let mut input = noise(10_000, 0.7, 5);
    for f in &mut input[4_000..6_000] {
        *f *= 2.0;
    }
    let reference = bits(&limit(LimiterSettings::default(), &input, 1));
    for block in [7, 64, 128, 256] {
        assert_eq!(
            reference,
            bits(&limit(LimiterSettings::default(), &input, block)),
            "block {block}"
        );
    }
}

#[test]
fn invalid_settings_name_the_field_the_range_and_the_value() {
    let bad = LimiterSettings {
        lookahead_frames: 0,
        ..Default::default()
    };
    assert_eq!(
        Limiter::new(bad, 256).unwrap_err().to_string(),
        "limiter lookahead_frames: expected between 1 and 1024 frames, found 0"
    );
    let bad = LimiterSettings {
        ceiling_dbtp: f32::NAN,
        ..Default::default()
    };
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "limiter ceiling_dbtp: expected between -60 and 0 dBTP, found NaN"
    );
}

#[test]
fn loud_sines_up_to_near_nyquist_noise_and_clicks_all_stay_under_the_ceiling() {
    // The true-peak meter (ebur128's, as BS.1770) interpolates with another
    // filter than the limiter's; the default margin covers the difference
    // for every kind of material here.
    let mut worst = f64::NEG_INFINITY;
    let mut cases: Vec<(String, Vec<Frame>)> = Vec::new();
    for (i, hz) in [
        55.0, 440.0, 3_000.0, 9_000.0, 12_000.0, 15_500.0, 19_000.0, 21_000.0,
    ]
    .into_iter()
    .enumerate()
    {
        let phase = i as f32 * 0.7;
        let sine: Vec<Frame> = (0..12_000)
            .map(|n| {
                let x = 1.6 * (std::f32::consts::TAU * hz * n as f32 / SR as f32 + phase).sin();
                Frame::new(x, -x * 0.8)
            })
            .collect();
        cases.push((format!("sine {hz} Hz"), sine));
    }
    cases.push(("noise".into(), noise(24_000, 1.8, 9)));
    let mut clicks = noise(24_000, 0.2, 11);
    for k in (500..24_000).step_by(997) {
        clicks[k] = Frame::new(3.0, -3.0);
        clicks[k + 1] = Frame::new(-3.0, 3.0);
    }
    cases.push(("clicks".into(), clicks));
    for (name, input) in &cases {
        for block in [64, 441, 512] {
            let out = limit(LimiterSettings::default(), input, block);
            let peak = true_peak_dbtp(&stereo(&out), SR, false);
            worst = worst.max(peak);
            assert!(
                peak <= -1.0,
                "{name}, block {block}: true peak {peak:.3} dBTP"
            );
        }
    }
    println!("worst true peak {worst:.3} dBTP");
}
