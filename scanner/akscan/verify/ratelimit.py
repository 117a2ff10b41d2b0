"""A token bucket shared by the verification threads: at most ``rate`` requests a second overall."""

from __future__ import annotations

import threading

from akscan.verify.clock import Clock, SystemClock


class RateLimiter:
    def __init__(self, rate: float, clock: Clock | None = None) -> None:
        self.rate = rate
        self.clock: Clock = clock or SystemClock()
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.updated = self.clock.monotonic()
        self.lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for a token; returns the clock's time at which it was granted."""
        if self.rate <= 0:
            return self.clock.monotonic()
        with self.lock:  # held while waiting, so waiters are served in turn
            now = self.clock.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens < 1:
                self.clock.sleep((1 - self.tokens) / self.rate)
                self.updated = self.clock.monotonic()
                self.tokens = 1
            self.tokens -= 1
            return self.updated
