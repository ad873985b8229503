"""ApprovalPanel and KillSwitchToggle write to the store the loop and the CLI read."""

from __future__ import annotations

import json
import time

from click.testing import CliRunner

from recon.cli import main
from recon.drivers.loop import Loop, run_once
from recon.store.sqlite import StateStore
from recon.ui import ApprovalPanel, KillSwitchToggle


def test_panel_lists_a_held_delete_set_and_approval_lets_the_loop_delete(held_loop: Loop, store: StateStore) -> None:
    rec = run_once(held_loop, now=1000.0).record
    assert rec.applied_delete == 0 and rec.approval_request is not None
    panel = ApprovalPanel(store, loop="lab", by="alice")
    assert panel.requests.value == rec.approval_request
    assert "6 deletes" in panel.details.value and "r9" in panel.details.value
    assert not panel.approve_button.disabled

    panel.approve_button.click()
    a = store.get_approval(rec.approval_request)
    assert a is not None and a.granted and a.by == "alice"
    assert "approved" in panel.message.value and panel.requests.options == ()

    # The loop reads the same store: the approved set, exactly that set, is deleted.
    rec2 = run_once(held_loop, now=time.time()).record
    assert rec2.approved_by == "alice" and rec2.applied_delete == 6


def test_deny_is_recorded_and_the_cli_sees_it(held_loop: Loop, store: StateStore) -> None:
    rec = run_once(held_loop, now=1000.0).record
    panel = ApprovalPanel(store, by="bob")
    panel.deny_button.click()
    out = CliRunner().invoke(main, ["approvals", "--state", str(store.path), "--json"])
    assert out.exit_code == 0, out.output
    (row,) = json.loads(out.output)
    assert row["id"] == rec.approval_request and row["status"] == "denied" and row["by"] == "bob"
    panel.show_decided.value = True
    assert "denied" in panel.requests.options[0][0]
    assert held_loop.actuator is not None and held_loop.actuator.writes == 0


def test_nothing_is_written_without_a_name_or_a_request(held_loop: Loop, store: StateStore) -> None:
    empty = ApprovalPanel(store)
    assert empty.approve_button.disabled and "no open approval requests" in empty.details.value
    rec = run_once(held_loop, now=1000.0).record
    panel = ApprovalPanel(store, by="  ")
    panel.approve_button.click()
    assert store.get_approval(rec.approval_request) is None
    assert "say who decides" in panel.message.value


def test_panel_picks_up_requests_filed_after_it_was_built(held_loop: Loop, store: StateStore) -> None:
    panel = ApprovalPanel(store, by="carol")
    assert panel.requests.options == ()
    run_once(held_loop, now=1000.0)
    panel.refresh_button.click()
    assert len(panel.requests.options) == 1


def test_kill_switch_toggle_pauses_the_loop_and_follows_the_cli(held_loop: Loop, store: StateStore) -> None:
    ks = KillSwitchToggle(store, "lab", by="dave")
    assert not ks.toggle.value
    ks.reason.value = "bad rollout"
    ks.toggle.value = True
    assert store.kill_switch("lab")
    rec = run_once(held_loop, now=1000.0).record
    assert rec.paused and rec.applied_delete == 0 and rec.applied_create == 0
    assert "engaged" in ks.status.value

    res = CliRunner().invoke(main, ["resume", "lab", "--state", str(store.path)])
    assert res.exit_code == 0, res.output
    ks.refresh()
    assert ks.toggle.value is False and "released" in ks.status.value
    rec2 = run_once(held_loop, now=1001.0).record
    assert not rec2.paused


def test_switch_for_every_loop_keeps_the_toggle_engaged(store: StateStore) -> None:
    store.set_kill_switch("*", True)
    ks = KillSwitchToggle(store, "lab")
    assert ks.toggle.value and "every loop" in ks.status.value
    ks.toggle.value = False  # releasing this loop's own switch cannot lift the global one
    assert ks.toggle.value is True and store.kill_switch("lab")
