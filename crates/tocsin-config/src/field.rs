//! `Field<T>`: a raw value that never fails deserialization, so a wrong type in one key does not
//! hide the problems in the others; and the shapes used to word a wrong-type error.

use std::collections::BTreeMap;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};

/// A key as read: absent, a value of the expected type, or something else.
#[derive(Debug, Clone, Default)]
pub(crate) enum Field<T> {
    #[default]
    Missing,
    Ok(T),
    /// The value had the wrong type; the text is the deserializer's own message.
    Wrong(String),
}

impl<T> Field<T> {
    pub fn is_present(&self) -> bool {
        !matches!(self, Field::Missing)
    }

    /// The value when it is present and of the right type.
    pub fn ok(&self) -> Option<&T> {
        match self {
            Field::Ok(value) => Some(value),
            _ => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match T::deserialize(deserializer) {
            Ok(value) => Field::Ok(value),
            Err(error) => Field::Wrong(error.to_string()),
        })
    }
}

/// The TOML shape a raw type expects, for "must be X, but it is Y" messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Str,
    Int,
    Bool,
    Date,
    StrArray,
    StrMap,
    StrOrStrArray,
    Table,
    TableArray,
}

impl Shape {
    pub fn describe(self) -> &'static str {
        match self {
            Shape::Str => "a string",
            Shape::Int => "an integer",
            Shape::Bool => "`true` or `false`",
            Shape::Date => "a date",
            Shape::StrArray => "an array of strings",
            Shape::StrMap => "a table of strings",
            Shape::StrOrStrArray => "a string or an array of strings",
            Shape::Table => "a table",
            Shape::TableArray => "an array of tables",
        }
    }

    /// How to write a value of this shape.
    pub fn help(self, key: &str) -> String {
        match self {
            Shape::Str => format!("put the value in double quotes: `{key} = \"...\"`"),
            Shape::Int => format!("write a whole number without quotes: `{key} = 2`"),
            Shape::Bool => format!("write `{key} = true` or `{key} = false`, without quotes"),
            Shape::Date => format!("write the date unquoted: `{key} = 2026-11-01`"),
            Shape::StrArray => format!("write a list of quoted strings: `{key} = [\"a\", \"b\"]`"),
            Shape::StrMap => format!("write a table of quoted strings: `{key} = {{ a = \"b\" }}`"),
            Shape::StrOrStrArray => format!("write `{key} = \"a\"` or `{key} = [\"a\", \"b\"]`"),
            Shape::Table => format!("write it as a table: `[{key}]` or `{key} = {{ ... }}`"),
            Shape::TableArray => format!("write each entry as a `[[{key}]]` table"),
        }
    }
}

/// Raw types say which shape they expect.
pub(crate) trait Expected {
    const SHAPE: Shape;
}

impl Expected for String {
    const SHAPE: Shape = Shape::Str;
}
impl Expected for i64 {
    const SHAPE: Shape = Shape::Int;
}
impl Expected for bool {
    const SHAPE: Shape = Shape::Bool;
}
impl Expected for toml::value::Datetime {
    const SHAPE: Shape = Shape::Date;
}
impl Expected for Vec<String> {
    const SHAPE: Shape = Shape::StrArray;
}
impl Expected for BTreeMap<String, String> {
    const SHAPE: Shape = Shape::StrMap;
}
impl Expected for OneOrMany {
    const SHAPE: Shape = Shape::StrOrStrArray;
}

/// A string or an array of strings (`status = "200-299"` or `status = ["200", "301-302"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OneOrMany(pub Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor;
        impl<'de> Visitor<'de> for OneOrManyVisitor {
            type Value = OneOrMany;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or an array of strings")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![value.to_owned()]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                Ok(OneOrMany(items))
            }
        }
        deserializer.deserialize_any(OneOrManyVisitor)
    }
}
