//! Text extraction and chunking.

use serde_json::{Value, json};

/// The error recorded on a vector-store file whose bytes are not UTF-8.
pub(crate) fn not_text_error() -> Value {
    json!({
        "code": "unsupported_file",
        "message": "not UTF-8 text: the file is stored, but it cannot be searched"
    })
}

/// What indexing makes of a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Extracted {
    /// UTF-8 text, in overlapping chunks; `text_bytes` is the text's length.
    Text { chunks: Vec<String>, text_bytes: u64 },
    /// Not UTF-8: stored, not searchable.
    NotText,
}

/// Reads `bytes` as UTF-8 (a leading byte-order mark is dropped) and chunks it.
pub(crate) fn extract(bytes: &[u8], chunk_size: usize, overlap: usize) -> Extracted {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Extracted::NotText;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let chunks = chunk_ranges(text, chunk_size, overlap)
        .into_iter()
        .map(|(start, end)| text[start..end].to_owned())
        .collect();
    Extracted::Text { chunks, text_bytes: text.len() as u64 }
}

fn floor_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

/// Byte ranges of chunks of at most `size` bytes (longer only when one character is longer),
/// each starting `overlap` bytes or so before the previous one ended. Chunks end at whitespace
/// when there is whitespace in their second half, and start at a word when the overlap allows;
/// text that is only whitespace makes no chunk.
pub(crate) fn chunk_ranges(text: &str, size: usize, overlap: usize) -> Vec<(usize, usize)> {
    let size = size.max(1);
    let overlap = overlap.min(size / 2);
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = if text.len() - start <= size {
            text.len()
        } else {
            let hard = floor_boundary(text, start + size);
            let hard = if hard <= start { ceil_boundary(text, start + 1) } else { hard };
            let window = &text[start..hard];
            match window.rfind(char::is_whitespace) {
                Some(at) if at >= size / 2 => start + at,
                _ => hard,
            }
        };
        if end <= start {
            end = ceil_boundary(text, start + 1);
        }
        if !text[start..end].trim().is_empty() {
            ranges.push((start, end));
        }
        if end >= text.len() {
            break;
        }
        // Step back by the overlap, then forward to the start of a word.
        let mut next = floor_boundary(text, end.saturating_sub(overlap));
        if next <= start {
            next = end;
        } else if next < end
            && let Some(space) = text[next..end].find(char::is_whitespace)
        {
            let after = next + space;
            if let Some(word) = text[after..end].find(|c: char| !c.is_whitespace()) {
                next = after + word;
            }
        }
        start = next;
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_text_is_one_chunk() {
        assert_eq!(chunk_ranges("hello world", 100, 20), vec![(0, 11)]);
        assert!(chunk_ranges("   \n ", 100, 20).is_empty());
        assert!(chunk_ranges("", 100, 20).is_empty());
    }

    #[test]
    fn long_text_overlaps_at_word_boundaries() {
        let text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu";
        let ranges = chunk_ranges(text, 24, 8);
        assert!(ranges.len() > 2);
        for window in ranges.windows(2) {
            let (a, b) = (window[0], window[1]);
            assert!(b.0 < a.1, "chunks overlap: {a:?} {b:?}");
            assert!(b.0 > a.0);
        }
        for (start, end) in &ranges {
            let chunk = &text[*start..*end];
            assert!(chunk.len() <= 24);
            assert!(!chunk.starts_with(' '), "{chunk:?}");
        }
    }

    #[test]
    fn non_utf8_is_not_text() {
        assert_eq!(extract(&[0xff, 0xfe, 0x00], 100, 10), Extracted::NotText);
        assert_eq!(
            extract("\u{feff}hi".as_bytes(), 100, 10),
            Extracted::Text { chunks: vec!["hi".into()], text_bytes: 2 }
        );
    }

    proptest! {
        #[test]
        fn chunks_cover_all_non_space_text(text in "\\PC{0,400}", size in 4usize..64, overlap in 0usize..32) {
            let ranges = chunk_ranges(&text, size, overlap);
            let mut covered = vec![false; text.len()];
            for (start, end) in &ranges {
                prop_assert!(text.is_char_boundary(*start) && text.is_char_boundary(*end));
                prop_assert!(start < end);
                // At most `size` bytes, unless a single character is longer.
                let chunk = &text[*start..*end];
                prop_assert!(chunk.len() <= size || chunk.chars().count() == 1);
                for flag in &mut covered[*start..*end] {
                    *flag = true;
                }
            }
            for (index, ch) in text.char_indices() {
                if !ch.is_whitespace() {
                    prop_assert!(covered[index], "byte {} ({:?}) not covered", index, ch);
                }
            }
        }
    }
}
