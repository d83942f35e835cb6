"""Optimising an embedded shard without stopping the searches of the process that holds it.

qdrant-edge's Python binding holds the GIL for the whole of every call: `optimize()` (HNSW construction, vacuum)
stops every other thread of the process for as long as it runs (31 s for 30k points under load, measured), so a
server that re-indexes in its own process answers no search meanwhile. Here the optimisation runs aside instead:

1. the shard is flushed and copied to `shard.next/` (file copies release the GIL);
2. a child process (niced: search keeps the priority) loads the copy, optimises it, flushes and closes it;
3. the swap: `shard/` → `shard.old/`, `shard.next/` → `shard/`, which is then loaded; the caller replaces its
   handle and closes the old one, then `shard.old/` is removed.

The caller holds its write lock throughout, so nothing is written between the copy and the swap. A crash at any
step leaves a complete shard behind: `recover()` (run before every open) finishes or undoes an interrupted swap.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

NEXT, OLD = "shard.next", "shard.old"
# the child needs the engine only (not this package, which it might find elsewhere or not at all)
CHILD = (
    "import os, sys, qdrant_edge as qe; os.nice(int(sys.argv[2])); "
    "s = qe.EdgeShard.load(sys.argv[1]); s.optimize(); s.flush(); s.close()"
)


def recover(shard_dir: Path) -> None:
    """Finish or undo an interrupted swap: a missing `shard/` is taken from `shard.next/` (complete once the child
    has exited) or `shard.old/`; leftovers are removed."""
    nxt, old = shard_dir.with_name(NEXT), shard_dir.with_name(OLD)
    if not shard_dir.exists():
        for candidate in (nxt, old):
            if (candidate / "edge_config.json").exists():
                candidate.rename(shard_dir)
                break
    for leftover in (nxt, old):
        shutil.rmtree(leftover, ignore_errors=True)


def optimize_copy(shard_dir: Path, nice: int = 10) -> Path:
    """Copy the (flushed) shard to `shard.next/` and optimise the copy in a child process; returns its folder."""
    nxt = shard_dir.with_name(NEXT)
    shutil.rmtree(nxt, ignore_errors=True)
    shutil.copytree(shard_dir, nxt, ignore=shutil.ignore_patterns("*.lock"))
    cmd = [sys.executable, "-c", CHILD, str(nxt), str(nice)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(nxt, ignore_errors=True)
        raise RuntimeError(f"optimising a copy of {shard_dir} failed ({done.returncode}): {done.stderr[-2000:]}")
    return nxt


def swap_in(shard_dir: Path) -> None:
    """`shard/` → `shard.old/`, `shard.next/` → `shard/` (the caller loads `shard/` next and removes the old)."""
    old = shard_dir.with_name(OLD)
    shutil.rmtree(old, ignore_errors=True)
    shard_dir.rename(old)
    shard_dir.with_name(NEXT).rename(shard_dir)


def remove_old(shard_dir: Path) -> None:
    shutil.rmtree(shard_dir.with_name(OLD), ignore_errors=True)
