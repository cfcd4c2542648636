//! The value axis: a round top and step, and numbers written for people.

/// Ticks on the value axis: `0, step, 2 step, ..., top`, where `top` is the smallest
/// multiple of a round step (1, 2 or 5 times a power of ten) that reaches `max` in at
/// most four steps. Computed in `u128`, so `u64::MAX` fits; `max` 0 gives `0..1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Axis {
    pub(crate) top: u128,
    pub(crate) step: u128,
}

impl Axis {
    pub(crate) fn for_max(max: u128) -> Self {
        let max = max.max(1);
        let mut power: u128 = 1;
        loop {
            for factor in [1, 2, 5] {
                let step = factor * power;
                if step * 4 >= max {
                    return Self { top: max.div_ceil(step) * step, step };
                }
            }
            power *= 10;
        }
    }

    /// The tick values from 0 to the top.
    pub(crate) fn ticks(self) -> impl Iterator<Item = u128> {
        (0..=self.top / self.step).map(move |n| n * self.step)
    }

    /// Where `value` sits between 0 (the bottom) and 1 (the top).
    pub(crate) fn fraction(self, value: u128) -> f64 {
        (value as f64 / self.top as f64).clamp(0.0, 1.0)
    }
}

/// A tick label: `950`, `1.5k`, `12k`, `3M`, `20E` (SI prefixes of thousands).
pub(crate) fn compact(value: u128) -> String {
    const UNITS: [(u128, &str); 6] = [
        (1_000_000_000_000_000_000, "E"),
        (1_000_000_000_000_000, "P"),
        (1_000_000_000_000, "T"),
        (1_000_000_000, "G"),
        (1_000_000, "M"),
        (1_000, "k"),
    ];
    for (unit, suffix) in UNITS {
        if value >= unit {
            let whole = value / unit;
            let tenths = (value % unit) * 10 / unit;
            return if whole < 10 && tenths > 0 {
                format!("{whole}.{tenths}{suffix}")
            } else {
                format!("{whole}{suffix}")
            };
        }
    }
    value.to_string()
}

/// A count with thousands separators: `1,234,567`.
pub(crate) fn grouped(value: u128) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
