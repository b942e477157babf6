//! Piano-roll pictures of arrangements (PNG through plotters).

use std::path::Path;

use anyhow::{Context, Result};
use overture_core::{arrangement::Arrangement, track::Role};
use plotters::{
    prelude::*,
    style::{FontStyle, register_font},
};

static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Colour of each role's notes.
pub fn role_colour(role: Role) -> RGBColor {
    match role {
        Role::Drums => RGBColor(120, 120, 120),
        Role::Bass => RGBColor(40, 90, 200),
        Role::Harmony => RGBColor(40, 160, 90),
        Role::Melody => RGBColor(220, 60, 50),
        Role::Texture => RGBColor(170, 110, 200),
    }
}

pub fn ensure_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The font is compiled in, so registration can only fail if plotters changes its API.
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Draws every note as a bar (time across, pitch up), coloured by role, with
/// bar lines and a legend. Drums are drawn in their own band at the bottom.
pub fn write_piano_roll(arrangement: &Arrangement, path: &Path) -> Result<()> {
    ensure_font();
    let bar_ticks = f64::from(arrangement.meter.ticks_per_bar());
    let end_ticks = arrangement
        .tracks
        .iter()
        .map(|t| f64::from(t.end()))
        .fold(arrangement.length_ticks() as f64, f64::max);
    let bars = (end_ticks / bar_ticks).ceil().max(1.0);
    let pitched = arrangement
        .tracks
        .iter()
        .filter(|t| t.role != Role::Drums)
        .flat_map(|t| t.notes.iter().map(|n| i32::from(n.pitch)));
    let (lo, hi) = pitched.fold((127, 0), |(lo, hi), p| (lo.min(p), hi.max(p)));
    let (lo, hi) = if lo > hi { (48, 84) } else { (lo - 2, hi + 2) };
    let drum_band = 8;
    let y_min = lo - drum_band - 1;

    let width = (200.0 + bars * 120.0).clamp(900.0, 4000.0) as u32;
    let root = BitMapBackend::new(path, (width, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let title = format!(
        "{} · {} · {} · {} bars · {}",
        arrangement.section,
        arrangement.key,
        arrangement.tempo,
        arrangement.bars,
        arrangement
            .provenance
            .source
            .as_deref()
            .unwrap_or(&arrangement.provenance.generator)
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..bars, f64::from(y_min)..f64::from(hi + 1))?;
    chart
        .configure_mesh()
        .x_desc("bar")
        .y_desc("MIDI pitch")
        .x_labels(bars.min(40.0) as usize + 1)
        .x_label_formatter(&|x| format!("{}", *x as i64 + 1))
        .y_label_formatter(&|y| format!("{}", *y as i64))
        .disable_y_mesh()
        .draw()?;
    // Bar lines, beat lines fainter.
    let beats = u32::from(arrangement.meter.beats_per_bar);
    for b in 0..=(bars as u32 * beats) {
        let x = f64::from(b) / f64::from(beats);
        let colour = if b % beats == 0 {
            BLACK.mix(0.35)
        } else {
            BLACK.mix(0.08)
        };
        chart.draw_series(LineSeries::new(
            [(x, f64::from(y_min)), (x, f64::from(hi + 1))],
            colour,
        ))?;
    }
    for track in &arrangement.tracks {
        let colour = role_colour(track.role);
        chart
            .draw_series(track.notes.iter().map(|n| {
                let x0 = f64::from(n.start) / bar_ticks;
                let x1 = f64::from(n.end()) / bar_ticks;
                let y = if track.role == Role::Drums {
                    // Spread drum keys over the band below the pitched notes.
                    f64::from(y_min + 1) + f64::from(n.pitch % drum_band as u8)
                } else {
                    f64::from(n.pitch)
                };
                let alpha = 0.35 + 0.65 * f64::from(n.velocity) / 127.0;
                Rectangle::new([(x0, y), (x1, y + 0.9)], colour.mix(alpha).filled())
            }))?
            .label(format!("{} ({} notes)", track.role, track.notes.len()))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    root.present()
        .with_context(|| format!("{}: cannot write the piano roll", path.display()))?;
    Ok(())
}
