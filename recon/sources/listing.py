"""Which files an inventory path stands for: the file itself, or every inventory file under a folder.

Nothing in a folder is skipped silently, because a skipped file's resources would be planned as
deletes. Hidden entries (".name": an atomic writer's temporary file, .git) and documentation
(:data:`IGNORED_SUFFIXES`) are ignored by rule; every other entry must be a folder or a regular
file with an inventory suffix in lower case, or it is an error naming it. This module lists; it
never reads a file's content (:mod:`recon.sources.readfile` does).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePath

from recon.core.errors import ReconError
from recon.sources.readfile import file_kind, open_problem

# Documentation beside the inventory files of a folder; never read (any letter case).
IGNORED_SUFFIXES = (".md", ".txt", ".rst")


def inventory_files(path: Path, suffixes: tuple[str, ...], error: type[ReconError],
                    what: str = "inventory") -> list[Path]:
    """The inventory files of *path*, sorted; problems raise *error* naming the entry at fault and
    what the path was meant to be (*what*: "inventory", "Kubernetes manifests")."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise error(f"{path}: cannot read {what}: {open_problem(path, e)}") from None
    if not stat.S_ISDIR(st.st_mode):
        return [path]  # read_input refuses it unless it is a regular file
    files: list[Path] = []
    _walk(path, suffixes, error, files, {(st.st_dev, st.st_ino): path})
    if not files:
        raise error(f"{path}: folder holds no inventory files ({', '.join(suffixes)})")
    return sorted(files)


def _walk(folder: Path, suffixes: tuple[str, ...], error: type[ReconError], files: list[Path],
          ancestors: dict[tuple[int, int], Path]) -> None:
    try:
        names = sorted(os.listdir(folder))
    except OSError as e:
        raise error(f"{folder}: cannot list inventory folder: {e.strerror}") from None
    for n in names:
        p = folder / n
        if ignored(n):
            continue
        try:
            st = os.stat(p)  # through symlinks: a link to an inventory file is one
        except OSError as e:
            raise error(f"{p}: cannot read inventory: {open_problem(p, e)}") from None
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in ancestors:  # a symlink to a folder above: walking on would never end
                raise error(f"{p}: symlink loop: this folder leads back to {ancestors[key]}")
            _walk(p, suffixes, error, files, {**ancestors, key: p})
        elif p.suffix not in suffixes:
            raise error(not_inventory(p, suffixes))
        elif not stat.S_ISREG(st.st_mode):
            raise error(f"{p}: cannot read inventory: is {file_kind(st.st_mode)}, not a regular file")
        else:
            files.append(p)


def ignored(name: str) -> bool:
    """Whether a folder entry called *name* is left out by rule: hidden, or documentation."""
    return name.startswith(".") or PurePath(name).suffix.lower() in IGNORED_SUFFIXES


def not_inventory(p: PurePath, suffixes: tuple[str, ...]) -> str:
    if p.suffix.lower() in suffixes:
        return f"{p}: inventory suffixes are lower case; rename it to {p.stem}{p.suffix.lower()}"
    ignored = ", ".join("*" + x for x in IGNORED_SUFFIXES)
    return (f"{p}: not an inventory file ({', '.join(suffixes)}) in an inventory folder; move it out or "
            f"hide it (.{p.name}); hidden files and {ignored} are ignored")
