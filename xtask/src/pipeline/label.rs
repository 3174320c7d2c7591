//! Enums that are printed and written to JSON by their label (`not
//! affected`, `already in`) and kept as enums everywhere else.

use serde::{Deserialize, Deserializer, Serializer, de::Error};

pub trait Label: Copy + 'static {
    /// Every value, for reading a label back.
    const ALL: &'static [Self];

    /// As it is printed.
    fn label(self) -> &'static str;
}

/// Serde: the value as its label (`#[serde(with = "...label")]`).
pub fn serialize<T: Label, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value.label())
}

/// Serde: a label back to its value; any other text is an error.
pub fn deserialize<'de, T: Label, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    let text = String::deserialize(d)?;
    T::ALL
        .iter()
        .copied()
        .find(|v| v.label() == text)
        .ok_or_else(|| D::Error::custom(format!("not a known label: {text:?}")))
}
