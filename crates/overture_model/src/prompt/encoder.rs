//! The text encoder: a static word-vector table distilled from
//! all-MiniLM-L6-v2 (see `models/README.md` and
//! `tools/distil_text_encoder.py`), run with candle.
//!
//! A text is lower-cased and split into words; each word is looked up whole,
//! else hyphen by hyphen, else as WordPiece pieces (greedy longest match).
//! Its vector is the weighted sum of its rows, normalised to unit length
//! (mean pooling up to scale).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::OnceLock,
};

use candle_core::{DType, Device, Tensor};

/// File name of the shipped weights, in `models/`.
pub const ENCODER_FILE: &str = "prompt-minilm-static.safetensors";

/// The shipped weights, compiled in.
static BUNDLED_WEIGHTS: &[u8] = include_bytes!("../../models/prompt-minilm-static.safetensors");

/// The encoder's weights cannot be used.
///
/// Both variants print as one line naming the file, e.g.
/// `models/prompt-minilm-static.safetensors: the prompt encoder's weights are missing`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncoderError {
    /// The file does not exist or cannot be read.
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The file is not a table this encoder reads (truncated, wrong tensors,
    /// wrong shapes).
    Corrupt {
        /// The file, or `<bytes>` when loaded from memory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl std::fmt::Display for EncoderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EncoderError::Missing { path } => write!(
                f,
                "{}: the prompt encoder's weights are missing (expected the file shipped in overture_model/models)",
                path.display()
            ),
            EncoderError::Corrupt { path, message } => write!(
                f,
                "{}: the prompt encoder's weights are corrupt: {message}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for EncoderError {}

/// How a word is found in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The word (or each hyphen-separated part) has its own row.
    Whole(Vec<u32>),
    /// The word is spelled from WordPiece pieces: the encoder does not know it
    /// as a word (an error under `--strict`).
    Pieces(Vec<u32>),
    /// Not even pieces match (e.g. letters outside ASCII).
    Unknown,
}

/// A unit-length prompt vector.
pub type Embedding = Vec<f32>;

/// The static text encoder: a table of word vectors and the tokenizer that
/// reads it.
///
/// ```
/// use overture_model::prompt::TextEncoder;
///
/// let enc = TextEncoder::bundled().unwrap();
/// let calm = enc.encode("calm peaceful lullaby").unwrap();
/// let soothing = enc.encode("soothing and gentle").unwrap();
/// let metal = enc.encode("furious heavy metal").unwrap();
/// assert!(TextEncoder::similarity(&calm, &soothing) > TextEncoder::similarity(&calm, &metal));
/// ```
#[derive(Debug)]
pub struct TextEncoder {
    index: HashMap<String, u32>,
    /// Weighted rows, [entries, dim], f32 on the CPU.
    rows: Tensor,
    weights: Vec<f32>,
    dim: usize,
}

impl TextEncoder {
    /// The shipped encoder (compiled into the crate), loaded once.
    pub fn bundled() -> Result<&'static TextEncoder, EncoderError> {
        static SHARED: OnceLock<Result<TextEncoder, EncoderError>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                TextEncoder::from_bytes(BUNDLED_WEIGHTS, Path::new("models").join(ENCODER_FILE))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Loads a table from a `.safetensors` file.
    pub fn load(path: impl AsRef<Path>) -> Result<TextEncoder, EncoderError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|_| EncoderError::Missing {
            path: path.to_path_buf(),
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Reads a table from the bytes of a `.safetensors` file; `name` is used
    /// in errors.
    pub fn from_bytes(weights: &[u8], name: impl AsRef<Path>) -> Result<TextEncoder, EncoderError> {
        let path = name.as_ref().to_path_buf();
        let corrupt = |message: String| EncoderError::Corrupt {
            path: path.clone(),
            message,
        };
        let tensors = candle_core::safetensors::load_buffer(weights, &Device::Cpu)
            .map_err(|e| corrupt(format!("not a safetensors file ({e})")))?;
        let get = |name: &str, dtype: DType, rank: usize| -> Result<&Tensor, EncoderError> {
            let t = tensors
                .get(name)
                .ok_or_else(|| corrupt(format!("no tensor `{name}`")))?;
            if t.dtype() != dtype || t.rank() != rank {
                return Err(corrupt(format!(
                    "tensor `{name}` is {:?} {:?}, expected {dtype:?} of rank {rank}",
                    t.dtype(),
                    t.dims()
                )));
            }
            Ok(t)
        };
        let codes = get("codes", DType::U8, 2)?;
        let scales = get("scales", DType::F32, 1)?;
        let weights_t = get("weights", DType::F32, 1)?;
        let vocab = get("vocab", DType::U8, 1)?;
        let (entries, dim) = codes.dims2().map_err(|e| corrupt(e.to_string()))?;
        let text = vocab
            .to_vec1::<u8>()
            .map_err(|e| corrupt(e.to_string()))
            .and_then(|b| {
                String::from_utf8(b).map_err(|_| corrupt("vocabulary is not UTF-8".into()))
            })?;
        let words: Vec<&str> = text.split('\n').collect();
        if words.len() != entries
            || scales.dims1().ok() != Some(entries)
            || weights_t.dims1().ok() != Some(entries)
            || dim == 0
        {
            return Err(corrupt(format!(
                "{} words, {entries} rows, {:?} scales and {:?} weights do not match",
                words.len(),
                scales.dims(),
                weights_t.dims()
            )));
        }
        let weights = weights_t
            .to_vec1::<f32>()
            .map_err(|e| corrupt(e.to_string()))?;
        if weights.iter().any(|w| !w.is_finite()) {
            return Err(corrupt("weights are not finite".into()));
        }
        let rows = (|| -> candle_core::Result<Tensor> {
            let scale = (scales * weights_t)?.unsqueeze(1)?;
            (codes.to_dtype(DType::F32)? - 128.0)?.broadcast_mul(&scale)
        })()
        .map_err(|e| corrupt(e.to_string()))?;
        let index = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.to_string(), i as u32))
            .collect();
        Ok(TextEncoder {
            index,
            rows,
            weights,
            dim,
        })
    }

    /// Vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// How many words and pieces the table holds.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// Whether the table is empty (never, for a loaded table).
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// The frequency weight of a whole word (0.05 for "the" up to 1 for
    /// content words), if the table has it.
    pub fn weight(&self, word: &str) -> Option<f32> {
        self.index.get(word).map(|&i| self.weights[i as usize])
    }

    /// Finds a lower-case word in the table.
    pub fn lookup(&self, word: &str) -> Lookup {
        let word = word.strip_suffix("'s").unwrap_or(word);
        if let Some(&i) = self.index.get(word) {
            return Lookup::Whole(vec![i]);
        }
        if word.contains('-') {
            let parts: Vec<Lookup> = word
                .split('-')
                .filter(|p| !p.is_empty())
                .map(|p| self.lookup(p))
                .collect();
            if !parts.is_empty() && parts.iter().all(|p| matches!(p, Lookup::Whole(_))) {
                return Lookup::Whole(parts.into_iter().flat_map(Lookup::into_ids).collect());
            }
        }
        match self.pieces(word) {
            Some(ids) => Lookup::Pieces(ids),
            None => Lookup::Unknown,
        }
    }

    /// Greedy longest-match WordPiece split.
    fn pieces(&self, word: &str) -> Option<Vec<u32>> {
        let mut ids = Vec::new();
        let mut start = 0;
        while start < word.len() {
            let mut end = word.len();
            let mut found = None;
            while end > start {
                if word.is_char_boundary(end) {
                    let piece = &word[start..end];
                    let key = if start == 0 {
                        piece.to_string()
                    } else {
                        format!("##{piece}")
                    };
                    if let Some(&i) = self.index.get(&key) {
                        found = Some(i);
                        break;
                    }
                }
                end -= 1;
            }
            ids.push(found?);
            start = end;
        }
        (!ids.is_empty()).then_some(ids)
    }

    /// The unit vector of some words (already split and lower-cased); `None`
    /// when none of them is in the table.
    pub fn encode_words(&self, words: &[&str]) -> Option<Embedding> {
        let ids: Vec<u32> = words
            .iter()
            .flat_map(|w| self.lookup(w).into_ids())
            .collect();
        if ids.is_empty() {
            return None;
        }
        let pooled = (|| -> candle_core::Result<Vec<f32>> {
            let ids = Tensor::new(ids.as_slice(), &Device::Cpu)?;
            let sum = self.rows.index_select(&ids, 0)?.sum(0)?;
            let norm = sum.sqr()?.sum_all()?.sqrt()?.to_scalar::<f32>()?;
            if norm <= f32::EPSILON {
                return Ok(Vec::new());
            }
            (sum / f64::from(norm))?.to_vec1::<f32>()
        })()
        .ok()?;
        (!pooled.is_empty()).then_some(pooled)
    }

    /// The unit vector of a text: [`words`] then [`TextEncoder::encode_words`].
    pub fn encode(&self, text: &str) -> Option<Embedding> {
        let lower = text.to_lowercase();
        let w: Vec<&str> = words(&lower).collect();
        self.encode_words(&w)
    }

    /// Cosine similarity of two unit vectors.
    pub fn similarity(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    /// Similarities of `v` to every row of `matrix` ([n, dim]) with candle.
    pub(crate) fn similarities(matrix: &Tensor, v: &[f32]) -> candle_core::Result<Vec<f32>> {
        let v = Tensor::from_slice(v, (v.len(), 1), &Device::Cpu)?;
        matrix.matmul(&v)?.squeeze(1)?.to_vec1::<f32>()
    }
}

impl Lookup {
    /// The rows, whole or pieces.
    pub fn into_ids(self) -> Vec<u32> {
        match self {
            Lookup::Whole(v) | Lookup::Pieces(v) => v,
            Lookup::Unknown => Vec::new(),
        }
    }
}

/// Splits lower-cased text into words: runs of letters, digits and `#&'-+`
/// (so `lo-fi`, `r&b`, `f#` and `8-bit` stay whole); everything else
/// separates.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '#' | '&' | '\'' | '-' | '♯' | '♭')))
        .map(|w| w.trim_matches(|c| c == '\'' || c == '-'))
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn musical_words_are_whole_words_and_rare_ones_fall_back_to_pieces() {
        let enc = TextEncoder::bundled().unwrap();
        for w in [
            "lullaby", "lo-fi", "chiptune", "jazz", "brushed", "8-bit", "outro",
        ] {
            assert!(matches!(enc.lookup(w), Lookup::Whole(_)), "{w}");
        }
        assert!(matches!(enc.lookup("zxqvbn"), Lookup::Pieces(_)));
        assert_eq!(enc.lookup("日本"), Lookup::Unknown);
        assert!(enc.weight("the").unwrap() < 0.2 && enc.weight("lullaby").unwrap() == 1.0);
    }

    #[test]
    fn similar_phrases_are_closer_than_opposite_ones() {
        let enc = TextEncoder::bundled().unwrap();
        let e = |s: &str| enc.encode(s).unwrap();
        let sim = TextEncoder::similarity;
        assert!(sim(&e("sad"), &e("melancholy")) > sim(&e("sad"), &e("drums")));
        assert!(sim(&e("boss battle"), &e("fight")) > sim(&e("boss battle"), &e("lullaby")));
        let v = e("happy");
        let n: f32 = v.iter().map(|x| x * x).sum();
        assert!((n - 1.0).abs() < 1e-4, "unit length, got {n}");
        assert_eq!(enc.encode(",,, !"), None);
    }

    #[test]
    fn missing_and_corrupt_weights_are_one_line_errors() {
        let e = TextEncoder::load("/nonexistent/prompt.safetensors").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/nonexistent/prompt.safetensors: the prompt encoder's weights are missing (expected the file shipped in overture_model/models)"
        );
        let e = TextEncoder::from_bytes(b"not weights", "x.safetensors").unwrap_err();
        let s = e.to_string();
        assert!(
            s.starts_with("x.safetensors: the prompt encoder's weights are corrupt: "),
            "{s}"
        );
        assert!(!s.contains('\n'));
        let half = &BUNDLED_WEIGHTS[..BUNDLED_WEIGHTS.len() / 2];
        assert!(matches!(
            TextEncoder::from_bytes(half, "half").unwrap_err(),
            EncoderError::Corrupt { .. }
        ));
    }
}
