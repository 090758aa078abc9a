//! The parser against every decision listed in its module docs, and property tests: what it
//! writes it reads back, and JSON numbers are held to the same rules.

use super::*;
use crate::format::{check_number, format_number};
use proptest::prelude::*;

const COUNT: NumberRules = NumberRules::count();
const DECIMAL: NumberRules = NumberRules::decimal(false, None);
const SIGNED: NumberRules = NumberRules::decimal(true, None);

fn p(input: &str, rules: &NumberRules) -> Result<Option<Decimal>, NumberError> {
    parse_vietnamese_number(input, rules)
}

/// A decimal in Rust's notation.
fn d(text: &str) -> Decimal {
    Decimal::from_str_exact(text).expect("a decimal")
}

fn ok(input: &str, rules: &NumberRules) -> Decimal {
    match p(input, rules) {
        Ok(Some(v)) => v,
        other => panic!("{input:?} should parse, got {other:?}"),
    }
}

#[test]
fn dotted_thousands() {
    assert_eq!(ok("585.160", &COUNT), d("585160"));
    assert_eq!(ok("1.000.000", &COUNT), d("1000000"));
    assert_eq!(ok("1.234", &DECIMAL), d("1234"));
    assert_eq!(ok("999.999.999.999", &COUNT), d("999999999999"));
}

#[test]
fn comma_decimals() {
    assert_eq!(ok("51,95", &DECIMAL), d("51.95"));
    assert_eq!(ok("1.234,5", &DECIMAL), d("1234.5"));
    assert_eq!(ok("0,5", &DECIMAL), d("0.5"));
    assert_eq!(ok("00,5", &DECIMAL), d("0.5"));
    assert_eq!(ok("0,1", &DECIMAL), d("0.1"));
}

#[test]
fn plain_digits_and_leading_zeros() {
    assert_eq!(ok("585160", &COUNT), d("585160"));
    assert_eq!(ok("007", &COUNT), d("7"));
    assert_eq!(ok("0", &COUNT), d("0"));
    assert_eq!(ok("1234,5", &DECIMAL), d("1234.5"));
}

#[test]
fn spaces_are_ignored() {
    assert_eq!(ok("585 160", &COUNT), d("585160"));
    assert_eq!(ok("  585.160  ", &COUNT), d("585160"));
    assert_eq!(ok("1\u{a0}234,5", &DECIMAL), d("1234.5"));
    assert_eq!(ok("1 234,5", &DECIMAL), d("1234.5"));
    assert_eq!(ok("1\u{202f}234", &COUNT), d("1234"));
    assert_eq!(ok("1\u{2009}234\u{200a}567", &COUNT), d("1234567"));
    assert_eq!(ok("\u{feff}12\u{200b}3", &COUNT), d("123"));
    assert_eq!(ok("- 5", &SIGNED), d("-5"));
    assert_eq!(ok("51,95 %", &DECIMAL), d("51.95"));
}

#[test]
fn empty_is_no_value() {
    assert_eq!(p("", &COUNT), Ok(None));
    assert_eq!(p("   ", &COUNT), Ok(None));
    assert_eq!(p("\u{a0}\t\u{202f}\n", &DECIMAL), Ok(None));
}

#[test]
fn signs() {
    assert_eq!(ok("+7", &COUNT), d("7"));
    assert_eq!(ok("-5", &SIGNED), d("-5"));
    assert_eq!(ok("\u{2212}5", &SIGNED), d("-5"));
    assert_eq!(ok("-1.234,5", &SIGNED), d("-1234.5"));
    assert_eq!(p("-5", &COUNT), Err(NumberError::Negative));
    assert_eq!(p("-0,5", &DECIMAL), Err(NumberError::Negative));
    let zero = ok("-0", &COUNT);
    assert_eq!(zero, Decimal::ZERO);
    assert!(zero.is_sign_positive());
    assert_eq!(p("--5", &SIGNED), Err(NumberError::Invalid));
    assert_eq!(p("+-5", &SIGNED), Err(NumberError::Invalid));
    assert_eq!(p("5-", &SIGNED), Err(NumberError::Invalid));
    assert_eq!(p("-", &SIGNED), Err(NumberError::Invalid));
    assert_eq!(p("+", &SIGNED), Err(NumberError::Invalid));
}

#[test]
fn percent() {
    assert_eq!(ok("51,95%", &DECIMAL), d("51.95"));
    assert_eq!(ok("100%", &COUNT), d("100"));
    assert_eq!(p("%", &DECIMAL), Err(NumberError::Invalid));
    assert_eq!(p("5%%", &DECIMAL), Err(NumberError::Invalid));
    assert_eq!(p("%5", &DECIMAL), Err(NumberError::Invalid));
}

#[test]
fn english_style_is_ambiguous() {
    assert_eq!(p("12,345.6", &DECIMAL), Err(NumberError::Ambiguous));
    assert_eq!(p("1,234,567", &DECIMAL), Err(NumberError::Ambiguous));
    assert_eq!(p("1,5.3", &DECIMAL), Err(NumberError::Ambiguous));
}

#[test]
fn dot_not_followed_by_three_digits_is_ambiguous() {
    for input in ["245.00", "1.5", "1.2345", "1234.567", "0.500", "01.234", "1.234.56"] {
        assert_eq!(p(input, &DECIMAL), Err(NumberError::Ambiguous), "{input}");
    }
    assert!(NumberError::Ambiguous.message().contains("dấu phẩy cho phần thập phân (51,95)"));
}

#[test]
fn bad_grouping_is_invalid() {
    for input in ["1.23.4", "1.23,5", "1234.567,8", "1..234", "1.234.", ".234", "12.3456.789"] {
        assert_eq!(p(input, &DECIMAL), Err(NumberError::Invalid), "{input}");
    }
}

#[test]
fn misplaced_marks_are_invalid() {
    for input in [",5", "5,", ",", ".", ".5", "5.", "1.234,", ",.", "1_000", "1'000"] {
        assert_eq!(p(input, &DECIMAL), Err(NumberError::Invalid), "{input}");
    }
}

#[test]
fn letters_are_invalid() {
    for input in ["abc", "12a", "1e5", "0x10", "NaN", "inf", "5 người", "١٢"] {
        assert_eq!(p(input, &DECIMAL), Err(NumberError::Invalid), "{input}");
    }
}

#[test]
fn integer_elements() {
    assert_eq!(p("51,95", &COUNT), Err(NumberError::NotInteger));
    assert_eq!(p("1.234,5", &COUNT), Err(NumberError::NotInteger));
    // Trailing zeros of the fraction are not decimals.
    assert_eq!(ok("5,0", &COUNT), d("5"));
    assert_eq!(ok("5,000", &COUNT), d("5"));
}

#[test]
fn max_decimals() {
    let two = NumberRules::decimal(false, Some(2));
    assert_eq!(ok("51,95", &two), d("51.95"));
    assert_eq!(ok("51,950", &two), d("51.95"));
    assert_eq!(p("51,955", &two), Err(NumberError::TooManyDecimals(2)));
    let none = NumberRules::decimal(false, Some(0));
    assert_eq!(p("5,5", &none), Err(NumberError::TooManyDecimals(0)));
    assert_eq!(ok("5", &none), d("5"));
}

#[test]
fn size_and_precision() {
    assert_eq!(ok("1.000.000.000.000.000", &COUNT), d("1000000000000000"));
    assert_eq!(ok("999.999.999.999.999", &COUNT), d("999999999999999"));
    assert_eq!(p("1.000.000.000.000.001", &COUNT), Err(NumberError::TooLarge));
    assert_eq!(p("99999999999999999999999", &COUNT), Err(NumberError::TooLarge));
    let huge = "9".repeat(400);
    assert_eq!(p(&huge, &COUNT), Err(NumberError::TooLarge));
    assert_eq!(p("-1.000.000.000.000.001", &SIGNED), Err(NumberError::TooLarge));
    // 15 significant digits pass, 16 do not.
    assert_eq!(ok("123.456.789,012345", &DECIMAL), d("123456789.012345"));
    assert_eq!(p("123.456.789,0123456", &DECIMAL), Err(NumberError::TooManyDecimals(6)));
    assert_eq!(ok("0,000000000000001", &DECIMAL), d("0.000000000000001"));
    assert_eq!(p("0,0000000000000001", &DECIMAL), Err(NumberError::TooManyDecimals(15)));
}

#[test]
fn quantity_keeps_decimals() {
    let q = parse_quantity("1.234,50", &DECIMAL);
    assert_eq!(q, Ok(Some(Quantity { value: d("1234.5"), decimals: 1 })));
    let shown = q.ok().flatten().map(|q| q.to_string());
    assert_eq!(shown.as_deref(), Some("1.234,5"));
}

fn insert_spaces(s: &str, mask: u32, kind: usize) -> String {
    const SPACES: [char; 4] = [' ', '\u{a0}', '\u{202f}', '\u{2009}'];
    let space = SPACES[kind % SPACES.len()];
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && mask & (1 << (i % 32)) != 0 {
            out.push(space);
        }
        out.push(c);
    }
    out
}

proptest! {
    // (1) Integers formatted with dot groups parse back, with and
    // without the dots, and with spaces between the characters.
    #[test]
    fn integers_round_trip(n in 0u64..1_000_000_000_000, mask in any::<u32>(), kind in 0usize..4) {
        let expected = Decimal::from(n);
        let dotted = format_number(expected, 0);
        prop_assert_eq!(p(&dotted, &COUNT), Ok(Some(expected)));
        let plain = dotted.replace('.', "");
        prop_assert_eq!(&plain, &n.to_string());
        prop_assert_eq!(p(&plain, &COUNT), Ok(Some(expected)));
        prop_assert_eq!(p(&insert_spaces(&dotted, mask, kind), &COUNT), Ok(Some(expected)));
        prop_assert_eq!(p(&insert_spaces(&plain, mask, kind), &COUNT), Ok(Some(expected)));
    }

    // (2) Decimals with 1 to 4 fraction digits survive format then parse.
    #[test]
    fn decimals_round_trip(int in 0u64..10_000_000_000, places in 1usize..=4, frac in 0u64..10_000, negative in any::<bool>()) {
        let frac = frac % 10u64.pow(places as u32);
        let sign = if negative { "-" } else { "" };
        let typed = format!("{sign}{int},{frac:0places$}");
        let x = ok(&typed, &SIGNED);
        let shown = format_number(x, 4);
        let back = ok(&shown, &SIGNED);
        prop_assert_eq!(back, x, "{} -> {} -> {}", typed, shown, back);
    }

    // (3) Anything containing an ASCII letter is refused.
    #[test]
    fn letters_refused(prefix in "[0-9., +%-]{0,8}", letter in "[a-zA-Z]", suffix in "[0-9., +%-]{0,8}") {
        let input = format!("{prefix}{letter}{suffix}");
        for rules in [COUNT, SIGNED, NumberRules::decimal(true, Some(2))] {
            prop_assert_eq!(p(&input, &rules), Err(NumberError::Invalid), "{:?}", input);
        }
    }

    // (4) Never panics; whatever parses also passes check_number and
    // survives format then parse.
    #[test]
    fn never_panics(input in any::<String>()) {
        for rules in [COUNT, DECIMAL, SIGNED, NumberRules::decimal(true, Some(2))] {
            if let Ok(Some(q)) = parse_quantity(&input, &rules) {
                prop_assert_eq!(check_number(crate::figures::to_f64(q.value), &rules), Ok(q.value));
                prop_assert_eq!(p(&q.to_string(), &rules), Ok(Some(q.value)));
            }
        }
    }

    #[test]
    fn never_panics_on_number_like(input in "[0-9.,+%\u{2212} \u{a0}-]{0,24}") {
        for rules in [COUNT, DECIMAL, SIGNED, NumberRules::decimal(true, Some(2))] {
            if let Ok(Some(q)) = parse_quantity(&input, &rules) {
                prop_assert_eq!(check_number(crate::figures::to_f64(q.value), &rules), Ok(q.value));
                prop_assert_eq!(p(&q.to_string(), &rules), Ok(Some(q.value)));
            }
        }
    }

    // (5) parse(format(x)) == x for values rounded to 2 decimals.
    #[test]
    fn two_decimals_round_trip(cents in -100_000_000_000i64..100_000_000_000) {
        let x = Decimal::new(cents, 2);
        let shown = format_number(x, 2);
        prop_assert_eq!(p(&shown, &SIGNED), Ok(Some(x)), "{}", shown);
    }
}
