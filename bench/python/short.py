"""Workload `short`: N sequential short requests, Python oauth-codex 0.5.0.

Usage:

    <venv>/bin/python bench/python/short.py --base-url URL --access-token T \
        --refresh-token R --account-id A [--n N] [--model M] [--expect-text TEXT]

Sends one warm-up request, then N (default 2,000) sequential `client.responses.create(...)`
calls (not streamed: the client collects the reply), each with a one-line input, against the
fake Codex backend at URL, which should answer each with one small text reply (the fake's
default). Every reply must carry a response id and non-empty output text (equal to TEXT when
--expect-text is given), or the runner exits non-zero.

Prints one JSON line on stdout: workload "short", impl "python-oauth-codex-0.5.0", wall_s and
cpu_s of the N requests, items (= N), max_rss_kb, plus per_request_ms (wall), p50_ms and p99_ms
(per request).
"""

from __future__ import annotations

import time
from pathlib import Path

from bench_common import Section, emit, fail, log, make_client, parser, percentile, workdir


def one(client, model: str, expect: str | None) -> None:
    """One request; fails unless the reply is a whole response."""
    response = client.responses.create(model=model, input="Say hello.")
    if not response.id or not response.output_text:
        fail(f"incomplete reply: id={response.id!r}, {len(response.output_text)} characters of text")
    if expect is not None and response.output_text != expect:
        fail(f"unexpected reply text: {response.output_text!r}")


def main() -> None:
    p = parser(__doc__.splitlines()[0], default_n=2_000)
    p.add_argument("--expect-text", default=None, help="the exact reply text to require")
    args = p.parse_args()
    if args.n <= 0:
        fail("--n must be positive")
    with workdir() as scratch:
        client = make_client(args, Path(scratch))
        one(client, args.model, args.expect_text)  # warm-up
        samples: list[float] = []
        with Section() as section:
            for _ in range(args.n):
                started = time.perf_counter()
                one(client, args.model, args.expect_text)
                samples.append((time.perf_counter() - started) * 1e3)
        samples.sort()
        log(f"{args.n} requests in {section.wall_s:.3f} s ({section.wall_s / args.n * 1e3:.3f} ms each)")
        emit(
            "short",
            section,
            args.n,
            per_request_ms=section.wall_s / args.n * 1e3,
            p50_ms=percentile(samples, 50),
            p99_ms=percentile(samples, 99),
        )


if __name__ == "__main__":
    main()
