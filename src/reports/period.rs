//! Reporting periods: quarters (quý I–IV) and the cumulative views 6 tháng, 9 tháng, năm;
//! written `2021-Q1`, `2020-H1`, `2020-9M`, `2020`.

use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};

use super::Quarter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Quarter { year: i32, quarter: u8 },
    HalfYear { year: i32 },
    NineMonths { year: i32 },
    Year { year: i32 },
}

fn last_day_of_month(year: i32, month: u32) -> NaiveDate {
    let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(next_year, next_month, 1).and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
}

impl Period {
    pub fn quarter(year: i32, quarter: u8) -> Option<Period> {
        ((1..=4).contains(&quarter) && (2000..=2100).contains(&year)).then_some(Period::Quarter { year, quarter })
    }

    pub fn year(&self) -> i32 {
        match *self {
            Period::Quarter { year, .. }
            | Period::HalfYear { year }
            | Period::NineMonths { year }
            | Period::Year { year } => year,
        }
    }

    /// The quarters the period covers, in order.
    pub fn each_quarter(&self) -> Vec<Quarter> {
        let (year, first, last) = match *self {
            Period::Quarter { year, quarter } => (year, quarter, quarter),
            Period::HalfYear { year } => (year, 1, 2),
            Period::NineMonths { year } => (year, 1, 3),
            Period::Year { year } => (year, 1, 4),
        };
        (first..=last).filter_map(|number| Quarter::new(year, number)).collect()
    }

    /// The quarter the period ends with: where stocks are read.
    pub fn final_quarter(&self) -> Quarter {
        self.each_quarter().last().copied().unwrap_or_else(|| Quarter::last_of(self.year()))
    }

    /// The quarters the period covers as the [`Quarter::sql_key`]s of its first and last, for
    /// statements that select `r.year * 10 + r.quarter BETWEEN $from AND $to`.
    pub fn sql_bounds(&self) -> (i32, i32) {
        let quarters = self.each_quarter();
        let last = self.final_quarter();
        (quarters.first().copied().unwrap_or(last).sql_key(), last.sql_key())
    }

    /// The period as one quarter, if it is one.
    pub fn as_quarter(&self) -> Option<Quarter> {
        match *self {
            Period::Quarter { year, quarter } => Quarter::new(year, quarter),
            _ => None,
        }
    }

    pub fn start_date(&self) -> NaiveDate {
        self.each_quarter().first().map(|q| q.first_day()).unwrap_or(NaiveDate::MIN)
    }

    pub fn end_date(&self) -> NaiveDate {
        self.final_quarter().last_day()
    }

    /// The machine form: `2021-Q1`, `2020-H1`, `2020-9M`, `2020`.
    pub fn code(&self) -> String {
        match *self {
            Period::Quarter { year, quarter } => format!("{year}-Q{quarter}"),
            Period::HalfYear { year } => format!("{year}-H1"),
            Period::NineMonths { year } => format!("{year}-9M"),
            Period::Year { year } => format!("{year}"),
        }
    }

    /// As documents write it: "quý I năm 2021", "6 tháng đầu năm 2021", "9 tháng năm 2021",
    /// "năm 2021".
    pub fn label(&self) -> String {
        match *self {
            Period::Quarter { year, quarter } => match Quarter::new(year, quarter) {
                Some(quarter) => quarter.label(),
                None => format!("quý {quarter} năm {year}"),
            },
            Period::HalfYear { year } => format!("6 tháng đầu năm {year}"),
            Period::NineMonths { year } => format!("9 tháng năm {year}"),
            Period::Year { year } => format!("năm {year}"),
        }
    }

    /// The same view one step earlier (the previous quarter, or the previous year).
    pub fn previous(&self) -> Period {
        match *self {
            Period::Quarter { year, quarter: 1 } => Period::Quarter { year: year - 1, quarter: 4 },
            Period::Quarter { year, quarter } => Period::Quarter { year, quarter: quarter - 1 },
            Period::HalfYear { year } => Period::HalfYear { year: year - 1 },
            Period::NineMonths { year } => Period::NineMonths { year: year - 1 },
            Period::Year { year } => Period::Year { year: year - 1 },
        }
    }

    /// The same period a year earlier.
    pub fn year_before(&self) -> Period {
        match *self {
            Period::Quarter { year, quarter } => Period::Quarter { year: year - 1, quarter },
            Period::HalfYear { year } => Period::HalfYear { year: year - 1 },
            Period::NineMonths { year } => Period::NineMonths { year: year - 1 },
            Period::Year { year } => Period::Year { year: year - 1 },
        }
    }

    /// The quarter that contains `date`.
    pub fn containing(date: NaiveDate) -> Period {
        Quarter::containing(date).into()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl std::str::FromStr for Period {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim().to_uppercase();
        let error = || format!("Kỳ báo cáo “{text}” không hợp lệ: viết 2021-Q1, 2020-H1, 2020-9M hoặc 2020.");
        let (year, rest) = match text.split_once('-') {
            Some((year, rest)) => (year, Some(rest)),
            None => (text.as_str(), None),
        };
        let year: i32 = year.parse().ok().filter(|y| (2000..=2100).contains(y)).ok_or_else(error)?;
        Ok(match rest {
            None => Period::Year { year },
            Some("H1" | "6T") => Period::HalfYear { year },
            Some("9M" | "9T") => Period::NineMonths { year },
            Some(q) => {
                let quarter: u8 = q.strip_prefix('Q').and_then(|n| n.parse().ok()).ok_or_else(error)?;
                Period::quarter(year, quarter).ok_or_else(error)?
            }
        })
    }
}

/// The reporting calendar of the deployment (Nghị định 09/2019/NĐ-CP by default): figures are
/// cut off on the `cutoff_day` of the quarter's last month, and the report is due
/// `due_working_days` working days later.
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    pub cutoff_day: u32,
    pub due_working_days: u32,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar { cutoff_day: 14, due_working_days: 5 }
    }
}

impl Calendar {
    /// The day the quarter's figures are taken (its last month's `cutoff_day`, or that month's
    /// last day when shorter).
    pub fn cutoff(&self, quarter: Quarter) -> NaiveDate {
        let (year, month) = (quarter.year(), u32::from(quarter.number()) * 3);
        let last = last_day_of_month(year, month);
        NaiveDate::from_ymd_opt(year, month, self.cutoff_day.min(last.day())).unwrap_or(last)
    }

    /// The due date: working days (Monday–Friday) after the cut-off.
    pub fn due(&self, quarter: Quarter) -> NaiveDate {
        let mut date = self.cutoff(quarter);
        let mut remaining = self.due_working_days;
        while remaining > 0 {
            date = date.succ_opt().unwrap_or(date);
            if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                remaining -= 1;
            }
        }
        date
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_periods() {
        let q: Period = "2021-Q1".parse().expect("valid");
        assert_eq!(q, Period::Quarter { year: 2021, quarter: 1 });
        assert_eq!(q.label(), "quý I năm 2021");
        assert_eq!(q.code(), "2021-Q1");
        assert_eq!("2020-h1".parse::<Period>().expect("valid").label(), "6 tháng đầu năm 2020");
        assert_eq!("2020-9M".parse::<Period>().expect("valid").label(), "9 tháng năm 2020");
        assert_eq!("2020".parse::<Period>().expect("valid").label(), "năm 2020");
        assert_eq!("2020-Q4".parse::<Period>().expect("valid").label(), "quý IV năm 2020");
        for bad in ["2021-Q5", "2021-Q0", "21-Q1", "2021Q1", "abc", ""] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn covers_quarters_and_dates() {
        let year: Period = "2020".parse().expect("valid");
        assert_eq!(year.each_quarter().len(), 4);
        assert_eq!(year.end_date(), NaiveDate::from_ymd_opt(2020, 12, 31).expect("date"));
        let nine: Period = "2020-9M".parse().expect("valid");
        assert_eq!(nine.final_quarter(), Quarter::fixed(2020, 3));
        assert_eq!(nine.final_quarter(), Quarter::new(2020, 3).expect("quarter"));
        assert_eq!(nine.each_quarter().len(), 3);
        assert_eq!(year.as_quarter(), None);
        assert_eq!(nine.end_date(), NaiveDate::from_ymd_opt(2020, 9, 30).expect("date"));
        let q: Period = "2021-Q1".parse().expect("valid");
        assert_eq!(q.previous().code(), "2020-Q4");
        assert_eq!(q.year_before().code(), "2020-Q1");
        assert_eq!(q.start_date(), NaiveDate::from_ymd_opt(2021, 1, 1).expect("date"));
        assert_eq!(q.as_quarter(), Quarter::new(2021, 1));
        assert_eq!(q.each_quarter(), vec![Quarter::new(2021, 1).expect("quarter")]);
        let q3: Period = "2021-Q3".parse().expect("valid");
        assert_eq!(q3.each_quarter(), vec![Quarter::new(2021, 3).expect("quarter")]);
        assert_eq!(q3.start_date(), NaiveDate::from_ymd_opt(2021, 7, 1).expect("date"));
    }

    #[test]
    fn due_dates_follow_the_calendar() {
        let calendar = Calendar::default();
        // 14/03/2021 was a Sunday; five working days later is Friday 19/03/2021.
        let q1 = Quarter::new(2021, 1).expect("quarter");
        assert_eq!(calendar.cutoff(q1), NaiveDate::from_ymd_opt(2021, 3, 14).expect("date"));
        assert_eq!(calendar.due(q1), NaiveDate::from_ymd_opt(2021, 3, 19).expect("date"));
        let custom = Calendar { cutoff_day: 14, due_working_days: 1 };
        // 14/12/2020 was a Monday.
        assert_eq!(custom.due(Quarter::last_of(2020)), NaiveDate::from_ymd_opt(2020, 12, 15).expect("date"));
    }
}
