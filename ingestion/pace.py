"""How the writer shares a serving process with its searches.

The server runs an ingestion job in a thread of the process that answers searches. CPython runs one thread's
Python code at a time (and qdrant-edge holds the GIL for its whole calls), so a writer that never pauses takes
most of the process from the searches: measured at c=4 under a re-index of the demo corpus, search p50 went from
38 to 119 ms. While searches are arriving (the store served one within `RECENT_S`), the writer pauses after each
step of its work for as long as that step took: it keeps at most half of the process. With no search arriving it
runs at full speed, and outside a server (`serving=False`) it never pauses.
"""

from __future__ import annotations

import time
from typing import Protocol

RECENT_S = 1.0  # a search this recent means more are coming
SHARE = 0.5  # the most of the process a writer keeps while searches arrive


class Searched(Protocol):
    last_read: float  # time.monotonic() of the store's latest search or read (0.0: none yet)


class Pace:
    def __init__(self, store: Searched, serving: bool, share: float = SHARE) -> None:
        self.store, self.serving, self.share = store, serving, share
        self._since = time.monotonic()
        self.paused_s = 0.0  # time given to the searches (for the report and the tests)

    def step(self) -> None:
        """End of one step of work (an edition read, a batch embedded and written): pause if searches are arriving."""
        now = time.monotonic()
        worked = now - self._since
        if self.serving and now - self.store.last_read < RECENT_S:
            pause = worked * (1.0 - self.share) / self.share
            time.sleep(pause)
            self.paused_s += pause
        elif self.serving:
            time.sleep(0)  # still let a waiting thread have the GIL between two steps
        self._since = time.monotonic()
