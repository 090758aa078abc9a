//! What a figure may be ([`NumberRules`]: integer or decimal, sign, decimals), why one typed
//! or sent was refused ([`NumberError`], with the Vietnamese message shown next to the field),
//! and a figure read with its decimals ([`Quantity`]).

use std::fmt;

use rust_decimal::Decimal;

use super::write::format_number;

/// What a data element accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    Integer,
    Decimal,
}

/// Constraints of a data element on the numbers it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberRules {
    pub kind: NumberKind,
    pub allow_negative: bool,
    /// Maximum number of significant decimal digits, if any.
    pub max_decimals: Option<u8>,
}

impl NumberRules {
    /// A non-negative integer: the usual count.
    pub const fn count() -> Self {
        NumberRules { kind: NumberKind::Integer, allow_negative: false, max_decimals: None }
    }

    /// A decimal, possibly negative, with an optional maximum of decimals.
    pub const fn decimal(allow_negative: bool, max_decimals: Option<u8>) -> Self {
        NumberRules { kind: NumberKind::Decimal, allow_negative, max_decimals }
    }
}

/// Why a number was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum NumberError {
    /// Not a number at all (letters, stray signs, misplaced comma, ...).
    Invalid,
    /// The marks could mean something else: English style, or a dot that
    /// may be a decimal point.
    Ambiguous,
    /// Negative where negatives are not allowed.
    Negative,
    /// A fraction for an integer element.
    NotInteger,
    /// More decimals than allowed; carries the maximum allowed.
    TooManyDecimals(u8),
    /// Magnitude above 1e15 (or not finite).
    TooLarge,
}

impl NumberError {
    /// The Vietnamese message shown next to the field.
    pub fn message(&self) -> String {
        match self {
            NumberError::Invalid => "Không phải là số. Nhập số như 585.160 hoặc 51,95.".to_string(),
            NumberError::Ambiguous => "Không rõ dấu chấm là phân cách hàng nghìn hay thập phân. \
                 Dùng dấu chấm để phân cách hàng nghìn (585.160) và dấu phẩy cho phần thập phân (51,95)."
                .to_string(),
            NumberError::Negative => "Số này không được âm.".to_string(),
            NumberError::NotInteger => "Chỉ tiêu này là số nguyên, không có phần thập phân.".to_string(),
            NumberError::TooManyDecimals(0) => "Số này không được có phần thập phân.".to_string(),
            NumberError::TooManyDecimals(n) => format!("Tối đa {n} chữ số thập phân."),
            NumberError::TooLarge => "Số quá lớn.".to_string(),
        }
    }
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for NumberError {}

/// A parsed number with the count of its significant decimal digits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity {
    /// The number, exactly as typed.
    pub value: Decimal,
    /// Decimals up to the last non-zero one.
    pub decimals: u8,
}

impl fmt::Display for Quantity {
    /// Vietnamese formatting, e.g. `1.234,5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_number(self.value, self.decimals))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        assert_eq!(NumberError::Invalid.message(), "Không phải là số. Nhập số như 585.160 hoặc 51,95.");
        assert_eq!(NumberError::Negative.message(), "Số này không được âm.");
        assert_eq!(NumberError::NotInteger.message(), "Chỉ tiêu này là số nguyên, không có phần thập phân.");
        assert_eq!(NumberError::TooManyDecimals(2).message(), "Tối đa 2 chữ số thập phân.");
        assert_eq!(NumberError::TooLarge.message(), "Số quá lớn.");
        assert_eq!(NumberError::TooLarge.to_string(), "Số quá lớn.");
        assert_eq!(
            NumberError::Ambiguous.message(),
            "Không rõ dấu chấm là phân cách hàng nghìn hay thập phân. Dùng dấu chấm để phân cách hàng nghìn (585.160) và dấu phẩy cho phần thập phân (51,95)."
        );
    }
}
