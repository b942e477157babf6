//! The counter-line's model files: weights in safetensors, and a JSON file
//! with the network's shape, what it learned about the corpus lines' bars
//! (the calibration that turns a mood into a density and sounding share) and
//! how it was trained.

use std::path::Path;

use candle_core::Device;
use candle_nn::VarMap;

use super::{
    line::Line,
    network::{CounterConfig, CounterNet, build},
};
use crate::{checkpoint, error::ModelError};

/// Format version of the counter-line's JSON file.
pub const COUNTER_FORMAT: u32 = 1;

/// Quantiles kept of the bars' density and sounding share (0 %, 10 % … 100 %).
pub const QUANTILES: usize = 11;

/// What the counter-line knows of its training lines' bars.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CounterCalibration {
    /// Density quantiles ([`Line::density`]) of the bars that play.
    pub density: Vec<f32>,
    /// Sounding-share quantiles ([`Line::sounding`]) of the bars that play.
    pub sounding: Vec<f32>,
}

impl CounterCalibration {
    /// Measures the bars of `lines` holding at least one onset.
    pub fn measure<'a>(lines: impl Iterator<Item = &'a Line>) -> Self {
        let (mut density, mut sounding) = (Vec::new(), Vec::new());
        for line in lines {
            for bar in 0..line.bars() {
                if line.onsets(bar) > 0 {
                    density.push(line.density(bar));
                    sounding.push(line.sounding(bar));
                }
            }
        }
        Self {
            density: quantiles(density),
            sounding: quantiles(sounding),
        }
    }

    /// The density at quantile `q` in [0, 1].
    pub fn density_at(&self, q: f32) -> f32 {
        interpolate(&self.density, q)
    }

    /// The sounding share at quantile `q` in [0, 1].
    pub fn sounding_at(&self, q: f32) -> f32 {
        interpolate(&self.sounding, q)
    }

    fn check(&self, path: &Path) -> Result<(), ModelError> {
        for (name, q) in [("density", &self.density), ("sounding", &self.sounding)] {
            let ok = q.len() == QUANTILES
                && q.iter().all(|x| x.is_finite() && (0.0..=1.0).contains(x))
                && q.windows(2).all(|w| w[0] <= w[1]);
            if !ok {
                return Err(ModelError::Weights {
                    path: path.to_path_buf(),
                    message: format!(
                        "calibration.{name}: expected {QUANTILES} rising quantiles in [0, 1]"
                    ),
                });
            }
        }
        Ok(())
    }
}

fn quantiles(mut values: Vec<f32>) -> Vec<f32> {
    if values.is_empty() {
        return (0..QUANTILES)
            .map(|i| 0.2 + 0.6 * i as f32 / (QUANTILES - 1) as f32)
            .collect();
    }
    values.sort_by(f32::total_cmp);
    (0..QUANTILES)
        .map(|i| values[(i * (values.len() - 1)) / (QUANTILES - 1)])
        .collect()
}

fn interpolate(table: &[f32], q: f32) -> f32 {
    let q = if q.is_nan() { 0.5 } else { q.clamp(0.0, 1.0) };
    let x = q * (table.len() - 1) as f32;
    let i = (x.floor() as usize).min(table.len() - 2);
    let f = x - i as f32;
    table[i] * (1.0 - f) + table[i + 1] * f
}

/// How a counter-line was trained.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CounterTraining {
    /// The corpus folder, as given.
    pub corpus: String,
    /// Training songs.
    pub songs: usize,
    /// Training windows (each starting on a bar).
    pub windows: usize,
    /// Optimizer steps.
    pub steps: usize,
    /// Windows per batch.
    pub batch: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// Seed of initialization and batch order.
    pub seed: u64,
    /// Mean training loss (nats per step) over the last 10 % of steps.
    pub train_loss: f64,
    /// Loss on the held-out songs at the end.
    pub held_out_loss: f64,
    /// Loss on the held-out songs before training.
    pub initial_held_out_loss: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Contents of a counter-line's `NAME.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CounterFile {
    /// Format version ([`COUNTER_FORMAT`]).
    pub format: u32,
    /// The model's name.
    pub name: String,
    /// Network shape.
    pub config: CounterConfig,
    /// Bar statistics of the training lines.
    pub calibration: CounterCalibration,
    /// How it was trained.
    pub training: CounterTraining,
}

impl CounterFile {
    /// Parses and checks a counter-line's JSON (named `path` in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ModelError> {
        let file: CounterFile = checkpoint::parse_model_json(
            text,
            path,
            "counter-line",
            |f: &CounterFile| f.format,
            COUNTER_FORMAT,
            "overture train-counter",
        )?;
        file.config.validate(path)?;
        file.calibration.check(path)?;
        Ok(file)
    }
}

/// Builds the network a counter-line file describes and fills it from safetensors
/// `weights` (named `weights_path` in errors).
pub fn load_network(
    file: &CounterFile,
    weights: &[u8],
    weights_path: &Path,
) -> Result<(VarMap, CounterNet), ModelError> {
    checkpoint::check_weights_len(
        weights,
        file.config.parameters(),
        "counter-line",
        weights_path,
    )?;
    let (varmap, net) = build(file.config, &Device::Cpu)?;
    checkpoint::load_weights_from(&varmap, weights, weights_path)?;
    Ok((varmap, net))
}

/// Writes a counter-line's weights and JSON as `out.safetensors` and `out.json`.
pub fn save(varmap: &VarMap, file: &CounterFile, out: &Path) -> Result<(), ModelError> {
    checkpoint::save_model(varmap, file, out)
}
