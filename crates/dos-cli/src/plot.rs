//! DOS line plots (predicted vs true) with plotters, as SVG or PNG by the file extension.
//!
//! Text needs a system font (plotters' `ttf` feature goes through fontconfig). When no font
//! can be loaded the plot is drawn again without any text, so a figure is always produced.

use std::path::Path;

use anyhow::{bail, Context, Result};
use dos_models::Task;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Axis title of a task's energy grid.
pub fn energy_axis_title(task: Task) -> &'static str {
    match task {
        Task::Phonon => "frequency (cm^-1)",
        Task::Electron => "E - E_F (eV)",
    }
}

/// One curve of a panel.
#[derive(Debug, Clone)]
pub struct Curve {
    /// Legend label.
    pub label: String,
    /// Values on the panel's energy grid.
    pub values: Vec<f64>,
    /// A shaded band around the curve (lower and upper ends, e.g. the 90 % interval).
    pub band: Option<(Vec<f64>, Vec<f64>)>,
}

/// One sub-plot: a crystal's DOS curves over the energy grid.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Panel title (e.g. the crystal id and system).
    pub title: String,
    /// Energy grid (x axis).
    pub energies: Vec<f64>,
    /// Curves, each as long as `energies`.
    pub curves: Vec<Curve>,
}

const COLORS: [RGBColor; 4] = [
    RGBColor(0, 0, 0),
    RGBColor(214, 39, 40),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
];

/// Draws `panels` in a grid (up to 3 columns) into `path` (`.svg` or `.png`), x axis titled
/// `x_label`.
///
/// # Errors
/// An unknown extension, a curve whose length differs from its grid, or a drawing/IO failure.
pub fn plot_panels(path: &Path, panels: &[Panel], x_label: &str) -> Result<()> {
    if panels.is_empty() {
        bail!("nothing to plot");
    }
    for p in panels {
        for c in &p.curves {
            let band_ok = c.band.as_ref().is_none_or(|(lo, hi)| {
                lo.len() == p.energies.len() && hi.len() == p.energies.len()
            });
            if c.values.len() != p.energies.len() || !band_ok {
                bail!(
                    "curve `{}` of `{}` has {} values for {} energies",
                    c.label,
                    p.title,
                    c.values.len(),
                    p.energies.len()
                );
            }
        }
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let cols = panels.len().min(3);
    let rows = panels.len().div_ceil(cols);
    let size = (420 * cols as u32, 300 * rows as u32);
    let draw = |text: bool| -> Result<()> {
        match ext.as_str() {
            "svg" => {
                let root = SVGBackend::new(path, size).into_drawing_area();
                draw_grid(&root, panels, rows, cols, x_label, text)?;
                root.present().map_err(|e| anyhow::anyhow!("{e}"))
            }
            "png" => {
                let root = BitMapBackend::new(path, size).into_drawing_area();
                draw_grid(&root, panels, rows, cols, x_label, text)?;
                root.present().map_err(|e| anyhow::anyhow!("{e}"))
            }
            other => bail!("unsupported plot format `.{other}` (use .svg or .png)"),
        }
    };
    match draw(true) {
        Ok(()) => Ok(()),
        Err(e) if e.to_string().to_lowercase().contains("font") => {
            eprintln!("warning: no usable font ({e}); drawing the plot without text");
            draw(false)
        }
        Err(e) => Err(e),
    }
    .with_context(|| format!("writing plot {}", path.display()))
}

fn draw_grid<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    panels: &[Panel],
    rows: usize,
    cols: usize,
    x_label: &str,
    text: bool,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
    let areas = root.split_evenly((rows, cols));
    for (panel, area) in panels.iter().zip(areas.iter()) {
        draw_panel(area, panel, x_label, text)?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    x_label: &str,
    text: bool,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow::anyhow!("{e}");
    let x0 = panel.energies.first().copied().unwrap_or(0.0);
    let x1 = panel.energies.last().copied().unwrap_or(1.0).max(x0 + 1e-9);
    let (mut y0, mut y1) = (0f64, 1f64);
    for c in &panel.curves {
        let band = c.band.iter().flat_map(|(lo, hi)| lo.iter().chain(hi));
        for &v in c.values.iter().chain(band) {
            if v.is_finite() {
                y0 = y0.min(v);
                y1 = y1.max(v);
            }
        }
    }
    let pad = 0.05 * (y1 - y0);
    let mut builder = ChartBuilder::on(area);
    builder.margin(10);
    if text {
        builder
            .caption(&panel.title, ("sans-serif", 16))
            .x_label_area_size(32)
            .y_label_area_size(40);
    }
    let mut chart = builder
        .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
        .map_err(err)?;
    let mut mesh = chart.configure_mesh();
    mesh.disable_mesh();
    if text {
        mesh.x_desc(x_label).y_desc("DOS");
    } else {
        mesh.x_labels(0).y_labels(0);
    }
    mesh.draw().map_err(err)?;
    for (k, c) in panel.curves.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        if let Some((lo, hi)) = &c.band {
            let e = &panel.energies;
            let outline: Vec<(f64, f64)> = e
                .iter()
                .copied()
                .zip(hi.iter().copied())
                .chain(e.iter().copied().zip(lo.iter().copied()).rev())
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline,
                    color.mix(0.25).filled(),
                )))
                .map_err(err)?;
        }
        let series = chart
            .draw_series(LineSeries::new(
                panel.energies.iter().copied().zip(c.values.iter().copied()),
                color.stroke_width(2),
            ))
            .map_err(err)?;
        if text {
            series
                .label(c.label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        }
    }
    if text {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel() -> Panel {
        let e: Vec<f64> = (0..51).map(|i| 20.0 * i as f64).collect();
        Panel {
            title: "mp-1 (cubic)".into(),
            curves: vec![
                Curve {
                    label: "true".into(),
                    values: e.iter().map(|x| (x / 200.0).sin().abs()).collect(),
                    band: None,
                },
                Curve {
                    label: "predicted".into(),
                    values: e.iter().map(|x| (x / 210.0).sin().abs()).collect(),
                    band: Some((
                        e.iter().map(|x| (x / 210.0).sin().abs() - 0.1).collect(),
                        e.iter().map(|x| (x / 210.0).sin().abs() + 0.1).collect(),
                    )),
                },
            ],
            energies: e,
        }
    }

    #[test]
    fn writes_svg_and_png() {
        let dir = tempfile::tempdir().unwrap();
        let svg = dir.path().join("a.svg");
        plot_panels(&svg, &[panel(), panel()], "frequency (cm^-1)").unwrap();
        let s = std::fs::read_to_string(&svg).unwrap();
        assert!(s.starts_with("<svg") && s.contains("polyline"));
        let png = dir.path().join("a.png");
        plot_panels(&png, &[panel()], "frequency (cm^-1)").unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
    }

    #[test]
    fn rejects_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        assert!(plot_panels(&dir.path().join("a.pdf"), &[panel()], "x").is_err());
        let mut p = panel();
        p.curves[0].values.pop();
        assert!(plot_panels(&dir.path().join("a.svg"), &[p], "x").is_err());
        assert!(plot_panels(&dir.path().join("a.svg"), &[], "x").is_err());
    }
}
