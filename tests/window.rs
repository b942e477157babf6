//! The windowed demo under Xvfb: it starts, renders frames and saves a
//! screenshot that is not blank. `cargo xtask test` installs Xvfb and a
//! software Vulkan driver (Debian's xvfb and mesa-vulkan-drivers).

use std::{path::PathBuf, process::Command, time::Duration};

fn demo_binary() -> PathBuf {
    // target/<profile>/deps/window-<hash> → target/<profile>/examples/demo
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/demo")
}

#[test]
fn the_windowed_demo_renders_a_frame_under_xvfb() {
    let xvfb = Command::new("xvfb-run").arg("--help").output();
    assert!(
        xvfb.is_ok(),
        "xvfb-run is missing: install Debian's xvfb and mesa-vulkan-drivers (cargo xtask test does)"
    );
    let demo = demo_binary();
    assert!(
        demo.exists(),
        "{} not built (cargo test builds examples)",
        demo.display()
    );
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("overture-demo-{}.png", std::process::id()));
    let _ = std::fs::remove_file(&shot);
    let mut child = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x800x24"])
        .arg(&demo)
        .env("OVERTURE_DEMO_SCREENSHOT", &shot)
        .env("WGPU_BACKEND", "vulkan")
        .spawn()
        .unwrap();
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if waited > Duration::from_secs(240) {
            let _ = child.kill();
            panic!("the demo did not exit within 240 s");
        }
        std::thread::sleep(Duration::from_millis(200));
        waited += Duration::from_millis(200);
    };
    assert!(status.success(), "the demo exited with {status}");
    let file = std::fs::File::open(&shot).expect("the screenshot was written");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (1000, 700));
    let step = info.color_type.samples();
    let rgb: Vec<[u8; 3]> = pixels[..info.buffer_size()]
        .chunks(step)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    // The frame shows the field, the player (blue), enemies (red) and the HUD text.
    let background = rgb[rgb.len() / 2 + 300];
    let drawn = rgb.iter().filter(|p| **p != background).count();
    assert!(
        drawn > 2_000,
        "only {drawn} pixels differ from the background"
    );
    let blue = rgb.iter().filter(|p| p[2] > 200 && p[0] < 120).count();
    assert!(blue > 400, "the player is drawn ({blue} blue pixels)");
    let _ = std::fs::remove_file(&shot);
}
