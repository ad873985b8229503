"""Desired state from inventory files at a ref of a git repository, and the repository's change history.

``desired: {type: git, repo: PATH_OR_URL, ref: REF, path: SUBDIR}`` reads the files git holds at
the ref, without a work tree; the resolved commit is the state's version. A local repository is
read in place; a remote one is fetched into a bare cache under ``.recon/git/`` on every load, and
a fetch that fails is an error, never the cache's older state. Failures (no such ref, no such
path, an unreadable or malformed file) raise :class:`GitSourceError` naming repository and ref.
:func:`desired_history` lists what each commit changed. Nothing here writes to the repository.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from recon.core.errors import ReconError
from recon.core.model import DesiredState, Key, Resource
from recon.sources.gitrepo import Blob, Git, GitError, check_ref, check_repo, check_repo_path, fetch, is_remote, \
    remote_cache
from recon.sources.inventory import SUFFIXES, InventoryError, parse_inventory_files
from recon.sources.listing import ignored, not_inventory
from recon.sources.readfile import max_input_bytes

__all__ = ["CommitChanges", "GitDesired", "GitSource", "GitSourceError", "build_git_source", "change_counts",
           "desired_history"]


class GitSourceError(ReconError):
    """The desired state could not be read from the repository; the message names repository and ref."""


class GitDesired(BaseModel):
    """Inventory files at a ref of a git repository."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["git"]
    repo: Annotated[str, AfterValidator(check_repo)] = Field(
        description="repository: a local path (relative to the loop config) or a URL (https://, ssh://, "
                    "git://, file://, host:path) fetched into .recon/git/; no credentials in it")
    ref: Annotated[str, AfterValidator(check_ref)] = Field(
        "HEAD", description="branch, tag or commit whose files are the desired state")
    path: Annotated[str, AfterValidator(check_repo_path)] = Field(
        "", description="inventory file or folder inside the repository; empty: the whole tree")
    timeout: float = Field(60.0, gt=0, le=3600, description="seconds each git command may take")


class GitSource:
    """Reads the inventory at the ref on every load; the same commit is not parsed twice."""

    def __init__(self, cfg: GitDesired, base: Path) -> None:
        self.cfg = cfg
        self.remote = is_remote(cfg.repo)
        self.folder = remote_cache(base, cfg.repo) if self.remote else base / cfg.repo
        self.name = f"git {cfg.repo}@{cfg.ref}" + (f":{cfg.path}" if cfg.path else "")
        self._last: tuple[str, DesiredState] | None = None

    def repository(self) -> Git:
        """The repository to read, a remote one fetched first."""
        if self.remote:
            return fetch(self.folder, self.cfg.repo, self.cfg.timeout, self.name)
        return Git(self.folder, self.cfg.timeout, self.name)

    def commit(self, git: Git) -> str:
        # A remote's HEAD is its default branch, fetched to refs/recon/HEAD (the cache's own HEAD is empty).
        return git.resolve("refs/recon/HEAD" if self.remote and self.cfg.ref == "HEAD" else self.cfg.ref)

    def load(self) -> DesiredState:
        try:
            git = self.repository()
            commit = self.commit(git)
            if self._last is not None and self._last[0] == commit:
                return replace(self._last[1], loaded_at=time.time())
            resources = read_at(git, commit, self.cfg.path)
        except (GitError, InventoryError) as e:
            raise GitSourceError(_named(str(e), self.name)) from None
        if resources is None:
            raise GitSourceError(f"{self.name}: path {self.cfg.path!r} does not exist at commit {commit[:12]}")
        state = DesiredState.of(resources, source=f"{self.name} (commit {commit[:12]})", version=commit,
                                loaded_at=time.time())
        self._last = (commit, state)
        return state


def _named(message: str, name: str) -> str:
    return message if message.startswith(name) else f"{name}: {message}"


def build_git_source(cfg: GitDesired, base: Path) -> GitSource:
    return GitSource(cfg, base)


def read_at(git: Git, rev: str, path: str) -> list[Resource] | None:
    """The resources of the inventory at *path* in commit *rev*, or None when the path does not exist there."""
    found = git.objects([f"{rev}:{path}"])[0]
    return None if found is None else _read_object(git, found, path)


def _read_object(git: Git, found: tuple[str, str], path: str) -> list[Resource]:
    oid, kind = found
    if kind == "blob":
        # Its size first, so that a blob over the input limit is refused without being read.
        files = [Blob("", "100644", oid, int(git.run("cat-file", "-s", oid)))]
    elif kind == "tree":
        files = [b for b in git.blobs(oid) if not any(ignored(p) for p in PurePosixPath(b.path).parts)]
    else:
        raise InventoryError(f"{path or '(top level)'}: is a {kind}, not inventory files")
    prefix = f"{path}/" if path and kind == "tree" else path
    for b in files:
        shown = PurePosixPath(prefix + b.path)
        if b.mode == "120000":
            raise InventoryError(f"{shown}: is a symlink in the repository; recon reads files, not links")
        if b.mode == "160000":
            raise InventoryError(f"{shown}: is a submodule; recon does not read other repositories")
        if kind == "tree" and shown.suffix not in SUFFIXES:
            raise InventoryError(not_inventory(shown, SUFFIXES))
        if b.size > max_input_bytes():
            raise InventoryError(f"{shown}: inventory is {b.size} bytes, over the input limit of "
                                 f"{max_input_bytes()} bytes (set $RECON_MAX_INPUT_BYTES to raise it)")
    if not files:
        raise InventoryError(f"{path or '(top level)'}: folder holds no inventory files ({', '.join(SUFFIXES)})")
    texts = []
    for b, raw in zip(files, git.read([b.oid for b in files])):
        shown = prefix + b.path
        if len(raw) > max_input_bytes():  # the object grew between the size check and the read
            raise InventoryError(f"{shown}: inventory is {len(raw)} bytes, over the input limit of "
                                 f"{max_input_bytes()} bytes (set $RECON_MAX_INPUT_BYTES to raise it)")
        try:
            texts.append((shown, raw.decode("utf-8")))
        except UnicodeDecodeError as e:
            raise InventoryError(f"{shown}: cannot read inventory: not UTF-8 text (byte {e.start})") from None
    return parse_inventory_files(texts)


@dataclass(frozen=True, slots=True)
class CommitChanges:
    """What one commit changed in the desired state against its first parent.

    *creates*, *updates* and *deletes* count resources; *resources* is the state's size after the
    commit. When either side does not load, the counts are None and *error* says why."""

    commit: str
    parent: str | None
    time: float
    subject: str
    creates: int | None
    updates: int | None
    deletes: int | None
    resources: int | None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def change_counts(old: Mapping[Key, Resource], new: Mapping[Key, Resource]) -> tuple[int, int, int]:
    """(creates, updates, deletes) that take desired state *old* to *new*: keys added, keys whose
    spec or owner changed, keys removed. Pure."""
    return (sum(k not in old for k in new), sum(k in old and old[k] != r for k, r in new.items()),
            sum(k not in new for k in old))


def desired_history(source: GitSource, max_commits: int = 50,
                    progress: Callable[[int, int], None] | None = None) -> list[CommitChanges]:
    """The changes each of the last *max_commits* commits that touched the source's path made to its
    desired state (newest first, along first parents from the source's ref): the legitimate change
    sizes a calibration starts from. Raises GitSourceError when the repository or ref cannot be read;
    a commit whose files do not load is listed with its error. *progress(done, total)* is called per commit.
    """
    try:
        git = source.repository()
        head = source.commit(git)
        # --no-show-signature: the repository's log.showSignature would run its gpg.program on signed commits.
        log = git.run("log", "--no-show-signature", "--first-parent", "-z", f"--max-count={max_commits}",
                      "--format=%H%x1f%ct%x1f%s", head, "--", *([source.cfg.path] if source.cfg.path else []))
    except GitError as e:
        raise GitSourceError(_named(str(e), source.name)) from None
    commits = [rec.decode("utf-8", "replace").split("\x1f", 2) for rec in log.split(b"\0") if rec.strip()]
    path = source.cfg.path
    try:
        here = git.objects([f"{c}:{path}" for c, _, _ in commits])
        parents = git.objects([f"{c}^1^{{commit}}" for c, _, _ in commits])
        before = git.objects([f"{c}^1:{path}" for c, _, _ in commits])
    except GitError as e:
        raise GitSourceError(_named(str(e), source.name)) from None
    states: dict[str | None, dict[Key, Resource] | str] = {None: {}}  # by object id; None: no files (all creates)

    def state(found: tuple[str, str] | None) -> dict[Key, Resource] | str:
        oid = found[0] if found else None
        if oid not in states:
            try:
                states[oid] = {r.key: r for r in _read_object(git, found, path)}  # type: ignore[arg-type]
            except (GitError, InventoryError) as e:
                states[oid] = str(e)
        return states[oid]

    out = []
    for i, ((commit, ts, subject), now, parent, then) in enumerate(zip(commits, here, parents, before)):
        # The path gone at this commit is the source's own error ("does not exist"), never "all deleted".
        new = state(now) if now is not None else f"path {path!r} does not exist at commit {commit[:12]}"
        old = state(then)
        if isinstance(new, str) or isinstance(old, str):
            err = new if isinstance(new, str) else f"parent: {old}"
            out.append(CommitChanges(commit, parent[0] if parent else None, float(ts), subject, None, None, None,
                                     None, err))
        else:
            out.append(CommitChanges(commit, parent[0] if parent else None, float(ts), subject,
                                     *change_counts(old, new), len(new)))
        if progress is not None:
            progress(i + 1, len(commits))
    return out
