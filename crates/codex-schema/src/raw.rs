//! [`RawJson`]: one JSON value kept as the text it arrived as, parsed only when asked.

use std::fmt;

use bytestring::ByteString;

use serde::de::{DeserializeOwned, Error as _, IgnoredAny};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// One JSON value, kept as its text and parsed only on demand.
///
/// [`StreamEvent::raw`](crate::StreamEvent::raw) holds the backend event a stream event came
/// from. Building a [`Value`] for every event would cost more than decoding and mapping the
/// event itself, so the text is kept instead (shared, not copied, between the stream events one
/// backend event produces) and parsed by [`to_value`](Self::to_value) or
/// [`parse`](Self::parse) when a caller wants it.
///
/// It serializes as the JSON value it holds (not as a string), in any serde format, and
/// compares by value: two texts that differ only in whitespace are equal.
///
/// ```
/// use codex_schema::RawJson;
/// use serde_json::json;
///
/// let raw = RawJson::new(r#"{"type": "response.output_text.delta", "delta": "Hi"}"#)?;
/// assert_eq!(raw.to_value()?["delta"], "Hi");
/// assert_eq!(serde_json::to_value(&raw)?, json!({"type": "response.output_text.delta", "delta": "Hi"}));
///
/// #[derive(serde::Deserialize)]
/// struct Delta { delta: String }
/// assert_eq!(raw.parse::<Delta>()?.delta, "Hi");
///
/// assert!(RawJson::new("{not json").is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct RawJson(ByteString);

impl RawJson {
    /// Keeps `text` after checking it is exactly one JSON value (surrounding whitespace allowed).
    pub fn new(text: impl Into<String>) -> Result<Self, serde_json::Error> {
        let text = text.into();
        let mut deserializer = serde_json::Deserializer::from_str(&text);
        IgnoredAny::deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(RawJson(ByteString::from(text)))
    }

    /// Keeps `text` that a JSON parser has just read whole without error (shared, not copied).
    pub(crate) fn from_parsed(text: ByteString) -> Self {
        RawJson(text)
    }

    /// `part` of this text (a JSON value within it, borrowed from [`as_str`](Self::as_str)),
    /// sharing its memory rather than copying it.
    pub(crate) fn slice_ref(&self, part: &str) -> Self {
        RawJson(self.0.slice_ref(part))
    }

    /// The JSON text of `value`.
    pub fn from_value(value: &Value) -> Self {
        RawJson(ByteString::from(value.to_string()))
    }

    /// The JSON text of anything serializable as JSON (`None` when serialization fails, which
    /// serde's derived implementations never do).
    pub(crate) fn serialize_from<T: Serialize + ?Sized>(value: &T) -> Option<Self> {
        serde_json::to_string(value).ok().map(|text| RawJson(ByteString::from(text)))
    }

    /// The JSON text, exactly as kept.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses the text into a [`Value`].
    ///
    /// Fails only for a number a [`Value`] cannot hold (such as `1e400`): the text itself was
    /// checked to be JSON when it was kept.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    /// Parses the text into any deserializable type.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawJson").field(&&*self.0).finish()
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        if self.0 == other.0 {
            return true;
        }
        match (self.to_value(), other.to_value()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

impl From<Value> for RawJson {
    fn from(value: Value) -> Self {
        RawJson::from_value(&value)
    }
}

impl From<&Value> for RawJson {
    fn from(value: &Value) -> Self {
        RawJson::from_value(value)
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = self.to_value().map_err(serde::ser::Error::custom)?;
        value.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        serde_json::to_string(&value).map(|text| RawJson(ByteString::from(text))).map_err(D::Error::custom)
    }
}

#[cfg(feature = "json-schema")]
impl schemars::JsonSchema for RawJson {
    fn inline_schema() -> bool {
        <Value as schemars::JsonSchema>::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        <Value as schemars::JsonSchema>::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Value as schemars::JsonSchema>::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compares_by_value_and_serializes_as_the_value() {
        let a = RawJson::new(r#"{"a": [1, 2], "b": "x"}"#).unwrap();
        let b = RawJson::new(r#"{"a":[1,2],"b":"x"}"#).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, RawJson::new(r#"{"a":[1,2],"b":"y"}"#).unwrap());
        assert_eq!(serde_json::to_value(&a).unwrap(), json!({"a": [1, 2], "b": "x"}));
        let back: RawJson = serde_json::from_value(json!({"a": [1, 2], "b": "x"})).unwrap();
        assert_eq!(back, a);
        assert_eq!(a.as_str(), r#"{"a": [1, 2], "b": "x"}"#);
    }

    #[test]
    fn refuses_what_is_not_one_json_value() {
        for bad in ["", "{", "{} {}", "nul", "\"unterminated"] {
            let error = RawJson::new(bad).unwrap_err();
            assert!(!error.to_string().is_empty(), "{bad:?}");
        }
        assert!(RawJson::new("  [1]\n").is_ok());
    }

    #[test]
    fn a_number_a_value_cannot_hold_is_an_error_not_a_panic() {
        let raw = RawJson::new("[1e400]").unwrap();
        assert!(raw.to_value().is_err());
        assert!(serde_json::to_string(&raw).is_err());
    }
}
