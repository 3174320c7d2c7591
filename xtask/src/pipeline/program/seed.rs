//! Seeds as they are written everywhere and read from the command line.

/// A seed as it is written everywhere (reports, folder names, program
/// headers, JSON): lower-case hex with `0x`. JSON numbers above 2^53 lose
/// digits in JavaScript and jq, so JSON carries this string too.
pub fn seed_text(seed: u64) -> String {
    format!("{seed:#x}")
}

/// A seed from the command line: hex with `0x`, as seeds are written, or decimal.
pub fn parse_seed(text: &str) -> std::result::Result<u64, String> {
    let text = text.trim();
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("`{text}` is not a seed: give hex (0x1f) or decimal (31)"))
}

/// Serde for seeds: `seed_text` out, `seed_text` or a plain number in.
pub mod hex_seed {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(seed: &u64, out: S) -> Result<S::Ok, S::Error> {
        out.serialize_str(&super::seed_text(*seed))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            Number(u64),
        }
        match Either::deserialize(input)? {
            Either::Number(seed) => Ok(seed),
            Either::Text(text) => super::parse_seed(&text).map_err(serde::de::Error::custom),
        }
    }
}
