//! Measurements shared by the signal tests.

use rustfft::{FftPlanner, num_complex::Complex};

/// Frequency of the strongest spectral peak (Hann window, zero-padded FFT),
/// refined by parabolic interpolation of the log magnitudes.
pub fn dominant_frequency(x: &[f32], sample_rate: u32) -> f64 {
    let n = x.len().next_power_of_two();
    let mut buf: Vec<Complex<f64>> = (0..n)
        .map(|i| {
            let v = x.get(i).copied().unwrap_or(0.0) as f64;
            let w = if i < x.len() {
                0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / x.len() as f64).cos()
            } else {
                0.0
            };
            Complex::new(v * w, 0.0)
        })
        .collect();
    FftPlanner::new().plan_fft_forward(n).process(&mut buf);
    let mag: Vec<f64> = buf[..n / 2].iter().map(|c| c.norm()).collect();
    let k = (1..mag.len() - 1)
        .max_by(|&a, &b| mag[a].total_cmp(&mag[b]))
        .unwrap();
    let (a, b, c) = (mag[k - 1].ln(), mag[k].ln(), mag[k + 1].ln());
    let offset = 0.5 * (a - c) / (a - 2.0 * b + c);
    (k as f64 + offset) * sample_rate as f64 / n as f64
}
