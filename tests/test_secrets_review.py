"""A review of credential refusal and redaction: percent-encoded secrets, and the message forms
redact() must also mask (issue 9 item 11)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from recon.audit.history import HistoryError, parse_history_url
from recon.core.redact import credential_in, redact
from recon.providers.base import ProviderError
from recon.providers.settings import refuse_inline_credentials
from tests.providers.helpers import recon, scan_for, write_loop

CANARY = "CANARY-r3v13w-5e1c"
PG = "postgresql+psycopg://u@127.0.0.1:1"

ENCODED = [
    f"{PG}/db%20password%3D{CANARY}",  # libpq expands a dbname holding '=' into a connection string
    f"{PG}/x?dbname=x%20password%3D{CANARY}",
    f"{PG}/db%2520password%253D{CANARY}",  # encoded twice
    f"{PG}/postgresql%3A%2F%2Fu%3A{CANARY}%40h%2Fdb",
    f"postgresql+psycopg://u%3A{CANARY}@127.0.0.1:1/db",
]


@pytest.mark.parametrize("url", ENCODED)
def test_a_percent_encoded_credential_is_found(url: str) -> None:
    assert credential_in(url) is not None


@pytest.mark.parametrize("url", ENCODED)
def test_a_percent_encoded_credential_in_a_history_url_is_refused_and_not_shown(url: str) -> None:
    with pytest.raises(HistoryError, match="history store") as e:
        parse_history_url(url)
    assert CANARY not in str(e.value) and "%3D" not in str(e.value)


@pytest.mark.parametrize("url", [f"{PG}/db%20sslmode%3Ddisable", f"{PG}/db%09x", f"{PG}/x?dbname=a%3Db",
                                 f"{PG}/postgresql%3A%2F%2Fother%2Fdb"])
def test_a_history_database_name_libpq_would_expand_is_refused(url: str) -> None:
    with pytest.raises(HistoryError, match="connection string"):
        parse_history_url(url)


def test_ordinary_history_urls_still_parse(tmp_path: Path) -> None:
    assert parse_history_url(f"{PG}/hist?options=-c%20statement_timeout%3D5").database == "hist"
    assert parse_history_url(f"sqlite:///{tmp_path}/with space/h.db").database == f"{tmp_path}/with space/h.db"


def test_a_percent_encoded_credential_in_a_setting_is_refused() -> None:
    with pytest.raises(ProviderError, match="field dbname holds") as e:
        refuse_inline_credentials({"type": "postgres", "dbname": f"x%20password%3D{CANARY}"}, "postgres")
    assert CANARY not in str(e.value)


@pytest.mark.parametrize("text,masked", [
    (f"history store {PG}/db password%3D{CANARY}: cannot open", f"history store {PG}/db *** cannot open"),
    (f"{PG}/x?dbname=x+password%3D{CANARY}", "***"),
    (f"postgresql://u:pa/{CANARY}@h/db", "postgresql://u:***@h/db"),
    (f"connect u:{CANARY}@db.internal failed", "connect u:***@db.internal failed"),
    (f"PGPASSWORD={CANARY} psql", "PGPASSWORD=*** psql"),
    (f"password: {CANARY}", "password: ***"),
    (f'{{"password": "{CANARY}", "n": 1}}', '{"password": ***, "n": 1}'),
    (f"Authorization: Bearer {CANARY}", "Authorization: ***"),
    (f"sent Bearer {CANARY} to", "sent Bearer *** to"),
    (f"GET /o?X-Amz-Signature={CANARY}&X-Amz-Date=1", "GET /o?X-Amz-Signature=***&X-Amz-Date=1"),
    (f"https://a.blob/x?sv=1&sig={CANARY}&se=2", "https://a.blob/x?sv=1&sig=***&se=2"),
    (f"AWS_SECRET_ACCESS_KEY={CANARY}", "AWS_SECRET_ACCESS_KEY=***"),
])
def test_redact_masks_the_message_forms(text: str, masked: str) -> None:
    assert redact(text) == masked


@pytest.mark.parametrize("text", ["desired: 3", "http://127.0.0.1:5000/path@v1", "/srv/a:b@c", "50%3D is a rate",
                                  "observed: 4, guards: ok", "https://h:8443/u/me@example.test"])
def test_redact_leaves_ordinary_text_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize("unit", ["a://b:", "password='", 'password="', "password: '", "a:", "u:a@", "Bearer ",
                                  "%41", "a%", "Authorization: "])
def test_redact_is_linear_on_a_megabyte(unit: str) -> None:
    text = unit * (1_000_000 // len(unit))
    t0 = time.monotonic()
    redact(text)
    credential_in(text)
    assert time.monotonic() - t0 < 20  # a quadratic search of a megabyte takes hours


def test_an_audit_refuses_a_percent_encoded_history_password_and_writes_nothing(tmp_path: Path) -> None:
    loop = write_loop(tmp_path, {"type": "snapshot", "path": "desired.yaml"}, [])
    before = {p for p in tmp_path.rglob("*")}
    run = recon("audit", loop, "--out", tmp_path / "out", "--history", ENCODED[0], cwd=tmp_path)
    assert run.code == 1 and "history store" in run.stderr, run.stdout + run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() and {p for p in tmp_path.rglob("*")} == before
    assert scan_for(CANARY, run.stdout, run.stderr, paths=[p for p in tmp_path.rglob("*") if p.is_file()
                                                            and p != loop]) == []
