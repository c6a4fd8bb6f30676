//! Serde formats for [`SystemTime`]: Unix seconds and RFC 3339.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Whole seconds since the Unix epoch (negative before it), rounded down.
pub(crate) fn to_unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let d = before.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() > 0 { -secs - 1 } else { -secs }
        }
    }
}

/// The time `seconds` after (or, negative, before) the Unix epoch; `None` when it does not fit.
pub(crate) fn from_unix_seconds(seconds: i64) -> Option<SystemTime> {
    if seconds >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(seconds.unsigned_abs()))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(seconds.unsigned_abs()))
    }
}

/// `time` rounded down to a whole second.
pub(crate) fn floor_to_second(time: SystemTime) -> SystemTime {
    from_unix_seconds(to_unix_seconds(time)).unwrap_or(time)
}

/// RFC 3339 text in UTC, e.g. `2025-01-02T03:04:05.123456789Z`.
pub(crate) fn to_rfc3339(time: SystemTime) -> Result<String, String> {
    jiff::Timestamp::try_from(time)
        .map(|ts| ts.to_string())
        .map_err(|e| format!("time out of the representable range: {e}"))
}

/// Parses RFC 3339 text (any offset).
pub(crate) fn from_rfc3339(text: &str) -> Result<SystemTime, String> {
    text.parse::<jiff::Timestamp>()
        .map(SystemTime::from)
        .map_err(|e| format!("not an RFC 3339 timestamp: {e}"))
}

/// `Option<SystemTime>` as an optional integer of Unix seconds.
pub(crate) mod unix_seconds_opt {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<SystemTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.map(super::to_unix_seconds).serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        match Option::<i64>::deserialize(deserializer)? {
            None => Ok(None),
            Some(seconds) => super::from_unix_seconds(seconds)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("Unix time out of range")),
        }
    }
}

/// `Option<SystemTime>` as optional RFC 3339 text.
pub(crate) mod rfc3339_opt {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<SystemTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            None => serializer.serialize_none(),
            Some(time) => super::to_rfc3339(*time).map_err(serde::ser::Error::custom)?.serialize(serializer),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            None => Ok(None),
            Some(text) => super::from_rfc3339(&text).map(Some).map_err(serde::de::Error::custom),
        }
    }
}
