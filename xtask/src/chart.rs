//! The benchmark chart: for each row of the table, how far past (right of 1) or short of (left
//! of 1) its target the measurement is, on a log scale. SVG, drawn with plotters; text is left
//! to the viewer's fonts, so no font is needed here.

use std::path::Path;

use plotters::prelude::*;

use crate::bench::Row;

/// Draws the chart of `rows` to `path` (SVG).
pub(crate) fn draw(path: &Path, rows: &[Row]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    // Context rows have no target to measure headroom against.
    let bars: Vec<(String, Option<f64>)> = rows
        .iter()
        .filter(|row| !matches!(row.target, crate::bench::Target::Context))
        .map(|row| {
            (
                format!("{} ({})", row.label, target_note(row)),
                row.headroom().filter(|h| h.is_finite() && *h > 0.0),
            )
        })
        .collect();
    let (lowest, highest) =
        bars.iter().filter_map(|(_, h)| *h).fold((0.5f64, 2.0f64), |(lo, hi), h| (lo.min(h), hi.max(h)));
    let x_range = (lowest / 2.0)..(highest * 2.0);
    let height = 80 + 34 * bars.len() as u32;
    let root = SVGBackend::new(path, (1000, height)).into_drawing_area();
    let draw_error = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| draw_error(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption("oauth-codex benchmarks: measured / required (right of 1 = target met)", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(10)
        .build_cartesian_2d(x_range.clone().log_scale(), 0f64..bars.len() as f64)
        .map_err(|e| draw_error(&e))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc("headroom over the target (log scale)")
        .x_label_formatter(&|x| format!("{x:.2}×"))
        .draw()
        .map_err(|e| draw_error(&e))?;
    let count = bars.len();
    for (index, (label, headroom)) in bars.iter().enumerate() {
        // The first row at the top.
        let y = (count - 1 - index) as f64;
        if let Some(h) = headroom {
            let color = if *h >= 1.0 { RGBColor(46, 139, 87) } else { RGBColor(200, 60, 50) };
            let (from, to) = if *h >= 1.0 { (1.0, *h) } else { (*h, 1.0) };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(from, y + 0.2), (to, y + 0.8)],
                    color.filled(),
                )))
                .map_err(|e| draw_error(&e))?;
        }
        let text = match headroom {
            Some(h) => format!("{label}: {h:.2}×"),
            None => format!("{label}: missing"),
        };
        chart
            .draw_series(std::iter::once(Text::new(
                text,
                (x_range.start * 1.08, y + 0.62),
                ("sans-serif", 13),
            )))
            .map_err(|e| draw_error(&e))?;
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(1.0, 0.0), (1.0, count as f64)],
            BLACK.stroke_width(2),
        )))
        .map_err(|e| draw_error(&e))?;
    root.present().map_err(|e| draw_error(&e))?;
    Ok(())
}

fn target_note(row: &Row) -> String {
    use crate::bench::Target;
    match row.target {
        Target::RatioAtLeast(t) => format!("ratio ≥ {t}×"),
        Target::RatioAtMost(t) => format!("ratio ≤ {t}×"),
        Target::Below(t) => format!("< {t}"),
        Target::AtMost(t) => format!("≤ {t}"),
        Target::Equals(t) => format!("= {t}"),
        Target::Context => "no target".to_owned(),
    }
}
