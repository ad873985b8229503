"""Validated provider settings and credentials read from the environment or from files.

Each real provider describes its ``provider:`` mapping as a pydantic model; :func:`parse_settings`
turns a validation failure into one error naming the provider and the field. Credentials are never
accepted as config text: a setting such as ``password_env: PGPASSWORD`` names an environment
variable and ``password_file: secret.txt`` names a file. :class:`Secret` keeps the value out of
``repr``, ``str`` and logs. This module must never print, log or embed a secret in an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from recon.core.redact import SECRET_WORDS, credential_in
from recon.providers.base import ProviderError
from recon.sources.readfile import read_text_input
from recon.sources.validation import error_words

M = TypeVar("M", bound=BaseModel)



class ProviderSettings(BaseModel):
    """Base of every provider's settings: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _leaves(value: Any, path: str) -> Iterator[tuple[str, bool, Any]]:
    """Every (dotted field path, is-a-key, text) in a settings tree; nested mappings and lists walked."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            sub = f"{path}.{k}" if path else str(k)
            yield sub, True, str(k)
            yield from _leaves(v, sub)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}.{i}")
    elif isinstance(value, str):
        yield path, False, value


def refuse_inline_credentials(settings: Mapping[str, Any], provider: str) -> None:
    """Refuse a setting whose name says it holds a secret, or whose text holds one (a URL password,
    ``password=``, an AWS key id, a TSIG secret): credentials come only from *_env and *_file."""
    for field, is_key, text in _leaves(settings, ""):
        what = credential_in(text)
        if what:
            # The text is never echoed, and a key holding one is named by its parent only.
            where = field.rsplit(".", 1)[0] if is_key and "." in field else ("a key" if is_key else field)
            raise ProviderError(
                f"provider {provider}: field {where} holds {what}; credentials come only from the "
                "environment or a file: use the provider's *_env or *_file settings (e.g. password_env: VAR)")
        low = text.lower()
        if is_key and any(w in low for w in SECRET_WORDS) and not (low.endswith("_env") or low.endswith("_file")):
            raise ProviderError(
                f"provider {provider}: field {field!r} would put a credential in the config text; "
                f"name an environment variable ({text}_env: VAR) or a file ({text}_file: PATH) instead")


def parse_settings(model: type[M], settings: Mapping[str, Any], provider: str) -> M:
    """Validate *settings* for *provider*; refuse inline credentials; errors name the field."""
    refuse_inline_credentials(settings, provider)
    try:
        return model.model_validate({k: v for k, v in settings.items() if k != "type"})
    except ValidationError as e:
        msgs = []
        for err in e.errors()[:5]:
            field = ".".join(str(p) for p in err["loc"]) or "(settings)"
            # Never echo the offending value: it could be a pasted secret (error_words names only its kind).
            msgs.append(f"provider {provider}: field {field}: {error_words(err, model)}")
        raise ProviderError("; ".join(msgs)) from None


class Secret:
    """A credential. Its text is reachable only through :meth:`reveal`."""

    __slots__ = ("_value", "origin")

    def __init__(self, value: str, origin: str) -> None:
        self._value = value
        self.origin = origin

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret(from {self.origin})"

    __str__ = __repr__

    def __reduce__(self) -> Any:  # never pickle a secret into a report or a cache
        raise TypeError("a Secret cannot be serialised")


def read_secret(provider: str, field: str, env: str | None, file: str | None, base_dir: Path,
                required: bool = False) -> Secret | None:
    """Read a credential from the environment variable *env* or the file *file* (relative to *base_dir*).

    A named variable that is unset or a named file that cannot be read is an error naming the
    variable or file; neither message contains the value.
    """
    if env and file:
        raise ProviderError(f"provider {provider}: give {field}_env or {field}_file, not both")
    if env:
        value = os.environ.get(env)
        if value is None:
            raise ProviderError(f"provider {provider}: {field}_env names ${env}, which is not set")
        return Secret(value, f"${env}")
    if file:
        p = Path(file).expanduser()
        p = p if p.is_absolute() else base_dir / p
        # The bounded reader: a FIFO or device named here must not hang the loop.
        text, _ = read_text_input(p, f"{field}_file of provider {provider}", ProviderError)
        value = text.rstrip("\r\n")
        if not value:
            raise ProviderError(f"provider {provider}: {field}_file {p} is empty")
        return Secret(value, str(p))
    if required:
        raise ProviderError(f"provider {provider}: missing credential: set {field}_env or {field}_file")
    return None


def scrub(message: str, *secrets: Secret | None) -> str:
    """Remove every secret's text from *message* (for errors raised by client libraries)."""
    for s in secrets:
        if s is not None and s.reveal():
            message = message.replace(s.reveal(), "***")
    return message
