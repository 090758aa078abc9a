//! The level of a unit in the tree (cấp): province, district, commune, hamlet. The database
//! stores it as a `smallint` 1–4 (`units.level`, `targets.scope_level`, the `levels` arrays of
//! elements and tasks); it is read into [`Level`] at that boundary, so that every page words a
//! level the same way. The whole country has no level: it is `None` where a unit is optional.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize, Serializer};

/// One level of the tree of units. Ordered from the top: `Province < District < Commune < Hamlet`.
/// Read from JSON as its number (`"scope_level": 3`), refused outside 1–4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type, Deserialize)]
#[serde(try_from = "i16")]
#[repr(i16)]
pub enum Level {
    /// Tỉnh, thành phố trực thuộc trung ương.
    Province = 1,
    /// Huyện, quận, thị xã, thành phố thuộc tỉnh (none since the 2025 reform).
    District = 2,
    /// Xã, phường, thị trấn; since the 2025 reform xã, phường, đặc khu.
    Commune = 3,
    /// Thôn, ấp, khu phố, tổ dân phố: not in the official lists, declared by each commune.
    Hamlet = 4,
}

/// A number that is no level (outside 1–4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotALevel(pub i16);

impl fmt::Display for NotALevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cấp {} không có (cấp đơn vị từ 1 đến 4)", self.0)
    }
}

impl std::error::Error for NotALevel {}

impl Level {
    /// Every level, from the top.
    pub const ALL: [Level; 4] = [Level::Province, Level::District, Level::Commune, Level::Hamlet];

    /// The number the database and the forms use: 1 province … 4 hamlet.
    pub fn number(self) -> i16 {
        self as i16
    }

    /// The level one step down (`None` below a hamlet).
    pub fn below(self) -> Option<Level> {
        Level::try_from(self.number() + 1).ok()
    }

    /// "Cấp tỉnh", "Cấp huyện", "Cấp xã", "Thôn, ấp, khu phố, tổ dân phố": the level as a
    /// label (a unit's page, a target's scope, the choices of a directive's forms).
    pub fn label(self) -> &'static str {
        match self {
            Level::Province => "Cấp tỉnh",
            Level::District => "Cấp huyện",
            Level::Commune => "Cấp xã",
            Level::Hamlet => "Thôn, ấp, khu phố, tổ dân phố",
        }
    }

    /// "Tỉnh", "Huyện", "Xã", "Thôn": the level in a short list (the catalogue's "Tỉnh, Huyện, Xã").
    pub fn short_label(self) -> &'static str {
        match self {
            Level::Province => "Tỉnh",
            Level::District => "Huyện",
            Level::Commune => "Xã",
            Level::Hamlet => "Thôn",
        }
    }

    /// The units of the level in running text, as they were named on `date`: "các xã, phường,
    /// thị trấn thuộc Huyện Đức Trọng" before the 2025 reform, "102 xã, phường, đặc khu" from it.
    pub fn plural_on(self, date: NaiveDate) -> &'static str {
        match self {
            Level::Province => "tỉnh, thành phố",
            Level::District => "huyện, quận, thị xã, thành phố",
            Level::Commune if date >= super::reference::reform_date() => "xã, phường, đặc khu",
            Level::Commune => "xã, phường, thị trấn",
            Level::Hamlet => "thôn, ấp, khu phố, tổ dân phố",
        }
    }

    /// A commune, ward or special zone (for templates: `unit.level.is_commune()`).
    pub fn is_commune(self) -> bool {
        self == Level::Commune
    }
}

impl TryFrom<i16> for Level {
    type Error = NotALevel;

    fn try_from(number: i16) -> Result<Self, Self::Error> {
        match number {
            1 => Ok(Level::Province),
            2 => Ok(Level::District),
            3 => Ok(Level::Commune),
            4 => Ok(Level::Hamlet),
            other => Err(NotALevel(other)),
        }
    }
}

impl From<Level> for i16 {
    fn from(level: Level) -> i16 {
        level.number()
    }
}

/// The number as a form or a layout writes it: `"3"` (spaces around it allowed).
impl FromStr for Level {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let number = text.trim().parse::<i16>().map_err(|_| ())?;
        Level::try_from(number).map_err(|_| ())
    }
}

/// The number, as forms and layouts write a level (`value="3"`, `TC_THON@3`); words are
/// [`Level::label`] and [`Level::plural_on`].
impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

/// The number, as the JSON API has always written it (`"level": 1`).
impl Serialize for Level {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i16(self.number())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    #[test]
    fn parses_the_databases_numbers_and_writes_them_back() {
        for level in Level::ALL {
            assert_eq!(Level::try_from(level.number()), Ok(level));
            assert_eq!(level.to_string().parse::<Level>(), Ok(level));
        }
        assert_eq!(Level::try_from(3), Ok(Level::Commune));
        assert_eq!(Level::try_from(0), Err(NotALevel(0)), "the country has no level");
        assert_eq!(Level::try_from(5), Err(NotALevel(5)));
        assert_eq!(" 2 ".parse::<Level>(), Ok(Level::District));
        assert!("".parse::<Level>().is_err());
        assert!("x".parse::<Level>().is_err());
        assert_eq!(serde_json::to_string(&Level::Province).expect("json"), "1");
        assert_eq!(serde_json::from_str::<Level>("4").expect("json"), Level::Hamlet);
        assert!(serde_json::from_str::<Level>("0").is_err());
        assert!(Level::Province < Level::District && Level::Commune < Level::Hamlet);
        assert_eq!(Level::Commune.below(), Some(Level::Hamlet));
        assert_eq!(Level::Hamlet.below(), None);
    }

    #[test]
    fn words_each_level_one_way() {
        assert_eq!(Level::District.label(), "Cấp huyện");
        assert_eq!(Level::Commune.label(), "Cấp xã");
        assert_eq!(Level::Hamlet.label(), "Thôn, ấp, khu phố, tổ dân phố");
        let labels: Vec<&str> = Level::ALL.iter().map(|l| l.short_label()).collect();
        assert_eq!(labels, ["Tỉnh", "Huyện", "Xã", "Thôn"]);
        let before = day("2020-12-31");
        let after = day("2025-07-01");
        assert_eq!(Level::Commune.plural_on(before), "xã, phường, thị trấn");
        assert_eq!(Level::Commune.plural_on(after), "xã, phường, đặc khu");
        assert_eq!(Level::Commune.plural_on(day("2025-06-30")), "xã, phường, thị trấn");
        assert_eq!(Level::District.plural_on(before), "huyện, quận, thị xã, thành phố");
        assert_eq!(Level::Province.plural_on(after), "tỉnh, thành phố");
        assert_eq!(Level::Hamlet.plural_on(after), "thôn, ấp, khu phố, tổ dân phố");
    }
}
