"""The one digest of an inventory's files: the desired state's version, and FileSource's change test.

The version is the sha256 of the files' bytes in listing order (for one file, what ``sha256sum``
prints), cut to 12 hex digits. Bytes alone do not say where one file ends, so the digest also
keeps each file's name and size: two equal digests mean the same bytes in the same files, hence
the same desired state. This module hashes bytes it is given; it never reads or parses a file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class FilesDigest:
    """What identifies an inventory's content: *sha256* of its bytes and its files' *sizes* (name, bytes)."""

    sha256: str
    sizes: tuple[tuple[str, int], ...]

    @property
    def version(self) -> str:
        """The short form a desired state carries and plan output shows."""
        return self.sha256[:12]


def digest_files(files: Iterable[tuple[Path, bytes]]) -> FilesDigest:
    """The digest of *files*, given as (path, bytes) in listing order."""
    h = hashlib.sha256()
    sizes = []
    for path, raw in files:
        h.update(raw)
        sizes.append((str(path), len(raw)))
    return FilesDigest(h.hexdigest(), tuple(sizes))
