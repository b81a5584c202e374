"""A time limit on a block of code: an exception raised once time is up.

Python runs signal handlers on the main thread only, so the limit is a
``SIGALRM`` there; a block on another thread (a Dask worker's) runs without
one, and `time_limit` says so by what it yields.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["time_limit"]


@contextlib.contextmanager
def time_limit(
    seconds: float, exception: type[BaseException] | BaseException
) -> Iterator[bool]:
    """Raise `exception` inside the block once `seconds` have passed.

    Yields
    ------
    bool
        True when the limit holds; False off the main thread, where the
        block runs as long as it takes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield False
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise exception

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
