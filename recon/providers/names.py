"""The grammar of every name a provider passes to another program, as pydantic field types.

A setting that reaches nft, ip, libpq, a DNS server or an AWS API is validated here, at settings
time, against that tool's own identifier rules, so a hostile value (``input; flush chain ...``,
``dbname=x password=...``, ``../../proc/1/ns/net``) is refused before anything runs. Binaries are
fixed names looked up on PATH, or absolute paths from a short allow-list. Validators say what the
rule is and never echo the value: it may be a pasted secret.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator


def _pattern(rx: str, rule: str) -> Any:
    """A str field type that must match *rx* whole; otherwise the error states *rule*."""
    compiled = re.compile(rx)

    def check(v: str) -> str:
        if not compiled.fullmatch(v):
            raise ValueError(rule)
        return v

    return Annotated[str, AfterValidator(check)]


# nft(8), "Identifiers": a letter, then letters, digits, slash, underscore and dot; nft's scanner also
# takes '-'. Names longer than NFT_NAME_MAXLEN - 1 (255) do not exist in the kernel.
NftIdentifier = _pattern(
    r"[A-Za-z][A-Za-z0-9_./-]{0,254}",
    "not an nft identifier: a letter, then letters, digits, '_', '.', '/' or '-' (at most 255)")

# ip-netns(8) names are files under /run/netns: no '/', not '.' or '..', no leading '-' (an option).
NetnsName = _pattern(
    r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}",
    "not a network namespace name: a letter, digit or '_', then letters, digits, '_', '.' or '-'")

# RFC 1035 labels, with '_' (service and marker labels) and a leading '*' label; optional final dot.
_LABEL = r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)"
DnsName = _pattern(
    rf"(?=.{{1,254}}\Z)(?:\*\.)?{_LABEL}(?:\.{_LABEL})*\.?",
    "not a DNS name: dot-separated labels of letters, digits, '_' and '-', each at most 63, 253 in all")

# A marker-name template: DNS label characters plus the {name} and {type} placeholders.
MarkerTemplate = _pattern(
    r"[A-Za-z0-9_.*{}-]{1,253}", "may hold only letters, digits, '_', '-', '.', '*' and {name} / {type}")

# PostgreSQL names as libpq passes them. A dbname holding '=' or a URI prefix would be expanded by
# libpq into a whole connection string (password= and passfile= included), so neither is allowed.
PgName = _pattern(
    r"[A-Za-z0-9_][A-Za-z0-9_$.@-]{0,62}",
    "not a PostgreSQL name: a letter, digit or '_', then letters, digits, '_', '$', '.', '@' or '-' "
    "(at most 63); a connection string or URI is not accepted here")

# A host name, an IPv4/IPv6 address, or an absolute Unix-socket directory.
PgHost = _pattern(
    r"[A-Za-z0-9_.:-]{1,253}|/[A-Za-z0-9_./-]{0,4095}",
    "not a host name, address or absolute socket directory")

# AWS ids and names as the APIs define them.
SecurityGroupId = _pattern(
    r"sg-(?:[0-9a-f]{8}|[0-9a-f]{17})", "not a security group id: sg- and 8 or 17 hex digits")
HostedZoneId = _pattern(
    r"(?:/hostedzone/)?[A-Z0-9]{1,32}", "not a hosted zone id: upper-case letters and digits, at most 32")
AwsRegion = _pattern(
    r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}", "not an AWS region name such as us-east-1")
HttpUrl = _pattern(
    r"https?://[A-Za-z0-9_.:\[\]-]+(?::\d{1,5})?(?:/[A-Za-z0-9_./~%-]*)?",
    "not an http(s) endpoint URL without user, query or fragment")


def no_control_characters(v: str) -> str:
    """*v* unchanged, or a ValueError if it holds a control character."""
    if any(ord(c) < 32 or ord(c) == 127 for c in v):
        raise ValueError("contains a control character (a NUL byte, newline or escape)")
    return v


# A path, glob, prefix or tag: anything printable; a NUL byte would be cut off by the C library, and a
# newline or escape would forge lines in the output.
PlainText = Annotated[str, AfterValidator(no_control_characters)]

# Extended attribute names: a namespace (user., trusted., security., system.) and a printable rest.
XattrName = _pattern(
    r"(?:user|trusted|security|system)\.[!-~]{1,250}", "not an extended attribute name such as user.recon.owner")

# Binaries a provider may run: the tool's own name, looked up on PATH, or one of these absolute paths.
# Any other program (a script, /bin/sh, a relative path) is refused: the setting is not a way to run code.
BINARIES: dict[str, tuple[str, ...]] = {
    "nft": ("/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft", "/usr/local/sbin/nft"),
    "ip": ("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip", "/usr/local/sbin/ip"),
}


def binary(tool: str) -> Any:
    """A field type for the binary of *tool*: the bare name or an allow-listed absolute path."""
    allowed = (tool, *BINARIES[tool])

    def check(v: str) -> str:
        if v not in allowed:
            raise ValueError(f"the {tool} binary must be one of {', '.join(allowed)}")
        return v

    return Annotated[str, AfterValidator(check)]
