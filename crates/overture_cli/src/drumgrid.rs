//! Drum-grid pictures: parts side by side, one row per voice, each hit a
//! mark at its real time (so microtiming shows as distance from the grid
//! lines) whose darkness is its velocity.

use std::path::Path;

use anyhow::Result;
use overture_model::drummer::{
    kit::Voice,
    steps::{STEPS_PER_BAR, Steps},
};
use plotters::prelude::*;

/// Draws `parts` (title and part, the first `bars` bars of each) one under
/// another into a PNG.
pub fn write_drum_grids(parts: &[(String, &Steps)], bars: usize, path: &Path) -> Result<()> {
    crate::pianoroll::ensure_font();
    let steps = (bars * STEPS_PER_BAR) as f64;
    let root = BitMapBackend::new(path, (1400, 230 * parts.len() as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    for ((title, part), area) in parts.iter().zip(root.split_evenly((parts.len(), 1))) {
        let mut chart = ChartBuilder::on(&area)
            .caption(title, ("sans-serif", 18))
            .margin(8)
            .x_label_area_size(4)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.5..steps - 0.5, -0.5..Voice::COUNT as f64 - 0.5)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .y_labels(Voice::COUNT)
            .y_label_formatter(&|y| {
                Voice::ALL
                    .get(y.round() as usize)
                    .map_or(String::new(), |v| v.name().to_string())
            })
            .draw()?;
        for s in 0..=(bars * STEPS_PER_BAR) {
            let colour = if s % STEPS_PER_BAR == 0 {
                RGBColor(90, 90, 90)
            } else if s % 4 == 0 {
                RGBColor(190, 190, 190)
            } else {
                RGBColor(235, 235, 235)
            };
            let x = s as f64 - 0.5;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, -0.5), (x, Voice::COUNT as f64 - 0.5)],
                colour,
            )))?;
        }
        for bar in 0..bars {
            chart.draw_series(std::iter::once(Text::new(
                format!("bar {}", bar + 1),
                ((bar * STEPS_PER_BAR) as f64 - 0.3, -0.45),
                ("sans-serif", 12).into_font().color(&RGBColor(60, 60, 60)),
            )))?;
        }
        let hits = part
            .rows
            .iter()
            .take(bars * STEPS_PER_BAR)
            .enumerate()
            .flat_map(|(s, row)| {
                row.iter()
                    .enumerate()
                    .filter(|(_, h)| h.is_hit())
                    .map(move |(v, h)| {
                        let x = s as f64 + f64::from(h.offset);
                        let shade = 230 - (f64::from(h.velocity) / 127.0 * 210.0) as u8;
                        Rectangle::new(
                            [(x - 0.18, v as f64 - 0.35), (x + 0.18, v as f64 + 0.35)],
                            RGBColor(shade, shade / 2, shade / 3).filled(),
                        )
                    })
            });
        chart.draw_series(hits)?;
    }
    root.present()?;
    Ok(())
}
