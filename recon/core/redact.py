"""Find and mask credentials in text: URL userinfo passwords, ``password=...`` forms, inline keys.

Two pure string functions. :func:`credential_in` says which form of credential a setting's text
holds, so that settings can refuse it; :func:`redact` masks every such form in a message, the
second line of defence where text leaves the program (error output, event log, audit records).
This module imports nothing but ``re`` and must never log, print or keep what it finds.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://user:PASSWORD@host, also with one slash: a URL that went through a path join loses one.
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*:/{1,3}[^\s/:@'\"<>]*:)(?P<secret>[^\s/@'\"<>]*)@")
# libpq key=value and URL query forms: password=..., sslpassword=..., passfile=..., secret=..., token=...
_KEY_WORDS = (r"password|passwd|pwd|passfile|sslpassword|secret|secret_?access_?key|access_?key_?id"
              r"|session_?token|token|api_?key")
_KEY_VALUE = re.compile(
    r"(?P<head>(?<![A-Za-z0-9])(?:aws_)?(?:" + _KEY_WORDS + r")\s*=\s*)"
    r"(?P<secret>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s'\"&;,\\<>]+)", re.IGNORECASE)
# AWS access key ids (AKIA long-term, ASIA temporary): the id alone is a half of a credential.
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
# TSIG secrets inline: dig's -y form hmac-sha256:name:BASE64, and BIND's key clause secret "BASE64".
_TSIG_Y = re.compile(r"(?P<head>\bhmac-[a-z0-9-]+:[^\s:]+:)(?P<secret>[A-Za-z0-9+/]{8,}={0,2})", re.IGNORECASE)
_TSIG_CLAUSE = re.compile(r"(?P<head>\bsecret\s+)(?P<secret>\"[^\"]*\")", re.IGNORECASE)

_FORMS = (
    ("a password in a URL (user:password@)", _URL_PASSWORD),
    ("a key=value credential (password=, passfile=, secret=, token=...)", _KEY_VALUE),
    ("an AWS access key id", _AWS_KEY_ID),
    ("an inline TSIG secret (hmac-...:name:secret)", _TSIG_Y),
    ("an inline TSIG secret (secret \"...\")", _TSIG_CLAUSE),
)


def credential_in(text: str) -> str | None:
    """Which form of credential *text* holds (a short description, never the credential), or None."""
    for what, rx in _FORMS:
        if rx.search(text):
            return what
    return None


def _mask(m: re.Match[str]) -> str:
    head = m.groupdict().get("head")
    return (head + MASK + ("@" if m.re is _URL_PASSWORD else "")) if head is not None else MASK


def redact(text: str) -> str:
    """*text* with every credential form of :func:`credential_in` replaced by ``***``."""
    for _, rx in _FORMS:
        text = rx.sub(_mask, text)
    return text


def redact_all(value: object) -> object:
    """*value* with :func:`redact` applied to every string inside it (dicts, lists and tuples walked),
    for records that are serialised afterwards: masking the serialised text could miss escaped quotes."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_all(k): redact_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_all(v) for v in value]
    return value
