"""Observe the files of one directory: path, mode and content hash. Observer only: it opens files
for reading and never creates, changes or removes anything.

A regular file is ``kind: file``, ``name: <path relative to the directory>``, ``spec: {mode: "0644",
sha256: ...}``; a symbolic link (never followed) is ``kind: symlink`` with ``spec: {target}``; a FIFO,
socket or device is ``kind: special`` with ``spec: {type}`` and is never opened. The owner comes
from an extended attribute (``user.recon.owner`` by default) where the filesystem has one. A missing
directory is an error; a file or folder that cannot be read during the walk makes the observation
incomplete, naming it, rather than leaving it out quietly.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import stat
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field

from recon.core.model import Observation, Resource
from recon.core.normalize import Normalizer
from recon.providers.base import ProviderError
from recon.providers.names import PlainText, XattrName
from recon.providers.settings import ProviderSettings, parse_settings

_CHUNK = 1 << 20


class FilesSettings(ProviderSettings):
    path: PlainText = Field(min_length=1, description="the directory, relative to the loop config")
    recursive: bool = True
    include: tuple[PlainText, ...] = Field(("*",), description="glob patterns on the relative path; any may match")
    exclude: tuple[PlainText, ...] = Field((), description="glob patterns on the relative path to leave out")
    owner_xattr: XattrName | None = Field("user.recon.owner", description="extended attribute holding the owner")


def _special(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "char-device"),
                       (stat.S_ISBLK, "block-device")):
        if test(mode):
            return name
    return "other"


class FilesObserver:
    """Lists the files under one directory."""

    normalizer = Normalizer(unordered=frozenset(), hooks={"file": lambda s: {**s, "mode": _mode_text(s.get("mode"))}})

    def __init__(self, settings: FilesSettings, root: Path) -> None:
        self.settings, self.root = settings, root
        self.name = f"files:{root}"

    @classmethod
    def from_config(cls, settings: Mapping[str, Any], base_dir: Path) -> FilesObserver:
        s = parse_settings(FilesSettings, settings, "files")
        p = Path(s.path).expanduser()
        return cls(s, p if p.is_absolute() else (base_dir / p))

    def _wanted(self, rel: str) -> bool:
        s = self.settings
        return any(fnmatch.fnmatch(rel, p) for p in s.include) and not any(fnmatch.fnmatch(rel, p) for p in s.exclude)

    def _owner(self, path: str) -> str | None:
        attr = self.settings.owner_xattr
        if not attr or not hasattr(os, "getxattr"):
            return None
        try:
            return os.getxattr(path, attr, follow_symlinks=False).decode("utf-8", "replace") or None
        except OSError:
            return None

    def _entry(self, path: str, rel: str) -> Resource:
        st = os.lstat(path)
        owner = self._owner(path)
        if stat.S_ISLNK(st.st_mode):
            return Resource("symlink", rel, {"target": os.readlink(path)}, owner)
        if not stat.S_ISREG(st.st_mode):
            return Resource("special", rel, {"type": _special(st.st_mode)}, owner)
        h = hashlib.sha256()
        # Opened without following links or blocking, then checked again: a file swapped for a FIFO
        # or a link between lstat and open must not hang the observer or read another file.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                return Resource("special", rel, {"type": _special(st.st_mode)}, owner)
            while chunk := f.read(_CHUNK):
                h.update(chunk)
        return Resource("file", rel, {"mode": f"{stat.S_IMODE(st.st_mode):04o}", "sha256": h.hexdigest()}, owner)

    def observe(self) -> Observation:
        if not self.root.is_dir():
            raise ProviderError(f"{self.name}: no such directory")
        problems: list[str] = []

        def walk_error(e: OSError) -> None:
            problems.append(f"{e.filename}: {e.strerror}")

        out = []
        for dirpath, dirnames, filenames in os.walk(self.root, onerror=walk_error):
            dirnames.sort()
            if not self.settings.recursive:
                dirnames.clear()
            for n in sorted(filenames) + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                path = os.path.join(dirpath, n)
                rel = os.path.relpath(path, self.root).replace(os.sep, "/")
                if not self._wanted(rel):
                    continue
                if not _is_utf8(rel):
                    # Such a name cannot be shown, written to an inventory or matched by a desired one:
                    # the observation is incomplete (no deletes) rather than quietly missing a file.
                    problems.append(f"{_shown(rel)}: the file name is not valid UTF-8")
                    continue
                try:
                    out.append(self._entry(path, rel))
                except OSError as e:
                    problems.append(f"{rel}: {e.strerror}")
        reason = None
        if problems:
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            reason = f"{self.name}: cannot read {'; '.join(problems[:3])}{more}"
        return Observation.of(out, complete=not problems, reason=reason, source=self.name, observed_at=time.time())


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.walk hands undecodable bytes over as lone surrogates
        return False
    return True


def _shown(name: str) -> str:
    """An undecodable name as text, each bad byte written ``\\xff``."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


_OCTAL_MODE = re.compile(r"[0-7]{3,4}")


class BadMode(ProviderError):
    """A file mode that is not 3 or 4 ASCII octal digits (or an integer from 0 to 0o7777)."""


def _mode_text(mode: Any) -> Any:
    """Accept ``0o644``, ``420`` or ``"644"`` in a desired spec and compare as ``"0644"``; anything else
    that claims to be a mode (``"0999"``, ``"٦٤٤"``) is refused rather than guessed."""
    if mode is None:
        return mode
    if isinstance(mode, int) and not isinstance(mode, bool) and 0 <= mode <= 0o7777:
        return f"{mode:04o}"
    # Not str.isdigit(): it and int() accept other scripts' digits, so "٦٤٤" would read as 0644.
    if isinstance(mode, str) and mode.isascii() and _OCTAL_MODE.fullmatch(mode):
        return f"{int(mode, 8):04o}"
    raise BadMode(f"mode {mode!r} is not a file mode: 3 or 4 octal digits 0-7, e.g. \"0644\"")
