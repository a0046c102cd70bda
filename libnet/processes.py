"""Helper processes that never outlive the libnet command that started them."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal

_PR_SET_PDEATHSIG = 1


def end_with_parent(parent: int) -> None:
    """Have the kernel end this process when `parent` dies, kill -9 included.

    Call it first thing in a forked or spawned helper, with the pid of the process that
    started it. A helper left running would hold what its parent held (the data directory's
    lock among them, which forked processes share) and write on after the parent is gone.
    """
    with contextlib.suppress(OSError, AttributeError):  # Linux only; elsewhere a broken
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # pipe ends it later
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
