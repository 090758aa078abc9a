//! Catalogue expressions: sums and differences of data element codes, "DON_TIEP_NHAN" or
//! "GS_MTTQ + GS_BAN_TTND - GS_TRUNG".

use std::collections::HashMap;
use std::fmt;

use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub sign: i8,
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpressionError {
    #[error("biểu thức trống")]
    Empty,
    #[error("“{0}” không phải mã số liệu (chữ in hoa, số, gạch dưới)")]
    BadCode(String),
    #[error("thiếu mã số liệu sau dấu {0}")]
    MissingTerm(char),
    #[error("mã số liệu {0} không có trong danh mục")]
    Unknown(String),
}

fn is_code(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

impl Expression {
    pub fn parse(text: &str) -> Result<Expression, ExpressionError> {
        let mut terms = Vec::new();
        let mut sign = 1i8;
        let mut pending: Option<char> = None;
        let spaced = text.replace('+', " + ").replace('-', " - ");
        for token in spaced.split_whitespace() {
            match token {
                "+" | "-" => {
                    if pending.is_some() || (terms.is_empty() && token == "+") {
                        return Err(ExpressionError::MissingTerm(token.chars().next().unwrap_or('+')));
                    }
                    sign = if token == "-" { -1 } else { 1 };
                    pending = token.chars().next();
                }
                code if is_code(code) => {
                    if !terms.is_empty() && pending.is_none() {
                        return Err(ExpressionError::BadCode(code.to_owned()));
                    }
                    terms.push(Term { sign, code: code.to_owned() });
                    sign = 1;
                    pending = None;
                }
                other => return Err(ExpressionError::BadCode(other.to_owned())),
            }
        }
        if let Some(op) = pending {
            return Err(ExpressionError::MissingTerm(op));
        }
        if terms.is_empty() {
            return Err(ExpressionError::Empty);
        }
        Ok(Expression { terms })
    }

    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().map(|t| t.code.as_str())
    }

    /// Checks every code against the catalogue.
    pub fn check_known(&self, known: impl Fn(&str) -> bool) -> Result<(), ExpressionError> {
        match self.codes().find(|code| !known(code)) {
            Some(code) => Err(ExpressionError::Unknown(code.to_owned())),
            None => Ok(()),
        }
    }

    /// The value with these element values; a missing element counts as 0. `None` when no
    /// element of the expression has a value at all.
    pub fn evaluate(&self, values: &HashMap<String, Decimal>) -> Option<Decimal> {
        let mut any = false;
        let total = self.terms.iter().fold(Decimal::ZERO, |sum, term| match values.get(&term.code) {
            Some(value) => {
                any = true;
                if term.sign < 0 { sum - value } else { sum + value }
            }
            None => sum,
        });
        any.then_some(total)
    }
}

impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, term) in self.terms.iter().enumerate() {
            match (i, term.sign) {
                (0, -1) => write!(f, "-{}", term.code)?,
                (0, _) => write!(f, "{}", term.code)?,
                (_, -1) => write!(f, " - {}", term.code)?,
                _ => write!(f, " + {}", term.code)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sums_and_differences() {
        let e = Expression::parse("GS_MTTQ + GS_BAN_TTND-GS_TRUNG").expect("valid");
        assert_eq!(e.to_string(), "GS_MTTQ + GS_BAN_TTND - GS_TRUNG");
        assert_eq!(e.codes().collect::<Vec<_>>(), vec!["GS_MTTQ", "GS_BAN_TTND", "GS_TRUNG"]);
        assert_eq!(Expression::parse("-A").expect("valid").to_string(), "-A");
    }

    #[test]
    fn refuses_malformed_expressions() {
        assert_eq!(Expression::parse(""), Err(ExpressionError::Empty));
        assert_eq!(Expression::parse("A +"), Err(ExpressionError::MissingTerm('+')));
        assert_eq!(Expression::parse("A B"), Err(ExpressionError::BadCode("B".into())));
        assert_eq!(Expression::parse("a + B"), Err(ExpressionError::BadCode("a".into())));
        assert_eq!(Expression::parse("A * 2"), Err(ExpressionError::BadCode("*".into())));
        assert!(Expression::parse("A + - B").is_err());
    }

    #[test]
    fn evaluates_with_missing_values_as_zero() {
        let e = Expression::parse("A + B - C").expect("valid");
        let values: HashMap<String, Decimal> =
            [("A".to_owned(), Decimal::from(11)), ("C".to_owned(), Decimal::from(4))].into();
        assert_eq!(e.evaluate(&values), Some(Decimal::from(7)));
        let tenths: HashMap<String, Decimal> =
            [("A".to_owned(), Decimal::new(1, 1)), ("B".to_owned(), Decimal::new(2, 1))].into();
        assert_eq!(e.evaluate(&tenths), Some(Decimal::new(3, 1)), "0,1 + 0,2 is exactly 0,3");
        assert_eq!(e.evaluate(&HashMap::new()), None);
        assert_eq!(e.check_known(|c| c != "B"), Err(ExpressionError::Unknown("B".into())));
    }
}
