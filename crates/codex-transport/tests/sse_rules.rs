//! `SseDecoder` against each WHATWG event-stream rule, the `[DONE]` convention and the size limit.

use codex_transport::{SseDecoder, SseError, SseFrame};

/// Feeds `chunks` one after the other, then finishes; returns the frames and `finish`'s answer.
fn decode_chunks(chunks: &[&[u8]]) -> (Vec<SseFrame>, bool) {
    let mut decoder = SseDecoder::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk, &mut frames).expect("decodes");
    }
    let cut_off = decoder.finish();
    (frames, cut_off)
}

/// Decodes `bytes` in one chunk.
fn decode(bytes: &[u8]) -> Vec<SseFrame> {
    decode_chunks(&[bytes]).0
}

/// Decodes `bytes` one byte at a time.
fn decode_bytewise(bytes: &[u8]) -> Vec<SseFrame> {
    let chunks: Vec<&[u8]> = bytes.chunks(1).collect();
    decode_chunks(&chunks).0
}

/// Decodes `bytes` split in two at every possible point, checking every split agrees with `expected`.
fn assert_every_split(bytes: &[u8], expected: &[SseFrame]) {
    for at in 0..=bytes.len() {
        let (head, tail) = bytes.split_at(at);
        assert_eq!(decode_chunks(&[head, tail]).0, expected, "split at byte {at}");
    }
    assert_eq!(decode_bytewise(bytes), expected, "byte by byte");
}

fn message(data: &str) -> SseFrame {
    SseFrame { data: data.into(), ..SseFrame::default() }
}

fn named(event: &str, data: &str) -> SseFrame {
    SseFrame { event: Some(event.into()), data: data.into(), ..SseFrame::default() }
}

fn datas(frames: &[SseFrame]) -> Vec<&str> {
    frames.iter().map(|f| &*f.data).collect()
}

// ---- line endings ----------------------------------------------------------------------------

#[test]
fn lf_line_endings() {
    let bytes = b"event: a\ndata: 1\n\ndata: 2\n\n";
    let expected = [named("a", "1"), message("2")];
    assert_eq!(decode(bytes), expected);
    assert_every_split(bytes, &expected);
}

#[test]
fn crlf_line_endings() {
    let bytes = b"event: a\r\ndata: 1\r\ndata: 2\r\n\r\ndata: 3\r\n\r\n";
    let expected = [named("a", "1\n2"), message("3")];
    assert_eq!(decode(bytes), expected);
    assert_every_split(bytes, &expected);
}

#[test]
fn cr_line_endings() {
    let bytes = b"event: a\rdata: 1\rdata: 2\r\rdata: 3\r\r";
    let expected = [named("a", "1\n2"), message("3")];
    assert_eq!(decode(bytes), expected);
    assert_every_split(bytes, &expected);
}

#[test]
fn mixed_line_endings() {
    let bytes = b"data: 1\rdata: 2\r\ndata: 3\n\r\ndata: 4\n\r";
    let expected = [message("1\n2\n3"), message("4")];
    assert_eq!(decode(bytes), expected);
    assert_every_split(bytes, &expected);
}

#[test]
fn cr_ending_one_chunk_and_lf_starting_the_next_are_one_line_ending() {
    // Were they two line endings, the LF would be a blank line and dispatch "a" alone.
    let (frames, _) = decode_chunks(&[b"data: a\r", b"\ndata: b\r\n\r\n"]);
    assert_eq!(frames, [message("a\nb")]);
    // Empty chunks in between change nothing.
    let (frames, _) = decode_chunks(&[b"data: a\r", b"", b"", b"\ndata: b\r", b"", b"\n\r", b"\n"]);
    assert_eq!(frames, [message("a\nb")]);
}

#[test]
fn cr_ending_one_chunk_then_cr_is_a_blank_line() {
    let (frames, _) = decode_chunks(&[b"data: a\r", b"\r", b"data: b\r", b"\r"]);
    assert_eq!(frames, [message("a"), message("b")]);
}

#[test]
fn cr_ending_one_chunk_then_a_field_starts_a_new_line() {
    let (frames, _) = decode_chunks(&[b"data: a\r", b"data: b\r", b"\n", b"\r\n"]);
    assert_eq!(frames, [message("a\nb")]);
}

// ---- byte order mark -------------------------------------------------------------------------

#[test]
fn bom_at_stream_start_is_stripped() {
    let bytes = "\u{FEFF}data: a\n\n".as_bytes();
    let expected = [message("a")];
    assert_eq!(decode(bytes), expected);
    assert_every_split(bytes, &expected);
}

#[test]
fn bom_alone_on_the_first_line_makes_it_blank() {
    assert_eq!(decode("\u{FEFF}\ndata: a\n\n".as_bytes()), [message("a")]);
}

#[test]
fn bom_not_at_stream_start_is_kept() {
    // A BOM starting a later line is part of the field name: "\u{FEFF}data" is an unknown field.
    let bytes = "data: a\n\n\u{FEFF}data: b\n\n".as_bytes();
    assert_eq!(decode(bytes), [message("a")]);
    assert_every_split(bytes, &[message("a")]);
    // A second BOM at the start is not stripped either.
    assert_eq!(decode("\u{FEFF}\u{FEFF}data: b\n\n".as_bytes()), []);
    // Inside a value it is data.
    assert_eq!(decode("data: \u{FEFF}x\n\n".as_bytes()), [message("\u{FEFF}x")]);
}

// ---- fields ----------------------------------------------------------------------------------

#[test]
fn multi_line_data_is_joined_with_lf() {
    assert_eq!(decode(b"data: one\ndata: two\ndata: three\n\n"), [message("one\ntwo\nthree")]);
}

#[test]
fn only_the_final_newline_of_the_data_is_removed() {
    assert_eq!(decode(b"data: a\ndata:\n\n"), [message("a\n")]);
    assert_eq!(decode(b"data:\ndata:\n\n"), [message("\n")]);
    assert_eq!(decode(b"data:\n\n"), [message("")]);
}

#[test]
fn comment_lines_are_ignored() {
    let bytes = b": hello\ndata: a\n:data: not data\n: \n:\ndata: b\n\n: only a comment\n\n";
    assert_eq!(decode(bytes), [message("a\nb")]);
}

#[test]
fn a_line_without_colon_is_a_field_with_an_empty_value() {
    assert_eq!(decode(b"data\n\n"), [message("")]);
    assert_eq!(decode(b"data\ndata\n\n"), [message("\n")]);
    assert_eq!(decode(b"event: x\nevent\ndata: a\n\n"), [message("a")]);
    let mut decoder = SseDecoder::new();
    let mut frames = Vec::new();
    decoder.feed(b"id: 1\ndata: a\n\nid\ndata: b\n\n", &mut frames).unwrap();
    assert_eq!(frames[0].id.as_deref(), Some("1"));
    assert_eq!(frames[1].id, None);
}

#[test]
fn exactly_one_space_after_the_colon_is_removed() {
    assert_eq!(datas(&decode(b"data:no space\n\n")), ["no space"]);
    assert_eq!(datas(&decode(b"data: one\n\n")), ["one"]);
    assert_eq!(datas(&decode(b"data:  two\n\n")), [" two"]);
    assert_eq!(datas(&decode(b"data:\tx\n\n")), ["\tx"]);
    assert_eq!(datas(&decode(b"data: a \n\n")), ["a "]);
    assert_eq!(decode(b"event:  spaced\ndata: x\n\n")[0].event.as_deref(), Some(" spaced"));
}

#[test]
fn values_keep_later_colons() {
    assert_eq!(datas(&decode(b"data: a: b:c\n\n")), ["a: b:c"]);
    assert_eq!(datas(&decode(b"data::\n\n")), [":"]);
}

#[test]
fn field_names_are_exact() {
    // Unknown names, a space before the colon, and other cases are ignored.
    let bytes = b"foo: bar\ndata : x\nDATA: x\nData: x\nevents: y\ndata: kept\n\n";
    assert_eq!(decode(bytes), [message("kept")]);
}

#[test]
fn event_field_names_the_event_and_the_last_one_wins() {
    let frames = decode(b"event: first\nevent: second\ndata: x\n\n");
    assert_eq!(frames, [named("second", "x")]);
    assert_eq!(frames[0].event_type(), "second");
}

#[test]
fn empty_event_field_means_message() {
    let frames = decode(b"event:\ndata: x\n\n");
    assert_eq!(frames[0].event, None);
    assert_eq!(frames[0].event_type(), "message");
}

#[test]
fn event_type_is_reset_after_each_blank_line() {
    // Also after a blank line that dispatches nothing.
    assert_eq!(decode(b"event: a\ndata: 1\n\ndata: 2\n\n"), [named("a", "1"), message("2")]);
    assert_eq!(decode(b"event: a\n\ndata: 2\n\n"), [message("2")]);
}

#[test]
fn last_event_id_persists_across_events() {
    let mut decoder = SseDecoder::new();
    let mut frames = Vec::new();
    decoder.feed(b"data: a\n\nid: 1\ndata: b\n\ndata: c\n\nid: 2\n\ndata: d\n\n", &mut frames).unwrap();
    let ids: Vec<_> = frames.iter().map(|f| f.id.as_deref()).collect();
    assert_eq!(ids, [None, Some("1"), Some("1"), Some("2")]);
    assert_eq!(decoder.last_event_id(), Some("2"));
}

#[test]
fn empty_id_resets_the_last_event_id() {
    let frames = decode(b"id: 1\ndata: a\n\nid:\ndata: b\n\n");
    assert_eq!(frames[0].id.as_deref(), Some("1"));
    assert_eq!(frames[1].id, None);
}

#[test]
fn id_containing_nul_is_ignored() {
    let frames = decode(b"id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n");
    assert_eq!(frames[1].id.as_deref(), Some("1"));
    // NUL elsewhere (in data) is kept.
    assert_eq!(datas(&decode(b"data: a\0b\n\n")), ["a\0b"]);
}

#[test]
fn last_event_id_is_taken_at_the_blank_line() {
    let mut decoder = SseDecoder::new();
    let mut frames = Vec::new();
    decoder.feed(b"id: 1\n\nid: 2\n", &mut frames).unwrap();
    assert!(frames.is_empty(), "no data, no event");
    // Like an EventSource: the id of an event whose blank line never came is not the last one.
    assert_eq!(decoder.last_event_id(), Some("1"));
    decoder.feed(b"\n", &mut frames).unwrap();
    assert_eq!(decoder.last_event_id(), Some("2"));
}

#[test]
fn retry_accepts_ascii_digits_only() {
    let frames = decode(b"retry: 1500\ndata: a\n\nretry: 15x\ndata: b\n\nretry: -1\ndata: c\n\nretry:\ndata: d\n\nretry:  10\ndata: e\n\nretry: 1.5\ndata: f\n\n");
    let retries: Vec<_> = frames.iter().map(|f| f.retry).collect();
    assert_eq!(retries, [Some(1500), None, None, None, None, None]);
}

#[test]
fn retry_is_kept_by_the_decoder_even_without_an_event() {
    let mut decoder = SseDecoder::new();
    let mut frames = Vec::new();
    decoder.feed(b"retry: 3000\n\ndata: a\n\nretry: x\n\n", &mut frames).unwrap();
    assert_eq!(frames, [message("a")], "a frame carries only its own event's retry");
    assert_eq!(decoder.retry(), Some(3000));
}

#[test]
fn retry_too_large_saturates() {
    let frames = decode(b"retry: 99999999999999999999999999\ndata: a\n\n");
    assert_eq!(frames[0].retry, Some(u64::MAX));
}

// ---- dispatch --------------------------------------------------------------------------------

#[test]
fn blank_line_with_empty_data_dispatches_nothing() {
    assert_eq!(decode(b"event: x\nid: 1\nretry: 5\n\n"), []);
    assert_eq!(decode(b"\n\n\n\r\n\r"), []);
    assert_eq!(decode(b": comment\n\n"), []);
}

#[test]
fn unterminated_last_event_is_discarded() {
    let (frames, cut_off) = decode_chunks(&[b"data: a\n\ndata: b\n"]);
    assert_eq!(frames, [message("a")]);
    assert!(cut_off);
    let (frames, cut_off) = decode_chunks(&[b"data: a\n\ndata: b"]);
    assert_eq!(frames, [message("a")]);
    assert!(cut_off);
    let (frames, cut_off) = decode_chunks(&[b"data: a\n\nevent: b\n"]);
    assert_eq!(frames, [message("a")]);
    assert!(cut_off);
}

#[test]
fn a_clean_end_cuts_nothing_off() {
    let (frames, cut_off) = decode_chunks(&[b"data: a\n\n: trailing comment\n"]);
    assert_eq!(frames, [message("a")]);
    assert!(!cut_off);
    assert!(!decode_chunks(&[]).1);
}

#[test]
fn input_after_finish_is_ignored() {
    let mut decoder = SseDecoder::new();
    let mut frames = Vec::new();
    decoder.feed(b"data: a\n", &mut frames).unwrap();
    assert!(decoder.finish());
    decoder.feed(b"\ndata: b\n\n", &mut frames).unwrap();
    assert_eq!(frames, []);
    assert!(!decoder.finish());
}

// ---- UTF-8 -----------------------------------------------------------------------------------

#[test]
fn utf8_split_inside_a_multi_byte_character() {
    let bytes = "event: é\ndata: é€😀 ünïcödé\n\n".as_bytes();
    let expected = [named("é", "é€😀 ünïcödé")];
    assert_eq!(decode(bytes), expected);
    assert_every_split(bytes, &expected);
}

#[test]
fn invalid_utf8_is_replaced() {
    // A lone continuation byte, an invalid byte, and a sequence cut by the end of the line.
    let bytes = b"data: a\x80b\xFFc\xE2\x82\ndata: \xF0\x9F\x98\n\n";
    let expected = [message("a\u{FFFD}b\u{FFFD}c\u{FFFD}\n\u{FFFD}")];
    assert_eq!(decode(bytes), expected);
    assert_every_split(bytes, &expected);
    assert_eq!(decode(b"event: x\xC3\ndata: y\n\n")[0].event.as_deref(), Some("x\u{FFFD}"));
}

#[test]
fn invalid_utf8_in_a_one_line_event_is_replaced() {
    let bytes = b"data: a\x80b\xE2\x82\n\n";
    let expected = [message("a\u{FFFD}b\u{FFFD}")];
    assert_eq!(decode(bytes), expected);
    assert_every_split(bytes, &expected);
}

#[test]
fn replacement_characters_count_toward_the_limit() {
    // Ten invalid bytes on one line decode to ten U+FFFD: 30 bytes, plus the line's LF.
    for bytes in [
        &b"data: \xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\n\n"[..],
        b"data: x\ndata: \xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\n\n",
    ] {
        let decoded = if bytes.starts_with(b"data: x") { 2 + 31 } else { 31 };
        let mut frames = Vec::new();
        SseDecoder::new().with_max_event_size(decoded).feed(bytes, &mut frames).unwrap();
        assert_eq!(frames.len(), 1);
        let result = SseDecoder::new().with_max_event_size(decoded - 1).feed(bytes, &mut frames);
        assert!(result.is_err(), "{bytes:?}");
        // Refused as soon as the line is read, before its event ends, however the input is split.
        let line = &bytes[..bytes.len() - 1];
        for split in 0..=line.len() {
            let mut decoder = SseDecoder::new().with_max_event_size(decoded - 1);
            let (head, tail) = line.split_at(split);
            let result = decoder.feed(head, &mut frames).and_then(|()| decoder.feed(tail, &mut frames));
            assert!(result.is_err(), "{bytes:?} split at {split}");
        }
    }
}

#[test]
fn a_one_line_event_shares_the_chunk_given_as_bytes() {
    let chunk = bytes::Bytes::from_static(b"event: a\ndata: {\"x\":1}\n\ndata: one\ndata: two\n\n");
    let mut frames = Vec::new();
    SseDecoder::new().feed_bytes(&chunk, &mut frames).unwrap();
    assert_eq!(frames, [named("a", r#"{"x":1}"#), message("one\ntwo")]);
    let inside = |text: &str| chunk.as_ptr_range().contains(&text.as_ptr());
    assert!(inside(&frames[0].data), "the one-line event points into the chunk");
    assert!(!inside(&frames[1].data), "a two-line event is joined in a buffer of its own");
}

#[test]
fn feed_shares_one_copy_of_a_small_chunk_and_copies_the_events_of_a_large_one() {
    let distance =
        |frames: &[SseFrame]| frames[1].data.as_ptr().addr().wrapping_sub(frames[0].data.as_ptr().addr());
    let events = b"data: a\n\ndata: b\n\n";
    let mut frames = Vec::new();
    SseDecoder::new().feed(events, &mut frames).unwrap();
    assert_eq!(distance(&frames), 9, "both point into one copy of the chunk, 9 bytes apart");

    // Past 64 KiB, a kept frame must not keep the whole chunk: each event is copied alone.
    let mut large = format!(": {}\n", "x".repeat(70_000)).into_bytes();
    large.extend_from_slice(events);
    let mut frames = Vec::new();
    SseDecoder::new().feed(&large, &mut frames).unwrap();
    assert_eq!(frames, [message("a"), message("b")]);
    assert_ne!(distance(&frames), 9);
}

#[test]
fn invalid_utf8_in_a_field_name_makes_it_unknown() {
    assert_eq!(decode(b"dat\xE1: x\ndata: y\n\n"), [message("y")]);
}

// ---- [DONE] ----------------------------------------------------------------------------------

#[test]
fn done_ends_the_stream() {
    let mut decoder = SseDecoder::new();
    let mut frames = Vec::new();
    decoder.feed(b"data: a\n\ndata: [DONE]\n\ndata: b\n\n", &mut frames).unwrap();
    assert_eq!(frames, [message("a")], "[DONE] itself is not a frame, and nothing follows it");
    assert!(decoder.is_done());
    decoder.feed(b"data: c\n\n", &mut frames).unwrap();
    assert_eq!(frames, [message("a")]);
    assert!(!decoder.finish(), "nothing is cut off after [DONE]");
    assert!(decoder.is_done());
}

#[test]
fn done_split_across_chunks() {
    let bytes = b"data: a\n\ndata: [DONE]\r\n\r\ndata: b\n\n";
    assert_every_split(bytes, &[message("a")]);
    let mut decoder = SseDecoder::new();
    let mut frames = Vec::new();
    for byte in bytes.chunks(1) {
        decoder.feed(byte, &mut frames).unwrap();
    }
    assert!(decoder.is_done());
}

#[test]
fn done_needs_its_blank_line_and_an_exact_payload() {
    let mut decoder = SseDecoder::new();
    let mut frames = Vec::new();
    decoder.feed(b"data: [DONE]\n", &mut frames).unwrap();
    assert!(!decoder.is_done());
    assert!(decoder.finish());

    let frames = decode(b"data: [DONE] \n\ndata:  [DONE]\n\ndata: [done]\n\ndata: [DONE]\ndata: x\n\n");
    assert_eq!(datas(&frames), ["[DONE] ", " [DONE]", "[done]", "[DONE]\nx"]);
}

#[test]
fn done_with_an_event_name_still_ends_the_stream() {
    let mut decoder = SseDecoder::new();
    let mut frames = Vec::new();
    decoder.feed(b"event: end\ndata: [DONE]\n\ndata: b\n\n", &mut frames).unwrap();
    assert!(decoder.is_done());
    assert_eq!(frames, []);
}

// ---- size limit ------------------------------------------------------------------------------

#[test]
fn default_limit_is_16_mib() {
    assert_eq!(SseDecoder::new().max_event_size(), 16 * 1024 * 1024);
    assert_eq!(SseDecoder::DEFAULT_MAX_EVENT_SIZE, 16 * 1024 * 1024);
    assert_eq!(
        SseError::EventTooLarge { limit: SseDecoder::DEFAULT_MAX_EVENT_SIZE }.to_string(),
        "SSE event exceeds the 16 MiB limit (raise it with `max_event_size` on the client builder, or SseDecoder::with_max_event_size)"
    );
    assert_eq!(
        SseError::EventTooLarge { limit: 64 * 1024 }.to_string(),
        "SSE event exceeds the 64 KiB limit (raise it with `max_event_size` on the client builder, or SseDecoder::with_max_event_size)"
    );
    assert_eq!(
        SseError::EventTooLarge { limit: 1000 }.to_string(),
        "SSE event exceeds the 1000 bytes limit (raise it with `max_event_size` on the client builder, or SseDecoder::with_max_event_size)"
    );
}

#[test]
fn a_line_longer_than_the_limit_is_refused_in_one_chunk() {
    let mut decoder = SseDecoder::new().with_max_event_size(100);
    let mut frames = Vec::new();
    let mut bytes = b"data: ".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 200));
    bytes.extend_from_slice(b"\n\n");
    assert_eq!(decoder.feed(&bytes, &mut frames), Err(SseError::EventTooLarge { limit: 100 }));
    assert_eq!(frames, []);
}

#[test]
fn a_line_longer_than_the_limit_is_refused_before_its_end_arrives() {
    let mut decoder = SseDecoder::new().with_max_event_size(100);
    let mut frames = Vec::new();
    decoder.feed(b"data: ", &mut frames).unwrap();
    let mut result = Ok(());
    let mut fed = 6;
    for _ in 0..1000 {
        result = decoder.feed(&[b'x'; 10], &mut frames);
        fed += 10;
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result, Err(SseError::EventTooLarge { limit: 100 }));
    assert!(fed <= 110, "refused as soon as the line passed the limit, after {fed} bytes");
}

#[test]
fn a_comment_longer_than_the_limit_is_refused() {
    let mut decoder = SseDecoder::new().with_max_event_size(16);
    let mut frames = Vec::new();
    let result = decoder.feed(b": a comment far longer than sixteen bytes\n\n", &mut frames);
    assert!(matches!(result, Err(SseError::EventTooLarge { limit: 16 })));
}

#[test]
fn many_data_lines_past_the_limit_are_refused() {
    let mut decoder = SseDecoder::new().with_max_event_size(1024);
    let mut frames = Vec::new();
    let mut result = Ok(());
    let mut lines = 0;
    while result.is_ok() && lines < 10_000 {
        result = decoder.feed(b"data: 0123456789\n", &mut frames);
        lines += 1;
    }
    assert_eq!(result, Err(SseError::EventTooLarge { limit: 1024 }));
    // Each line adds 11 bytes ("0123456789" and its LF) to the event.
    assert!((90..=95).contains(&lines), "refused after {lines} lines");
}

#[test]
fn the_limit_is_per_event() {
    // Many small events add up to far more than the limit; none of them exceeds it.
    let mut decoder = SseDecoder::new().with_max_event_size(64);
    let mut frames = Vec::new();
    for _ in 0..1000 {
        decoder.feed(b"event: e\ndata: 0123456789\ndata: 0123456789\n\n", &mut frames).unwrap();
    }
    assert_eq!(frames.len(), 1000);
}

#[test]
fn an_event_exactly_at_the_limit_is_accepted() {
    // The largest moment is reading the line "data: xyz" (9 bytes) while the event type "ab"
    // (2 bytes) is held: 11 bytes.
    let bytes = b"event: ab\ndata: xyz\n\n";
    let mut frames = Vec::new();
    SseDecoder::new().with_max_event_size(11).feed(bytes, &mut frames).unwrap();
    assert_eq!(frames, [named("ab", "xyz")]);
    let result = SseDecoder::new().with_max_event_size(10).feed(bytes, &mut frames);
    assert!(result.is_err());
}

#[test]
fn a_second_data_line_counts_the_first_with_its_line_ending() {
    // Reading "data: de" (8 bytes) while "abc" and its LF (4 bytes) are held: 12 bytes, at every
    // split of the input.
    let bytes = b"data: abc\ndata: de\n\ndata: f\n\n";
    for split in 0..=bytes.len() {
        let (head, tail) = bytes.split_at(split);
        let mut frames = Vec::new();
        let mut decoder = SseDecoder::new().with_max_event_size(12);
        decoder.feed(head, &mut frames).unwrap();
        decoder.feed(tail, &mut frames).unwrap();
        assert_eq!(frames, [message("abc\nde"), message("f")], "split at {split}");
        let mut decoder = SseDecoder::new().with_max_event_size(11);
        let result = decoder.feed(head, &mut frames).and_then(|()| decoder.feed(tail, &mut frames));
        assert!(result.is_err(), "split at {split}");
    }
}

#[test]
fn frames_before_the_error_are_kept_and_the_decoder_stays_failed() {
    let mut decoder = SseDecoder::new().with_max_event_size(32);
    let mut frames = Vec::new();
    let result =
        decoder.feed(b"data: ok\n\ndata: this line is longer than thirty-two bytes\n\n", &mut frames);
    assert!(result.is_err());
    assert_eq!(frames, [message("ok")]);
    assert_eq!(decoder.feed(b"data: small\n\n", &mut frames), Err(SseError::EventTooLarge { limit: 32 }));
    assert_eq!(frames, [message("ok")]);
    assert!(!decoder.is_done());
    assert!(!decoder.finish());
}

#[test]
fn debug_shows_state_not_data() {
    let mut decoder = SseDecoder::new();
    decoder.feed(b"data: a secret-looking payload\n", &mut Vec::new()).unwrap();
    let shown = format!("{decoder:?}");
    assert!(shown.contains("max_event_size"), "{shown}");
    assert!(!shown.contains("secret-looking"), "{shown}");
}

#[test]
fn a_long_stream_decodes_in_bounded_chunks() {
    // 2 MiB of events through a 1 KiB limit: the limit is per event, not per stream.
    let event = b"event: response.output_text.delta\ndata: {\"delta\":\"hello world\"}\n\n";
    let count = 2 * 1024 * 1024 / event.len();
    let stream: Vec<u8> = event.iter().copied().cycle().take(event.len() * count).collect();
    let mut decoder = SseDecoder::new().with_max_event_size(1024);
    let mut frames = Vec::new();
    let mut seen = 0;
    for chunk in stream.chunks(4093) {
        decoder.feed(chunk, &mut frames).unwrap();
        seen += frames.len();
        frames.clear();
    }
    assert_eq!(seen, count);
    assert!(!decoder.finish());
}

// ---- shared texts ----------------------------------------------------------------------------

#[test]
fn repeated_event_names_share_one_text_and_every_name_stays_right() {
    // 40 names, more than the decoder remembers, each used in turn, then the first ones again.
    let names: Vec<String> = (0..40).map(|i| format!("event.{i}")).collect();
    let mut stream = Vec::new();
    for name in names.iter().chain(&names[..3]).chain(&names[..3]) {
        stream.extend_from_slice(format!("event: {name}\ndata: {name}\n\n").as_bytes());
    }
    let frames = decode(&stream);
    assert_eq!(frames.len(), 46);
    for frame in &frames {
        assert_eq!(frame.event.as_deref(), Some(&*frame.data), "each frame keeps its own name");
    }
    // Frames 40..43 named `event.0`..`event.2` anew (forgotten by then); 43..46 reuse those.
    for i in 0..3 {
        let (first, again) = (&frames[40 + i], &frames[43 + i]);
        assert!(std::sync::Arc::ptr_eq(first.event.as_ref().unwrap(), again.event.as_ref().unwrap()));
    }
    // The same name twice in a row is one shared text.
    let frames = decode(b"event: e\ndata: 1\n\nevent: e\ndata: 2\n\nevent: f\ndata: 3\n\n");
    assert!(std::sync::Arc::ptr_eq(frames[0].event.as_ref().unwrap(), frames[1].event.as_ref().unwrap()));
    assert_eq!(frames[2].event.as_deref(), Some("f"));
}

#[test]
fn a_name_seen_before_still_counts_toward_the_limit_and_can_be_replaced() {
    // `ab` is known after the first event; held again, it still counts its 2 bytes.
    let bytes = b"event: ab\ndata: x\n\nevent: ab\ndata: xyz\n\n";
    let mut frames = Vec::new();
    SseDecoder::new().with_max_event_size(11).feed(bytes, &mut frames).unwrap();
    assert_eq!(frames, [named("ab", "x"), named("ab", "xyz")]);
    let result = SseDecoder::new().with_max_event_size(10).feed(bytes, &mut frames);
    assert!(result.is_err());
    // A later `event` line in the same event replaces a known name, and an empty one clears it.
    assert_eq!(
        decode(b"event: a\ndata: 1\n\nevent: a\nevent: b\ndata: 2\n\nevent: a\nevent:\ndata: 3\n\n"),
        [named("a", "1"), named("b", "2"), message("3")]
    );
}

#[test]
fn event_ids_are_shared_between_the_frames_that_carry_them() {
    let frames = decode(b"id: 7\ndata: a\n\ndata: b\n\nid: 8\ndata: c\n\nid\ndata: d\n\n");
    let ids: Vec<_> = frames.iter().map(|f| f.id.as_deref()).collect();
    assert_eq!(ids, [Some("7"), Some("7"), Some("8"), None]);
    assert!(std::sync::Arc::ptr_eq(frames[0].id.as_ref().unwrap(), frames[1].id.as_ref().unwrap()));
}
