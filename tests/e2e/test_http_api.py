"""`GET /api/satellites` and `POST /api/satellites/{id}/announce` on the hub's HTTP port."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from protocol.aio import bounded
from testing.broker import Broker
from testing.hubproc import free_port, running_hub
from testing.simsat import SimSatellite, make_clip
from tests.satellite.conftest import until

from .conftest import hub_args


async def test_satellites_their_runs_and_announcements_over_http(
    tmp_path: Path, module_broker: Broker
) -> None:
    satellite = SimSatellite(7, ("hey_jarvis", "Hey Jarvis"))
    await satellite.start()
    http_port = free_port()
    args = hub_args(module_broker, satellite.port, extra=["--http-port", str(http_port)])
    base = f"http://127.0.0.1:{http_port}/api/satellites"
    try:
        with running_hub(args=args, log_path=tmp_path / "hub.log"):
            await bounded(satellite.ready.wait(), 30)
            heard = await satellite.speak(make_clip("What time is it?"))
            await bounded(heard.done.wait(), 15)
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
                async with http.get(base) as response:
                    listing = await response.json()
                (entry,) = listing["satellites"]
                assert (entry["id"], entry["name"], entry["connected"]) == (
                    "bench_7", "Bench 7", True,
                )  # fmt: skip
                (run,) = entry["runs"]
                types = [e["type"] for e in run["events"]]
                assert types[0] == "run-start" and "tts-first-audio" in types
                assert run["timings_ms"]["tts-first-audio"] > 0

                before = satellite.received.count("audio-stop")
                async with http.post(f"{base}/bench_7/announce", data="Dinner is ready.") as r:
                    assert r.status == 202 and (await r.json())["queued_on"] == ["bench_7"]
                await until(lambda: satellite.received.count("audio-stop") > before, 15)
                assert "synthesize" in satellite.received

                async with http.post(f"{base}/nobody/announce", data="Hello.") as r:
                    assert r.status == 404 and "bench_7" in await r.text()
                async with http.post(f"{base}/all/announce", json={"text": "  "}) as r:
                    assert r.status == 400
    finally:
        await satellite.close()
