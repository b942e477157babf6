//! Model files: weights in safetensors, and a JSON file with the network
//! shape, the corpus calibration, the vocabulary and the training record.
//! Loading checks all of it and names the file and the problem.

use std::path::{Path, PathBuf};

use candle_core::Device;
use candle_nn::VarMap;

use crate::{
    encoding::Calibration,
    error::ModelError,
    tokens::{Token, VOCAB_SIZE},
    train::TrainRecord,
    transformer::ModelConfig,
};

/// The fewest bytes a parameter takes in a weights file (f16 storage; f32
/// takes four).
pub const MIN_BYTES_PER_PARAMETER: u64 = 2;

/// Format version of the JSON file.
pub const FORMAT_VERSION: u32 = 1;

/// Contents of a model's `NAME.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelFile {
    /// Format version ([`FORMAT_VERSION`]).
    pub format: u32,
    /// The model's name (its file stem), written into provenance.
    pub name: String,
    /// Network shape.
    pub config: ModelConfig,
    /// Corpus calibration (token levels).
    pub calibration: Calibration,
    /// Every token, by id, as written by `Debug`.
    pub vocabulary: Vec<String>,
    /// How it was trained.
    pub training: TrainRecord,
    /// The model it was fine-tuned from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseModel>,
}

/// Provenance of a fine-tuned model's starting point.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BaseModel {
    /// The base model's name.
    pub name: String,
    /// Where it was loaded from.
    pub path: String,
    /// The corpus it was trained on.
    pub corpus: String,
    /// Its own base's name, if it was fine-tuned too.
    pub base: Option<String>,
}

impl ModelFile {
    /// A model file for the compiled vocabulary.
    pub fn new(
        name: String,
        config: ModelConfig,
        calibration: Calibration,
        training: TrainRecord,
    ) -> Self {
        Self {
            format: FORMAT_VERSION,
            name,
            config,
            calibration,
            vocabulary: vocabulary(),
            training,
            base: None,
        }
    }
}

/// The compiled vocabulary, one name per id.
pub fn vocabulary() -> Vec<String> {
    (0..VOCAB_SIZE)
        .map(|i| format!("{:?}", Token::from_id(i).expect("in range")))
        .collect()
}

/// Writes JSON atomically (a temporary file renamed into place).
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), ModelError> {
    let text = serde_json::to_string_pretty(value).expect("serializable");
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|source| ModelError::Io {
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a small model's `NAME.json` and `NAME.safetensors` (`path` either
/// one, or the stem): the JSON first, checked by `parse` before the weights
/// are read; `what` names the model in errors (`cannot read the drummer:
/// …`). Returns the parsed description, the weights and their path.
pub fn read_model_files<T>(
    path: &Path,
    what: &str,
    parse: impl FnOnce(&str, &Path) -> Result<T, ModelError>,
) -> Result<(T, Vec<u8>, PathBuf), ModelError> {
    let (weights_path, config_path) = resolve(path)?;
    let unreadable = |p: &Path, e: std::io::Error| ModelError::Weights {
        path: p.to_path_buf(),
        message: format!("cannot read the {what}: {e}"),
    };
    let config = std::fs::read_to_string(&config_path).map_err(|e| unreadable(&config_path, e))?;
    let file = parse(&config, &config_path)?;
    let weights = std::fs::read(&weights_path).map_err(|e| unreadable(&weights_path, e))?;
    Ok((file, weights, weights_path))
}

/// Reads a small model's JSON description (the drummer's, the
/// counter-line's): `text` parsed as `T`, named `path` in errors; `what`
/// names the model (`not a drummer model file: …`), and a `format` other
/// than `expected` asks for `retrain`, the command that writes a current
/// one.
pub fn parse_model_json<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
    what: &str,
    format: impl Fn(&T) -> u32,
    expected: u32,
    retrain: &str,
) -> Result<T, ModelError> {
    let file: T = serde_json::from_str(text).map_err(|e| ModelError::Weights {
        path: path.to_path_buf(),
        message: format!("not a {what} model file: {e}"),
    })?;
    let found = format(&file);
    if found != expected {
        return Err(ModelError::Weights {
            path: path.to_path_buf(),
            message: format!(
                "format: expected {expected}, found {found} (retrain with `{retrain}`)"
            ),
        });
    }
    Ok(file)
}

/// Refuses safetensors `weights` shorter than the `parameters` of the
/// `what`'s shape take (at least [`MIN_BYTES_PER_PARAMETER`] each), before
/// any memory is taken for the network.
pub fn check_weights_len(
    weights: &[u8],
    parameters: usize,
    what: &str,
    weights_path: &Path,
) -> Result<(), ModelError> {
    let needed = parameters as u64 * MIN_BYTES_PER_PARAMETER;
    if (weights.len() as u64) < needed {
        return Err(ModelError::Weights {
            path: weights_path.to_path_buf(),
            message: format!(
                "not a valid safetensors file for this {what}'s shape (truncated, or another shape?): {} bytes, less than the {needed} bytes (two per parameter, in f16) of the {parameters} parameters its config describes",
                weights.len()
            ),
        });
    }
    Ok(())
}

/// Writes a small model as `out.safetensors` (its weights) and `out.json`
/// (`file`), creating `out`'s folder.
pub fn save_model<T: serde::Serialize>(
    varmap: &VarMap,
    file: &T,
    out: &Path,
) -> Result<(), ModelError> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| ModelError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    save_weights(varmap, &with_suffix(out, ".safetensors"))?;
    write_json(&with_suffix(out, ".json"), file)
}

/// Saves every variable atomically.
pub fn save_weights(varmap: &VarMap, path: &Path) -> Result<(), ModelError> {
    let tmp = path.with_extension("safetensors.tmp");
    varmap.save(&tmp).map_err(|e| ModelError::Weights {
        path: tmp.clone(),
        message: format!("cannot write: {e}"),
    })?;
    std::fs::rename(&tmp, path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Rewrites the safetensors file `weights` with every tensor stored as f16,
/// atomically, and returns the largest change of a value (relative to the
/// largest value of its tensor). Loading converts back to f32, so the network
/// then computes with exactly the f16 values, and the sampling stepper keeps
/// them as f16, which halves the memory it reads per token.
pub fn store_half(weights: &Path) -> Result<f32, ModelError> {
    let err = |message: String| ModelError::Weights {
        path: weights.to_path_buf(),
        message,
    };
    let tensors = candle_core::safetensors::load(weights, &Device::Cpu)
        .map_err(|e| err(format!("not a valid safetensors file: {e}")))?;
    let mut worst = 0f32;
    let mut half = std::collections::HashMap::new();
    let values = |t: &candle_core::Tensor| {
        t.to_dtype(candle_core::DType::F32)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f32>())
    };
    for (name, t) in tensors {
        let tensor_err = |e: candle_core::Error| err(format!("tensor `{name}`: {e}"));
        let h = t.to_dtype(candle_core::DType::F16).map_err(tensor_err)?;
        let before = values(&t).map_err(tensor_err)?;
        let after = values(&h).map_err(tensor_err)?;
        let scale = before
            .iter()
            .fold(0f32, |m, v| m.max(v.abs()))
            .max(f32::MIN_POSITIVE);
        for (a, b) in before.iter().zip(&after) {
            worst = worst.max((a - b).abs() / scale);
        }
        half.insert(name, h);
    }
    let tmp = weights.with_extension("safetensors.tmp");
    candle_core::safetensors::save(&half, &tmp).map_err(|e| ModelError::Weights {
        path: tmp.clone(),
        message: format!("cannot write: {e}"),
    })?;
    std::fs::rename(&tmp, weights).map_err(|source| ModelError::Io {
        path: weights.to_path_buf(),
        source,
    })?;
    Ok(worst)
}

/// Fills every variable of `varmap` from a safetensors file, requiring the
/// same names and shapes.
pub fn load_weights(varmap: &VarMap, path: &Path) -> Result<(), ModelError> {
    let bytes = std::fs::read(path).map_err(|e| ModelError::Weights {
        path: path.to_path_buf(),
        message: format!("cannot read the weights file: {e}"),
    })?;
    load_weights_from(varmap, &bytes, path)
}

/// Fills every variable of `varmap` from safetensors `bytes` (named `origin`
/// in errors), requiring the same names and shapes.
pub fn load_weights_from(varmap: &VarMap, bytes: &[u8], origin: &Path) -> Result<(), ModelError> {
    let path = origin;
    let err = |message: String| ModelError::Weights {
        path: path.to_path_buf(),
        message,
    };
    let tensors = candle_core::safetensors::load_buffer(bytes, &Device::Cpu).map_err(|e| {
        err(format!(
            "not a valid safetensors file ({} bytes; truncated or corrupt?): {e}",
            bytes.len()
        ))
    })?;
    let data = varmap.data().lock().expect("varmap lock poisoned");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let var = &data[name];
        let t = tensors.get(name).ok_or_else(|| {
            err(format!(
                "tensor `{name}` is missing: the file does not match the model's config"
            ))
        })?;
        if t.shape() != var.shape() {
            return Err(err(format!(
                "tensor `{name}` has shape {:?}, the config expects {:?}",
                t.dims(),
                var.dims()
            )));
        }
        let t = t
            .to_dtype(candle_core::DType::F32)
            .map_err(|e| err(format!("tensor `{name}`: {e}")))?;
        var.set(&t)
            .map_err(|e| err(format!("tensor `{name}`: {e}")))?;
    }
    if let Some(extra) = tensors.keys().find(|k| !data.contains_key(*k)) {
        return Err(err(format!(
            "unexpected tensor `{extra}`: the file does not match the model's config"
        )));
    }
    Ok(())
}

/// `stem` with `suffix` appended (`models/x` + `.json` → `models/x.json`),
/// keeping any dots already in the name.
pub fn with_suffix(stem: &Path, suffix: &str) -> PathBuf {
    let mut s = stem.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Resolves a model argument to its weights and JSON paths: `models/NAME`,
/// `models/NAME.safetensors`, `models/NAME.json`, or a folder holding exactly
/// one model.
pub fn resolve(path: &Path) -> Result<(PathBuf, PathBuf), ModelError> {
    let stem = if path.is_dir() {
        let mut found: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|source| ModelError::Io {
                path: path.to_path_buf(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
            .collect();
        found.sort();
        match found.len() {
            1 => found.remove(0).with_extension(""),
            0 => {
                return Err(ModelError::Weights {
                    path: path.to_path_buf(),
                    message:
                        "no .safetensors model in this folder (train one with `overture train`)"
                            .into(),
                });
            }
            _ => {
                return Err(ModelError::Weights {
                    path: path.to_path_buf(),
                    message: format!(
                        "several models in this folder ({}); name one",
                        found
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
    } else {
        match path.extension().and_then(|e| e.to_str()) {
            Some("safetensors") | Some("json") => path.with_extension(""),
            _ => path.to_path_buf(),
        }
    };
    Ok((
        with_suffix(&stem, ".safetensors"),
        with_suffix(&stem, ".json"),
    ))
}

/// Reads and checks a model's JSON file.
pub fn read_model_file(path: &Path) -> Result<ModelFile, ModelError> {
    let text = std::fs::read_to_string(path).map_err(|e| ModelError::Weights {
        path: path.to_path_buf(),
        message: format!("cannot read the model config: {e}"),
    })?;
    parse_model_file(&text, path)
}

/// Reads and checks the text of a model's JSON file; `path` names the file
/// in errors.
pub fn parse_model_file(text: &str, path: &Path) -> Result<ModelFile, ModelError> {
    let err = |message: String| ModelError::Weights {
        path: path.to_path_buf(),
        message,
    };
    let file: ModelFile = serde_json::from_str(text).map_err(|e| {
        err(format!(
            "not an Overture model config (line {}, column {}): {e}",
            e.line(),
            e.column()
        ))
    })?;
    if file.format != FORMAT_VERSION {
        return Err(err(format!(
            "format version {} but this Overture reads version {FORMAT_VERSION}",
            file.format
        )));
    }
    if file.vocabulary != vocabulary() || file.config.vocab_size != VOCAB_SIZE as usize {
        return Err(err(format!(
            "vocabulary of {} tokens does not match this Overture's {} tokens (a model from another version?)",
            file.vocabulary.len(),
            VOCAB_SIZE
        )));
    }
    let c = &file.config;
    let widest = 1 << 16;
    if c.d_model == 0
        || c.n_heads == 0
        || !c.d_model.is_multiple_of(c.n_heads)
        || c.n_layers == 0
        || c.max_len < 16
        || [c.d_model, c.n_layers, c.d_ff, c.max_len]
            .iter()
            .any(|&n| n > widest)
    {
        return Err(err(format!("invalid network shape {c:?}")));
    }
    if c.parameters() > MAX_PARAMETERS {
        return Err(err(format!(
            "a network of {} parameters, more than the limit of {MAX_PARAMETERS} \
             (a corrupted config would allocate them all before loading)",
            c.parameters()
        )));
    }
    Ok(file)
}

/// The most parameters a model file may describe (a gigabyte of `f32`),
/// two hundred times the shipped composer's.
pub const MAX_PARAMETERS: usize = 1 << 28;
