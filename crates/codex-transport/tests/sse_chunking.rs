//! Property: however a stream's bytes are split into chunks, `SseDecoder` yields the same
//! frames, and those are the frames a straightforward reading of the spec predicts.

use codex_transport::{SseDecoder, SseError, SseFrame};
use proptest::prelude::*;

/// One line of a generated stream.
#[derive(Debug, Clone)]
enum Line {
    /// An empty line: dispatches the event.
    Blank,
    /// `data: value` (`data:value` when `tight` and the value does not start with a space).
    Data { value: String, tight: bool },
    /// `data` alone: a data field with an empty value.
    BareData,
    /// `event: value`.
    Event(String),
    /// `id: value` (ignored when the value contains NUL).
    Id(String),
    /// `retry: value`, digits or not.
    Retry(String),
    /// `:text`.
    Comment(String),
    /// `name: value` with a name the spec does not know.
    Unknown(String, String),
}

#[derive(Debug, Clone, Copy)]
enum Ending {
    Lf,
    Cr,
    CrLf,
}

#[derive(Debug, Clone)]
struct Stream {
    bom: bool,
    lines: Vec<(Line, Ending)>,
    /// Bytes of an unterminated last line (possibly empty).
    tail: String,
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[^\r\n]{0,12}",
        2 => "[a-z {}\":,0-9]{0,16}",
        1 => "[é€😀\u{FEFF}\u{0}ü ]{0,6}",
        1 => Just("[DONE]".to_owned()),
    ]
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        6 => Just(Line::Blank),
        8 => (text(), any::<bool>()).prop_map(|(value, tight)| Line::Data { value, tight }),
        1 => Just(Line::BareData),
        2 => prop_oneof!["[a-z._]{0,20}", text()].prop_map(Line::Event),
        1 => prop_oneof!["[0-9a-z]{0,5}", text()].prop_map(Line::Id),
        1 => prop_oneof!["[0-9]{1,6}", "[0-9a-z -]{0,4}"].prop_map(Line::Retry),
        2 => text().prop_map(Line::Comment),
        1 => ("[a-z]{1,6}", text())
            .prop_filter("an unknown name", |(name, _)| !matches!(name.as_str(), "data" | "event" | "id" | "retry"))
            .prop_map(|(name, value)| Line::Unknown(name, value)),
    ]
}

fn ending() -> impl Strategy<Value = Ending> {
    prop_oneof![Just(Ending::Lf), Just(Ending::Cr), Just(Ending::CrLf)]
}

fn stream() -> impl Strategy<Value = Stream> {
    (
        any::<bool>(),
        prop::collection::vec((line(), ending()), 0..40),
        prop_oneof![3 => Just(String::new()), 1 => "data: [a-zé]{0,5}", 1 => Just("data".to_owned())],
    )
        .prop_map(|(bom, lines, tail)| Stream { bom, lines, tail })
}

impl Stream {
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        if self.bom {
            out.push('\u{FEFF}');
        }
        let mut previous = None;
        for (line, ending) in &self.lines {
            match line {
                Line::Blank => {}
                Line::Data { value, tight } if *tight && !value.starts_with(' ') => {
                    out.push_str("data:");
                    out.push_str(value);
                }
                Line::Data { value, .. } => {
                    out.push_str("data: ");
                    out.push_str(value);
                }
                Line::BareData => out.push_str("data"),
                Line::Event(value) => {
                    out.push_str("event: ");
                    out.push_str(value);
                }
                Line::Id(value) => {
                    out.push_str("id: ");
                    out.push_str(value);
                }
                Line::Retry(value) => {
                    out.push_str("retry: ");
                    out.push_str(value);
                }
                Line::Comment(value) => {
                    out.push(':');
                    out.push_str(value);
                }
                Line::Unknown(name, value) => {
                    out.push_str(name);
                    out.push_str(": ");
                    out.push_str(value);
                }
            }
            // A CR followed by a blank line ending in LF would read as one CRLF: write the blank
            // line's ending as CRLF then (CR CRLF), which keeps it a blank line.
            let ending = match (previous, line, ending) {
                (Some(Ending::Cr), Line::Blank, Ending::Lf) => Ending::CrLf,
                _ => *ending,
            };
            out.push_str(match ending {
                Ending::Lf => "\n",
                Ending::Cr => "\r",
                Ending::CrLf => "\r\n",
            });
            previous = Some(ending);
        }
        out.push_str(&self.tail);
        out.into_bytes()
    }

    /// What the spec says the stream holds, computed from the lines themselves.
    fn expected(&self) -> (Vec<SseFrame>, bool) {
        let mut frames = Vec::new();
        let (mut data, mut event, mut id_buffer, mut last_id) =
            (String::new(), String::new(), String::new(), String::new());
        let mut retry = None;
        for (line, _) in &self.lines {
            match line {
                Line::Blank => {
                    last_id.clone_from(&id_buffer);
                    let event_retry = retry.take();
                    if data.is_empty() {
                        event.clear();
                        continue;
                    }
                    data.pop();
                    if data == "[DONE]" {
                        return (frames, true);
                    }
                    frames.push(SseFrame {
                        event: (!event.is_empty()).then(|| event.as_str().into()),
                        data: std::mem::take(&mut data).into(),
                        id: (!last_id.is_empty()).then(|| last_id.as_str().into()),
                        retry: event_retry,
                    });
                    event.clear();
                }
                Line::Data { value, .. } => {
                    data.push_str(value);
                    data.push('\n');
                }
                Line::BareData => data.push('\n'),
                Line::Event(value) => event.clone_from(value),
                Line::Id(value) if !value.contains('\0') => id_buffer.clone_from(value),
                Line::Retry(value) if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                    retry = Some(value.parse::<u64>().unwrap_or(u64::MAX));
                }
                Line::Id(_) | Line::Retry(_) | Line::Comment(_) | Line::Unknown(..) => {}
            }
        }
        (frames, false)
    }
}

/// What a decoding produced: the frames, the error if any, and whether [DONE] was seen.
#[derive(Debug, PartialEq)]
struct Outcome {
    frames: Vec<SseFrame>,
    error: Option<SseError>,
    done: bool,
    cut_off: bool,
}

/// Decodes the chunks through `feed`, and again through `feed_bytes`: both must agree.
fn decode_in<'a>(chunks: impl IntoIterator<Item = &'a [u8]>, limit: usize) -> Outcome {
    let chunks: Vec<&[u8]> = chunks.into_iter().collect();
    let outcome = |shared: bool| {
        let mut decoder = SseDecoder::new().with_max_event_size(limit);
        let mut frames = Vec::new();
        let mut error = None;
        for &chunk in &chunks {
            let fed = if shared {
                decoder.feed_bytes(&bytes::Bytes::copy_from_slice(chunk), &mut frames)
            } else {
                decoder.feed(chunk, &mut frames)
            };
            if let Err(e) = fed {
                error = Some(e);
                break;
            }
        }
        let done = decoder.is_done();
        let cut_off = decoder.finish();
        Outcome { frames, error, done, cut_off }
    };
    let copied = outcome(false);
    assert_eq!(outcome(true), copied, "feed_bytes and feed disagree");
    copied
}

/// Splits `bytes` into chunks of the given sizes, cycling through them.
fn split<'a>(bytes: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut rest = bytes;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (head, tail) = rest.split_at(size.min(rest.len()));
        chunks.push(head);
        rest = tail;
    }
    chunks
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_chunking_yields_the_same_frames(
        stream in stream(),
        sizes in prop::collection::vec(0usize..24, 1..40).prop_filter("some progress", |s| s.iter().any(|&n| n > 0)),
    ) {
        let bytes = stream.to_bytes();
        let limit = SseDecoder::DEFAULT_MAX_EVENT_SIZE;
        let whole = decode_in([bytes.as_slice()], limit);
        let (frames, done) = stream.expected();
        prop_assert_eq!(&whole.frames, &frames);
        prop_assert_eq!(whole.done, done);
        prop_assert_eq!(&whole.error, &None);

        // Random sizes, zero-length chunks included.
        prop_assert_eq!(&decode_in(split(&bytes, &sizes), limit), &whole);
        // One byte at a time.
        prop_assert_eq!(&decode_in(bytes.chunks(1), limit), &whole);
    }

    #[test]
    fn any_chunking_fails_the_same_way_under_a_small_limit(
        stream in stream(),
        limit in 0usize..120,
        sizes in prop::collection::vec(1usize..24, 1..40),
    ) {
        let bytes = stream.to_bytes();
        let whole = decode_in([bytes.as_slice()], limit);
        prop_assert_eq!(&decode_in(split(&bytes, &sizes), limit), &whole);
        prop_assert_eq!(&decode_in(bytes.chunks(1), limit), &whole);
    }
}
