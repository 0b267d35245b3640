"""The dashboard in a real browser (Debian's Chromium, driven by Playwright): a hub driving a
simulated satellite; a command typed into the page runs on the satellite, shows up as a
waterfall of its stages, and the satellite's state changes on the page as it happens."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from protocol.aio import bounded
from testing.broker import Broker
from testing.hubproc import free_port, running_hub
from testing.simsat import SimSatellite

from .conftest import hub_args, light_on

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STAGES = ["run-start", "intent-start", "action", "intent-end", "tts-start", "tts-first-audio"]
STAGES += ["tts-end", "played", "run-end"]
# Every value the satellite's state badge takes, recorded in the page as it changes.
WATCH_STATES = """(satellite) => {
  window.seenStates = [];
  const list = document.getElementById("satellite-list");
  const badge = () => list.querySelector(`li[data-satellite="${satellite}"] .state`);
  new MutationObserver(() => {
    const now = badge()?.dataset.state;
    const last = window.seenStates[window.seenStates.length - 1];
    if (now && last !== now) window.seenStates.push(now);
  }).observe(list, {subtree: true, attributes: true, childList: true});
}"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail(
            "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
        )
    return found


async def test_a_command_typed_in_the_dashboard_runs_on_the_satellite(
    tmp_path: Path, module_broker: Broker
) -> None:
    satellite = SimSatellite(9, ("hey_jarvis", "Hey Jarvis"))
    await satellite.start()
    http_port = free_port()
    args = hub_args(module_broker, satellite.port, extra=["--http-port", str(http_port)])
    base = f"http://127.0.0.1:{http_port}/"
    screenshot = tmp_path / "dashboard.png"
    try:
        with running_hub(args=args, log_path=tmp_path / "hub.log"):
            await bounded(satellite.ready.wait(), 30)
            async with light_on(module_broker) as light, async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=chromium(), args=CHROMIUM_ARGS
                )
                try:
                    page = await browser.new_page(viewport={"width": 1200, "height": 900})
                    await page.goto(base)
                    row = page.locator('#satellite-list li[data-satellite="bench_9"]')
                    await row.wait_for(timeout=15_000)
                    await page.locator('#live[data-live="true"]').wait_for(timeout=10_000)
                    await page.evaluate(WATCH_STATES, "bench_9")

                    await page.select_option("#converse-target", "bench_9")
                    await page.fill("#converse-text", "turn on the kitchen light")
                    await page.check("#converse-speak")
                    await page.click('#converse-form button[type="submit"]')

                    run = page.locator('.run[data-outcome="ok"]').first
                    await run.wait_for(timeout=30_000)
                    await (
                        page.locator("#converse-result")
                        .filter(has_text="Turned on the Kitchen light.")
                        .wait_for(timeout=10_000)
                    )
                    stages = await run.locator(".stage").all_inner_texts()
                    said = await run.inner_text()
                    await page.wait_for_function(
                        "window.seenStates.includes('responding') && "
                        "window.seenStates[window.seenStates.length - 1] === 'idle'",
                        timeout=15_000,
                    )
                    seen = await page.evaluate("window.seenStates")
                    chart = await page.locator("#latency-chart rect").count()
                    await page.screenshot(path=str(screenshot), full_page=True)
                finally:
                    await browser.close()
            commands = list(light.commands)
    finally:
        await satellite.close()
        print(f"dashboard screenshot: {screenshot}")
    assert stages == STAGES
    assert "bench_9" in said and "Turned on the Kitchen light." in said
    assert "demo/kitchen_light/set" in said  # the action taken
    assert seen[0] in ("processing", "responding") and seen[-1] == "idle" and "responding" in seen
    assert chart >= 1  # the run is in the latency chart
    assert commands, "the light received no command"
    assert "audio-start" in satellite.received  # the answer was spoken on the satellite
    assert screenshot.stat().st_size > 10_000
