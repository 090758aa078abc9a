//! Figures as exact decimals, end to end: typed text → [`Decimal`] → PostgreSQL `numeric` →
//! sums, indicators and targets → text, JSON and cells. Binary floating point appears only
//! where the destination is a double: JSON numbers, XLSX cells and chart geometry, each
//! converted at that boundary by [`to_f64`].
//!
//! rust_decimal's own serde support is left off on purpose: a `Decimal` serialises only through
//! the functions here, so none can become a JSON string by accident.

use std::collections::BTreeMap;
use std::fmt;

pub use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};

/// The nearest double, for JSON numbers, XLSX cells and drawing. Goes through the decimal text
/// because Rust's parser rounds correctly (rust_decimal's own conversion can be off by one unit
/// in the last place), so a figure of up to 15 significant digits prints back as typed.
pub fn to_f64(value: Decimal) -> f64 {
    value.to_string().parse().unwrap_or(f64::NAN)
}

/// The shortest decimal that reads back as this double: what the sender of a JSON number
/// wrote, for numbers of up to 15 significant digits. `None` for what a decimal cannot hold
/// (not finite, beyond ±7,9 × 10²⁸, or finer than 28 decimals).
pub fn from_f64(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    // Rust's Display for f64 is the shortest round-trip text, never with an exponent.
    Decimal::from_str_exact(&value.to_string()).ok().map(|d| d.normalize())
}

/// A figure as a JSON number: integers as integers (exact within ±9,2 × 10¹⁸), others as the
/// nearest double (exact to 15 significant digits).
pub fn json(value: Decimal) -> serde_json::Value {
    serialize(&value, serde_json::value::Serializer).unwrap_or(serde_json::Value::Null)
}

/// Figures by key as a JSON object of numbers (see [`json`]).
pub fn json_map<'a>(values: impl IntoIterator<Item = (&'a String, &'a Decimal)>) -> serde_json::Value {
    serde_json::Value::Object(values.into_iter().map(|(key, value)| (key.clone(), json(*value))).collect())
}

/// `#[serde(serialize_with = "crate::figures::serialize")]`: a figure as a JSON number (see
/// [`json`]).
pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    let normal = value.normalize();
    if normal.scale() == 0
        && let Some(integer) = normal.to_i64()
    {
        return serializer.serialize_i64(integer);
    }
    serializer.serialize_f64(to_f64(*value))
}

/// `#[serde(deserialize_with = "crate::figures::deserialize")]`: a figure from a JSON number
/// (see [`from_f64`]) or a string in Rust's notation (`"51.95"`).
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    deserializer.deserialize_any(FigureVisitor)
}

struct FigureVisitor;

impl Visitor<'_> for FigureVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Decimal, E> {
        from_f64(value).ok_or_else(|| E::invalid_value(de::Unexpected::Float(value), &self))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Decimal, E> {
        Decimal::from_str_exact(value.trim()).map_err(|_| E::invalid_value(de::Unexpected::Str(value), &self))
    }
}

/// Serde adapters for `Option<Decimal>` (`null` for `None`).
pub mod option {
    use super::*;

    /// Serialises `Some` as [`super::serialize`] does, `None` as `null`.
    pub fn serialize<S: Serializer>(value: &Option<Decimal>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => super::serialize(value, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `null` (or a missing field with `#[serde(default)]`) as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
        struct Figure(Decimal);
        impl<'de> serde::Deserialize<'de> for Figure {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                super::deserialize(deserializer).map(Figure)
            }
        }
        Ok(<Option<Figure> as serde::Deserialize>::deserialize(deserializer)?.map(|f| f.0))
    }
}

/// Serde adapters for figures by key (`BTreeMap<String, Decimal>`), as JSON objects of numbers.
pub mod map {
    use super::*;

    /// Every value as [`super::serialize`] does.
    pub fn serialize<S: Serializer>(values: &BTreeMap<String, Decimal>, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(values.len()))?;
        for (key, value) in values {
            map.serialize_entry(key, &Json(*value))?;
        }
        map.end()
    }

    /// Every value as [`super::deserialize`] reads it.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, Decimal>, D::Error> {
        deserializer.deserialize_map(MapVisitor)
    }

    struct MapVisitor;

    impl<'de> Visitor<'de> for MapVisitor {
        type Value = BTreeMap<String, Decimal>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of numbers")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
            let mut values = BTreeMap::new();
            while let Some((key, value)) = access.next_entry::<String, Incoming>()? {
                values.insert(key, value.0);
            }
            Ok(values)
        }
    }

    struct Incoming(Decimal);

    impl<'de> serde::Deserialize<'de> for Incoming {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            super::deserialize(deserializer).map(Incoming)
        }
    }
}

/// A figure that serialises as a JSON number, for `json!` and collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Json(pub Decimal);

impl serde::Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize(&self.0, serializer)
    }
}

/// Rounds half away from zero to `decimals` places (`3,125` → `3,13`): how figures are shown.
pub fn round(value: Decimal, decimals: u32) -> Decimal {
    value.round_dp_with_strategy(decimals, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str_exact(text).expect("a decimal")
    }

    #[test]
    fn doubles_at_the_boundary() {
        assert_eq!(to_f64(d("0.3")), 0.3);
        assert_eq!(to_f64(d("123456789012.345")), 123_456_789_012.345);
        assert_eq!(from_f64(0.1), Some(d("0.1")));
        assert_eq!(from_f64(51.95), Some(d("51.95")));
        assert_eq!(from_f64(f64::NAN), None);
        assert_eq!(from_f64(1e300), None);
    }

    #[test]
    fn json_numbers() {
        assert_eq!(json(d("8.00")).to_string(), "8");
        assert_eq!(json(d("0.1") + d("0.2")).to_string(), "0.3");
        assert_eq!(json(d("123456789012.345")).to_string(), "123456789012.345");
        assert_eq!(json(d("-5")).to_string(), "-5");
        let text = serde_json::to_string(&serde_json::json!({"x": Json(d("585160"))})).expect("json");
        assert_eq!(text, r#"{"x":585160}"#);
    }

    #[test]
    fn maps_round_trip() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct S {
            #[serde(with = "super::map")]
            values: BTreeMap<String, Decimal>,
            #[serde(with = "super::option", default)]
            maybe: Option<Decimal>,
        }
        let s = S { values: [("A".to_owned(), d("46.1")), ("B".to_owned(), d("2"))].into(), maybe: None };
        let text = serde_json::to_string(&s).expect("json");
        assert_eq!(text, r#"{"values":{"A":46.1,"B":2},"maybe":null}"#);
        assert_eq!(serde_json::from_str::<S>(&text).expect("back"), s);
        let old: S = serde_json::from_str(r#"{"values":{"A":46.1,"B":2.0}}"#).expect("floats");
        assert_eq!(old.values.get("B"), Some(&d("2")));
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round(d("3.125"), 2), d("3.13"));
        assert_eq!(round(d("-3.125"), 2), d("-3.13"));
        assert_eq!(round(d("2.675"), 2), d("2.68"));
    }
}
