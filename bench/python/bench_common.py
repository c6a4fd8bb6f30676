"""Shared pieces of the Python comparison runners (stream.py, short.py, local_store.py).

Not a runner itself. It parses the runner command line shared by every runner:

    --base-url URL --access-token T --refresh-token R --account-id A [--n N] [--model M]

builds an ``oauth_codex.OAuthCodexClient`` (the Python original, 0.5.0) that can never try to
sign in or reach a real service, measures CPU time and peak memory, and prints the one JSON
line a runner reports on stdout. Everything else a runner says goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

IMPL = "python-oauth-codex-0.5.0"
DEFAULT_MODEL = "gpt-5.2-codex"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def log(message: str) -> None:
    """Writes one line to stderr (stdout carries the JSON result only)."""
    print(message, file=sys.stderr, flush=True)


def fail(message: str) -> None:
    """Reports a failed run on stderr and exits non-zero."""
    log(f"error: {message}")
    sys.exit(1)


def parser(description: str, default_n: int, required: bool = True) -> argparse.ArgumentParser:
    """The shared runner command line; a runner may add its own options."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--base-url",
        required=required,
        help="the fake Codex backend, e.g. http://127.0.0.1:PORT/backend-api/codex",
    )
    p.add_argument("--access-token", required=required)
    p.add_argument("--refresh-token", required=required)
    p.add_argument("--account-id", required=required)
    p.add_argument("--n", type=int, default=default_n)
    p.add_argument("--model", default=DEFAULT_MODEL)
    return p


def require_loopback(base_url: str) -> None:
    """Refuses any base URL that is not on this machine: a runner only talks to the fakes."""
    host = urlsplit(base_url).hostname or ""
    if host not in LOOPBACK_HOSTS:
        fail(f"--base-url must point at a loopback fake, not {host!r}")


def make_client(args: argparse.Namespace, workdir: Path):
    """An OAuthCodexClient signed in through a token file in its own format.

    The OAuth endpoints point at the fake's own origin, and the ``CODEX_OAUTH_*`` environment
    overrides are removed, so even an unexpected refresh attempt stays on loopback (and fails
    there) instead of reaching a real sign-in service.
    """
    require_loopback(args.base_url)
    for key in list(os.environ):
        if key.startswith("CODEX_OAUTH_") or key == "CODEX_COMPAT_STORAGE_DIR":
            del os.environ[key]

    from oauth_codex import OAuthCodexClient, OAuthConfig, OAuthTokens
    from oauth_codex.store import FileTokenStore

    parts = urlsplit(args.base_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    config = OAuthConfig(
        redirect_uri="http://127.0.0.1:1455/auth/callback",
        discovery_url=f"{origin}/.well-known/oauth-authorization-server",
        authorization_endpoint=f"{origin}/oauth/authorize",
        token_endpoint=f"{origin}/oauth/token",
    )
    store = FileTokenStore(workdir / "auth.json")
    store.save(
        OAuthTokens(
            access_token=args.access_token,
            refresh_token=args.refresh_token,
            account_id=args.account_id,
            last_refresh=time.time(),
        )
    )
    return OAuthCodexClient(
        oauth_config=config,
        token_store=store,
        chatgpt_base_url=args.base_url,
        compat_storage_dir=workdir / "compat",
        max_retries=0,
    )


def workdir() -> tempfile.TemporaryDirectory:
    """A private scratch directory for the token file and the local store."""
    return tempfile.TemporaryDirectory(prefix="oauth-codex-pybench-")


class Section:
    """Wall and CPU (user + system) time of a measured section."""

    def __enter__(self) -> "Section":
        self._wall = time.perf_counter()
        self._cpu = time.process_time()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wall_s = time.perf_counter() - self._wall
        self.cpu_s = time.process_time() - self._cpu


def max_rss_kb() -> int:
    """Peak resident set size of this process, KiB (Linux reports ru_maxrss in KiB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def percentile(sorted_samples: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of sorted samples."""
    if not sorted_samples:
        return float("nan")
    import math

    rank = math.ceil(p / 100.0 * len(sorted_samples))
    return sorted_samples[min(max(rank, 1), len(sorted_samples)) - 1]


def emit(workload: str, section: Section, items: int, **extra: float | int) -> None:
    """Prints the runner's one JSON line on stdout."""
    result: dict[str, Any] = {
        "workload": workload,
        "impl": IMPL,
        "wall_s": section.wall_s,
        "cpu_s": section.cpu_s,
        "items": items,
        "max_rss_kb": max_rss_kb(),
    }
    result.update(extra)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
