//! Stores a model's weights as f16, in place: `cargo run --release -p
//! overture_model --example half_weights -- models/pop909-small.safetensors`.
//! The shipped composer is stored so: half the file, and half the memory the
//! sampling stepper streams per token (see `transformer::stepper`).
use overture_model::checkpoint::store_half;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(weights) = std::env::args().nth(1) else {
        return Err("usage: half_weights MODEL.safetensors".into());
    };
    let worst = store_half(weights.as_ref())?;
    println!("{weights}: stored as f16; largest change {worst:.2e} of a tensor's largest value");
    Ok(())
}
