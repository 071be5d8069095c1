//! Time as the rules see it: a moment ([`UnixTime`]), the calendar date in mainland China
//! ([`ChinaDate`], UTC+8 all year: one time zone, no daylight saving), where "now" comes
//! from ([`Clock`]), and which days are working days ([`WorkingCalendar`]).
//!
//! Rules never ask the system for the time: they take `now` as an argument, and the
//! application hands them its clock's reading. [`SystemClock`] is the only code in CertHall
//! that reads the system clock; tests use a [`SettableClock`] and set the date they need.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Duration, Month, Weekday};

use crate::field_error::FieldError;

/// Seconds of a day.
pub const DAY_SECONDS: i64 = 86_400;
/// China Standard Time is UTC+8.
const CHINA_OFFSET_SECONDS: i64 = 8 * 3600;

/// A moment: seconds since 1970-01-01T00:00:00Z (how every time is stored).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UnixTime(i64);

impl UnixTime {
    pub const fn from_seconds(seconds: i64) -> Self {
        UnixTime(seconds)
    }

    pub const fn seconds(self) -> i64 {
        self.0
    }

    /// `self` plus `seconds` (negative: earlier), saturating.
    pub const fn plus_seconds(self, seconds: i64) -> Self {
        UnixTime(self.0.saturating_add(seconds))
    }

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    pub const fn seconds_since(self, earlier: UnixTime) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The date in China at this moment.
    pub fn china_date(self) -> ChinaDate {
        let days = (self.0 + CHINA_OFFSET_SECONDS).div_euclid(DAY_SECONDS);
        ChinaDate(Date::from_julian_day(UNIX_EPOCH_JULIAN_DAY + days as i32).unwrap_or(Date::MIN))
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// A calendar date in mainland China. Written and read as `2026-10-01`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChinaDate(Date);

impl ChinaDate {
    /// `None` for a date that does not exist (30 February).
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Self> {
        let month = Month::try_from(month).ok()?;
        Date::from_calendar_date(year, month, day)
            .ok()
            .map(ChinaDate)
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }

    pub fn month(self) -> u8 {
        self.0.month() as u8
    }

    pub fn day(self) -> u8 {
        self.0.day()
    }

    /// `20261001`, the form inside resident identity numbers.
    pub fn yyyymmdd(self) -> u32 {
        (self.year().max(0) as u32) * 10_000 + u32::from(self.month()) * 100 + u32::from(self.day())
    }

    pub fn is_weekend(self) -> bool {
        matches!(self.0.weekday(), Weekday::Saturday | Weekday::Sunday)
    }

    /// The next day.
    pub fn next(self) -> Self {
        ChinaDate(self.0.next_day().unwrap_or(self.0))
    }

    /// `self` plus `days` (negative: earlier).
    pub fn plus_days(self, days: i64) -> Self {
        ChinaDate(self.0.checked_add(Duration::days(days)).unwrap_or(self.0))
    }

    /// Midnight at the start of this day in China.
    pub fn start(self) -> UnixTime {
        let days = i64::from(self.0.to_julian_day() - UNIX_EPOCH_JULIAN_DAY);
        UnixTime(days * DAY_SECONDS - CHINA_OFFSET_SECONDS)
    }

    /// Midnight at the end of this day in China (the start of the next).
    pub fn end(self) -> UnixTime {
        self.start().plus_seconds(DAY_SECONDS)
    }
}

impl fmt::Display for ChinaDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        )
    }
}

/// A text that is not a `YYYY-MM-DD` date that exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a date like 2026-10-01")]
pub struct DateError(pub String);

impl FromStr for ChinaDate {
    type Err = DateError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = || DateError(text.to_string());
        let mut parts = text.trim().splitn(3, '-');
        let mut number = |len: usize| {
            parts
                .next()
                .filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<i32>().ok())
        };
        let (year, month, day) = (number(4), number(2), number(2));
        match (year, month, day) {
            (Some(y), Some(m), Some(d)) => {
                ChinaDate::from_ymd(y, m as u8, d as u8).ok_or_else(fail)
            }
            _ => Err(fail()),
        }
    }
}

impl Serialize for ChinaDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ChinaDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Where "now" comes from.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> UnixTime;
}

/// The system's clock: the one place CertHall reads it.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        UnixTime(seconds)
    }
}

/// A clock that stands still until it is set or moved: for tests and demos, so that a rule
/// of time is checked at the date it is about, and never by waiting.
#[derive(Debug)]
pub struct SettableClock(AtomicI64);

impl SettableClock {
    pub fn at(time: UnixTime) -> Self {
        SettableClock(AtomicI64::new(time.0))
    }

    pub fn set(&self, time: UnixTime) {
        self.0.store(time.0, Ordering::SeqCst);
    }

    pub fn advance(&self, by: std::time::Duration) {
        let seconds = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for SettableClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.0.load(Ordering::SeqCst))
    }
}

/// One year of the State Council's holiday notice (国务院办公厅关于部分节假日安排的通知): the
/// days off (放假) and the weekend days that are worked instead (调休上班).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarYear {
    pub year: i32,
    /// The notice this year's days come from, e.g. `国办发明电〔2025〕7号`.
    pub notice: String,
    pub holidays: Vec<Holiday>,
    /// Saturdays and Sundays that are working days (调休上班).
    #[serde(default)]
    pub working_days: Vec<ChinaDate>,
}

/// A run of days off, `first` to `last` inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub name: String,
    pub first: ChinaDate,
    pub last: ChinaDate,
}

/// Which days are working days: Monday to Friday, except the holidays of the years the
/// calendar knows, plus their adjusted working days. A year it does not know is counted
/// Monday to Friday (the start-up warns about it: see [`WorkingCalendar::missing_years`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingCalendar {
    years: BTreeSet<i32>,
    days_off: BTreeSet<ChinaDate>,
    days_on: BTreeSet<ChinaDate>,
}

impl WorkingCalendar {
    /// Checks the years (each once; every date inside its year; a holiday's first day not
    /// after its last; adjusted working days on weekends and not holidays); errors name the
    /// field, e.g. `years[1].working_days[0]`.
    pub fn new(years: &[CalendarYear]) -> Result<Self, FieldError> {
        let mut calendar = WorkingCalendar::default();
        for (i, year) in years.iter().enumerate() {
            let at = format!("years[{i}]");
            if !calendar.years.insert(year.year) {
                return Err(FieldError::new(
                    format!("{at}.year"),
                    "calendar_year",
                    format!("{} is given twice", year.year),
                    format!("{}年重复", year.year),
                ));
            }
            for (j, holiday) in year.holidays.iter().enumerate() {
                let field = format!("{at}.holidays[{j}]");
                if holiday.first.year() != year.year || holiday.last.year() != year.year {
                    return Err(outside(&field, year.year));
                }
                if holiday.first > holiday.last {
                    return Err(FieldError::new(
                        field,
                        "calendar_range",
                        "first is after last",
                        "开始日期晚于结束日期",
                    ));
                }
                let mut day = holiday.first;
                while day <= holiday.last {
                    calendar.days_off.insert(day);
                    day = day.next();
                }
            }
            for (j, day) in year.working_days.iter().enumerate() {
                let field = format!("{at}.working_days[{j}]");
                if day.year() != year.year {
                    return Err(outside(&field, year.year));
                }
                if !day.is_weekend() || calendar.days_off.contains(day) {
                    return Err(FieldError::new(
                        field,
                        "calendar_working_day",
                        format!(
                            "{day}: an adjusted working day is a Saturday or Sunday that is not a holiday"
                        ),
                        format!("{day}：调休上班日应为非节假日的周六或周日"),
                    ));
                }
                calendar.days_on.insert(*day);
            }
        }
        Ok(calendar)
    }

    /// The years whose holidays are known.
    pub fn known_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// Which of `years` the calendar does not know.
    pub fn missing_years(&self, years: impl IntoIterator<Item = i32>) -> Vec<i32> {
        years
            .into_iter()
            .filter(|y| !self.years.contains(y))
            .collect()
    }

    pub fn is_working_day(&self, day: ChinaDate) -> bool {
        if self.days_on.contains(&day) {
            return true;
        }
        !day.is_weekend() && !self.days_off.contains(&day)
    }

    /// The first working day after `day`.
    pub fn next_working_day(&self, day: ChinaDate) -> ChinaDate {
        let mut next = day.next();
        while !self.is_working_day(next) {
            next = next.next();
        }
        next
    }

    /// The `n`-th working day after `day` (`day` itself for 0).
    pub fn add_working_days(&self, day: ChinaDate, n: u32) -> ChinaDate {
        (0..n).fold(day, |d, _| self.next_working_day(d))
    }

    /// Working days after `from` up to and including `to` (negative when `to` is earlier).
    pub fn working_days_between(&self, from: ChinaDate, to: ChinaDate) -> i64 {
        let (low, high, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut count = 0;
        let mut day = low.next();
        while day <= high {
            count += i64::from(self.is_working_day(day));
            day = day.next();
        }
        sign * count
    }

    /// When a promise of `working_days` made at `start` runs out: the end of the
    /// `working_days`-th working day after the day of `start` (seed 000: "within 3 working
    /// days of a qualified order").
    pub fn due(&self, start: UnixTime, working_days: u32) -> UnixTime {
        self.add_working_days(start.china_date(), working_days)
            .end()
    }
}

fn outside(field: &str, year: i32) -> FieldError {
    FieldError::new(
        field,
        "calendar_year",
        format!("a date outside {year}"),
        format!("日期不在{year}年内"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> ChinaDate {
        text.parse().unwrap()
    }

    /// The State Council's 2026 notice, as shipped (the days the tests need).
    fn calendar_2026() -> WorkingCalendar {
        let holiday = |name: &str, first: &str, last: &str| Holiday {
            name: name.into(),
            first: d(first),
            last: d(last),
        };
        WorkingCalendar::new(&[CalendarYear {
            year: 2026,
            notice: "国务院办公厅关于2026年部分节假日安排的通知".into(),
            holidays: vec![
                holiday("元旦", "2026-01-01", "2026-01-03"),
                holiday("春节", "2026-02-15", "2026-02-23"),
                holiday("国庆节", "2026-10-01", "2026-10-07"),
            ],
            working_days: vec![
                d("2026-01-04"),
                d("2026-02-14"),
                d("2026-02-28"),
                d("2026-09-20"),
                d("2026-10-10"),
            ],
        }])
        .unwrap()
    }

    #[test]
    fn dates_in_china_follow_utc_plus_eight() {
        // 2026-09-30T16:00:00Z is 2026-10-01 00:00 in Beijing.
        let midnight = UnixTime::from_seconds(1_790_784_000);
        assert_eq!(midnight.china_date(), d("2026-10-01"));
        assert_eq!(midnight.plus_seconds(-1).china_date(), d("2026-09-30"));
        assert_eq!(d("2026-10-01").start(), midnight);
        assert_eq!(d("2026-09-30").end(), midnight);
        assert_eq!(d("2026-10-01").yyyymmdd(), 20261001);
        assert!(d("2026-10-03").is_weekend() && !d("2026-10-01").is_weekend());
        assert_eq!(UnixTime::from_seconds(0).china_date(), d("1970-01-01"));
        assert_eq!(d("2026-12-31").next(), d("2027-01-01"));
        assert_eq!(d("2024-02-28").plus_days(1), d("2024-02-29"));
    }

    #[test]
    fn dates_parse_strictly_and_print_back() {
        assert_eq!(d("2026-02-28").to_string(), "2026-02-28");
        for bad in [
            "2026-02-30",
            "2026-2-28",
            "26-02-28",
            "2026/02/28",
            "",
            "2026-02-28x",
        ] {
            assert!(bad.parse::<ChinaDate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_settable_clock_moves_only_when_told() {
        let clock = SettableClock::at(UnixTime::from_seconds(1000));
        assert_eq!(clock.now().seconds(), 1000);
        clock.advance(std::time::Duration::from_secs(300));
        assert_eq!(clock.now().seconds(), 1300);
        clock.set(UnixTime::from_seconds(5));
        assert_eq!(clock.now().seconds(), 5);
        assert!(SystemClock.now().seconds() > 1_790_000_000);
    }

    #[test]
    fn holidays_and_adjusted_working_days_decide_working_days() {
        let c = calendar_2026();
        assert!(!c.is_working_day(d("2026-10-01")), "National Day");
        assert!(
            !c.is_working_day(d("2026-10-03")),
            "a Saturday in the holiday"
        );
        assert!(c.is_working_day(d("2026-10-10")), "Saturday worked (调休)");
        assert!(!c.is_working_day(d("2026-10-11")), "an ordinary Sunday");
        assert!(
            c.is_working_day(d("2026-10-08")),
            "Thursday after the holiday"
        );
        // A year the calendar does not know: Monday to Friday.
        assert!(c.is_working_day(d("2027-10-01")), "a Friday in 2027");
        assert!(!c.is_working_day(d("2027-10-02")));
        assert_eq!(c.missing_years([2025, 2026, 2027]), [2025, 2027]);
    }

    #[test]
    fn promises_in_working_days_skip_the_national_day_holiday() {
        let c = calendar_2026();
        // Wednesday 30 September, two working days: 8 and 9 October.
        assert_eq!(c.next_working_day(d("2026-09-30")), d("2026-10-08"));
        assert_eq!(c.add_working_days(d("2026-09-30"), 2), d("2026-10-09"));
        // Friday 9 October, one working day: the Saturday worked instead.
        assert_eq!(c.add_working_days(d("2026-10-09"), 1), d("2026-10-10"));
        assert_eq!(c.add_working_days(d("2026-10-09"), 0), d("2026-10-09"));
        // Submitted on a holiday: counting starts with the first working day after it.
        assert_eq!(c.add_working_days(d("2026-10-02"), 1), d("2026-10-08"));
        assert_eq!(c.working_days_between(d("2026-09-30"), d("2026-10-09")), 2);
        assert_eq!(c.working_days_between(d("2026-10-09"), d("2026-09-30")), -2);
        assert_eq!(c.working_days_between(d("2026-10-09"), d("2026-10-09")), 0);
        assert_eq!(
            c.working_days_between(d("2026-09-18"), d("2026-09-21")),
            2,
            "Sunday 20 September is worked"
        );
        // The promise runs out at midnight ending 9 October, Beijing time.
        let submitted = d("2026-09-30").start().plus_seconds(10 * 3600);
        assert_eq!(c.due(submitted, 2), d("2026-10-10").start());
    }

    #[test]
    fn a_bad_calendar_is_refused_naming_the_field() {
        let year = |working: &str| CalendarYear {
            year: 2026,
            notice: String::new(),
            holidays: vec![Holiday {
                name: "国庆节".into(),
                first: d("2026-10-01"),
                last: d("2026-10-07"),
            }],
            working_days: vec![d(working)],
        };
        let e = WorkingCalendar::new(&[year("2026-10-09")]).unwrap_err();
        assert_eq!(
            e.field, "years[0].working_days[0]",
            "a Friday is no adjusted day"
        );
        let e = WorkingCalendar::new(&[year("2026-10-03")]).unwrap_err();
        assert_eq!(
            e.field, "years[0].working_days[0]",
            "a holiday is no working day"
        );
        let e = WorkingCalendar::new(&[year("2027-01-09")]).unwrap_err();
        assert_eq!(e.field, "years[0].working_days[0]", "outside the year");
        let e = WorkingCalendar::new(&[year("2026-10-10"), year("2026-10-10")]).unwrap_err();
        assert_eq!(e.field, "years[1].year");
        let mut backwards = year("2026-10-10");
        backwards.holidays[0].last = d("2026-09-30");
        let e = WorkingCalendar::new(&[backwards]).unwrap_err();
        assert_eq!(e.field, "years[0].holidays[0]");
    }
}
