"""The widgets in a real browser: Voilà serves the notebooks on loopback, Chromium drives them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from recon.sim import load_scenario, simulate
from recon.ui.tuner import converge_text
from tests.conftest import ROOT
from tests.ui.browser import browser, screenshot, voila_app  # noqa: F401  (fixture)

pytestmark = [pytest.mark.server, pytest.mark.slow]

TUNER = ROOT / "notebooks" / "explore" / "threshold-tuner.ipynb"
LAB = ROOT / "notebooks" / "tuner-lab.yaml"


def expected(cap: int) -> tuple[str, str]:
    s = simulate(load_scenario(LAB, [f"loop.guards.max_deletes.max={cap}"]), seed=0).summary
    return str(s["wrongful_deletes"]), converge_text(s)


def shown(page) -> tuple[str, str]:
    summary = page.locator(".recon-tuner-summary")
    return summary.locator(".recon-wrongful").inner_text(), summary.locator(".recon-converge").inner_text()


def command(page) -> str:
    return page.locator(".recon-command").inner_text()


def test_threshold_tuner_slider_moved_by_keyboard_updates_the_summary_and_command_line(browser) -> None:
    with voila_app(TUNER) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 1300})
        page.goto(url, timeout=120_000)
        summary = page.locator(".recon-tuner-summary")
        summary.wait_for(timeout=120_000)
        assert shown(page) == expected(10)
        assert "--set" not in command(page)  # the sliders show the file's own setting
        note = page.locator(".recon-frontier-note")
        assert "this setting is max_deletes=10 " in note.inner_text() and "dominated by max_deletes=20 " in note.inner_text()

        slider = page.locator(".widget-slider", has=page.locator("label", has_text=re.compile(r"^max_deletes$")))
        handle = slider.locator(".noUi-handle")
        handle.focus()
        for _ in range(10):
            handle.press("ArrowRight")
        page.locator(".recon-command", has_text="--set loop.guards.max_deletes.max=20 ").wait_for(timeout=60_000)
        assert "max_deletes.max=10 " not in command(page)
        assert "max_deletes: {max: 20," in page.locator(".recon-guards-snippet").inner_text()
        page.locator(".recon-setting", has_text="max_deletes 20,").wait_for(timeout=60_000)
        assert shown(page) == expected(20)
        assert shown(page) != expected(10)  # the migration no longer waits for a human
        assert "this setting is max_deletes=20 " in note.inner_text() and "on the frontier" in note.inner_text()
        screenshot(page, ".recon-threshold-tuner", "threshold-tuner.png")

        handle.press("End")  # the cap at its maximum: nothing holds the bogus deletes
        page.locator(".recon-command", has_text="--set loop.guards.max_deletes.max=200 ").wait_for(timeout=60_000)
        page.locator(".recon-setting", has_text=re.compile(r"max_deletes 200,")).wait_for(timeout=60_000)
        assert shown(page) == expected(200) and int(shown(page)[0]) > 0
        screenshot(page, ".recon-threshold-tuner", "threshold-tuner-no-cap.png")
        page.close()


def held_loop(d: Path) -> Path:
    """The snapshot example with a delete cap of 1, so its two deletes are held for approval."""
    import shutil

    import yaml

    shutil.copytree(ROOT / "examples", d, ignore=shutil.ignore_patterns(".recon"))
    cfg = yaml.safe_load((d / "loop-snapshot.yaml").read_text())
    cfg["guards"] = {"max_deletes": {"max": 0}, "ownership": False}
    (d / "loop-snapshot.yaml").write_text(yaml.safe_dump(cfg))
    return d / "loop-snapshot.yaml"


def test_loop_console_approves_and_pauses_through_the_store(browser, tmp_path: Path) -> None:
    import os

    from recon.store.sqlite import StateStore

    cfg = held_loop(tmp_path / "loop")
    console = ROOT / "notebooks" / "explore" / "loop-console.ipynb"
    with voila_app(console, env={**os.environ, "RECON_LOOP": str(cfg)}) as url:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(url, timeout=120_000)
        page.locator(".recon-verdict-banner").wait_for(timeout=120_000)
        banner = page.locator(".recon-verdict-banner").inner_text()
        assert "max_deletes (hold)" in banner and "2 deletes > cap 0" in banner
        picker = page.locator(".widget-select", has=page.locator("label", has_text=re.compile(r"^resource$")))
        picker = picker.locator("select")
        picker.select_option(value=next(o.get_attribute("value") for o in picker.locator("option").all()
                                        if "A/www" in o.inner_text()))
        page.get_by_text("10.0.0.99").first.wait_for()
        screenshot(page, ".widget-vbox:has(.recon-verdict-banner)", "diff-inspector.png")

        store = StateStore(cfg.parent / ".recon" / "example-dns.db")
        (req,) = store.requests("example-dns")
        page.get_by_text(f"request {req.request.id}").wait_for()
        by = page.locator(".widget-text", has=page.locator("label", has_text=re.compile(r"^by$"))).locator("input")
        by.fill("browser-test")
        by.press("Enter")
        screenshot(page, ".widget-vbox:has(.recon-delete-set)", "approval-panel.png")
        page.get_by_role("button", name="approve").click()
        page.get_by_text("approved " + req.request.id).wait_for(timeout=30_000)
        a = store.get_approval(req.request.id)
        assert a is not None and a.granted and a.by == "browser-test"

        page.get_by_role("button", name="kill switch").click()
        page.get_by_text("engaged, cycles do nothing").wait_for(timeout=30_000)
        assert store.kill_switch("example-dns")
        screenshot(page, ".widget-hbox:has(.widget-toggle-button)", "kill-switch.png")
        page.close()
