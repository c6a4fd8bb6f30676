//! Server-Sent Events decoding: response-body bytes in, [`SseFrame`]s out.
//!
//! [`SseDecoder`] follows the WHATWG rules for interpreting an event stream (HTML Living
//! Standard, "Server-sent events" § "Interpreting an event stream"), plus the OpenAI convention
//! that a `data: [DONE]` event ends the stream. It is push-based and runtime-agnostic: hand it
//! each chunk as it arrives, however the bytes are split, and it appends the completed events
//! to a `Vec` you own.
//!
//! What it implements, in the spec's terms:
//!
//! * Lines end with LF, CRLF or CR. A CR that ends one chunk and an LF that starts the next are
//!   one line ending.
//! * A UTF-8 byte order mark is stripped at the very start of the stream, and only there.
//! * Each complete line is decoded as UTF-8 on its own; invalid sequences become U+FFFD. Bytes may
//!   be split anywhere, including inside a multi-byte character.
//! * A line starting with `:` is a comment and is ignored. Otherwise the field name runs up to
//!   the first `:` (the whole line when there is none, with an empty value), and one space after
//!   the colon is removed from the value.
//! * `data` appends the value and a line feed to the data buffer; `event` sets the event type;
//!   `id` sets the last event ID unless the value contains U+0000; `retry` sets the reconnection
//!   time when the value is ASCII digits only; other field names are ignored.
//! * A blank line dispatches the event: with an empty data buffer nothing is dispatched (the
//!   event type is still reset); otherwise the data's final line feed is removed and an
//!   [`SseFrame`] is produced. The last event ID is kept from event to event.
//! * At the end of the stream an event without its blank line is discarded ([`SseDecoder::finish`]).
//!
//! Memory stays bounded: the decoder holds at most the event being accumulated, never the
//! stream, and refuses an event larger than [`SseDecoder::max_event_size`].

use std::fmt;
use std::mem;
use std::sync::Arc;

use bytes::Bytes;
use bytestring::ByteString;
use memchr::{memchr, memchr2};

/// The UTF-8 encoding of U+FEFF, which the spec's UTF-8 decode removes at the start of a stream.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The data payload that ends an OpenAI-style stream.
const DONE: &str = "[DONE]";

/// How many event names the decoder remembers for reuse.
const NAME_CACHE: usize = 16;

/// Longer event names are not remembered (they are not the names of a protocol).
const NAME_CACHE_MAX_LEN: usize = 64;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// The data buffer is kept from event to event up to this capacity.
const KEPT_BUFFER: usize = 64 * KIB;

/// [`SseDecoder::feed`] copies a chunk up to this size whole, for its events to share.
const SHARED_COPY_MAX: usize = 64 * KIB;

/// One dispatched Server-Sent Event.
///
/// `event` is `None` when the event had no (or an empty) `event` field: such an event has the
/// spec's default type, `message` (see [`SseFrame::event_type`]).
///
/// The texts are shared: cloning a frame, or keeping its data after the frame is gone, copies
/// nothing. An event whose data is one line that arrived whole in one chunk shares that chunk
/// (given to [`SseDecoder::feed_bytes`], or the decoder's one copy of a chunk of up to 64 KiB
/// given to [`SseDecoder::feed`]): the usual event costs no allocation and no copy of its data. The
/// decoder hands out one `Arc` per event name it has seen recently, so a stream of a few event
/// types does not allocate a name per event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseFrame {
    /// The value of the event's last `event` field; `None` when it had none or it was empty.
    pub event: Option<Arc<str>>,
    /// The event's `data` lines joined with `\n` (without a trailing newline).
    ///
    /// It may share the memory of the chunk it arrived in: keeping it keeps that chunk.
    pub data: ByteString,
    /// The stream's last event ID when this event was dispatched (the last `id` field seen so far
    /// in the stream, not necessarily in this event); `None` while it is empty.
    pub id: Option<Arc<str>>,
    /// The reconnection time in milliseconds, when this event's own lines carried a valid `retry`
    /// field. [`SseDecoder::retry`] keeps the latest value for the whole stream.
    pub retry: Option<u64>,
}

impl SseFrame {
    /// The event type as the spec names it: the `event` field, or `"message"` when there was none.
    ///
    /// ```
    /// use codex_transport::SseFrame;
    ///
    /// let frame = SseFrame { data: "hi".into(), ..SseFrame::default() };
    /// assert_eq!(frame.event_type(), "message");
    /// ```
    pub fn event_type(&self) -> &str {
        self.event.as_deref().unwrap_or("message")
    }
}

/// Why an event stream could not be decoded.
///
/// Once [`SseDecoder::feed`] has returned an error, the decoder stays failed: later calls return
/// the same error and decode nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SseError {
    /// One event (its data and event type so far plus the line being read, which covers a single
    /// over-long line) grew past the decoder's [`SseDecoder::max_event_size`].
    #[error("SSE event exceeds the {} limit (raise it with `max_event_size` on the client builder, or SseDecoder::with_max_event_size)", ByteSize(*limit))]
    EventTooLarge {
        /// The limit in bytes that was exceeded.
        limit: usize,
    },
}

/// Prints a byte count the way people read limits: `16 MiB`, `64 KiB`, `1000 bytes`.
struct ByteSize(usize);

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            n if n >= MIB && n % MIB == 0 => write!(f, "{} MiB", n / MIB),
            n if n >= KIB && n % KIB == 0 => write!(f, "{} KiB", n / KIB),
            1 => f.write_str("1 byte"),
            n => write!(f, "{n} bytes"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the stream.
    Streaming,
    /// `data: [DONE]` was dispatched: the stream is over.
    Done,
    /// [`SseDecoder::finish`] was called.
    Finished,
    /// An event exceeded the limit; the stream cannot be decoded further.
    Failed { limit: usize },
}

/// An incremental Server-Sent Events decoder.
///
/// Feed it the body's bytes chunk by chunk with [`feed`](Self::feed); call
/// [`finish`](Self::finish) at the end of the body. The frames produced do not depend on how the
/// bytes were split.
///
/// ```
/// use codex_transport::SseDecoder;
///
/// let mut decoder = SseDecoder::new().with_max_event_size(1024 * 1024);
/// let mut frames = Vec::new();
/// decoder.feed(b"id: 7\nevent: ping\ndata: a\nda", &mut frames)?;
/// assert!(frames.is_empty()); // no blank line yet
/// decoder.feed(b"ta: b\n\n", &mut frames)?;
/// assert_eq!(frames[0].event.as_deref(), Some("ping"));
/// assert_eq!(&*frames[0].data, "a\nb");
/// assert_eq!(frames[0].id.as_deref(), Some("7"));
/// assert!(!decoder.finish()); // nothing was cut off
/// # Ok::<(), codex_transport::SseError>(())
/// ```
pub struct SseDecoder {
    max_event_size: usize,
    state: State,
    /// The start of the line being read, when it began in an earlier chunk.
    line: Vec<u8>,
    /// The previous chunk ended with CR: an LF at the start of the next one is part of that
    /// line ending.
    pending_cr: bool,
    /// No line has been completed yet, so the next one may start with a BOM.
    at_stream_start: bool,
    /// The event's only `data` line so far, when it arrived whole in the current chunk and is
    /// valid UTF-8: a slice of the chunk, which the frame will share. A second `data` line
    /// moves it into `data`.
    single: Option<ByteString>,
    /// The spec's data buffer (each `data` value followed by LF) when the data is not `single`.
    data: String,
    /// The spec's event type buffer.
    event_type: String,
    /// The event type buffer holds `names[i]`, left unwritten: the line matched a name handed
    /// out before, byte for byte.
    event_known: Option<usize>,
    /// A field line (other than a comment) has been read since the last blank line.
    in_event: bool,
    /// The spec's last event ID buffer, set by `id` fields.
    id_buffer: String,
    /// `id_buffer` changed since the last blank line.
    id_changed: bool,
    /// The spec's "last event ID string": the buffer as of the last blank line (`None` while
    /// empty), shared with the frames that carry it.
    last_event_id: Option<Arc<str>>,
    /// The event names handed out recently, reused while a frame's name matches one (see
    /// [`SseDecoder::event_name`]).
    names: Vec<Arc<str>>,
    /// A valid `retry` field seen since the last blank line.
    event_retry: Option<u64>,
    /// The stream's reconnection time: the last valid `retry` field seen.
    retry: Option<u64>,
}

impl SseDecoder {
    /// The default [`max_event_size`](Self::max_event_size): 16 MiB.
    pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 * MIB;

    /// A decoder at the start of a stream, with the default 16 MiB event limit.
    pub fn new() -> Self {
        SseDecoder {
            max_event_size: Self::DEFAULT_MAX_EVENT_SIZE,
            state: State::Streaming,
            line: Vec::new(),
            pending_cr: false,
            at_stream_start: true,
            single: None,
            data: String::new(),
            event_type: String::new(),
            event_known: None,
            in_event: false,
            id_buffer: String::new(),
            id_changed: false,
            last_event_id: None,
            names: Vec::new(),
            event_retry: None,
            retry: None,
        }
    }

    /// Sets the largest event, in bytes, the decoder accepts.
    ///
    /// An event's size is what the decoder holds for it: its data and event type so far plus the
    /// line being read (so one line longer than the limit is refused too, whatever its field,
    /// comments included). The whole line counts while it is being read, field name included;
    /// line endings never count. The default is [`DEFAULT_MAX_EVENT_SIZE`](Self::DEFAULT_MAX_EVENT_SIZE).
    pub fn with_max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = bytes;
        self
    }

    /// The largest event, in bytes, this decoder accepts (see
    /// [`with_max_event_size`](Self::with_max_event_size)).
    pub fn max_event_size(&self) -> usize {
        self.max_event_size
    }

    /// Whether a `data: [DONE]` event ended the stream. After it, [`feed`](Self::feed) ignores
    /// its input and produces nothing.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The stream's last event ID, as of the last blank line: what an EventSource would send in
    /// `Last-Event-ID` when reconnecting. `None` while it is empty.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    /// The stream's reconnection time in milliseconds: the last valid `retry` field seen, even in
    /// an event that was never dispatched. Values past `u64::MAX` saturate.
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// Decodes the next chunk of the stream, appending every event it completes to `frames`.
    ///
    /// A chunk may end anywhere: inside a line, between CR and LF, inside a UTF-8 character.
    /// The `data: [DONE]` event is not appended: it makes [`is_done`](Self::is_done) true, and the
    /// rest of the input is ignored. Input fed after [`finish`](Self::finish) is ignored too.
    ///
    /// A chunk of up to 64 KiB is copied once, the first time a frame needs it, and its
    /// one-line events share that copy; the events of a larger chunk are copied one by one, so
    /// that a kept frame never keeps a large chunk.
    ///
    /// # Errors
    ///
    /// [`SseError::EventTooLarge`] when an event exceeds [`max_event_size`](Self::max_event_size).
    /// Frames completed earlier in the same chunk are already in `frames`. The decoder then
    /// stays failed: every later call returns the same error.
    pub fn feed(&mut self, chunk: &[u8], frames: &mut Vec<SseFrame>) -> Result<(), SseError> {
        let copy_whole = chunk.len() <= SHARED_COPY_MAX;
        self.feed_chunk(Chunk { bytes: chunk, shared: None, copy_whole }, frames)
    }

    /// [`feed`](Self::feed) for a chunk already in shared memory, such as a body frame from
    /// hyper: the frames' data point into it instead of into a copy (so a kept frame keeps the
    /// chunk's memory).
    ///
    /// # Errors
    ///
    /// As for [`feed`](Self::feed).
    pub fn feed_bytes(&mut self, chunk: &Bytes, frames: &mut Vec<SseFrame>) -> Result<(), SseError> {
        self.feed_chunk(Chunk { bytes: chunk, shared: Some(chunk.clone()), copy_whole: false }, frames)
    }

    fn feed_chunk(&mut self, chunk: Chunk<'_>, frames: &mut Vec<SseFrame>) -> Result<(), SseError> {
        match self.state {
            State::Streaming => {}
            State::Done | State::Finished => return Ok(()),
            State::Failed { limit } => return Err(SseError::EventTooLarge { limit }),
        }
        let result = self.decode(chunk, frames);
        if result.is_err() {
            self.state = State::Failed { limit: self.max_event_size };
        }
        if self.state != State::Streaming {
            self.release();
        }
        result
    }

    /// Ends the stream: an event not yet closed by a blank line is discarded, as the spec says.
    ///
    /// Returns `true` when something was cut off that way: an unterminated line, or field lines
    /// with no blank line after them. A stream ended by `data: [DONE]` (or one that failed)
    /// returns `false`. After `finish`, [`feed`](Self::feed) ignores its input.
    pub fn finish(&mut self) -> bool {
        let cut_off = self.state == State::Streaming && (!self.line.is_empty() || self.in_event);
        if self.state == State::Streaming {
            self.state = State::Finished;
        }
        self.release();
        cut_off
    }

    /// Frees the buffers once the stream is over.
    fn release(&mut self) {
        self.line = Vec::new();
        self.single = None;
        self.data = String::new();
        self.event_type = String::new();
        self.event_known = None;
        self.names = Vec::new();
        self.in_event = false;
        self.pending_cr = false;
    }

    fn decode(&mut self, mut input: Chunk<'_>, frames: &mut Vec<SseFrame>) -> Result<(), SseError> {
        let chunk = input.bytes;
        let mut pos = 0;
        if self.pending_cr && !chunk.is_empty() {
            self.pending_cr = false;
            if chunk[0] == b'\n' {
                pos = 1;
            }
        }
        while let Some(offset) = memchr2(b'\n', b'\r', &chunk[pos..]) {
            let end = pos + offset;
            let next = if chunk[end] == b'\n' {
                end + 1
            } else {
                match chunk.get(end + 1) {
                    Some(b'\n') => end + 2,
                    Some(_) => end + 1,
                    None => {
                        self.pending_cr = true;
                        end + 1
                    }
                }
            };
            let piece = &chunk[pos..end];
            if self.line.is_empty() {
                self.complete_line(piece, Some(&mut input), frames)?;
            } else {
                self.check_size(self.line.len() + piece.len())?;
                self.line.extend_from_slice(piece);
                let line = mem::take(&mut self.line);
                let result = self.complete_line(&line, None, frames);
                self.line = line;
                self.line.clear();
                result?;
            }
            if self.state != State::Streaming {
                return Ok(());
            }
            pos = next;
        }
        let rest = &chunk[pos..];
        if !rest.is_empty() {
            self.check_size(self.line.len() + rest.len())?;
            self.line.extend_from_slice(rest);
        }
        Ok(())
    }

    /// Refuses the event when its buffers plus `line_len` bytes of the current line exceed the limit.
    fn check_size(&self, line_len: usize) -> Result<(), SseError> {
        let size = self.data_len() + self.event_type_len() + line_len;
        if size > self.max_event_size {
            return Err(SseError::EventTooLarge { limit: self.max_event_size });
        }
        Ok(())
    }

    /// Processes one complete line, without its line ending: a slice of `chunk` when given, of
    /// the decoder's line buffer otherwise.
    fn complete_line(
        &mut self,
        line: &[u8],
        chunk: Option<&mut Chunk<'_>>,
        frames: &mut Vec<SseFrame>,
    ) -> Result<(), SseError> {
        // Checked before the BOM is stripped, so the answer is the same as for the partial line.
        self.check_size(line.len())?;
        let mut line = line;
        if self.at_stream_start {
            self.at_stream_start = false;
            line = line.strip_prefix(BOM).unwrap_or(line);
        }
        if line.is_empty() {
            self.dispatch(frames);
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        self.in_event = true;
        // The field name runs to the first colon: the two every event has are matched at once.
        let (name, value) = if let Some(value) = line.strip_prefix(b"data:") {
            (&b"data"[..], value)
        } else if let Some(value) = line.strip_prefix(b"event:") {
            (&b"event"[..], value)
        } else {
            match memchr(b':', line) {
                Some(colon) => (&line[..colon], &line[colon + 1..]),
                // An empty value at the end of the line (still a slice of it, which `share` needs).
                None => (line, &line[line.len()..]),
            }
        };
        let value = value.strip_prefix(b" ").unwrap_or(value);
        match name {
            b"data" => {
                // The usual event: one data line, valid UTF-8, shared from the chunk.
                let first = self.single.is_none() && self.data.is_empty();
                if let (true, Some(chunk)) = (first, chunk)
                    && let Ok(text) = ByteString::try_from(chunk.share(value))
                {
                    self.single = Some(text);
                    return Ok(());
                }
                if let Some(first) = self.single.take() {
                    self.data.push_str(&first);
                    self.data.push('\n');
                }
                self.data.reserve(value.len() + 1);
                push_lossy(&mut self.data, value);
                self.data.push('\n');
                // Replacement characters can make the decoded text longer than the bytes.
                self.check_size(0)?;
            }
            b"event" => {
                self.event_type.clear();
                // Names repeat: a line equal to one handed out before is not decoded again.
                self.event_known = self.names.iter().position(|name| name.as_bytes() == value);
                if self.event_known.is_none() {
                    push_lossy(&mut self.event_type, value);
                }
                self.check_size(0)?;
            }
            // An `id` containing NUL is ignored.
            b"id" if memchr(0, value).is_none() => {
                self.id_buffer.clear();
                push_lossy(&mut self.id_buffer, value);
                self.id_changed = true;
            }
            // A `retry` that is not only ASCII digits is ignored.
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let millis =
                    value.iter().fold(0u64, |n, &d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')));
                self.retry = Some(millis);
                self.event_retry = Some(millis);
            }
            _ => {}
        }
        Ok(())
    }

    /// The blank-line step: dispatch the event being accumulated, if it has data.
    fn dispatch(&mut self, frames: &mut Vec<SseFrame>) {
        if self.id_changed {
            if self.last_event_id.as_deref().unwrap_or_default() != self.id_buffer {
                self.last_event_id = (!self.id_buffer.is_empty()).then(|| Arc::from(self.id_buffer.as_str()));
            }
            self.id_changed = false;
        }
        self.in_event = false;
        let retry = self.event_retry.take();
        let single = self.single.take();
        if single.is_none() && self.data.is_empty() {
            self.event_type.clear();
            self.event_known = None;
            return;
        }
        // Every data line ended with LF; the spec removes the last one.
        self.data.pop();
        if single.as_deref().unwrap_or(&self.data) == DONE {
            self.state = State::Done;
            return;
        }
        let data = match single {
            Some(line) => line,
            // One allocation for the data; the buffer keeps its capacity for the next event.
            None => ByteString::from(self.data.as_str()),
        };
        let event = match self.event_known.take() {
            Some(index) => Some(self.promote(index)),
            None if self.event_type.is_empty() => None,
            None => Some(self.event_name()),
        };
        self.event_type.clear();
        if self.data.capacity() > KEPT_BUFFER {
            // A rare large event: do not hold its size for the rest of the stream.
            self.data = String::new();
        } else {
            self.data.clear();
        }
        frames.push(SseFrame { event, data, id: self.last_event_id.clone(), retry });
    }

    /// The length of the spec's data buffer: the lines so far, each with its LF.
    fn data_len(&self) -> usize {
        self.single.as_ref().map_or(self.data.len(), |line| line.len() + 1)
    }

    /// The length of the spec's event type buffer.
    fn event_type_len(&self) -> usize {
        self.event_known.map_or(self.event_type.len(), |index| self.names[index].len())
    }

    /// `names[index]`, moved first: a stream usually repeats the last name.
    fn promote(&mut self, index: usize) -> Arc<str> {
        if index > 0 {
            self.names[..=index].rotate_right(1);
        }
        self.names[0].clone()
    }

    /// The shared text of the event name in `event_type` (a name not handed out recently): a
    /// new one, remembered while fewer than [`NAME_CACHE`] are.
    fn event_name(&mut self) -> Arc<str> {
        let name: Arc<str> = Arc::from(self.event_type.as_str());
        if name.len() <= NAME_CACHE_MAX_LEN {
            if self.names.len() == NAME_CACHE {
                self.names.pop();
            }
            self.names.insert(0, name.clone());
        }
        name
    }
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SseDecoder {
    /// Shows the decoder's settings and state, not the (possibly large) event being read.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SseDecoder")
            .field("max_event_size", &self.max_event_size)
            .field("state", &self.state)
            .field("buffered_bytes", &(self.line.len() + self.data_len() + self.event_type_len()))
            .field("last_event_id", &self.last_event_id())
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// The chunk being decoded, and the shared memory a frame's data can point into.
struct Chunk<'a> {
    bytes: &'a [u8],
    /// `bytes` in shared memory: given with the chunk, or copied from it the first time a frame
    /// needs it when `copy_whole`.
    shared: Option<Bytes>,
    /// Without `shared`: copy the whole chunk once (a small one), rather than each part.
    copy_whole: bool,
}

impl Chunk<'_> {
    /// `part`, a slice of this chunk, in shared memory (a copy of it, were it not a slice).
    fn share(&mut self, part: &[u8]) -> Bytes {
        let bytes = self.bytes;
        let start = part.as_ptr().addr().wrapping_sub(bytes.as_ptr().addr());
        if start > bytes.len()
            || part.len() > bytes.len() - start
            || (self.shared.is_none() && !self.copy_whole)
        {
            return Bytes::copy_from_slice(part);
        }
        let shared = self.shared.get_or_insert_with(|| Bytes::copy_from_slice(bytes));
        shared.slice(start..start + part.len())
    }
}

/// Appends `bytes` decoded as UTF-8, each invalid sequence replaced by U+FFFD (exactly as
/// `String::from_utf8_lossy` does), without an intermediate allocation.
fn push_lossy(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => {
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                if !chunk.invalid().is_empty() {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
            }
        }
    }
}
