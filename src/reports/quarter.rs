//! A quarter of a year (quý I–IV): what one report covers. Ordered in time; written
//! "quý I năm 2021" on pages and `2021-Q1` in addresses.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use super::Period;

/// One quarter: a year and its quarter 1–4. Fields in that order, so that quarters sort in
/// time (`2020-Q4 < 2021-Q1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quarter {
    year: i32,
    number: u8,
}

const ROMAN: [&str; 4] = ["I", "II", "III", "IV"];

impl Quarter {
    /// Quarter `number` (1–4) of `year`; `None` for any other number.
    pub fn new(year: i32, number: u8) -> Option<Quarter> {
        (1..=4).contains(&number).then_some(Quarter { year, number })
    }

    /// Quarter `number` of `year` in a constant: a number outside 1–4 stops the build.
    pub const fn fixed(year: i32, number: u8) -> Quarter {
        assert!(matches!(number, 1..=4), "a quarter is numbered 1 to 4");
        Quarter { year, number }
    }

    /// The quarter that contains `date`.
    pub fn containing(date: NaiveDate) -> Quarter {
        // `month0` is 0–11, so the number is 1–4.
        Quarter { year: date.year(), number: (date.month0() / 3 + 1) as u8 }
    }

    /// The four quarters of `year`, in order.
    pub fn of_year(year: i32) -> impl Iterator<Item = Quarter> {
        (1..=4).map(move |number| Quarter { year, number })
    }

    /// Quý IV of `year`.
    pub fn last_of(year: i32) -> Quarter {
        Quarter { year, number: 4 }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// 1–4.
    pub fn number(self) -> u8 {
        self.number
    }

    /// The quarter before (quý IV of the year before quý I).
    pub fn previous(self) -> Quarter {
        match self.number {
            1 => Quarter { year: self.year - 1, number: 4 },
            number => Quarter { year: self.year, number: number - 1 },
        }
    }

    /// Its first day (1 January, 1 April, 1 July, 1 October).
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, u32::from(self.number) * 3 - 2, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Its last day (31 March, 30 June, 30 September, 31 December).
    pub fn last_day(self) -> NaiveDate {
        self.next_first_day().and_then(|day| day.pred_opt()).unwrap_or(NaiveDate::MAX)
    }

    fn next_first_day(self) -> Option<NaiveDate> {
        match self.number {
            4 => NaiveDate::from_ymd_opt(self.year + 1, 1, 1),
            number => NaiveDate::from_ymd_opt(self.year, u32::from(number) * 3 + 1, 1),
        }
    }

    /// The number statements compare quarters by, `year × 10 + quarter` (`2021-Q3` → 20213),
    /// as they write `r.year * 10 + r.quarter`: ordered in time like quarters are.
    pub fn sql_key(self) -> i32 {
        self.year * 10 + i32::from(self.number)
    }

    /// The machine form: `2021-Q1`.
    pub fn code(self) -> String {
        format!("{}-Q{}", self.year, self.number)
    }

    /// As documents write it: "quý I năm 2021".
    pub fn label(self) -> String {
        format!("quý {} năm {}", ROMAN[usize::from(self.number - 1)], self.year)
    }
}

impl fmt::Display for Quarter {
    /// "quý I năm 2021", as [`Quarter::label`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl From<Quarter> for Period {
    fn from(quarter: Quarter) -> Period {
        Period::Quarter { year: quarter.year, quarter: quarter.number }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(year: i32, number: u8) -> Quarter {
        Quarter::new(year, number).expect("a quarter")
    }

    #[test]
    fn quarters_are_ordered_and_written_the_vietnamese_way() {
        assert!(q(2020, 4) < q(2021, 1));
        assert!(q(2021, 1) < q(2021, 2));
        assert_eq!(q(2021, 1).to_string(), "quý I năm 2021");
        assert_eq!(q(2020, 4).label(), "quý IV năm 2020");
        assert_eq!(q(2021, 3).code(), "2021-Q3");
        assert_eq!(q(2021, 3).sql_key(), 20213);
        assert!(q(2020, 4).sql_key() < q(2021, 1).sql_key());
        assert_eq!(Quarter::new(2021, 0), None);
        assert_eq!(Quarter::new(2021, 5), None);
        assert_eq!(Quarter::fixed(2021, 2), q(2021, 2));
        assert_eq!(Period::from(q(2021, 2)), Period::Quarter { year: 2021, quarter: 2 });
    }

    #[test]
    fn quarters_know_their_days_and_neighbours() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(q(2021, 1).first_day(), day(2021, 1, 1));
        assert_eq!(q(2021, 1).last_day(), day(2021, 3, 31));
        assert_eq!(q(2020, 4).last_day(), day(2020, 12, 31));
        assert_eq!(q(2021, 2).last_day(), day(2021, 6, 30));
        assert_eq!(q(2021, 1).previous(), q(2020, 4));
        assert_eq!(q(2021, 3).previous(), q(2021, 2));
        assert_eq!(Quarter::containing(day(2025, 7, 1)), q(2025, 3));
        assert_eq!(Quarter::containing(day(2025, 12, 31)), q(2025, 4));
        assert_eq!(Quarter::of_year(2020).collect::<Vec<_>>(), vec![q(2020, 1), q(2020, 2), q(2020, 3), q(2020, 4)]);
    }
}
