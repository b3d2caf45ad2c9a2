"""In-memory token buckets: one per device and one per client address.

Each bucket holds up to `burst` requests and refills at `rate` per second. The buckets live in the
hub process, so several uvicorn processes each keep their own (a provider behind a load balancer
limits at the balancer too). The refusal of a key is reported for audit at most once a minute, so
a flood cannot turn into a flood of audit rows."""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    rate: float    # requests per second, sustained
    burst: float   # requests at once

    @classmethod
    def per_second(cls, rate: float) -> Limit:
        return cls(rate, max(10.0, rate * 10))


REPORT_EVERY_S = 60.0
MAX_KEYS = 100_000  # past this, buckets that are full again are forgotten


class RateLimiter:
    def __init__(self, limit: Limit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)
        self._reported: dict[str, float] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 if the request may go ahead (and it is counted), else the seconds to wait."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(key, (self.limit.burst, now))
            tokens = min(self.limit.burst, tokens + (now - then) * self.limit.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > MAX_KEYS:
                    self._forget_full(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.limit.rate

    def should_report(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            if now - self._reported.get(key, -math.inf) < REPORT_EVERY_S:
                return False
            self._reported[key] = now
            if len(self._reported) > MAX_KEYS:
                self._reported = {k: t for k, t in self._reported.items() if now - t < REPORT_EVERY_S}
            return True

    def _forget_full(self, now: float) -> None:
        full = [k for k, (tokens, then) in self._buckets.items()
                if tokens + (now - then) * self.limit.rate >= self.limit.burst]
        for k in full:
            del self._buckets[k]
