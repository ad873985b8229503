"""Desired state from the files at a ref of a git repository, and the repository's change history.

``desired: {type: git, repo: PATH_OR_URL, ref: REF, path: SUBDIR, format: FORMAT}`` reads the files
git holds at the ref, without a work tree, as inventory files (the default), Kubernetes manifests
or an octoDNS config; the resolved commit is the state's version. Inventory files are parsed from
git's answer; the other formats' readers read from disk, so the tree is exported for them into a
private temporary folder (:mod:`recon.sources.gittree`) removed after the read. A local repository is
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

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from recon.core.errors import ReconError
from recon.core.model import DesiredState, Key, Resource
from recon.sources import kubernetes, octodns
from recon.sources.gitrepo import Git, GitError, check_ref, check_repo, check_repo_path, fetch, is_remote, remote_cache
from recon.sources.gittree import TreeError, check_blob, exported, shown_in_repo, tree_files
from recon.sources.inventory import SUFFIXES, InventoryError, parse_inventory_files
from recon.sources.listing import not_inventory

__all__ = ["CommitChanges", "GitDesired", "GitSource", "GitSourceError", "build_git_source", "change_counts",
           "desired_history"]


class GitSourceError(ReconError):
    """The desired state could not be read from the repository; the message names repository and ref."""


# The settings of one format only, and that format.
_FORMAT_OF = {"namespace": "kubernetes", "cluster_scoped": "kubernetes", "config": "octodns", "zone": "octodns"}


class GitDesired(BaseModel):
    """Inventory files, Kubernetes manifests or an octoDNS config at a ref of a git repository."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["git"]
    repo: Annotated[str, AfterValidator(check_repo)] = Field(
        description="repository: a local path (relative to the loop config) or a URL (https://, ssh://, "
                    "git://, file://, host:path) fetched into .recon/git/; no credentials in it")
    ref: Annotated[str, AfterValidator(check_ref)] = Field(
        "HEAD", description="branch, tag or commit whose files are the desired state")
    path: Annotated[str, AfterValidator(check_repo_path)] = Field(
        "", description="file or folder inside the repository; empty: the whole tree")
    timeout: float = Field(60.0, gt=0, le=3600, description="seconds each git command may take")
    format: Literal["inventory", "kubernetes", "octodns"] = Field(
        "inventory", description="what the files at path are: recon inventory files, Kubernetes manifests "
                                 "(as desired: {type: kubernetes} reads them) or an octoDNS config and its zone files")
    namespace: kubernetes.Namespace = Field("default", description="format kubernetes: namespace of manifests "
                                                                   "that name none")
    cluster_scoped: tuple[str, ...] = Field((), description="format kubernetes: further cluster-scoped kinds as "
                                                            "Kind.group, besides the built-in ones")
    config: Annotated[str, AfterValidator(check_repo_path)] = Field(
        "", description="format octodns: the octoDNS config file, relative to path; octoDNS's own relative "
                        "paths (a YAML provider's directory) start from path, as octodns-sync run there")
    zone: str = Field("", pattern=r"^([A-Za-z0-9_.*-]+)?$", description="format octodns: the zone as the "
                                                                         "octoDNS config names it")

    @model_validator(mode="after")
    def _settings_of_the_format(self) -> GitDesired:
        for field, fmt in _FORMAT_OF.items():
            if field in self.model_fields_set and self.format != fmt:
                raise ValueError(f"{field} is a setting of format {fmt}; this source's format is {self.format}")
        if self.format == "octodns" and not (self.config and self.zone):
            raise ValueError("format octodns needs config (the octoDNS config file, relative to path) and zone")
        return self


class GitSource:
    """Reads the inventory at the ref on every load; the same commit is not parsed twice."""

    def __init__(self, cfg: GitDesired, base: Path) -> None:
        self.cfg = cfg
        self.remote = is_remote(cfg.repo)
        self.folder = remote_cache(base, cfg.repo) if self.remote else base / cfg.repo
        self.label = f"{cfg.repo}@{cfg.ref}"
        self.name = f"git {self.label}" + (f":{cfg.path}" if cfg.path else "")
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
            found = git.objects([f"{commit}:{self.cfg.path}"])[0]
            if found is None:
                raise GitSourceError(f"{self.name}: path {self.cfg.path!r} does not exist at commit {commit[:12]}")
            resources = read_tree(git, found, self.cfg, self.label)
        except (GitError, InventoryError, TreeError) as e:
            raise GitSourceError(_named(str(e), self.name, self.label)) from None
        state = DesiredState.of(resources, source=f"{self.name} (commit {commit[:12]})", version=commit,
                                loaded_at=time.time())
        self._last = (commit, state)
        return state


def _named(message: str, name: str, label: str) -> str:
    """*message* naming the source once: a format's error already names ``repo@ref:file``."""
    if message.startswith(name):
        return message
    return f"git {message}" if message.startswith(label + ":") else f"{name}: {message}"


def build_git_source(cfg: GitDesired, base: Path) -> GitSource:
    return GitSource(cfg, base)


def read_tree(git: Git, found: tuple[str, str], cfg: GitDesired, label: str) -> list[Resource]:
    """The resources of *found* (the object at ``cfg.path``) read as ``cfg.format``; a format's
    error names the file as ``label:path/file`` (*label* is ``repo@ref``), never the export folder."""
    if cfg.format == "inventory":
        return _read_object(git, found, cfg.path)
    if cfg.format == "octodns" and found[1] != "tree":
        raise TreeError(f"{cfg.path}: format octodns reads a folder (the config and its zone files), not a {found[1]}")
    parent = str(PurePosixPath(cfg.path).parent) if found[1] == "blob" else cfg.path
    with exported(git, found, cfg.path) as (root, target):
        try:
            if cfg.format == "kubernetes":
                objects, _ = kubernetes.read_objects(target, "Kubernetes manifests")
                return kubernetes.index_objects(objects, cfg.namespace,
                                                kubernetes.CLUSTER_SCOPED | frozenset(cfg.cluster_scoped))
            state = octodns.OctodnsSource(root / cfg.config, cfg.zone, root).load()
            return list(state.resources.values())
        except (kubernetes.KubernetesError, octodns.OctodnsError) as e:
            raise TreeError(shown_in_repo(str(e), root, f"{label}:{'' if parent == '.' else parent}")) from None


def _read_object(git: Git, found: tuple[str, str], path: str) -> list[Resource]:
    files, prefix = tree_files(git, found, path)
    for b in files:
        if found[1] == "tree" and PurePosixPath(b.path).suffix not in SUFFIXES:
            raise InventoryError(not_inventory(PurePosixPath(prefix + b.path), SUFFIXES))
    if not files:
        raise InventoryError(f"{path or '(top level)'}: folder holds no inventory files ({', '.join(SUFFIXES)})")
    texts = []
    for b, raw in zip(files, git.read([b.oid for b in files])):
        shown = prefix + b.path
        check_blob(b, shown, len(raw))  # the size read, beside the size listed
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
        raise GitSourceError(_named(str(e), source.name, source.label)) from None
    commits = [rec.decode("utf-8", "replace").split("\x1f", 2) for rec in log.split(b"\0") if rec.strip()]
    path = source.cfg.path
    try:
        here = git.objects([f"{c}:{path}" for c, _, _ in commits])
        parents = git.objects([f"{c}^1^{{commit}}" for c, _, _ in commits])
        before = git.objects([f"{c}^1:{path}" for c, _, _ in commits])
    except GitError as e:
        raise GitSourceError(_named(str(e), source.name, source.label)) from None
    states: dict[str | None, dict[Key, Resource] | str] = {None: {}}  # by object id; None: no files (all creates)

    def state(found: tuple[str, str] | None, label: str) -> dict[Key, Resource] | str:
        oid = found[0] if found else None
        if oid not in states:
            try:
                resources = read_tree(git, found, source.cfg, label)  # type: ignore[arg-type]
                states[oid] = {r.key: r for r in resources}
            except (GitError, InventoryError, TreeError) as e:
                states[oid] = str(e)
        return states[oid]

    out = []
    for i, ((commit, ts, subject), now, parent, then) in enumerate(zip(commits, here, parents, before)):
        at = f"{source.cfg.repo}@{commit[:12]}"
        # The path gone at this commit is the source's own error ("does not exist"), never "all deleted".
        new = state(now, at) if now is not None else f"path {path!r} does not exist at commit {commit[:12]}"
        old = state(then, f"{at}^1")
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
