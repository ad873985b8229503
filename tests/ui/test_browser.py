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


def test_threshold_tuner_slider_moved_by_keyboard_updates_the_summary(browser) -> None:
    with voila_app(TUNER) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url, timeout=120_000)
        summary = page.locator(".recon-tuner-summary")
        summary.wait_for(timeout=120_000)
        assert shown(page) == expected(10)

        slider = page.locator(".widget-slider", has=page.locator("label", has_text=re.compile(r"^max_deletes$")))
        handle = slider.locator(".noUi-handle")
        handle.focus()
        for _ in range(10):
            handle.press("ArrowRight")
        page.locator(".recon-setting", has_text="max_deletes 20,").wait_for(timeout=60_000)
        assert shown(page) == expected(20)
        assert shown(page) != expected(10)  # the migration no longer waits for a human
        screenshot(page, ".recon-threshold-tuner", "threshold-tuner.png")

        handle.press("End")  # the cap at its maximum: nothing holds the bogus deletes
        page.locator(".recon-setting", has_text=re.compile(r"max_deletes 200,")).wait_for(timeout=60_000)
        assert shown(page) == expected(200) and int(shown(page)[0]) > 0
        screenshot(page, ".recon-threshold-tuner", "threshold-tuner-no-cap.png")
        page.close()
