//! How a point in time is kept: in UTC and whole seconds, on both backends alike.

use time::{OffsetDateTime, UtcOffset};

/// `at` as every timestamp is stored and answered: in UTC, rounded down to the second.
/// SQLite keeps the text it is given (offset and fraction included) and PostgreSQL keeps
/// microseconds in UTC, so a time taken from a request or a clock goes through this
/// before it is written, and both backends answer the same.
pub fn stored_time(at: OffsetDateTime) -> OffsetDateTime {
    let at = at.to_offset(UtcOffset::UTC);
    at.replace_nanosecond(0).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn a_time_is_kept_in_utc_and_whole_seconds() {
        assert_eq!(stored_time(datetime!(2026-01-01 10:00:00.999_999_999 +02:00)), datetime!(2026-01-01 08:00:00 UTC));
        assert_eq!(stored_time(datetime!(2026-01-01 08:00:00 UTC)), datetime!(2026-01-01 08:00:00 UTC));
        assert_eq!(stored_time(stored_time(datetime!(2026-06-30 23:59:59.5 -05:00))).offset(), UtcOffset::UTC);
    }
}
