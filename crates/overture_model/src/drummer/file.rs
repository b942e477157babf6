//! The drummer's model files: weights in safetensors, and a JSON file with
//! the network's shape, what it learned about each style's bars (the
//! calibration that turns a mood into a density and loudness) and how it was
//! trained.

use std::path::Path;

use candle_core::Device;
use candle_nn::VarMap;

use super::{
    network::{DrumNet, DrummerConfig, build},
    steps::Steps,
    style::GrooveStyle,
};
use crate::{checkpoint, error::ModelError};

/// Format version of the drummer's JSON file.
pub const DRUMMER_FORMAT: u32 = 1;

/// Quantiles kept of each style's bar density and loudness (0 %, 10 % … 100 %).
pub const QUANTILES: usize = 11;

/// What the drummer knows of each style's bars, from its training data.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DrumCalibration {
    /// Per style ([`GrooveStyle::ALL`] order), the density quantiles of its groove bars.
    pub density: Vec<Vec<f32>>,
    /// Per style, the loudness quantiles of its groove bars.
    pub loudness: Vec<Vec<f32>>,
}

impl DrumCalibration {
    /// Measures the non-empty bars of `parts` (each with its style).
    pub fn measure<'a>(parts: impl Iterator<Item = (GrooveStyle, &'a Steps)>) -> Self {
        let mut density = vec![Vec::new(); GrooveStyle::COUNT];
        let mut loudness = vec![Vec::new(); GrooveStyle::COUNT];
        for (style, steps) in parts {
            for bar in 0..steps.bars() {
                if steps.density(bar) > 0.0 && !steps.is_fill(bar) {
                    density[style.index()].push(steps.density(bar));
                    loudness[style.index()].push(steps.loudness(bar));
                }
            }
        }
        Self {
            density: density.into_iter().map(quantiles).collect(),
            loudness: loudness.into_iter().map(quantiles).collect(),
        }
    }

    /// The density at quantile `q` in [0, 1] of `style`'s bars.
    pub fn density_at(&self, style: GrooveStyle, q: f32) -> f32 {
        interpolate(&self.density[style.index()], q)
    }

    /// The loudness at quantile `q` in [0, 1] of `style`'s bars.
    pub fn loudness_at(&self, style: GrooveStyle, q: f32) -> f32 {
        interpolate(&self.loudness[style.index()], q)
    }

    fn check(&self, path: &Path) -> Result<(), ModelError> {
        for (name, table) in [("density", &self.density), ("loudness", &self.loudness)] {
            let ok = table.len() == GrooveStyle::COUNT
                && table.iter().all(|q| {
                    q.len() == QUANTILES
                        && q.iter().all(|x| x.is_finite() && (0.0..=1.0).contains(x))
                        && q.windows(2).all(|w| w[0] <= w[1])
                });
            if !ok {
                return Err(ModelError::Weights {
                    path: path.to_path_buf(),
                    message: format!(
                        "calibration.{name}: expected {} styles of {QUANTILES} rising quantiles in [0, 1]",
                        GrooveStyle::COUNT
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

/// How a drummer was trained.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DrummerTraining {
    /// The corpus folder, as given.
    pub corpus: String,
    /// Training performances and bars.
    pub performances: usize,
    /// Training bars.
    pub bars: usize,
    /// Optimizer steps.
    pub steps: usize,
    /// Windows per batch.
    pub batch: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// Seed of initialization and batch order.
    pub seed: u64,
    /// Mean training loss over the last 10 % of steps.
    pub train_loss: f64,
    /// Loss on the validation split at the end.
    pub held_out_loss: f64,
    /// Loss on the validation split before training.
    pub initial_held_out_loss: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Contents of a drummer's `NAME.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DrummerFile {
    /// Format version ([`DRUMMER_FORMAT`]).
    pub format: u32,
    /// The model's name.
    pub name: String,
    /// Network shape.
    pub config: DrummerConfig,
    /// Per-style bar statistics.
    pub calibration: DrumCalibration,
    /// How it was trained.
    pub training: DrummerTraining,
}

impl DrummerFile {
    /// Parses and checks a drummer's JSON (named `path` in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ModelError> {
        let file: DrummerFile = checkpoint::parse_model_json(
            text,
            path,
            "drummer",
            |f: &DrummerFile| f.format,
            DRUMMER_FORMAT,
            "overture train-drummer",
        )?;
        file.config.validate(path)?;
        file.calibration.check(path)?;
        Ok(file)
    }
}

/// Builds the network a drummer file describes and fills it from safetensors
/// `weights` (named `weights_path` in errors).
pub fn load_network(
    file: &DrummerFile,
    weights: &[u8],
    weights_path: &Path,
) -> Result<(VarMap, DrumNet), ModelError> {
    checkpoint::check_weights_len(weights, file.config.parameters(), "drummer", weights_path)?;
    let (varmap, net) = build(file.config, &Device::Cpu)?;
    checkpoint::load_weights_from(&varmap, weights, weights_path)?;
    Ok((varmap, net))
}

/// Writes a drummer's weights and JSON as `out.safetensors` and `out.json`.
pub fn save(varmap: &VarMap, file: &DrummerFile, out: &Path) -> Result<(), ModelError> {
    checkpoint::save_model(varmap, file, out)
}
