//! Accessible SVG charts rendered to strings, without I/O and on `std` alone.
//!
//! A [`Chart`] is categories along the horizontal axis and one or more [`Series`] of
//! counts; [`Chart::render`] draws it as one of three [`Kind`]s: vertical bars (one
//! series: each bar labelled with its value; several: grouped), stacked bars, or a line per
//! series. [`hour_labels`] and [`day_labels`] name the buckets of a UTC time series.
//!
//! ```
//! use authdb_charts::{Chart, Kind, Series, hour_labels};
//!
//! let svg = Chart::new("sign-ins-24h", "Sign-ins, last 24 hours (UTC)")
//!     .kind(Kind::Stacked)
//!     .categories(hour_labels(1_764_547_200, 24))
//!     .series(Series::new("Sign-ins", vec![3; 24]))
//!     .series(Series::new("Failures", vec![1; 24]))
//!     .render();
//! assert!(svg.starts_with("<svg"));
//! ```
//!
//! What every chart guarantees (the tests check each):
//! - **Accessible**: `role="img"`, a `<title>` and a `<desc>` referenced by
//!   `aria-labelledby`; the description states the data in words (every value when there
//!   are few, totals and extremes otherwise); each bar or point carries a `<title>` with
//!   its category, series and value. Colours have at least 4.5:1 contrast against white,
//!   and never carry meaning alone: series after the first are hatched (bars) or dashed
//!   with other markers (lines), and the legend shows the same marks beside the names.
//! - **Safe inline**: no script, no event handler, no `style` element or attribute (an
//!   inline `style` is inline style under a Content-Security-Policy without
//!   `unsafe-inline`): only presentation attributes such as `fill`. Every text is escaped,
//!   and characters XML cannot carry become U+FFFD.
//! - **Deterministic**: the same chart renders to the same bytes (fixed decimals, no
//!   randomness, ids derived from the chart's own id).
//! - **Robust**: no data, all zeros, one bucket, values up to `u64::MAX` and labels of any
//!   length render without panicking; long labels are shortened with an ellipsis (the full
//!   text stays in the bar's `<title>`), and crowded axes label every n-th category.

mod describe;
mod render;
mod scale;
mod svg;
mod time;

pub use time::{day_labels, hour_labels};

/// How the series of a [`Chart`] are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// Vertical bars, side by side per category (one series: a plain bar chart with
    /// value labels).
    #[default]
    Bars,
    /// The series of a category stacked in one column (parts of a whole: sign-ins and
    /// failures).
    Stacked,
    /// A line per series with a marker at each category.
    Line,
}

/// One named row of values, one per category of its [`Chart`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    name: String,
    values: Vec<u64>,
}

impl Series {
    /// A series named `name` (shown in the legend and the description). A series shorter
    /// than the chart's categories counts the missing values as zero; longer, its extra
    /// values are ignored.
    pub fn new(name: impl Into<String>, values: Vec<u64>) -> Self {
        Self { name: name.into(), values }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn values(&self) -> &[u64] {
        &self.values
    }

    /// The value at category `index` (zero past the end).
    fn at(&self, index: usize) -> u64 {
        self.values.get(index).copied().unwrap_or(0)
    }
}

/// A chart: categories along the horizontal axis, one or more series of counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    id: String,
    title: String,
    summary: Option<String>,
    kind: Kind,
    categories: Vec<String>,
    series: Vec<Series>,
    width: u32,
    height: u32,
}

impl Chart {
    /// A chart with no data yet. `id` prefixes the ids inside the SVG (title, description,
    /// patterns), so that several charts can be inlined in one page: give each a distinct
    /// one. Characters other than ASCII letters, digits, `-` and `_` are replaced by `-`.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            id: svg::sanitize_id(&id.into()),
            title: title.into(),
            summary: None,
            kind: Kind::default(),
            categories: Vec::new(),
            series: Vec::new(),
            width: 640,
            height: 300,
        }
    }

    /// How the series are drawn ([`Kind::Bars`] by default).
    #[must_use]
    pub fn kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }

    /// The categories along the horizontal axis, in order.
    #[must_use]
    pub fn categories<S: Into<String>>(mut self, categories: impl IntoIterator<Item = S>) -> Self {
        self.categories = categories.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a series (drawn in the order added).
    #[must_use]
    pub fn series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// A sentence put before the generated description (what the data is, its period).
    #[must_use]
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = Some(summary.into());
        self
    }

    /// The drawing's size in SVG user units (640 by 300 by default; at least 200 by 120).
    #[must_use]
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.width = width.max(200);
        self.height = height.max(120);
        self
    }

    /// The chart as a standalone `<svg>` element, ready to inline in HTML.
    pub fn render(&self) -> String {
        render::render(self)
    }

    /// The text of the chart's `<desc>`: what a screen reader announces.
    pub fn description(&self) -> String {
        describe::describe(self)
    }

    /// Whether the chart has anything to draw: at least one category and one series.
    fn is_empty(&self) -> bool {
        self.categories.is_empty() || self.series.is_empty()
    }
}

#[cfg(test)]
mod tests;
