"""How adapters wait between tries."""

import random


def jittered_backoff(attempt: int, base: float = 0.5, cap: float = 8.0) -> float:
    """Full jitter: a random wait up to base, 2 x base, 4 x base ... (at most cap) seconds."""
    return random.uniform(0, min(cap, base * 2**attempt))  # noqa: S311 - jitter, not security
