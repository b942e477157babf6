//! Prompts: any text gives a prompt or an error; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(prompt) = overture_model::prompt::parse(text) {
        let _ = prompt.describe();
        let _ = prompt.key();
    }
});
