//! The working calendar file: the State Council's holidays and adjusted working days, year
//! by year (built in: `working-calendar.toml` beside this crate; the operator's own file
//! replaces it). It is read and checked at start; `domain::time::WorkingCalendar` counts.

use std::path::Path;

use domain::time::{CalendarYear, WorkingCalendar};
use serde::Deserialize;

/// The calendar shipped in the binary.
pub const DEFAULT_CALENDAR_TOML: &str = include_str!("../../working-calendar.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    years: Vec<CalendarYear>,
}

/// Parses and checks a calendar; errors name the field (`years[1].working_days[0]: …`).
pub fn parse(text: &str) -> Result<WorkingCalendar, String> {
    let file: CalendarFile = toml::from_str(text).map_err(|e| e.to_string())?;
    WorkingCalendar::new(&file.years).map_err(|e| e.to_string())
}

/// The file at `path`, or the built-in one.
pub fn load(path: Option<&Path>) -> Result<WorkingCalendar, String> {
    match path {
        None => parse(DEFAULT_CALENDAR_TOML),
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            parse(&text).map_err(|e| format!("{}: {e}", path.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ChinaDate;

    fn d(text: &str) -> ChinaDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_built_in_calendar_has_2025_and_2026_as_published() {
        let calendar = parse(DEFAULT_CALENDAR_TOML).unwrap();
        assert_eq!(calendar.known_years().collect::<Vec<_>>(), [2025, 2026]);
        // 2025: the Spring Festival ran from New Year's Eve, 28 January, to 4 February,
        // with Sunday 26 January and Saturday 8 February worked.
        assert!(!calendar.is_working_day(d("2025-01-28")));
        assert!(!calendar.is_working_day(d("2025-02-04")));
        assert!(calendar.is_working_day(d("2025-01-26")));
        assert!(calendar.is_working_day(d("2025-02-08")));
        // National Day and Mid-Autumn together, 1 to 8 October 2025.
        assert_eq!(
            calendar.add_working_days(d("2025-09-30"), 1),
            d("2025-10-09")
        );
        // 2026: National Day 1 to 7 October, Saturday 10 October worked.
        assert_eq!(
            calendar.add_working_days(d("2026-09-30"), 2),
            d("2026-10-09")
        );
        assert_eq!(
            calendar.add_working_days(d("2026-10-09"), 1),
            d("2026-10-10")
        );
        // Spring Festival 2026: 15 to 23 February, Saturdays 14 and 28 worked.
        assert_eq!(calendar.next_working_day(d("2026-02-13")), d("2026-02-14"));
        assert_eq!(calendar.next_working_day(d("2026-02-14")), d("2026-02-24"));
    }

    #[test]
    fn a_wrong_calendar_names_the_field() {
        let bad = DEFAULT_CALENDAR_TOML.replacen("\"2026-10-10\"", "\"2026-10-09\"", 1);
        let e = parse(&bad).unwrap_err();
        assert!(e.starts_with("years[1].working_days[5]"), "{e}");
        let bad = DEFAULT_CALENDAR_TOML.replacen("2026-06-21", "2026-06-31", 1);
        assert!(parse(&bad).is_err());
    }
}
