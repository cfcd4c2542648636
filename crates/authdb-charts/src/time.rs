//! Names of UTC time buckets, computed from Unix seconds with the civil calendar (no time
//! library: this crate depends on `std` alone).

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `count` labels of hourly buckets, the first starting at `start` (Unix seconds, UTC):
/// `"14:00"`, and the date (`"3 Dec 00:00"`) at each midnight and on the first bucket.
pub fn hour_labels(start: i64, count: usize) -> Vec<String> {
    (0..count)
        .map(|index| {
            let at = start.saturating_add(index as i64 * 3600);
            let hour = at.rem_euclid(86_400) / 3600;
            if index == 0 || hour == 0 {
                let (_, month, day) = civil(at.div_euclid(86_400));
                format!("{day} {} {hour:02}:00", MONTHS[month - 1])
            } else {
                format!("{hour:02}:00")
            }
        })
        .collect()
}

/// `count` labels of daily buckets, the first starting at `start` (Unix seconds, UTC):
/// `"3 Dec"`, with the year on the first bucket and on each 1 January (`"1 Jan 2027"`).
pub fn day_labels(start: i64, count: usize) -> Vec<String> {
    (0..count)
        .map(|index| {
            let days = start.div_euclid(86_400).saturating_add(index as i64);
            let (year, month, day) = civil(days);
            if index == 0 || (month == 1 && day == 1) {
                format!("{day} {} {year}", MONTHS[month - 1])
            } else {
                format!("{day} {}", MONTHS[month - 1])
            }
        })
        .collect()
}

/// The proleptic Gregorian (year, month 1-12, day 1-31) of `days` since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, usize, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as usize;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_match_known_days() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(19_723), (2024, 1, 1));
        assert_eq!(civil(19_782), (2024, 2, 29));
        assert_eq!(civil(-1), (1969, 12, 31));
        // 2026-12-01
        assert_eq!(civil(20_788), (2026, 12, 1));
    }

    #[test]
    fn hour_labels_name_the_date_at_the_start_and_at_midnight() {
        // 2026-11-30T22:00:00Z
        let labels = hour_labels(20_787 * 86_400 + 22 * 3600, 4);
        assert_eq!(labels, ["30 Nov 22:00", "23:00", "1 Dec 00:00", "01:00"]);
    }

    #[test]
    fn day_labels_carry_the_year_at_the_start_and_on_new_year() {
        // 2026-12-31
        let labels = day_labels(20_818 * 86_400 + 5, 3);
        assert_eq!(labels, ["31 Dec 2026", "1 Jan 2027", "2 Jan"]);
    }

    #[test]
    fn extreme_starts_do_not_panic() {
        assert_eq!(hour_labels(i64::MAX - 10, 2).len(), 2);
        assert_eq!(day_labels(i64::MIN / 2, 2).len(), 2);
    }
}
