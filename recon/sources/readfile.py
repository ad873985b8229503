"""Reading an input file (inventory, loop config, scenario) with bounds: never hang, never exhaust memory.

Every input file recon reads goes through :func:`read_input`. It opens the path without blocking
(a FIFO with no writer would otherwise stall ``plan`` and ``watch`` for ever), checks the *opened*
descriptor, so a file swapped between a check and the open cannot slip through, refuses anything
but a regular file, and refuses a file larger than :func:`max_input_bytes` before reading it.
It never parses: callers decode the bytes it returns.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from recon.core.errors import ReconError

ENV_MAX = "RECON_MAX_INPUT_BYTES"
DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_CHUNK = 1024 * 1024


def max_input_bytes() -> int:
    """The largest input file accepted, in bytes: $RECON_MAX_INPUT_BYTES, or 64 MiB."""
    raw = os.environ.get(ENV_MAX, "").strip()
    if not raw:
        return DEFAULT_MAX_INPUT_BYTES
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ReconError(f"${ENV_MAX}={raw!r}: give the largest input file as a positive number of bytes")
    return value


def file_kind(mode: int) -> str:
    """What a stat mode is, in words, for messages about files that are not regular."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISREG, "a regular file")):
        if test(mode):
            return name
    return "not a regular file"


def open_problem(path: Path, e: OSError) -> str:
    """Why *path* cannot be opened, in words: a dangling symlink and a symlink loop say so."""
    if e.errno == errno.ELOOP:
        return "symlink loop (too many levels of symbolic links)"
    if e.errno == errno.ENOENT and path.is_symlink():
        return f"dangling symlink to {os.readlink(path)!r}"
    if e.errno in (errno.ENXIO, errno.EOPNOTSUPP):  # opening a socket file
        try:
            return f"is {file_kind(os.stat(path).st_mode)}, not a regular file"
        except OSError:
            pass
    if e.errno == errno.ENOENT:
        return "no such file or folder"
    return e.strerror or str(e)


def read_input(path: str | os.PathLike[str], what: str, error: type[ReconError] = ReconError) -> bytes:
    """The bytes of the regular file *path*, at most :func:`max_input_bytes` of them.

    Anything else (missing, a FIFO, socket, device or folder, unreadable, too large) raises *error*
    with one line naming the file and what it was meant to be (*what*: "inventory", "loop config")."""
    p = Path(path)
    limit = max_input_bytes()
    try:
        fd = os.open(p, _FLAGS)
    except OSError as e:
        raise error(f"{p}: cannot read {what}: {open_problem(p, e)}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise error(f"{p}: cannot read {what}: is {file_kind(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise error(_too_large(p, what, st.st_size, limit))
        chunks, total = [], 0
        # Read to the end rather than st_size bytes: the file may grow (or shrink) while we read.
        while chunk := os.read(fd, _CHUNK):
            total += len(chunk)
            if total > limit:
                raise error(_too_large(p, what, total, limit, growing=True))
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as e:
        raise error(f"{p}: cannot read {what}: {e.strerror or e}") from None
    finally:
        os.close(fd)


def read_text_input(path: str | os.PathLike[str], what: str,
                    error: type[ReconError] = ReconError) -> tuple[str, bytes]:
    """:func:`read_input`, decoded as UTF-8: (text, bytes). Bytes that are not UTF-8 raise *error*."""
    raw = read_input(path, what, error)
    try:
        return raw.decode("utf-8"), raw
    except UnicodeDecodeError as e:
        raise error(f"{path}: cannot read {what}: not UTF-8 text (byte {e.start})") from None


def _too_large(p: Path, what: str, size: int, limit: int, growing: bool = False) -> str:
    size_text = f"more than {limit} bytes (it grew while being read)" if growing else f"{size} bytes"
    return (f"{p}: {what} is {size_text}, over the input limit of {limit} bytes "
            f"(set ${ENV_MAX} to raise it)")
