"""Start-up and shutdown shared by the hub and the satellite: signals, zeroconf, the MQTT link."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable

from .aio import TaskSet, bounded
from .discovery import ZeroconfAnnouncer
from .mqtt import MqttNode

_LOGGER = logging.getLogger(__name__)
MQTT_STOP_S = 5.0


class StartupError(Exception):
    """Serving cannot begin (a port is taken, ...): the message says what to change."""


def run_until_signal(
    program: str, uri: str, serve: Callable[[asyncio.Event], Awaitable[None]]
) -> int:
    """Run `serve(stop)`; SIGINT or SIGTERM sets `stop`. Returns the exit code (1: cannot bind
    or cannot start)."""

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(stop)

    try:
        asyncio.run(run())
    except StartupError as err:
        print(f"{program}: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"{program}: cannot listen on {uri}: {err.strerror}", file=sys.stderr)
        return 1
    return 0


async def announce(
    stack: contextlib.AsyncExitStack, name: str, port: int, listen_host: str
) -> ZeroconfAnnouncer | None:
    """Announce on zeroconf until `stack` closes; a failure is logged, not fatal (None)."""
    host = None if listen_host in ("0.0.0.0", "") else listen_host
    announcer = ZeroconfAnnouncer(name, port, host=host)
    try:
        await announcer.start()
        stack.push_async_callback(announcer.stop)
    except (OSError, TimeoutError) as err:
        _LOGGER.warning("Zeroconf announcement failed (%r); continuing without it", err)
        await announcer.stop()
        return None
    return announcer


async def _stop_mqtt(node: MqttNode, task: asyncio.Task[None], tasks: TaskSet) -> None:
    await node.stop()
    try:
        await bounded(asyncio.shield(task), MQTT_STOP_S)
    except TimeoutError:
        _LOGGER.warning(
            "MQTT: no clean disconnect within %g s; dropped the connection", MQTT_STOP_S
        )
    finally:
        await tasks.aclose()


def keep_online(stack: contextlib.AsyncExitStack, node: MqttNode) -> None:
    """Run the MQTT link until `stack` closes, then publish `offline` and disconnect."""
    tasks = TaskSet(f"mqtt {node.topics.base}")
    task = tasks.spawn(node.run(), "link")
    stack.push_async_callback(_stop_mqtt, node, task, tasks)
