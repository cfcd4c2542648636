//! Drawing a [`Chart`] as SVG text.

use std::fmt::Write as _;

use crate::{
    Chart, Kind, Series,
    scale::{Axis, compact, grouped},
    svg::{escape, num, shorten},
};

/// Series colours, in order: each has at least 4.5:1 contrast against the white
/// background (checked by the tests), so a bar is as visible as text would be.
pub(crate) const PALETTE: [&str; 6] = ["#1d4f91", "#b3261e", "#2e6b30", "#6a3d9a", "#8a4600", "#3b3b3b"];
/// Text and the axis line.
pub(crate) const INK: &str = "#1f1f1f";
pub(crate) const AXIS: &str = "#595959";
/// Grid lines are decoration (the tick labels carry the values), so they may be faint.
const GRID: &str = "#dddddd";
pub(crate) const BACKGROUND: &str = "#ffffff";

/// The average advance of a character at the label size, for fitting labels.
const CHAR_WIDTH: f64 = 6.6;
/// The widest a bar (or a column of a stack) is drawn.
const MAX_BAR: f64 = 64.0;

struct Area {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Area {
    fn width(&self) -> f64 {
        self.right - self.left
    }

    fn height(&self) -> f64 {
        self.bottom - self.top
    }

    /// The y of `fraction` of the value axis (0 at the bottom).
    fn y(&self, fraction: f64) -> f64 {
        self.bottom - fraction * self.height()
    }
}

impl Chart {
    /// The chart as a standalone `<svg>` element, ready to inline in HTML.
    pub fn render(&self) -> String {
        render(self)
    }
}

fn render(chart: &Chart) -> String {
    let (width, height) = (f64::from(chart.width), f64::from(chart.height));
    let id = &chart.id;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="system-ui, sans-serif" font-size="12">"#,
        w = chart.width,
        h = chart.height,
    );
    let _ = write!(out, r#"<title id="{id}-title">{}</title>"#, escape(&chart.title));
    let _ = write!(out, r#"<desc id="{id}-desc">{}</desc>"#, escape(&chart.description()));
    let _ = write!(out, r#"<rect width="{}" height="{}" fill="{BACKGROUND}"/>"#, chart.width, chart.height);
    if chart.is_empty() {
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle" fill="{INK}">No data</text></svg>"#,
            num(width / 2.0),
            num(height / 2.0)
        );
        return out;
    }
    let legend = chart.series.len() > 1;
    let area = Area { left: 56.0, right: width - 16.0, top: if legend { 40.0 } else { 16.0 }, bottom: height - 40.0 };
    out.push_str("<defs>");
    for index in 0..chart.series.len() {
        pattern(&mut out, id, index);
    }
    out.push_str("</defs>");
    if legend {
        draw_legend(&mut out, chart);
    }
    let axis = Axis::for_max(largest(chart));
    draw_value_axis(&mut out, &area, axis);
    draw_categories(&mut out, &area, &chart.categories);
    match chart.kind {
        Kind::Bars => draw_bars(&mut out, chart, &area, axis),
        Kind::Stacked => draw_stacks(&mut out, chart, &area, axis),
        Kind::Line => draw_lines(&mut out, chart, &area, axis),
    }
    let _ = write!(
        out,
        r#"<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="{AXIS}" stroke-width="1"/>"#,
        l = num(area.left),
        r = num(area.right),
        b = num(area.bottom)
    );
    out.push_str("</svg>");
    out
}

/// The largest value the value axis must reach: the largest value, or the largest stack.
fn largest(chart: &Chart) -> u128 {
    let categories = 0..chart.categories.len();
    match chart.kind {
        Kind::Stacked => categories
            .map(|index| chart.series.iter().map(|series| u128::from(series.at(index))).sum::<u128>())
            .max()
            .unwrap_or(0),
        Kind::Bars | Kind::Line => chart
            .series
            .iter()
            .flat_map(|series| categories.clone().map(|index| u128::from(series.at(index))))
            .max()
            .unwrap_or(0),
    }
}

fn colour(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// The fill of series `index`: its colour, plain for the first series, then hatched,
/// striped and cross-hatched in white, so that no two series differ by colour alone.
fn pattern(out: &mut String, id: &str, index: usize) {
    let fill = colour(index);
    let _ = write!(out, r#"<pattern id="{id}-s{index}" patternUnits="userSpaceOnUse" width="6" height="6""#);
    match index % 4 {
        0 => {
            let _ = write!(out, r#"><rect width="6" height="6" fill="{fill}"/>"#);
        }
        1 => {
            let _ = write!(
                out,
                r#" patternTransform="rotate(45)"><rect width="6" height="6" fill="{fill}"/><line x1="0" y1="0" x2="0" y2="6" stroke="{BACKGROUND}" stroke-width="2"/>"#
            );
        }
        2 => {
            let _ = write!(
                out,
                r#"><rect width="6" height="6" fill="{fill}"/><line x1="0" y1="3" x2="6" y2="3" stroke="{BACKGROUND}" stroke-width="1.5"/>"#
            );
        }
        _ => {
            let _ = write!(
                out,
                r#" patternTransform="rotate(45)"><rect width="6" height="6" fill="{fill}"/><line x1="0" y1="0" x2="0" y2="6" stroke="{BACKGROUND}" stroke-width="1.5"/><line x1="0" y1="0" x2="6" y2="0" stroke="{BACKGROUND}" stroke-width="1.5"/>"#
            );
        }
    }
    out.push_str("</pattern>");
}

/// The names of the series, each beside its mark, on one row above the plot.
fn draw_legend(out: &mut String, chart: &Chart) {
    let mut x = 56.0;
    out.push_str("<g>");
    for (index, series) in chart.series.iter().enumerate() {
        let name = shorten(&series.name, 24);
        match chart.kind {
            Kind::Line => {
                let _ = write!(
                    out,
                    r#"<line x1="{}" y1="20" x2="{}" y2="20" stroke="{}" stroke-width="2"{}/>"#,
                    num(x),
                    num(x + 18.0),
                    colour(index),
                    dash(index)
                );
                marker(out, index, x + 9.0, 20.0, "");
            }
            Kind::Bars | Kind::Stacked => {
                let _ = write!(
                    out,
                    r#"<rect x="{}" y="14" width="12" height="12" fill="url(#{}-s{index})" stroke="{}" stroke-width="1"/>"#,
                    num(x),
                    chart.id,
                    colour(index)
                );
            }
        }
        let swatch = if chart.kind == Kind::Line { 24.0 } else { 18.0 };
        let _ = write!(out, r#"<text x="{}" y="24" fill="{INK}">{}</text>"#, num(x + swatch), escape(&name));
        x += swatch + name.chars().count() as f64 * CHAR_WIDTH + 20.0;
    }
    out.push_str("</g>");
}

fn draw_value_axis(out: &mut String, area: &Area, axis: Axis) {
    out.push_str("<g>");
    for tick in axis.ticks() {
        let y = num(area.y(axis.fraction(tick)));
        if tick > 0 {
            let _ = write!(
                out,
                r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{GRID}" stroke-width="1"/>"#,
                num(area.left),
                num(area.right)
            );
        }
        let _ = write!(
            out,
            r#"<text x="{}" y="{y}" dy="4" text-anchor="end" fill="{INK}">{}</text>"#,
            num(area.left - 6.0),
            compact(tick)
        );
    }
    out.push_str("</g>");
}

/// The category labels under the plot: every `step`-th one when they would not fit side
/// by side, each shortened to the room it has.
fn draw_categories(out: &mut String, area: &Area, categories: &[String]) {
    let slot = area.width() / categories.len() as f64;
    let longest = categories.iter().map(|label| label.chars().count()).max().unwrap_or(0).min(16);
    let needed = longest as f64 * CHAR_WIDTH + 6.0;
    let step = ((needed / slot).ceil() as usize).max(1);
    let room = ((slot * step as f64 - 6.0) / CHAR_WIDTH).floor().max(1.0) as usize;
    out.push_str("<g>");
    for (index, label) in categories.iter().enumerate().step_by(step) {
        let x = area.left + slot * (index as f64 + 0.5);
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle" fill="{INK}">{}</text>"#,
            num(x),
            num(area.bottom + 18.0),
            escape(&shorten(label, room))
        );
    }
    out.push_str("</g>");
}

/// A bar's tooltip: its category, series and exact value.
fn bar_title(chart: &Chart, index: usize, series: &Series) -> String {
    let value = grouped(series.at(index).into());
    if chart.series.len() == 1 {
        escape(&format!("{}: {value}", chart.categories[index]))
    } else {
        escape(&format!("{}, {}: {value}", chart.categories[index], series.name))
    }
}

fn draw_bars(out: &mut String, chart: &Chart, area: &Area, axis: Axis) {
    let slot = area.width() / chart.categories.len() as f64;
    let count = chart.series.len() as f64;
    let bar = (slot * 0.8 / count).min(MAX_BAR);
    let single = chart.series.len() == 1;
    out.push_str("<g>");
    for index in 0..chart.categories.len() {
        let group_left = area.left + slot * (index as f64 + 0.5) - bar * count / 2.0;
        for (position, series) in chart.series.iter().enumerate() {
            let value = series.at(index);
            let top = area.y(axis.fraction(value.into()));
            let x = group_left + bar * position as f64;
            if value > 0 {
                let _ = write!(
                    out,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" fill="url(#{}-s{position})"><title>{}</title></rect>"#,
                    num(x),
                    num(top),
                    num(bar.max(0.5)),
                    num(area.bottom - top),
                    chart.id,
                    bar_title(chart, index, series)
                );
            }
            let label = compact(value.into());
            if single && label.chars().count() as f64 * CHAR_WIDTH <= slot {
                let _ = write!(
                    out,
                    r#"<text x="{}" y="{}" text-anchor="middle" fill="{INK}">{label}</text>"#,
                    num(x + bar / 2.0),
                    num(top - 4.0)
                );
            }
        }
    }
    out.push_str("</g>");
}

fn draw_stacks(out: &mut String, chart: &Chart, area: &Area, axis: Axis) {
    let slot = area.width() / chart.categories.len() as f64;
    let column = (slot * 0.7).min(MAX_BAR);
    out.push_str("<g>");
    for index in 0..chart.categories.len() {
        let x = area.left + slot * (index as f64 + 0.5) - column / 2.0;
        let mut below: u128 = 0;
        for (position, series) in chart.series.iter().enumerate() {
            let value = u128::from(series.at(index));
            if value == 0 {
                continue;
            }
            let bottom = area.y(axis.fraction(below));
            below += value;
            let top = area.y(axis.fraction(below));
            // A white edge between segments, so that neighbours stay apart whatever their colours.
            let _ = write!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="{}" fill="url(#{}-s{position})" stroke="{BACKGROUND}" stroke-width="0.5"><title>{}</title></rect>"#,
                num(x),
                num(top),
                num(column.max(0.5)),
                num(bottom - top),
                chart.id,
                bar_title(chart, index, series)
            );
        }
    }
    out.push_str("</g>");
}

fn dash(index: usize) -> &'static str {
    match index % 4 {
        0 => "",
        1 => r#" stroke-dasharray="6 3""#,
        2 => r#" stroke-dasharray="2 3""#,
        _ => r#" stroke-dasharray="8 3 2 3""#,
    }
}

/// A point's marker: a circle, square, triangle or diamond by series (so that series
/// differ by shape too), with `title` (escaped already) inside when it is not empty.
fn marker(out: &mut String, index: usize, x: f64, y: f64, title: &str) {
    let (element, shape) = match index % 4 {
        0 => ("circle", format!(r#"cx="{}" cy="{}" r="3.5""#, num(x), num(y))),
        1 => ("rect", format!(r#"x="{}" y="{}" width="7" height="7""#, num(x - 3.5), num(y - 3.5))),
        2 => (
            "polygon",
            format!(
                r#"points="{},{} {},{} {},{}""#,
                num(x),
                num(y - 4.5),
                num(x + 4.5),
                num(y + 3.5),
                num(x - 4.5),
                num(y + 3.5)
            ),
        ),
        _ => (
            "polygon",
            format!(
                r#"points="{},{} {},{} {},{} {},{}""#,
                num(x),
                num(y - 4.5),
                num(x + 4.5),
                num(y),
                num(x),
                num(y + 4.5),
                num(x - 4.5),
                num(y)
            ),
        ),
    };
    let fill = colour(index);
    if title.is_empty() {
        let _ = write!(out, r#"<{element} {shape} fill="{fill}"/>"#);
    } else {
        let _ = write!(out, r#"<{element} {shape} fill="{fill}"><title>{title}</title></{element}>"#);
    }
}

fn draw_lines(out: &mut String, chart: &Chart, area: &Area, axis: Axis) {
    let slot = area.width() / chart.categories.len() as f64;
    let x_of = |index: usize| area.left + slot * (index as f64 + 0.5);
    out.push_str("<g>");
    for (position, series) in chart.series.iter().enumerate() {
        let points: Vec<String> = (0..chart.categories.len())
            .map(|index| format!("{},{}", num(x_of(index)), num(area.y(axis.fraction(series.at(index).into())))))
            .collect();
        if points.len() > 1 {
            let _ = write!(
                out,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"{}/>"#,
                points.join(" "),
                colour(position),
                dash(position)
            );
        }
        for index in 0..chart.categories.len() {
            let y = area.y(axis.fraction(series.at(index).into()));
            marker(out, position, x_of(index), y, &bar_title(chart, index, series));
        }
    }
    out.push_str("</g>");
}
