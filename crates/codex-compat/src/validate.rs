//! Argument checks shared by the resources, with OpenAI's limits.

use serde_json::{Map, Value};

use codex_schema::ExpiresAfter;

use crate::error::{Error, Result};

/// At most this many metadata or attribute pairs.
pub(crate) const MAX_PAIRS: usize = 16;
/// Keys are at most this many characters.
pub(crate) const MAX_KEY_CHARS: usize = 64;
/// String values are at most this many characters.
pub(crate) const MAX_VALUE_CHARS: usize = 512;

fn check_pairs(parameter: &str, map: &Map<String, Value>) -> Result<()> {
    if map.len() > MAX_PAIRS {
        return Err(Error::invalid(
            parameter,
            format!("has {} keys; at most {MAX_PAIRS} are allowed", map.len()),
        ));
    }
    for key in map.keys() {
        if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
            return Err(Error::invalid(
                parameter,
                format!("key `{key}` must be 1 to {MAX_KEY_CHARS} characters long"),
            ));
        }
    }
    Ok(())
}

/// `metadata`: up to 16 pairs of string keys (≤ 64 chars) and string values (≤ 512 chars).
pub(crate) fn metadata(metadata: Option<&Map<String, Value>>) -> Result<()> {
    let Some(map) = metadata else { return Ok(()) };
    check_pairs("metadata", map)?;
    for (key, value) in map {
        match value {
            Value::String(s) if s.chars().count() <= MAX_VALUE_CHARS => {}
            Value::String(_) => {
                return Err(Error::invalid(
                    "metadata",
                    format!("the value of `{key}` is longer than {MAX_VALUE_CHARS} characters"),
                ));
            }
            _ => {
                return Err(Error::invalid(
                    "metadata",
                    format!("the value of `{key}` must be a string (got {value})"),
                ));
            }
        }
    }
    Ok(())
}

/// `attributes`: up to 16 pairs; values are strings (≤ 512 chars), numbers or booleans.
pub(crate) fn attributes(attributes: Option<&Map<String, Value>>) -> Result<()> {
    let Some(map) = attributes else { return Ok(()) };
    check_pairs("attributes", map)?;
    for (key, value) in map {
        match value {
            Value::String(s) if s.chars().count() > MAX_VALUE_CHARS => {
                return Err(Error::invalid(
                    "attributes",
                    format!("the value of `{key}` is longer than {MAX_VALUE_CHARS} characters"),
                ));
            }
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {}
            _ => {
                return Err(Error::invalid(
                    "attributes",
                    format!("the value of `{key}` must be a string, a number or a boolean (got {value})"),
                ));
            }
        }
    }
    Ok(())
}

/// `expires_after`: anchor `last_active_at`, 1 to 365 days.
pub(crate) fn expires_after(expires_after: Option<&ExpiresAfter>) -> Result<()> {
    let Some(e) = expires_after else { return Ok(()) };
    if e.anchor != "last_active_at" {
        return Err(Error::invalid(
            "expires_after.anchor",
            format!("must be \"last_active_at\" (got {:?})", e.anchor),
        ));
    }
    if !(1..=365).contains(&e.days) {
        return Err(Error::invalid(
            "expires_after.days",
            format!("must be between 1 and 365 (got {})", e.days),
        ));
    }
    Ok(())
}

/// An id argument: not empty.
pub(crate) fn id<'a>(parameter: &str, id: &'a str) -> Result<&'a str> {
    if id.trim().is_empty() {
        return Err(Error::invalid(parameter, "must not be empty; pass the object's id"));
    }
    Ok(id)
}

/// JSON text of an optional map, for a TEXT column.
pub(crate) fn map_to_sql(map: Option<&Map<String, Value>>) -> Option<String> {
    map.map(|m| Value::Object(m.clone()).to_string())
}

/// An optional map from a TEXT column.
pub(crate) fn map_from_sql(text: Option<String>) -> serde_json::Result<Option<Map<String, Value>>> {
    text.map(|t| serde_json::from_str(&t)).transpose()
}
