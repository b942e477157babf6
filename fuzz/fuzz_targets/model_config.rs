//! Model files: the JSON config beside the weights gives a checked config
//! (never one too large to build) or an error naming the file; the
//! safetensors weights parser the loader uses takes any bytes.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use overture_model::checkpoint::{MAX_PARAMETERS, parse_model_file};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(file) = parse_model_file(text, Path::new("models/fuzz.json"))
    {
        assert!(file.config.parameters() <= MAX_PARAMETERS);
    }
    let _ = candle_core::safetensors::load_buffer(data, &candle_core::Device::Cpu);
});
