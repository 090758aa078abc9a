//! Server-side SVG charts: one path that serves the page, print and (later) the exported
//! report, with no script and nothing to download. Each chart is drawn from data that the page
//! also shows as a table.
//!
//! Figures arrive exact; geometry is drawn in doubles (SVG coordinates), converted here and
//! nowhere else, while the tooltips print the exact figures.

use std::fmt::Write;

use rust_decimal::Decimal;

use crate::figures::to_f64;

/// A line of values over labelled points; missing values break the line. Colours come from
/// presentation attributes (the CSP forbids inline styles). Each point's text alternative
/// writes its value with the indicator's `decimals`, as the table beside it does ("50,00").
pub fn sparkline(points: &[(String, Option<Decimal>)], decimals: usize, label: &str) -> String {
    sparkline_marked(points, decimals, label, None)
}

/// [`sparkline`] with a dashed vertical line before the point `marker` (the first quarter of
/// the two-tier tree, 2025-Q3), titled with what happened there.
pub fn sparkline_marked(
    points: &[(String, Option<Decimal>)],
    decimals: usize,
    label: &str,
    marker: Option<(usize, &str)>,
) -> String {
    let (width, height, pad) = (240.0, 56.0, 6.0);
    let values: Vec<f64> = points.iter().filter_map(|(_, v)| v.map(to_f64)).collect();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg class="sparkline" viewBox="0 0 {width} {height}" role="img" aria-label="{}" preserveAspectRatio="none">"##,
        escape(label)
    );
    let step = if points.len() > 1 { (width - 2.0 * pad) / (points.len() - 1) as f64 } else { 0.0 };
    if let Some((index, title)) = marker.filter(|(i, _)| *i > 0 && *i < points.len()) {
        let x = pad + step * (index as f64 - 0.5);
        let _ = write!(
            svg,
            r##"<line class="reform-mark" x1="{x:.1}" y1="0" x2="{x:.1}" y2="{height}" stroke="#9b6a00" stroke-dasharray="3 2"><title>{}</title></line>"##,
            escape(title)
        );
    }
    if values.is_empty() {
        svg.push_str("</svg>");
        return svg;
    }
    let (min, max) = values.iter().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let span = if (max - min).abs() < f64::EPSILON { 1.0 } else { max - min };
    let y = |v: f64| height - pad - (v - min) / span * (height - 2.0 * pad);
    let mut segment = String::new();
    let mut last = None;
    for (i, (name, value)) in points.iter().enumerate() {
        let x = pad + step * i as f64;
        match value {
            Some(v) => {
                let at = y(to_f64(*v));
                let _ = write!(segment, "{x:.1},{at:.1} ");
                last = Some((x, at));
                let _ = write!(
                    svg,
                    r##"<circle cx="{x:.1}" cy="{at:.1}" r="2.5" fill="#1f3a5f"><title>{}: {}</title></circle>"##,
                    escape(name),
                    crate::format::decimal(*v, decimals)
                );
            }
            None => {
                flush(&mut svg, &mut segment);
            }
        }
    }
    flush(&mut svg, &mut segment);
    if let Some((x, y)) = last {
        let _ = write!(svg, r##"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="#9b1c1c"/>"##);
    }
    svg.push_str("</svg>");
    svg
}

fn flush(svg: &mut String, segment: &mut String) {
    if segment.split_whitespace().count() > 1 {
        let _ = write!(
            svg,
            r##"<polyline points="{}" fill="none" stroke="#1f3a5f" stroke-width="2" vector-effect="non-scaling-stroke"/>"##,
            segment.trim()
        );
    }
    segment.clear();
}

/// Horizontal bars for a ranking, longest first as given: (name, value, the value's text as
/// the ranking table writes it, e.g. "81/117 xã (69,23%)"), the text being the bar's text
/// alternative.
pub fn bars(rows: &[(String, Decimal, String)], label: &str) -> String {
    let (width, bar, gap) = (320.0, 14.0, 6.0);
    let height = rows.len() as f64 * (bar + gap) + gap;
    let max = rows.iter().map(|(_, v, _)| to_f64(*v)).fold(0.0_f64, f64::max).max(f64::EPSILON);
    let mut svg =
        format!(r##"<svg class="bars" viewBox="0 0 {width} {height}" role="img" aria-label="{}">"##, escape(label));
    for (i, (name, value, text)) in rows.iter().enumerate() {
        let y = gap + i as f64 * (bar + gap);
        let w = (to_f64(*value) / max * width).max(1.0);
        let _ = write!(
            svg,
            r##"<rect x="0" y="{y:.1}" width="{w:.1}" height="{bar}" fill="#3b6ea5"><title>{}: {}</title></rect>"##,
            escape(name),
            escape(text)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_lines_with_gaps_and_escapes_labels() {
        let points = vec![
            ("quý I".to_owned(), Some(Decimal::from(1))),
            ("quý II".to_owned(), None),
            ("quý III".to_owned(), Some(Decimal::from(3))),
            ("quý IV".to_owned(), Some(Decimal::from(2))),
        ];
        let svg = sparkline(&points, 0, "Xu hướng <x>");
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("&lt;x&gt;"));
        assert_eq!(svg.matches("<polyline").count(), 1, "the gap breaks the line");
        assert!(svg.contains("quý III: 3<"));
        assert!(sparkline(&[], 2, "trống").ends_with("</svg>"));
        let rows = [
            ("A".into(), Decimal::from(2), "2 cuộc".into()),
            ("B".into(), Decimal::new(3, 1) / Decimal::from(3), "1/10 xã (10,00%)".into()),
        ];
        let drawn = bars(&rows, "x");
        assert_eq!(drawn.matches("<rect").count(), 2);
        assert!(drawn.contains("B: 1/10 xã (10,00%)<"), "the text alternative is the table's text");
    }

    #[test]
    fn text_alternatives_keep_the_indicators_decimals() {
        let points =
            vec![("2020".to_owned(), Some(Decimal::from(50))), ("2021".to_owned(), Some(Decimal::new(12345, 3)))];
        let svg = sparkline(&points, 2, "Tỷ lệ");
        assert!(svg.contains("2020: 50,00<"), "{svg}");
        assert!(svg.contains("2021: 12,35<"), "{svg}");
    }
}
