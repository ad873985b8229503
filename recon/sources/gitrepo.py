"""A git repository read through the git CLI without a work tree: refs resolved, blobs read, history listed.

Every call is an argument vector (never a shell) with a timeout, in a session of its own so that a
hung transport (ssh, a credential helper) is killed with it, and with no terminal to prompt on.
Refs and paths are validated before they reach git: nothing that starts with '-' or carries
revision or pathspec syntax. A remote is fetched into a bare cache; its credentials come from
git's own mechanisms (credential helpers, ssh agents, ~/.netrc), never from the URL. This module
knows nothing of inventories: it hands back names and bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from recon.core.errors import ReconError
from recon.core.redact import credential_in

# Transports git may use (GIT_ALLOW_PROTOCOL): never ext:: or fd::, which run commands or read descriptors.
ALLOWED_PROTOCOLS = ("file", "git", "http", "https", "ssh")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_TRANSPORT = re.compile(r"^[A-Za-z0-9+.-]+::")
# A branch, tag or commit, optionally with ~N / ^N: no ranges (..), no rev:path, no reflog or options.
_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/+-]{0,254}(?:[~^][0-9]{0,4})*")
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# What `git rev-parse --local-env-vars` lists: variables that point git at another repository,
# object store or config (set in git hooks and CI steps). Inherited, they would make recon read the
# caller's repository instead of the configured one, so every call drops them.
_REPO_ENV = ("GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
             "GIT_OBJECT_DIRECTORY", "GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE",
             "GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_PREFIX",
             "GIT_INTERNAL_SUPER_PREFIX", "GIT_SHALLOW_FILE", "GIT_COMMON_DIR", "GIT_NAMESPACE")


class GitError(ReconError):
    """A git command failed, timed out, or was given a ref or path it must not see."""


def check_ref(ref: str) -> str:
    """*ref* if it names a branch, tag or commit (``main``, ``v1.2``, ``main~3``), else ValueError."""
    if _REF.fullmatch(ref) is None or ".." in ref or ref.endswith((".", "/", ".lock")) or "//" in ref:
        raise ValueError(f"ref {ref!r} is not a branch, tag or commit name (letters, digits, '.', '_', '/', '+', "
                         "'-', optionally ~N or ^N; no ranges, no leading '-')")
    return ref


def check_repo_path(path: str) -> str:
    """*path* (a folder or file inside the repository, '/'-separated) normalised, or ValueError."""
    parts = [p for p in path.strip("/").split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts) or any(ord(c) < 32 or c == "\x7f" for c in path) or path.startswith(":"):
        raise ValueError(f"path {path!r} must stay inside the repository: no '..', no control characters")
    return "/".join(parts)


def is_remote(repo: str) -> bool:
    """Whether *repo* is a URL (scheme:// or scp-like host:path) rather than a local path."""
    if _SCHEME.match(repo):
        return True
    head = repo.split("/", 1)[0]
    return ":" in head


def check_repo(repo: str) -> str:
    """*repo* if git may be pointed at it: no option, no command transport, no credentials in it."""
    if not repo or repo.startswith("-") or any(ord(c) < 32 for c in repo):
        raise ValueError("repo must be a path or a URL, not empty and not starting with '-'")
    if _TRANSPORT.match(repo):
        raise ValueError(f"repo: transport '{repo.split('::', 1)[0]}::' is refused; use one of "
                         + ", ".join(ALLOWED_PROTOCOLS))
    what = credential_in(repo)
    if what:
        raise ValueError(f"repo holds {what}; git reads credentials from its credential helpers, ssh agent "
                         "or ~/.netrc, never from the loop config")
    m = _SCHEME.match(repo)
    if m:
        scheme = m.group(1).lower()
        if scheme not in ALLOWED_PROTOCOLS:
            raise ValueError(f"repo: scheme {scheme!r} is refused; use one of {', '.join(ALLOWED_PROTOCOLS)}")
        if scheme in ("http", "https") and "@" in repo[m.end():].split("/", 1)[0]:
            raise ValueError("repo: a user name or token in an http(s) URL is refused; configure a git "
                             "credential helper instead")
    return repo


@dataclass(frozen=True, slots=True)
class Blob:
    """A file in a tree: its *path* below the tree, git *mode*, object id and size in bytes."""

    path: str
    mode: str
    oid: str
    size: int


class Git:
    """Runs git against one repository (``-C folder``) with a timeout and a closed, prompt-free session."""

    def __init__(self, folder: Path, timeout: float, what: str) -> None:
        self.folder, self.timeout, self.what = folder, timeout, what

    def run(self, *args: str, stdin: bytes | None = None, in_repo: bool = True) -> bytes:
        """Git's stdout for *args*; a failure raises GitError with git's first error line."""
        argv = ["git", "-c", "core.fsmonitor=false", "-c", "credential.interactive=never", *args]
        if in_repo:
            argv[1:1] = ["-C", str(self.folder)]
        inherited = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
        env = {**inherited, "GIT_TERMINAL_PROMPT": "0", "GIT_ALLOW_PROTOCOL": ":".join(ALLOWED_PROTOCOLS),
               "GIT_LITERAL_PATHSPECS": "1", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
        except OSError as e:
            raise GitError(f"{self.what}: cannot run git: {e.strerror or e}") from None
        try:
            out, err = proc.communicate(stdin, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the transport's children too (ssh, credential helpers)
            proc.communicate()
            raise GitError(f"{self.what}: git {args[0]} timed out after {self.timeout:g}s") from None
        if proc.returncode != 0:
            lines = [ln.strip() for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
            why = next((ln for ln in lines if ln.startswith(("fatal:", "error:"))), lines[0] if lines else "")
            raise GitError(f"{self.what}: git {args[0]} failed: {why or f'exit {proc.returncode}'}")
        return out

    def resolve(self, ref: str) -> str:
        """The commit *ref* names; a ref that names nothing is an error saying so."""
        found = self.objects([f"{ref}^{{commit}}"])[0]
        if found is None or found[1] != "commit":
            raise GitError(f"{self.what}: ref {ref!r} not found")
        return found[0]

    def objects(self, names: list[str]) -> list[tuple[str, str] | None]:
        """For each ``rev:path`` (or ``rev^{commit}``) in *names*, its (object id, type), or None where
        it names nothing. The names go to git on its standard input, never as arguments."""
        if not names:
            return []
        out = self.run("cat-file", "--batch-check", stdin="".join(n + "\n" for n in names).encode())
        result: list[tuple[str, str] | None] = []
        for line in out.decode("utf-8", "replace").splitlines():
            parts = line.split(" ")
            found = len(parts) == 3 and _SHA.fullmatch(parts[0]) is not None
            result.append((parts[0], parts[1]) if found else None)
        if len(result) != len(names):
            raise GitError(f"{self.what}: git cat-file answered {len(result)} of {len(names)} names")
        return result

    def blobs(self, tree: str) -> list[Blob]:
        """Every entry below the tree *tree* (an object id), recursively, sorted by path."""
        out = self.run("ls-tree", "-r", "-z", "--long", "--full-tree", tree)
        entries = []
        for rec in out.split(b"\0"):
            if not rec:
                continue
            meta, _, raw_path = rec.partition(b"\t")
            mode, kind, oid, size = meta.decode().split()
            try:
                path = raw_path.decode("utf-8")
            except UnicodeDecodeError:
                raise GitError(f"{self.what}: a file name below {tree[:12]} is not UTF-8: {raw_path!r}") from None
            entries.append(Blob(path, mode, oid, int(size) if size.isdigit() else -1 if kind != "blob" else 0))
        return sorted(entries, key=lambda b: b.path)

    def read(self, oids: list[str]) -> list[bytes]:
        """The content of each blob in *oids*, in order."""
        if not oids:
            return []
        out = self.run("cat-file", "--batch", stdin="".join(o + "\n" for o in oids).encode())
        contents, at = [], 0
        for oid in oids:
            nl = out.index(b"\n", at)
            header = out[at:nl].decode().split(" ")
            if len(header) != 3 or header[0] != oid:
                raise GitError(f"{self.what}: git cat-file: unexpected answer for {oid[:12]}")
            size = int(header[2])
            contents.append(out[nl + 1:nl + 1 + size])
            at = nl + 1 + size + 1
        return contents


def remote_cache(base: Path, repo: str) -> Path:
    """The bare repository a remote *repo* is fetched into: ``.recon/git/<digest>.git`` beside the config."""
    return base / ".recon" / "git" / (hashlib.sha256(repo.encode()).hexdigest()[:16] + ".git")


def fetch(cache: Path, repo: str, timeout: float, what: str) -> Git:
    """Fetch every branch and tag of *repo* (and its HEAD) into the bare *cache*.

    A missing cache is made in a temporary folder and moved into place only once the first fetch
    succeeded, so a remote that cannot be reached leaves nothing behind."""
    if (cache / "HEAD").exists():
        git = Git(cache, timeout, what)
        git.run("fetch", *_FETCH, "--", repo, *_REFSPECS)
        return git
    made = [p for p in (cache.parent.parent, cache.parent) if not p.exists()]
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=cache.name + ".", dir=cache.parent))
    except OSError as e:
        raise GitError(f"{what}: cannot make the fetch cache {cache}: {e.strerror or e}") from None
    try:
        git = Git(tmp, timeout, what)
        git.run("init", "--bare", "--quiet", "--", str(tmp), in_repo=False)
        git.run("fetch", *_FETCH, "--", repo, *_REFSPECS)
        try:
            os.replace(tmp, cache)
        except OSError:
            if not (cache / "HEAD").exists():  # else another process made it first: use theirs
                raise GitError(f"{what}: cannot move the fetch cache into {cache}") from None
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for p in reversed(made):
            with contextlib.suppress(OSError):
                p.rmdir()
        raise
    return Git(cache, timeout, what)


_FETCH = ("--quiet", "--prune", "--no-tags", "--no-recurse-submodules")
_REFSPECS = ("+HEAD:refs/recon/HEAD", "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
