"""Workload `compat`: the local stand-ins of Python oauth-codex 0.5.0 (files, vector stores).

Usage:

    <venv>/bin/python bench/python/local_store.py --corpus DIR [--files N] [--queries Q]
        [--max-results K] [--preload M] [--base-url URL --access-token T --refresh-token R --account-id A]
        [--n Q] [--model M]

DIR is a corpus written by `compat-bench gen-corpus DIR` (the same bytes the Rust runner
reads): DIR/docs/doc-00000.txt ... and DIR/queries.txt. The runner takes the first N documents
(default: all) and the first Q queries (default: all; --n is an alias of --queries), and in a
fresh local store (a temporary directory):

1. calls `client.files.create(file=path, purpose="assistants")` for every document
   (measured: files_per_s);
2. creates one vector store holding every file (`client.vector_stores.create(file_ids=...)`,
   reported as index_wall_s);
3. searches once as a warm-up, then runs every query through
   `client.vector_stores.search(store_id, query=..., max_num_results=K)` (default K = 10),
   timing each (measured: p50_ms, p99_ms). A query that finds nothing fails the run.

With --preload M, steps 1 and 2 change: files.create is measured on the first M documents
only (in a store of their own), and the store that is searched is written directly in 0.5.0's
on-disk format (blobs, files/index.json and vector_stores/index.json, records shaped exactly as
`files.create` and `vector_stores.create` make them, written with the package's own atomic
JSON writer), then read back through `client.vector_stores.retrieve`. 0.5.0 rewrites its whole
JSON index on every `files.create` and re-reads it once per file in `vector_stores.create` and
in every search, so building a 10,000-file store through the API takes hours; the searches are
the same either way.

The local stand-ins are used because the base URL has the Codex profile's path; they never
touch the network. The shared runner options are optional here (a loopback placeholder is used
when --base-url is absent).

Prints one JSON line on stdout: workload "compat", impl "python-oauth-codex-0.5.0", wall_s and
cpu_s of the search section, items (queries searched), max_rss_kb, plus p50_ms, p99_ms,
mean_ms, max_ms, files, corpus_bytes, create_files (documents created through files.create),
create_wall_s, create_cpu_s, files_per_s, index_wall_s (vector_stores.create, or the direct
write with --preload), preloaded (0 or 1), results (search results returned in total).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from bench_common import Section, emit, fail, log, make_client, parser, percentile, workdir

PLACEHOLDER_BASE_URL = "http://127.0.0.1:9/backend-api/codex"


def read_corpus(corpus: Path, files: int | None, queries: int | None) -> tuple[list[Path], list[str]]:
    """The first `files` documents (by name) and the first `queries` queries of a corpus."""
    docs = sorted(p for p in (corpus / "docs").glob("*.txt"))
    if not docs:
        fail(f"{corpus / 'docs'} holds no documents; run `compat-bench gen-corpus {corpus}` first")
    if files is not None:
        if files > len(docs):
            fail(f"the corpus holds {len(docs)} documents, fewer than --files {files}")
        docs = docs[:files]
    lines = [line for line in (corpus / "queries.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    if queries is not None:
        if queries > len(lines):
            fail(f"the corpus has {len(lines)} queries, fewer than --queries {queries}")
        lines = lines[:queries]
    return docs, lines


def preload(client, docs: list[Path]) -> str:
    """Writes a store of every document in 0.5.0's own on-disk format; returns the store id."""
    store = client._compat_store
    store.files_blobs_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for path in docs:
        content = path.read_bytes()
        file_id = f"file_{uuid.uuid4().hex}"
        (store.files_blobs_dir / f"{file_id}.bin").write_bytes(content)
        records.append(
            {
                "id": file_id,
                "object": "file",
                "bytes": len(content),
                "created_at": int(time.time()),
                "filename": path.name,
                "purpose": "assistants",
            }
        )
    store._atomic_write_json(store.files_index_path, {"object": "list", "data": records})
    vector_id = f"vs_{uuid.uuid4().hex}"
    store._atomic_write_json(
        store.vector_stores_index_path,
        {
            "object": "list",
            "data": [
                {
                    "id": vector_id,
                    "object": "vector_store",
                    "created_at": int(time.time()),
                    "name": "bench",
                    "metadata": {},
                    "file_ids": [r["id"] for r in records],
                    "status": "completed",
                    "usage_bytes": sum(r["bytes"] for r in records),
                    "file_counts": store._file_counts(len(records)),
                }
            ],
        },
    )
    return vector_id


def main() -> None:
    p = parser(__doc__.splitlines()[0], default_n=0, required=False)
    p.add_argument("--corpus", required=True, type=Path)
    p.add_argument("--files", type=int, default=None)
    p.add_argument("--queries", type=int, default=None)
    p.add_argument("--max-results", type=int, default=10)
    p.add_argument("--preload", type=int, default=None, metavar="M")
    args = p.parse_args()
    args.base_url = args.base_url or PLACEHOLDER_BASE_URL
    args.access_token = args.access_token or "unused"
    args.refresh_token = args.refresh_token or "unused"
    args.account_id = args.account_id or "unused"
    queries_wanted = args.queries if args.queries is not None else (args.n or None)
    docs, queries = read_corpus(args.corpus, args.files, queries_wanted)
    if not queries:
        fail("no queries")
    corpus_bytes = sum(p.stat().st_size for p in docs)

    with workdir() as scratch:
        client = make_client(args, Path(scratch) / "create")
        create_docs = docs if args.preload is None else docs[: args.preload]

        ids: list[str] = []
        with Section() as create:
            for path in create_docs:
                ids.append(client.files.create(file=str(path), purpose="assistants")["id"])
        log(f"files.create: {len(ids)} files in {create.wall_s:.2f} s")

        started = time.perf_counter()
        if args.preload is None:
            store = client.vector_stores.create(name="bench", file_ids=ids)
        else:
            client = make_client(args, Path(scratch) / "search")
            store = client.vector_stores.retrieve(preload(client, docs))
        index_wall = time.perf_counter() - started
        if store["file_counts"]["completed"] != len(docs):
            fail(f"only {store['file_counts']['completed']} of {len(docs)} files are in the store")
        log(f"vector store of {len(docs)} files ready in {index_wall:.2f} s")

        client.vector_stores.search(store["id"], query=queries[0], max_num_results=args.max_results)  # warm-up

        samples: list[float] = []
        results = 0
        with Section() as search:
            for query in queries:
                t0 = time.perf_counter()
                page = client.vector_stores.search(store["id"], query=query, max_num_results=args.max_results)
                samples.append((time.perf_counter() - t0) * 1e3)
                if not page["data"]:
                    fail(f"the query {query!r} found nothing: the measurement would be void")
                results += len(page["data"])
        mean = sum(samples) / len(samples)
        samples.sort()
        log(f"search: {len(samples)} queries, p50 {percentile(samples, 50):.1f} ms, p99 {percentile(samples, 99):.1f} ms")
        emit(
            "compat",
            search,
            len(samples),
            p50_ms=percentile(samples, 50),
            p99_ms=percentile(samples, 99),
            mean_ms=mean,
            max_ms=samples[-1],
            files=len(docs),
            corpus_bytes=corpus_bytes,
            create_files=len(ids),
            create_wall_s=create.wall_s,
            create_cpu_s=create.cpu_s,
            files_per_s=len(ids) / create.wall_s,
            index_wall_s=index_wall,
            preloaded=int(args.preload is not None),
            results=results,
        )


if __name__ == "__main__":
    main()
