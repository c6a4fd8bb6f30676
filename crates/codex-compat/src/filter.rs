//! Attribute filters for vector-store search, in OpenAI's JSON shape.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A value a comparison filter compares an attribute with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FilterValue {
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    String(String),
}

impl From<bool> for FilterValue {
    fn from(value: bool) -> Self {
        FilterValue::Bool(value)
    }
}

impl From<f64> for FilterValue {
    fn from(value: f64) -> Self {
        FilterValue::Number(value)
    }
}

impl From<i64> for FilterValue {
    fn from(value: i64) -> Self {
        FilterValue::Number(value as f64)
    }
}

impl From<&str> for FilterValue {
    fn from(value: &str) -> Self {
        FilterValue::String(value.to_owned())
    }
}

impl From<String> for FilterValue {
    fn from(value: String) -> Self {
        FilterValue::String(value)
    }
}

/// A search filter on a vector-store file's attributes: OpenAI's comparison filters
/// (`{"type": "eq", "key": …, "value": …}` with `eq`, `ne`, `gt`, `gte`, `lt`, `lte`) and compound
/// filters (`{"type": "and" | "or", "filters": […]}`).
///
/// Semantics: a comparison with a key the file does not have is false (also for `ne`). `eq`
/// and `ne` compare strings, numbers and booleans, a value of another type being unequal.
/// `gt`, `gte`, `lt` and `lte` order numbers numerically and strings by their bytes; with
/// booleans or mixed types they are false. An empty `and` is true; an empty `or` is false.
///
/// ```
/// use codex_compat::Filter;
/// let filter: Filter = serde_json::from_value(serde_json::json!({
///     "type": "and",
///     "filters": [
///         {"type": "eq", "key": "lang", "value": "en"},
///         {"type": "gte", "key": "year", "value": 2020}
///     ]
/// }))?;
/// assert_eq!(filter, Filter::and([Filter::eq("lang", "en"), Filter::gte("year", 2020)]));
/// let attributes = serde_json::json!({"lang": "en", "year": 2024});
/// assert!(filter.matches(attributes.as_object()));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Filter {
    /// The attribute equals the value.
    Eq {
        /// The attribute's key.
        key: String,
        /// The value.
        value: FilterValue,
    },
    /// The attribute exists and differs from the value.
    Ne {
        /// The attribute's key.
        key: String,
        /// The value.
        value: FilterValue,
    },
    /// The attribute is greater than the value.
    Gt {
        /// The attribute's key.
        key: String,
        /// The value.
        value: FilterValue,
    },
    /// The attribute is greater than or equal to the value.
    Gte {
        /// The attribute's key.
        key: String,
        /// The value.
        value: FilterValue,
    },
    /// The attribute is less than the value.
    Lt {
        /// The attribute's key.
        key: String,
        /// The value.
        value: FilterValue,
    },
    /// The attribute is less than or equal to the value.
    Lte {
        /// The attribute's key.
        key: String,
        /// The value.
        value: FilterValue,
    },
    /// Every filter matches.
    And {
        /// The filters.
        filters: Vec<Filter>,
    },
    /// At least one filter matches.
    Or {
        /// The filters.
        filters: Vec<Filter>,
    },
}

macro_rules! comparison_constructors {
    ($($name:ident => $variant:ident, $doc:literal;)+) => {
        $(
            #[doc = $doc]
            pub fn $name(key: impl Into<String>, value: impl Into<FilterValue>) -> Self {
                Filter::$variant { key: key.into(), value: value.into() }
            }
        )+
    };
}

impl Filter {
    comparison_constructors! {
        eq => Eq, "`{\"type\": \"eq\", …}`";
        ne => Ne, "`{\"type\": \"ne\", …}`";
        gt => Gt, "`{\"type\": \"gt\", …}`";
        gte => Gte, "`{\"type\": \"gte\", …}`";
        lt => Lt, "`{\"type\": \"lt\", …}`";
        lte => Lte, "`{\"type\": \"lte\", …}`";
    }

    /// `{"type": "and", "filters": […]}`.
    pub fn and(filters: impl IntoIterator<Item = Filter>) -> Self {
        Filter::And { filters: filters.into_iter().collect() }
    }

    /// `{"type": "or", "filters": […]}`.
    pub fn or(filters: impl IntoIterator<Item = Filter>) -> Self {
        Filter::Or { filters: filters.into_iter().collect() }
    }

    /// Whether a file with these attributes passes the filter.
    pub fn matches(&self, attributes: Option<&Map<String, Value>>) -> bool {
        let check = |key: &str, value: &FilterValue, accept: fn(Ordering) -> bool, ordered: bool| {
            let Some(actual) = attributes.and_then(|a| a.get(key)) else { return false };
            match compare_values(actual, value, ordered) {
                Some(ordering) => accept(ordering),
                None => false,
            }
        };
        match self {
            Filter::Eq { key, value } => check(key, value, |o| o == Ordering::Equal, false),
            Filter::Ne { key, value } => {
                let Some(actual) = attributes.and_then(|a| a.get(key.as_str())) else { return false };
                compare_values(actual, value, false) != Some(Ordering::Equal)
            }
            Filter::Gt { key, value } => check(key, value, |o| o == Ordering::Greater, true),
            Filter::Gte { key, value } => check(key, value, |o| o != Ordering::Less, true),
            Filter::Lt { key, value } => check(key, value, |o| o == Ordering::Less, true),
            Filter::Lte { key, value } => check(key, value, |o| o != Ordering::Greater, true),
            Filter::And { filters } => filters.iter().all(|f| f.matches(attributes)),
            Filter::Or { filters } => filters.iter().any(|f| f.matches(attributes)),
        }
    }
}

/// How `actual` compares with `expected`, when they are comparable. Booleans only compare for
/// equality (`ordered == false`).
fn compare_values(actual: &Value, expected: &FilterValue, ordered: bool) -> Option<Ordering> {
    match (actual, expected) {
        (Value::String(a), FilterValue::String(b)) => Some(a.as_str().cmp(b.as_str())),
        (Value::Number(a), FilterValue::Number(b)) => a.as_f64()?.partial_cmp(b),
        (Value::Bool(a), FilterValue::Bool(b)) if !ordered => Some(a.cmp(b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn comparisons() {
        let a = attrs(json!({"lang": "en", "year": 2021, "draft": false}));
        let a = Some(&a);
        assert!(Filter::eq("lang", "en").matches(a));
        assert!(!Filter::eq("lang", "fr").matches(a));
        assert!(Filter::ne("lang", "fr").matches(a));
        assert!(!Filter::ne("missing", "x").matches(a));
        assert!(Filter::ne("year", "2021").matches(a), "different types are unequal");
        assert!(Filter::gt("year", 2020).matches(a));
        assert!(Filter::gte("year", 2021).matches(a));
        assert!(!Filter::lt("year", 2021).matches(a));
        assert!(Filter::lte("year", 2021.0).matches(a));
        assert!(Filter::eq("draft", false).matches(a));
        assert!(!Filter::gt("draft", false).matches(a));
        assert!(Filter::lt("lang", "fr").matches(a));
        assert!(!Filter::eq("lang", "en").matches(None));
        assert!(Filter::and([]).matches(a));
        assert!(!Filter::or([]).matches(a));
        assert!(Filter::or([Filter::eq("lang", "fr"), Filter::eq("year", 2021)]).matches(a));
        assert!(!Filter::and([Filter::eq("lang", "fr"), Filter::eq("year", 2021)]).matches(a));
    }

    #[test]
    fn openai_json_shape_round_trips() {
        let json = json!({
            "type": "or",
            "filters": [
                {"type": "eq", "key": "author", "value": "ada"},
                {"type": "and", "filters": [
                    {"type": "lt", "key": "pages", "value": 10.5},
                    {"type": "ne", "key": "public", "value": true}
                ]}
            ]
        });
        let filter: Filter = serde_json::from_value(json.clone()).expect("parses");
        assert_eq!(
            filter,
            Filter::or([
                Filter::eq("author", "ada"),
                Filter::and([Filter::lt("pages", 10.5), Filter::ne("public", true)]),
            ])
        );
        assert_eq!(serde_json::to_value(&filter).expect("serializes"), json);
        assert!(serde_json::from_value::<Filter>(json!({"type": "near", "key": "a", "value": 1})).is_err());
    }
}
