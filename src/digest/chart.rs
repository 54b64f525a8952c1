//! PNG charts for the digest email and the audit report: the readiness
//! trend (a line) and the mandate funnel (bars). Drawn with plotters into
//! an RGB buffer, text in DejaVu Sans (embedded: free licence, see
//! assets/fonts/DejaVuSans.LICENSE.txt), encoded as PNG.

use anyhow::{anyhow, Result};
use chrono::NaiveDate;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::sync::Once;

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

fn font() {
    REGISTER.call_once(|| {
        // The font is a constant of the binary: registering it cannot fail
        // but for a corrupt build, where charts then have no text.
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

const BLUE: RGBColor = RGBColor(31, 78, 121);
const GREY: RGBColor = RGBColor(190, 190, 190);

fn encode(width: u32, height: u32, rgb: Vec<u8>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&rgb)?;
    }
    Ok(out)
}

/// The score (0–100) per day; at least one point is drawn even for a single day.
pub fn trend_png(title: &str, points: &[(NaiveDate, u8)]) -> Result<Vec<u8>> {
    font();
    let (w, h) = (640u32, 260u32);
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let n = points.len().max(1) as i32;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(36)
            .build_cartesian_2d(0..n.max(2) - 1, 0..100)
            .map_err(|e| anyhow!("{e}"))?;
        let labels: Vec<String> = points
            .iter()
            .map(|(d, _)| d.format("%d/%m").to_string())
            .collect();
        chart
            .configure_mesh()
            .light_line_style(GREY.mix(0.3))
            .x_labels(6)
            .x_label_formatter(&|i| labels.get(*i as usize).cloned().unwrap_or_default())
            .y_labels(6)
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        let series: Vec<(i32, i32)> = points
            .iter()
            .enumerate()
            .map(|(i, (_, s))| (i as i32, i32::from(*s)))
            .collect();
        chart
            .draw_series(LineSeries::new(series.clone(), BLUE.stroke_width(3)))
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .draw_series(series.iter().map(|p| Circle::new(*p, 4, BLUE.filled())))
            .map_err(|e| anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    encode(w, h, rgb)
}

/// Horizontal-free bar chart: one bar per (label, count).
pub fn bars_png(title: &str, bars: &[(String, i64)]) -> Result<Vec<u8>> {
    font();
    let (w, h) = (640u32, 260u32);
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let max = bars.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
        let n = bars.len().max(1) as i32;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(36)
            .build_cartesian_2d(0..n, 0..max + max * 3 / 10 + 1)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(GREY.mix(0.3))
            .x_labels(bars.len() + 1)
            .x_label_formatter(&|_| String::new())
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, count))| {
                let i = i as i32;
                let mut bar = Rectangle::new([(i, 0), (i + 1, *count)], BLUE.filled());
                bar.set_margin(0, 0, 8, 8);
                bar
            }))
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (label, count))| {
                Text::new(
                    format!("{label} ({count})"),
                    (i as i32, *count + max * 18 / 100 + 1),
                    ("sans-serif", 12).into_font().color(&BLACK),
                )
            }))
            .map_err(|e| anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    encode(w, h, rgb)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes a PNG: (width, height, share of non-white pixels).
    fn decode(bytes: &[u8]) -> (u32, u32, f64) {
        let decoder = png::Decoder::new(bytes);
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("a PNG frame");
        let pixels = &buf[..info.buffer_size()];
        let channels = info.color_type.samples();
        let total = pixels.len() / channels;
        let ink = pixels
            .chunks(channels)
            .filter(|p| p.iter().take(3).any(|c| *c < 200))
            .count();
        (info.width, info.height, ink as f64 / total as f64)
    }

    #[test]
    fn the_trend_png_decodes_and_is_not_blank() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        let png = trend_png(
            "Score de préparation",
            &[(d(20), 40), (d(21), 42), (d(22), 47), (d(25), 55)],
        )
        .unwrap();
        let (w, h, ink) = decode(&png);
        assert_eq!((w, h), (640, 260));
        assert!(ink > 0.01, "the chart has lines and text: {ink}");
        assert!(ink < 0.6, "and is not a filled block: {ink}");
    }

    #[test]
    fn the_funnel_png_decodes_and_is_not_blank() {
        let png = bars_png(
            "Mandats",
            &[
                ("demandé".into(), 12),
                ("relancé".into(), 7),
                ("signé".into(), 20),
            ],
        )
        .unwrap();
        let (_, _, ink) = decode(&png);
        assert!(ink > 0.03, "bars are drawn: {ink}");
        let empty = bars_png("Mandats", &[]).unwrap();
        let (_, _, ink_empty) = decode(&empty);
        assert!(ink_empty < ink, "no bars draws less");
    }
}
