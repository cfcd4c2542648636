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

mod chart;
mod describe;
mod render;
mod scale;
mod svg;
mod time;

pub use chart::{Chart, Kind, Series};
pub use time::{day_labels, hour_labels};

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests: a failed unwrap is a failed test")]
mod tests;
