"""Debounce widget callbacks: a burst of slider moves runs the expensive function once, at the end.

Inside a kernel (JupyterLab, Voilà) the call is scheduled on the kernel's running asyncio loop, so
nothing runs in another thread. With no running loop (plain Python, tests) a call runs at once;
``flush`` runs a pending call now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Debouncer:
    """Call *fn* once, *delay* seconds after the last of a burst of triggers."""

    def __init__(self, fn: Callable[[], None], delay: float = 0.4) -> None:
        self.fn = fn
        self.delay = delay
        self._handle: asyncio.TimerHandle | None = None

    @property
    def pending(self) -> bool:
        return self._handle is not None

    def __call__(self) -> None:
        self.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or self.delay <= 0:
            self.fn()
            return
        self._handle = loop.call_later(self.delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        self.fn()

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def flush(self) -> None:
        """Run a pending call now."""
        if self._handle is not None:
            self.cancel()
            self.fn()
