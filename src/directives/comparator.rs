//! How a target (chỉ tiêu) compares a figure with its value: "≥ 95%", "từ 1 đến 2 mô hình".
//! Stored as text in `targets.comparator` (`>=`, `>`, `=`, `<=`, `<`, `between`, checked by the
//! table); read into [`Comparator`] at that boundary and at the target form, so that every page
//! evaluates and words a target one way.

use rust_decimal::Decimal;

use crate::vocabulary::vocabulary;

vocabulary! {
    /// The comparison of a target; its label is its choice in the target form's list.
    pub enum Comparator: "phép so sánh" {
        /// `>=`: "≥ 95%", từ … trở lên.
        AtLeast = ">=" => "≥ (từ … trở lên)",
        /// `>`: "> 90%", trên ….
        Above = ">" => "> (trên …)",
        /// `=`: "= 2 cuộc", đúng bằng.
        Equal = "=" => "= (đúng bằng)",
        /// `<=`: "≤ 5%", không quá ….
        AtMost = "<=" => "≤ (không quá …)",
        /// `<`: "< 5%", dưới ….
        Below = "<" => "< (dưới …)",
        /// `between`: "từ 1 đến 2 mô hình", both ends included.
        Between = "between" => "từ … đến …",
    }
}

impl Comparator {
    /// "≥", ">", "=", "≤", "<", "từ … đến": the comparison as a sign (a validation rule's
    /// list, a target's wording).
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::AtLeast => "≥",
            Comparator::Above => ">",
            Comparator::Equal => "=",
            Comparator::AtMost => "≤",
            Comparator::Below => "<",
            Comparator::Between => "từ … đến",
        }
    }

    /// Whether a target asks for at least something (a figure a little below it is "at risk"),
    /// rather than at most (a figure a little above it is).
    pub fn aims_high(self) -> bool {
        matches!(self, Comparator::AtLeast | Comparator::Above | Comparator::Equal | Comparator::Between)
    }

    /// Whether `actual` meets the target `value` (`value_max` the upper end of `between`; the
    /// value itself when missing). Exact decimals: equality needs no tolerance.
    pub fn holds(self, actual: Decimal, value: Decimal, value_max: Option<Decimal>) -> bool {
        match self {
            Comparator::AtLeast => actual >= value,
            Comparator::Above => actual > value,
            Comparator::Equal => actual == value,
            Comparator::AtMost => actual <= value,
            Comparator::Below => actual < value,
            Comparator::Between => actual >= value && actual <= value_max.unwrap_or(value),
        }
    }

    /// "≥ 95%", "> 90%", "= 1.000 cuộc", "từ 1 đến 2 mô hình", "từ 1% đến 2%": the target as
    /// every page writes it, values with at most `decimals` decimals, `unit` the indicator's
    /// ("%" joined to the number, none when empty).
    pub fn wording(self, value: Decimal, value_max: Option<Decimal>, unit: &str, decimals: u8) -> String {
        let with_unit = |value: Decimal| {
            let number = crate::format::format_number(value, decimals);
            match unit {
                "" => number,
                "%" => format!("{number}%"),
                unit => format!("{number} {unit}"),
            }
        };
        if self == Comparator::Between {
            let max = value_max.unwrap_or(value);
            return match unit {
                "%" => format!("từ {} đến {}", with_unit(value), with_unit(max)),
                _ => format!("từ {} đến {}", crate::format::format_number(value, decimals), with_unit(max)),
            };
        }
        format!("{} {}", self.symbol(), with_unit(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().expect("a decimal")
    }

    #[test]
    fn parses_what_it_stores() {
        for comparator in Comparator::ALL {
            assert_eq!(comparator.as_str().parse::<Comparator>(), Ok(comparator));
            assert_eq!(comparator.to_string(), comparator.as_str());
        }
        assert_eq!(">=".parse::<Comparator>(), Ok(Comparator::AtLeast));
        assert_eq!("between".parse::<Comparator>(), Ok(Comparator::Between));
        assert!("=>".parse::<Comparator>().is_err());
        assert!("".parse::<Comparator>().is_err());
        assert_eq!(serde_json::to_string(&Comparator::AtMost).expect("json"), "\"<=\"");
        assert_eq!(serde_json::from_str::<Comparator>("\"between\"").expect("json"), Comparator::Between);
        assert!(serde_json::from_str::<Comparator>("\"≥\"").is_err());
    }

    #[test]
    fn evaluates_with_exact_decimals() {
        assert!(Comparator::AtLeast.holds(d("95"), d("95"), None));
        assert!(!Comparator::Above.holds(d("95"), d("95"), None));
        assert!(Comparator::Equal.holds(d("0.1") + d("0.2"), d("0.3"), None), "no float residue");
        assert!(Comparator::AtMost.holds(d("5"), d("5"), None));
        assert!(!Comparator::Below.holds(d("5"), d("5"), None));
        assert!(Comparator::Between.holds(d("2"), d("1"), Some(d("2"))), "both ends included");
        assert!(Comparator::Between.holds(d("1"), d("1"), Some(d("2"))));
        assert!(!Comparator::Between.holds(d("2.5"), d("1"), Some(d("2"))));
        assert!(Comparator::Between.holds(d("1"), d("1"), None), "no upper end: the value itself");
        assert!(Comparator::AtLeast.aims_high() && Comparator::Between.aims_high());
        assert!(!Comparator::AtMost.aims_high() && !Comparator::Below.aims_high());
    }

    #[test]
    fn words_a_target_one_way() {
        assert_eq!(Comparator::AtLeast.wording(d("95"), None, "%", 2), "≥ 95%");
        assert_eq!(Comparator::Above.wording(d("90"), None, "%", 2), "> 90%");
        assert_eq!(Comparator::AtMost.wording(d("51.95"), None, "%", 2), "≤ 51,95%");
        assert_eq!(Comparator::AtMost.wording(d("51.95"), None, "%", 0), "≤ 52%");
        assert_eq!(Comparator::Below.wording(d("3"), None, "", 2), "< 3", "no unit, no space");
        assert_eq!(Comparator::Equal.wording(d("1000"), None, "cuộc", 2), "= 1.000 cuộc");
        assert_eq!(Comparator::Between.wording(d("1"), Some(d("2")), "", 2), "từ 1 đến 2");
        assert_eq!(Comparator::Between.wording(d("1"), Some(d("2")), "mô hình", 2), "từ 1 đến 2 mô hình");
        assert_eq!(Comparator::Between.wording(d("1"), Some(d("2")), "%", 2), "từ 1% đến 2%");
        assert_eq!(Comparator::Between.wording(d("1"), None, "", 2), "từ 1 đến 1");
    }
}
