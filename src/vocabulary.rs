//! Closed vocabularies stored as words in `text` columns: a report's status (`da_gui`), a
//! target's comparator (`>=`), an element's aggregation (`sum`), a rule's severity (`error`).
//! [`vocabulary!`] declares such an enum once, each value with its stored word and its
//! Vietnamese label, and gives it everything a boundary needs, from that one table:
//!
//! - `ALL` (declaration order), `as_str()` (the word), `label()`, `CHOICES` (word and label, for
//!   a form's list);
//! - `FromStr` and `Display` as the word, refusing any other text with [`UnknownWord`];
//! - serde as the word (JSON API, audit log, demo files), refusing any other;
//! - sqlx as `text` (`status AS "status: Status"` in a query, `status as Status` as a bind): a
//!   word outside the vocabulary is a decoding error, never a default. The columns' CHECK
//!   constraints list the same words.

use std::fmt;

/// Text that is none of a vocabulary's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    /// What the vocabulary names, in Vietnamese ("trạng thái báo cáo").
    pub vocabulary: &'static str,
    pub word: String,
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} không phải {} hợp lệ", self.word, self.vocabulary)
    }
}

impl std::error::Error for UnknownWord {}

/// Declares a closed vocabulary (see the module docs):
///
/// ```ignore
/// vocabulary! {
///     /// Where a report stands.
///     pub enum Status: "trạng thái báo cáo" {
///         Draft = "nhap" => "Nháp",
///         Submitted = "da_gui" => "Đã gửi",
///     }
/// }
/// ```
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident: $what:literal {
            $($(#[$vmeta:meta])* $variant:ident = $word:literal => $label:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($word),+].len()] = [$($name::$variant),+];

            /// Each value's word and label, in declaration order: a form's list of choices.
            pub const CHOICES: [(&'static str, &'static str); [$($word),+].len()] = [$(($word, $label)),+];

            /// The word the database, the forms and the JSON hold.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }

            /// The value as the pages word it.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::vocabulary::UnknownWord;

            fn from_str(word: &str) -> Result<Self, Self::Err> {
                match word {
                    $($word => Ok($name::$variant),)+
                    _ => Err($crate::vocabulary::UnknownWord { vocabulary: $what, word: word.to_owned() }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let word = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                word.parse().map_err(serde::de::Error::custom)
            }
        }

        impl sqlx::Type<sqlx::Postgres> for $name {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::Type<sqlx::Postgres>>::type_info()
            }

            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <&str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $name {
            fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(<&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?.parse()?)
            }
        }

        impl sqlx::Encode<'_, sqlx::Postgres> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Postgres>>::encode(self.as_str(), buf)
            }
        }
    };
}

pub(crate) use vocabulary;

/// Declares the id of one table's rows (`reports.id`, `directives.id`, …) as its own type over
/// `i32`, so that ids of different tables cannot be mixed up: statements read it with a type
/// override (`id AS "id: ReportId"`) and bind it `as ReportId`; serde reads and writes its
/// number, `Display` writes it (addresses, form field names). `From<i32>` serves
/// `query_as!`, which converts each column with `.into()` into its field.
macro_rules! id {
    ($(#[$meta:meta])* $vis:vis struct $name:ident;) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, sqlx::Type,
        )]
        #[sqlx(transparent)]
        $vis struct $name(pub i32);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i32> for $name {
            fn from(id: i32) -> Self {
                $name(id)
            }
        }
    };
}

pub(crate) use id;

#[cfg(test)]
mod tests {
    vocabulary! {
        /// A vocabulary for the tests.
        enum Light: "đèn" {
            Red = "do" => "Đỏ",
            Green = "xanh" => "Xanh",
        }
    }

    #[test]
    fn a_vocabulary_reads_only_its_words() {
        assert_eq!(Light::ALL, [Light::Red, Light::Green]);
        assert_eq!(Light::CHOICES, [("do", "Đỏ"), ("xanh", "Xanh")]);
        for light in Light::ALL {
            assert_eq!(light.as_str().parse::<Light>(), Ok(light));
            assert_eq!(light.to_string(), light.as_str());
            let json = serde_json::to_string(&light).expect("json");
            assert_eq!(serde_json::from_str::<Light>(&json).expect("json"), light);
        }
        assert_eq!(Light::Green.label(), "Xanh");
        let refused = "vang".parse::<Light>().expect_err("not a word of it");
        assert_eq!(refused.to_string(), "\"vang\" không phải đèn hợp lệ");
        assert!("Do".parse::<Light>().is_err(), "words are exact");
        assert!(serde_json::from_str::<Light>("\"\"").is_err());
    }
}
