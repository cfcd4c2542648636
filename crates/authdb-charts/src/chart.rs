//! What a chart shows: its categories and series, and how they are drawn.

use crate::svg;

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
    pub(crate) name: String,
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
    pub(crate) fn at(&self, index: usize) -> u64 {
        self.values.get(index).copied().unwrap_or(0)
    }
}

/// A chart: categories along the horizontal axis, one or more series of counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) summary: Option<String>,
    pub(crate) kind: Kind,
    pub(crate) categories: Vec<String>,
    pub(crate) series: Vec<Series>,
    pub(crate) width: u32,
    pub(crate) height: u32,
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

    /// Whether the chart has anything to draw: at least one category and one series.
    pub(crate) fn is_empty(&self) -> bool {
        self.categories.is_empty() || self.series.is_empty()
    }
}
