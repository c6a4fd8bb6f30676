//! Ids and clocks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A new id: `prefix` followed by 24 random base-62 characters (about 143 bits).
pub(crate) fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness (should not happen on supported platforms): derive unique bytes from
        // the clock, the process, a counter and the thread, which is enough for uniqueness.
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut hasher = Sha256::new();
        hasher.update(now_nanos().to_le_bytes());
        hasher.update(std::process::id().to_le_bytes());
        hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
        hasher.update(format!("{:?}", std::thread::current().id()).as_bytes());
        bytes.copy_from_slice(&hasher.finalize()[..24]);
    }
    let mut id = String::with_capacity(prefix.len() + bytes.len());
    id.push_str(prefix);
    // 256 is a multiple of 62 plus 8, so `% 62` is very slightly biased; irrelevant for ids.
    id.extend(bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char));
    id
}

fn now_nanos() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

/// Unix seconds now.
pub(crate) fn now_secs() -> i64 {
    unix_secs(SystemTime::now())
}

/// Unix milliseconds now.
pub(crate) fn now_millis() -> i64 {
    unix_millis(SystemTime::now())
}

/// Unix seconds of a time (negative before 1970).
pub(crate) fn unix_secs(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Unix milliseconds of a time (negative before 1970).
pub(crate) fn unix_millis(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// A small pseudo-random number for jitter (not for ids).
pub(crate) fn jitter(bound: u64) -> u64 {
    if bound == 0 {
        return 0;
    }
    let mut bytes = [0u8; 8];
    let value = match getrandom::fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => (now_nanos() as u64).rotate_left(17) ^ u64::from(std::process::id()),
    };
    value % bound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_prefix_and_differ() {
        let a = new_id("file-");
        let b = new_id("file-");
        assert!(a.starts_with("file-"));
        assert_eq!(a.len(), 5 + 24);
        assert_ne!(a, b);
        assert!(a[5..].bytes().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn hex_encodes() {
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
    }
}
