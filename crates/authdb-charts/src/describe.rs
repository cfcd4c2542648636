//! The chart's `<desc>`: its data in words, for screen readers and for anyone the picture
//! does not reach.

use crate::{Chart, Kind, scale::grouped};

/// Up to this many categories, the description lists every value; beyond, each series'
/// total, highest and lowest.
const LISTED: usize = 12;

impl Chart {
    /// The text of the chart's `<desc>`: what a screen reader announces.
    pub fn description(&self) -> String {
        describe(self)
    }
}

fn describe(chart: &Chart) -> String {
    let mut parts: Vec<String> = chart.summary.iter().cloned().collect();
    if chart.is_empty() {
        parts.push("No data.".to_owned());
        return parts.join(" ");
    }
    let count = chart.categories.len();
    let kind = match (chart.kind, chart.series.len()) {
        (Kind::Bars, 1) => "Bar chart",
        (Kind::Bars, _) => "Grouped bar chart",
        (Kind::Stacked, _) => "Stacked bar chart",
        (Kind::Line, _) => "Line chart",
    };
    let categories = if count == 1 {
        format!("one category, {}", chart.categories[0])
    } else {
        format!("{count} categories, from {} to {}", chart.categories[0], chart.categories[count - 1])
    };
    let series: Vec<&str> = chart.series.iter().map(|series| series.name.as_str()).collect();
    parts.push(format!("{kind} of {categories}; series: {}.", series.join(", ")));
    let mut all_zero = true;
    for series in &chart.series {
        let values: Vec<u64> = (0..count).map(|index| series.at(index)).collect();
        let total: u128 = values.iter().map(|&value| u128::from(value)).sum();
        all_zero &= total == 0;
        if count <= LISTED {
            let listed: Vec<String> = chart
                .categories
                .iter()
                .zip(&values)
                .map(|(category, &value)| format!("{category} {}", grouped(value.into())))
                .collect();
            parts.push(format!("{}: {} (total {}).", series.name, listed.join(", "), grouped(total)));
        } else {
            // Ties go to the first category: `max_by_key` keeps the last, so compare reversed indexes.
            let (high, _) =
                values.iter().enumerate().max_by_key(|(index, value)| (**value, count - index)).unwrap_or((0, &0));
            let (low, _) = values.iter().enumerate().min_by_key(|(index, value)| (**value, *index)).unwrap_or((0, &0));
            parts.push(format!(
                "{}: total {}, highest {} at {}, lowest {} at {}.",
                series.name,
                grouped(total),
                grouped(values[high].into()),
                chart.categories[high],
                grouped(values[low].into()),
                chart.categories[low],
            ));
        }
    }
    if all_zero {
        parts.push("All values are zero.".to_owned());
    }
    parts.join(" ")
}
