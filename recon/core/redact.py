"""Find and mask credentials in text: URL userinfo passwords, ``password=...`` forms, inline keys.

Two pure string functions. :func:`credential_in` says which form of credential a setting's text
holds, so that settings can refuse it; :func:`redact` masks every such form in a message, the
second line of defence where text leaves the program (error output, event log, audit records).
This module imports nothing but ``re`` and must never log, print or keep what it finds.
"""

from __future__ import annotations

import re

MASK = "***"

# Setting keys (and URL query keys) that would put a credential into config text itself; refused
# with a pointer to *_env / *_file (provider settings) or to the driver's own files (database URLs).
SECRET_WORDS = ("password", "secret", "token", "access_key", "secret_key", "session_token", "passwd")

# scheme://user:PASSWORD@host, also with one slash (a URL that went through a path join loses one) and
# with a slash inside the password; a digits-only part before a slash is a port, not a password.
# Bounded repetition: an unbounded class that may contain ':' and '/' would make a search quadratic.
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*:/{1,3}[^\s/:@'\"<>]{0,128}:)"
                           r"(?P<secret>(?!\d+/)[^\s@'\"<>]{0,128})@")
# libpq key=value and URL query forms: password=..., sslpassword=..., passfile=..., secret=..., token=...,
# environment forms (PGPASSWORD=, AWS_SECRET_ACCESS_KEY=) and signed-URL parts (X-Amz-Signature=, sig=).
_KEY_WORDS = (r"password|passwd|pwd|passfile|sslpassword|secret|secret_?access_?key|access_?key_?id"
              r"|session_?token|security_?token|token|api_?key|signature|sig|credential")
_KEY = r"(?<![A-Za-z0-9])(?:PG)?(?:aws_)?(?:" + _KEY_WORDS + r")"
_VALUE = r"(?P<secret>'(?:[^'\\]|\\.){0,4096}'|\"(?:[^\"\\]|\\.){0,4096}\"|['\"]?[^\s'\"&;,\\<>]+)"
_KEY_VALUE = re.compile(r"(?P<head>" + _KEY + r"\s*=\s*)" + _VALUE, re.IGNORECASE)
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

# user:password@host without a scheme (a libpq or ssh target); not inside a path or a URL, and not
# NAME:ID@URL (an observer's name: aws-security-group:sg-1@http://...), where the part after @ is a URL.
_BARE_USERINFO = re.compile(r"(?P<head>(?<![\w.:/@%+-])[A-Za-z0-9._~-]{1,64}:)(?P<secret>[^\s@/:'\"<>]{1,256})@"
                            r"(?=[A-Za-z0-9\[])(?![A-Za-z][A-Za-z0-9+.-]*://)")

# Masked in messages but not refused in settings: in a setting's text these shapes can be ordinary
# (mailto:a@b, a description saying "token: ..."); in a message a false mask only costs a word.
_MASK_ONLY = (
    # YAML, JSON and header forms: password: x, "password": "x"
    re.compile(r"(?P<head>" + _KEY + r"['\"]?\s*:\s*)" + _VALUE, re.IGNORECASE),
    # Authorization: Bearer x / Basic x / AWS4-HMAC-SHA256 Credential=..., to the end of the line
    re.compile(r"(?P<head>\bAuthorization['\"]?\s*[:=]\s*)(?P<secret>[^\r\n'\"<>]{1,4096})", re.IGNORECASE),
    re.compile(r"(?P<head>\bBearer\s+)(?P<secret>[A-Za-z0-9._~+/-]{8,4096}=*)"),
    _BARE_USERINFO,
)
# Every form above needs one of these: a string without any cannot hold a credential. Checked first,
# because redact_all walks every string of a plan (names, values) and most hold none of them.
_MAYBE = re.compile(r"[=:@%\"]|AKIA|ASIA|Bearer")
# Percent escapes, decoded here rather than with urllib: the core imports no network modules.
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
# A run of text that may be percent-encoded: between whitespace, quotes and angle brackets.
_TOKEN = re.compile(r"[^\s'\"<>]+")


def _decoded(text: str) -> str:
    """*text* percent-decoded until it stops changing (a few rounds: a URL can be encoded twice)."""
    for _ in range(3):
        plain = _ESCAPES.sub(lambda m: bytes.fromhex(m.group(0).replace("%", "")).decode("utf-8", "replace"), text)
        if plain == text:
            break
        text = plain
    return text


def credential_in(text: str) -> str | None:
    """Which form of credential *text* holds, as written or percent-decoded (a short description,
    never the credential), or None."""
    plain = _decoded(text) if "%" in text else text
    for what, rx in _FORMS:
        if rx.search(text) or (plain is not text and rx.search(plain)):
            return what
    return None


def _mask(m: re.Match[str]) -> str:
    head = m.groupdict().get("head")
    return (head + MASK + ("@" if m.re in (_URL_PASSWORD, _BARE_USERINFO) else "")) if head is not None else MASK


def _mask_encoded(m: re.Match[str]) -> str:
    tok = m.group(0)
    if "%" not in tok:
        return tok
    plain = _decoded(tok)
    # The decoded form cannot be masked in place (positions differ), so the whole run goes.
    return MASK if plain != tok and any(rx.search(plain) for rx in (*(r for _, r in _FORMS), *_MASK_ONLY)) else tok


def redact(text: str) -> str:
    """*text* with every credential form of :func:`credential_in` (and the looser message forms:
    ``password: x``, ``Authorization: ...``, ``user:pw@host``) replaced by ``***``; a percent-encoded
    run that decodes to a credential is replaced whole."""
    if not _MAYBE.search(text):
        return text
    for rx in (*(r for _, r in _FORMS), *_MASK_ONLY):
        text = rx.sub(_mask, text)
    return _TOKEN.sub(_mask_encoded, text) if "%" in text else text


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
