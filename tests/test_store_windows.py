"""The guards' windows in the state store: migration 3 adds them to an older store, they survive a
save and a load exactly, and a damaged entry is refused rather than read as a smaller memory."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from recon.core.baseline import Window, Windows
from recon.core.record import LoopState
from recon.store.schema import MIGRATIONS, SCHEMA, StoreError
from recon.store.sqlite import StateStore


def test_migration_3_adds_empty_windows_to_a_version_2_store(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    for script in MIGRATIONS[:2]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 2")
    db.execute("INSERT INTO loop_state (loop, cycle, last_accepted_desired, last_observed, own_deletes_last, backoff) "
               "VALUES ('a', 7, 200, 200, 0, '[]')")
    db.commit()
    db.close()
    store = StateStore(path)
    assert len(MIGRATIONS) == 4  # migration 4 (the loop lease) runs too
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 4
    state = store.load_state("a")
    assert (state.cycle, state.last_accepted_desired, state.windows) == (7, 200, Windows())


def test_windows_survive_a_save_and_a_load(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.db")
    state = LoopState(cycle=3, windows=Windows(Window(((60.0, 9), (120.5, 2))), Window(((0.0, 200), (60.0, 191)))))
    store.save_state("a", state)
    assert StateStore(tmp_path / "s.db").load_state("a") == state


@pytest.mark.parametrize("column, value, words", [
    ("delete_window", "[[0, -5]]", "count at least 0"),
    ("delete_window", "[[1e999, 5]]", "time must be finite"),
    ("desired_window", '[["soon", 200]]', "not a number"),
    ("desired_window", "[[0, 2.5]]", "not an integer"),
    ("desired_window", "[[0]]", "not a [time, count] entry"),
    ("delete_window", "{}", "not a JSON list"),
])
def test_a_damaged_window_is_refused(tmp_path: Path, column: str, value: str, words: str) -> None:
    store = StateStore(tmp_path / "s.db")
    store.save_state("a", LoopState())
    db = sqlite3.connect(tmp_path / "s.db")
    with db:
        db.execute(f"UPDATE loop_state SET {column} = ?", (value,))
    db.close()
    with pytest.raises(StoreError, match=rf"corrupt row in loop_state .*column {column}.*{re.escape(words)}"):
        store.load_state("a")
