//! Sign-ins and failures in fixed UTC buckets: the last 24 hours by hour and the last 30
//! days by day. The database counts per hour ([`audit::sign_in_counts`], one grouped
//! query over the 30 days); this module lays those counts on both axes, every bucket
//! present, with pure functions tested without a database.

use authdb_persistence::{
    ConnectionTrait,
    audit::{self, HourlySignIns, SignInScope},
};
use time::OffsetDateTime;

use crate::Result;

/// Hourly buckets: the current hour and the 23 before it.
pub(crate) const HOURS: i64 = 24;
/// Daily buckets: today (UTC) and the 29 days before it.
pub(crate) const DAYS: i64 = 30;

/// Sign-ins and failures over the last 24 hours and 30 days, oldest bucket first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInActivity {
    /// 24 buckets of one hour, the last one the current (partial) hour.
    pub hourly: Vec<SignInBucket>,
    /// 30 buckets of one UTC day, the last one today (partial).
    pub daily: Vec<SignInBucket>,
}

/// One bucket: when it starts (UTC) and what it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInBucket {
    pub start: OffsetDateTime,
    /// `login.succeeded` events.
    pub succeeded: u64,
    /// `login.failed` and `mfa.failed` events.
    pub failed: u64,
}

impl SignInActivity {
    /// Sign-ins and failures over the 24 hours.
    pub fn last_24_hours(&self) -> (u64, u64) {
        totals(&self.hourly)
    }

    /// Sign-ins and failures over the 30 days.
    pub fn last_30_days(&self) -> (u64, u64) {
        totals(&self.daily)
    }
}

fn totals(buckets: &[SignInBucket]) -> (u64, u64) {
    buckets.iter().fold((0, 0), |(succeeded, failed), bucket| (succeeded + bucket.succeeded, failed + bucket.failed))
}

/// The hours (since the Unix epoch) the axes start at, for `now`: the first hourly and
/// the first daily bucket, and the end of the last (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Windows {
    first_hour: i64,
    first_day_hour: i64,
    end_hour: i64,
}

impl Windows {
    pub(crate) fn at(now: OffsetDateTime) -> Self {
        let hour = now.unix_timestamp().div_euclid(3600);
        let day = now.unix_timestamp().div_euclid(86_400);
        Self { first_hour: hour - (HOURS - 1), first_day_hour: (day - (DAYS - 1)) * 24, end_hour: hour + 1 }
    }

    fn instant(hour: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(hour * 3600).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The counted range: from the first day's midnight to the end of the current hour.
    fn range(self) -> (OffsetDateTime, OffsetDateTime) {
        (Self::instant(self.first_day_hour), Self::instant(self.end_hour))
    }

    /// Both axes, every bucket present, from the database's hourly counts.
    pub(crate) fn lay_out(self, counts: &[HourlySignIns]) -> SignInActivity {
        let mut hourly: Vec<SignInBucket> = (0..HOURS)
            .map(|index| SignInBucket { start: Self::instant(self.first_hour + index), succeeded: 0, failed: 0 })
            .collect();
        let mut daily: Vec<SignInBucket> = (0..DAYS)
            .map(|index| SignInBucket {
                start: Self::instant(self.first_day_hour + index * 24),
                succeeded: 0,
                failed: 0,
            })
            .collect();
        for counted in counts {
            if let Some(bucket) = bucket(&mut hourly, counted.hour - self.first_hour, self.end_hour - self.first_hour) {
                bucket.succeeded += counted.succeeded;
                bucket.failed += counted.failed;
            }
            let since_first_day = counted.hour - self.first_day_hour;
            if since_first_day < self.end_hour - self.first_day_hour
                && let Some(bucket) = bucket(&mut daily, since_first_day.div_euclid(24), DAYS)
            {
                bucket.succeeded += counted.succeeded;
                bucket.failed += counted.failed;
            }
        }
        SignInActivity { hourly, daily }
    }
}

/// The bucket at `index` when `0 <= index < limit`.
fn bucket(buckets: &mut [SignInBucket], index: i64, limit: i64) -> Option<&mut SignInBucket> {
    if (0..limit).contains(&index) {
        usize::try_from(index).ok().and_then(|index| buckets.get_mut(index))
    } else {
        None
    }
}

/// The activity of `scope` at `now`: one grouped query, laid out on both axes.
pub(crate) async fn activity(
    conn: &impl ConnectionTrait,
    scope: SignInScope<'_>,
    now: OffsetDateTime,
) -> Result<SignInActivity> {
    let windows = Windows::at(now);
    let (from, until) = windows.range();
    let counts = audit::sign_in_counts(conn, scope, from, until).await?;
    Ok(windows.lay_out(&counts))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn hour_of(at: OffsetDateTime) -> i64 {
        at.unix_timestamp().div_euclid(3600)
    }

    #[test]
    fn every_bucket_is_present_and_in_utc() {
        let now = datetime!(2026-12-01 03:27:45 UTC);

        let activity = Windows::at(now).lay_out(&[]);

        assert_eq!(activity.hourly.len(), 24);
        assert_eq!(activity.daily.len(), 30);
        assert_eq!(activity.hourly[0].start, datetime!(2026-11-30 04:00 UTC));
        assert_eq!(activity.hourly[23].start, datetime!(2026-12-01 03:00 UTC));
        assert_eq!(activity.daily[0].start, datetime!(2026-11-02 00:00 UTC));
        assert_eq!(activity.daily[29].start, datetime!(2026-12-01 00:00 UTC));
        assert_eq!((activity.last_24_hours(), activity.last_30_days()), ((0, 0), (0, 0)));
    }

    #[test]
    fn counts_land_in_their_hour_and_day() {
        let now = datetime!(2026-12-01 03:27:45 UTC);
        let counts = [
            // Today, this hour.
            HourlySignIns { hour: hour_of(now), succeeded: 2, failed: 1 },
            // Yesterday at 05:00: in the 24 hours and in yesterday's day.
            HourlySignIns { hour: hour_of(datetime!(2026-11-30 05:10 UTC)), succeeded: 3, failed: 0 },
            // Yesterday at 02:00: 25 hours ago, only in the days.
            HourlySignIns { hour: hour_of(datetime!(2026-11-30 02:00 UTC)), succeeded: 0, failed: 4 },
            // The first day's first hour.
            HourlySignIns { hour: hour_of(datetime!(2026-11-02 00:00 UTC)), succeeded: 7, failed: 0 },
            // Outside both (before, and a clock ahead of ours).
            HourlySignIns { hour: hour_of(datetime!(2026-11-01 23:00 UTC)), succeeded: 100, failed: 100 },
            HourlySignIns { hour: hour_of(datetime!(2026-12-01 04:00 UTC)), succeeded: 100, failed: 100 },
        ];

        let activity = Windows::at(now).lay_out(&counts);

        assert_eq!((activity.hourly[23].succeeded, activity.hourly[23].failed), (2, 1));
        assert_eq!(activity.hourly[1].succeeded, 3);
        assert_eq!(activity.last_24_hours(), (5, 1));
        assert_eq!((activity.daily[29].succeeded, activity.daily[29].failed), (2, 1));
        assert_eq!((activity.daily[28].succeeded, activity.daily[28].failed), (3, 4));
        assert_eq!(activity.daily[0].succeeded, 7);
        assert_eq!(activity.last_30_days(), (12, 5));
    }

    #[test]
    fn the_counted_range_covers_both_axes() {
        let now = datetime!(2026-12-01 00:00:00 UTC);

        let (from, until) = Windows::at(now).range();

        assert_eq!(from, datetime!(2026-11-02 00:00 UTC));
        assert_eq!(until, datetime!(2026-12-01 01:00 UTC));
        let activity = Windows::at(now).lay_out(&[]);
        assert_eq!(activity.hourly[0].start, datetime!(2026-11-30 01:00 UTC));
    }
}
