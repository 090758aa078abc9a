//! Server-side SVG charts: one path that serves the page, print and (later) the exported
//! report, with no script and nothing to download. Each chart is drawn from data that the page
//! also shows as a table.
//!
//! Figures arrive exact; geometry is drawn in doubles (SVG coordinates), converted here and
//! nowhere else, while the tooltips print the exact figures.

use askama::Template;
use rust_decimal::Decimal;

use crate::figures::to_f64;
use crate::web::filters;

/// `templates/dashboards/sparkline.svg`: geometry here, markup and escaping in the template.
#[derive(Template)]
#[template(path = "dashboards/sparkline.svg")]
struct Sparkline<'a> {
    width: f64,
    height: f64,
    label: &'a str,
    marker: Option<Marker<'a>>,
    /// Runs of consecutive values: a missing value ends one.
    segments: Vec<Vec<Point<'a>>>,
    /// The last value drawn, marked.
    last: Option<(f64, f64)>,
    decimals: usize,
}

struct Marker<'a> {
    x: f64,
    title: &'a str,
}

struct Point<'a> {
    x: f64,
    y: f64,
    name: &'a str,
    value: Decimal,
}

/// `templates/dashboards/bars.svg`.
#[derive(Template)]
#[template(path = "dashboards/bars.svg")]
struct Bars<'a> {
    width: f64,
    height: f64,
    bar_height: f64,
    label: &'a str,
    bars: Vec<Bar<'a>>,
}

struct Bar<'a> {
    y: f64,
    width: f64,
    name: &'a str,
    text: &'a str,
}

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
    let step = if points.len() > 1 { (width - 2.0 * pad) / (points.len() - 1) as f64 } else { 0.0 };
    let marker = marker
        .filter(|(i, _)| *i > 0 && *i < points.len())
        .map(|(index, title)| Marker { x: pad + step * (index as f64 - 0.5), title });
    let values: Vec<f64> = points.iter().filter_map(|(_, v)| v.map(to_f64)).collect();
    let (min, max) = values.iter().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let span = if (max - min).abs() < f64::EPSILON { 1.0 } else { max - min };
    let y = |v: f64| height - pad - (v - min) / span * (height - 2.0 * pad);
    let indexed: Vec<_> = points.iter().enumerate().collect();
    let segments: Vec<Vec<Point>> = indexed
        .split(|(_, (_, value))| value.is_none())
        .filter(|run| !run.is_empty())
        .map(|run| {
            run.iter()
                .filter_map(|(i, (name, value))| {
                    value.map(|value| Point { x: pad + step * *i as f64, y: y(to_f64(value)), name, value })
                })
                .collect()
        })
        .collect();
    let last = segments.last().and_then(|segment| segment.last()).map(|point| (point.x, point.y));
    render(&Sparkline { width, height, label, marker, segments, last, decimals })
}

/// Horizontal bars for a ranking, longest first as given: (name, value, the value's text as
/// the ranking table writes it, e.g. "81/117 xã (69,23%)"), the text being the bar's text
/// alternative.
pub fn bars(rows: &[(String, Decimal, String)], label: &str) -> String {
    let (width, bar_height, gap) = (320.0, 14.0, 6.0);
    let height = rows.len() as f64 * (bar_height + gap) + gap;
    let max = rows.iter().map(|(_, v, _)| to_f64(*v)).fold(0.0_f64, f64::max).max(f64::EPSILON);
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, (name, value, text))| Bar {
            y: gap + i as f64 * (bar_height + gap),
            width: (to_f64(*value) / max * width).max(1.0),
            name,
            text,
        })
        .collect();
    render(&Bars { width, height, bar_height, label, bars })
}

/// A chart's markup. Its values are numbers and text whose writing cannot fail, so an error
/// is a bug: logged, and the page keeps the table that carries the same figures.
fn render(chart: &impl Template) -> String {
    chart.render().unwrap_or_else(|error| {
        tracing::error!(%error, "chart not drawn");
        String::new()
    })
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
        assert!(svg.contains("Xu hướng &#60;x&#62;"), "askama escapes the label: {svg}");
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
