"""The files of a tree at a commit: listed and checked, and exported into a private temporary folder.

Sources that read files from disk (Kubernetes manifests, an octoDNS config) read a commit through
:func:`exported`: the tree's blobs are listed with ``git ls-tree`` and read with ``git cat-file``
(never a checkout, never the work tree) into a folder only this process can read, which is removed
afterwards. Every file passes the checks the inventory reader applies in a repository: hidden
entries and documentation are left out, symlinks and submodules are refused, each file is bounded
by the input limit, and a tree of more than :data:`MAX_TREE_FILES` files is refused. Errors name
the file as the repository holds it, never the temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from recon.core.errors import ReconError
from recon.sources.gitrepo import Blob, Git
from recon.sources.listing import ignored
from recon.sources.readfile import ENV_MAX, max_input_bytes

# Files one exported tree may hold: far above a repository of manifests or zone files, far below
# what would fill a temporary folder by accident (a `path` left empty on a monorepo).
MAX_TREE_FILES = 10_000
_BATCH = 256  # blobs read per `git cat-file --batch`, so memory stays near the input limit times this


class TreeError(ReconError):
    """The tree cannot be read as files: a link, a submodule, a file over the limit, too many files."""


def tree_files(git: Git, found: tuple[str, str], path: str) -> tuple[list[Blob], str]:
    """The files *found* (the object at *path*: a tree or a blob) stands for, ignored names left
    out, each checked; and the prefix that turns a file's path into its path in the repository."""
    oid, kind = found
    if kind == "blob":
        # Its size first, so that a blob over the input limit is refused without being read.
        files = [Blob("", "100644", oid, int(git.run("cat-file", "-s", oid)))]
    elif kind == "tree":
        files = [b for b in git.blobs(oid) if not any(ignored(p) for p in PurePosixPath(b.path).parts)]
    else:
        raise TreeError(f"{path or '(top level)'}: is a {kind}, not files")
    prefix = f"{path}/" if path and kind == "tree" else path
    if len(files) > MAX_TREE_FILES:
        raise TreeError(f"{path or '(top level)'}: holds {len(files)} files, over the limit of {MAX_TREE_FILES}; "
                        "point path at the folder the desired state is in")
    for b in files:
        check_blob(b, prefix + b.path)
    return files, prefix


def check_blob(b: Blob, shown: str, size: int | None = None) -> None:
    """Refuse a blob recon must not read: a symlink, a submodule, an odd mode, or *size* (default:
    its listed size) over the input limit. *shown* is its path in the repository."""
    if b.mode == "120000":
        raise TreeError(f"{shown}: is a symlink in the repository; recon reads files, not links")
    if b.mode == "160000":
        raise TreeError(f"{shown}: is a submodule; recon does not read other repositories")
    if b.mode not in ("100644", "100755"):
        raise TreeError(f"{shown}: has git mode {b.mode}, not a regular file")
    size = b.size if size is None else size
    if size > max_input_bytes():
        raise TreeError(f"{shown}: is {size} bytes, over the input limit of {max_input_bytes()} bytes "
                        f"(set ${ENV_MAX} to raise it)")


@contextlib.contextmanager
def exported(git: Git, found: tuple[str, str], path: str) -> Iterator[tuple[Path, Path]]:
    """(folder, target): the files of *found* written below a new private folder, and the file or
    folder in it that *path* names. The folder is removed when the block ends, however it ends."""
    files, prefix = tree_files(git, found, path)
    try:
        root = Path(tempfile.mkdtemp(prefix="recon-git-")).resolve()  # mode 0700: only this user reads it
    except OSError as e:
        raise TreeError(f"{path or '(top level)'}: cannot make a temporary folder to export it into: "
                        f"{e.strerror or e}") from None
    try:
        name = PurePosixPath(path).name if found[1] == "blob" else ""
        for start in range(0, len(files), _BATCH):
            chunk = files[start:start + _BATCH]
            for b, raw in zip(chunk, git.read([b.oid for b in chunk])):
                check_blob(b, prefix + b.path, len(raw))  # a lone blob's size is only known once read
                _write(root, b.path or name, raw, prefix + b.path)
        yield root, root / name if name else root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _write(root: Path, rel: str, raw: bytes, shown: str) -> None:
    parts = PurePosixPath(rel).parts
    # git refuses such trees on checkout; a crafted object could still hold one, and it must not escape.
    if not parts or any(p in ("", ".", "..") for p in parts) or rel.startswith("/"):
        raise TreeError(f"{shown}: is not a path recon can write below a folder")
    dest = root.joinpath(*parts)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
    except OSError as e:  # a full disk, or names that collide (a file and a folder of one name cannot)
        raise TreeError(f"{shown}: cannot export it into a temporary folder: {e.strerror or e}") from None


def shown_in_repo(message: str, root: Path, where: str) -> str:
    """*message* with the temporary folder *root* replaced by *where*, the place it stands for
    (``repo@ref:path``), so an error names the file in the repository."""
    where = where.rstrip("/")
    return message.replace(f"{root}/", f"{where}/" if not where.endswith(":") else where).replace(str(root), where)
