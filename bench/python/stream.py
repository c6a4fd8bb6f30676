"""Workload `stream`: one long streamed response through loopback HTTP, Python oauth-codex 0.5.0.

Usage:

    <venv>/bin/python bench/python/stream.py --base-url URL --access-token T \
        --refresh-token R --account-id A [--n N] [--model M] [--delta-bytes B]

The fake Codex backend at URL must answer every request with one text stream of N
`response.output_text.delta` events (B bytes each) and `response.completed`
(`codex-fake --reply-deltas N --delta-bytes B`). N defaults to 20,000; B, when given, is
checked too.

The runner streams one response as a warm-up, then measures one more with
`client.responses.create(..., stream=True)`, iterating the stream events as a caller would.
It exits non-zero unless exactly N text deltas (N * B bytes, when B is given) and one
`response_completed` arrived without an `error` event, so a failed or truncated stream is
never reported as a measurement.

Prints one JSON line on stdout: workload "stream", impl "python-oauth-codex-0.5.0", wall_s and
cpu_s of the measured stream, items (text deltas received), max_rss_kb, plus text_bytes and
deltas_per_s.
"""

from __future__ import annotations

from pathlib import Path

from bench_common import Section, emit, fail, log, make_client, parser, workdir


def stream_once(client, model: str) -> tuple[int, int]:
    """Streams one response; returns (text deltas, text bytes). Fails on a broken stream."""
    deltas = 0
    text_bytes = 0
    completed = 0
    events = client.responses.create(model=model, input="Write a long story.", stream=True)
    for event in events:
        kind = event.type
        if kind == "text_delta":
            deltas += 1
            text_bytes += len(event.delta.encode("utf-8"))
        elif kind == "response_completed":
            completed += 1
        elif kind == "error":
            fail(f"the stream reported an error: {event.error}")
    if completed != 1:
        fail(f"the stream ended with {completed} response_completed events, not 1 ({deltas} deltas received)")
    return deltas, text_bytes


def main() -> None:
    p = parser(__doc__.splitlines()[0], default_n=20_000)
    p.add_argument("--delta-bytes", type=int, default=None, help="bytes per delta, checked when given")
    args = p.parse_args()
    with workdir() as scratch:
        client = make_client(args, Path(scratch))
        stream_once(client, args.model)  # warm-up
        with Section() as section:
            deltas, text_bytes = stream_once(client, args.model)
        if deltas != args.n:
            fail(f"received {deltas} text deltas, expected {args.n}")
        if args.delta_bytes is not None and text_bytes != args.n * args.delta_bytes:
            fail(f"received {text_bytes} text bytes, expected {args.n * args.delta_bytes}")
        log(f"streamed {deltas} deltas ({text_bytes} bytes) in {section.wall_s:.3f} s")
        emit(
            "stream",
            section,
            deltas,
            text_bytes=text_bytes,
            deltas_per_s=deltas / section.wall_s,
        )


if __name__ == "__main__":
    main()
