"""The MQTT node shared by hub and satellite: one reconnecting link to the user's broker.

Topics under `<prefix>/<node_id>/`: `availability` (`online`, and `offline` as the last will;
retained), `state` (JSON, retained), `event` (JSON, never retained) and `<thing>/set` commands.
Home Assistant device discovery goes to `<discovery_prefix>/device/<node_id>/config`; it and
the state are re-sent on every (re)connect and, after a small random delay, whenever Home
Assistant announces itself `online` on `<discovery_prefix>/status`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import random
import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

import aiomqtt

from .aio import TaskSet, bounded
from .commands import MAX_COMMAND_BYTES, CommandRefused, refusal
from .settings import check, secret
from .version import home_url

_LOGGER = logging.getLogger(__name__)

CommandHandler = Callable[[str, str], Awaitable[None]]  # name, payload; may raise CommandRefused
MessageHandler = Callable[[str, str, bool], None]  # topic, payload, retained
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class MqttSettings:
    """Where the broker is and how this node names its topics."""

    url: str = "none"
    username: str = ""
    password: str = secret()
    topic_prefix: str = "homevoice"
    node_id: str = ""
    discovery_prefix: str = "homeassistant"
    ca_file: str = ""
    tls_insecure: bool = False
    keepalive_s: int = 30
    birth_delay_max_s: float = 5.0
    retry_max_s: float = 30.0

    def __post_init__(self) -> None:
        if self.url != "none":
            try:
                BrokerAddress.parse(self.url)
            except ValueError as err:
                check(False, "mqtt.url", redact_url(self.url), str(err))
            check(
                not self.password or bool(self.broker().username),
                "mqtt.password",
                "***",
                "needs a user name too (mqtt.username, or user:pass@ in mqtt.url)",
            )
        check(
            bool(self.topic_prefix)
            and "+" not in self.topic_prefix
            and "#" not in self.topic_prefix,
            "mqtt.topic_prefix",
            self.topic_prefix,
            "must be a topic without wildcards",
        )
        check(
            not self.node_id or bool(_NAME.match(self.node_id)),
            "mqtt.node_id",
            self.node_id,
            "may hold only letters, digits, _ and -",
        )
        check(
            15 <= self.keepalive_s <= 3600, "mqtt.keepalive_s", self.keepalive_s, "must be 15..3600"
        )
        check(
            0 <= self.birth_delay_max_s <= 60,
            "mqtt.birth_delay_max_s",
            self.birth_delay_max_s,
            "must be 0..60",
        )
        check(1 <= self.retry_max_s <= 600, "mqtt.retry_max_s", self.retry_max_s, "must be 1..600")

    @property
    def enabled(self) -> bool:
        """False when MQTT is turned off (`none`)."""
        return self.url != "none"

    def broker(self) -> BrokerAddress:
        """The broker: `url`, with `username` and `password` in place of the URL's own."""
        address = BrokerAddress.parse(self.url)
        return dataclasses.replace(
            address,
            username=self.username or address.username,
            password=self.password or address.password,
        )


def _refused_login(err: aiomqtt.MqttError) -> bool:
    """The broker said no to the user name or password (MQTT 5 reason 134/135, 3.1.1 4/5)."""
    code = getattr(err, "rc", None)
    return code in (4, 5, 134, 135) or "not authorized" in str(err).lower()


def redact_url(url: str) -> str:
    """The URL with the password of its user part (`user:pass@`) replaced by `***`."""
    return re.sub(r"^([a-z]+://[^:/@]*):[^@/]*@", r"\1:***@", url)


@dataclass(frozen=True)
class BrokerAddress:
    """A parsed `mqtt://[user:pass@]host[:port]` or `mqtts://…` URL."""

    host: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    tls: bool

    @staticmethod
    def parse(url: str) -> BrokerAddress:
        """Parse a broker URL; raises ValueError saying what is wrong."""
        parsed = urlparse(url)
        if parsed.scheme not in ("mqtt", "mqtts"):
            raise ValueError("must be mqtt://[user:pass@]host[:port], mqtts://... or none")
        if not parsed.hostname:
            raise ValueError("missing broker host")
        try:
            port = parsed.port or (8883 if parsed.scheme == "mqtts" else 1883)
        except ValueError as err:
            raise ValueError("bad broker port") from err
        return BrokerAddress(
            host=parsed.hostname,
            port=port,
            username=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            tls=parsed.scheme == "mqtts",
        )

    def __str__(self) -> str:
        user = f"{self.username}:***@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


@dataclass(frozen=True)
class NodeTopics:
    """The topics of one node."""

    prefix: str
    node_id: str
    discovery_prefix: str

    @property
    def base(self) -> str:
        """`<prefix>/<node_id>`."""
        return f"{self.prefix}/{self.node_id}"

    @property
    def availability(self) -> str:
        """Retained `online` / `offline`."""
        return f"{self.base}/availability"

    @property
    def state(self) -> str:
        """Retained JSON state."""
        return f"{self.base}/state"

    @property
    def event(self) -> str:
        """JSON events, never retained."""
        return f"{self.base}/event"

    @property
    def commands(self) -> str:
        """The subscription for commands: `<base>/+/set`."""
        return f"{self.base}/+/set"

    @property
    def discovery(self) -> str:
        """Home Assistant device discovery for this node."""
        return f"{self.discovery_prefix}/device/{self.node_id}/config"

    @property
    def ha_status(self) -> str:
        """Where Home Assistant publishes its birth (`online`) and will."""
        return f"{self.discovery_prefix}/status"

    def command_name(self, topic: str) -> str | None:
        """`mute` for `<base>/mute/set`; None for any other topic."""
        head, _, tail = topic.rpartition("/")
        if tail != "set" or not head.startswith(f"{self.base}/"):
            return None
        name = head[len(self.base) + 1 :]
        return name if _NAME.match(name) else None


@dataclass(frozen=True)
class _Publish:
    topic: str
    payload: str
    retain: bool
    qos: int


@dataclass(frozen=True)
class _Subscribe:
    topic_filter: str


def backoff_s(attempt: int, cap_s: float, rng: random.Random) -> float:
    """Exponential backoff from 1 s, capped, with ±20 % jitter so nodes do not retry in step."""
    return float(min(cap_s, 2.0 ** min(attempt, 16)) * rng.uniform(0.8, 1.2))


class MqttNode:
    """Keeps one node online on the broker until `stop()`; never raises out of `run()`."""

    def __init__(
        self,
        settings: MqttSettings,
        node_id: str,
        discovery: Callable[[], dict[str, Any]],
        on_command: CommandHandler | None = None,
    ) -> None:
        self.broker = settings.broker()
        self.settings = settings
        self.topics = NodeTopics(settings.topic_prefix, node_id, settings.discovery_prefix)
        self._discovery = discovery
        self._on_command = on_command
        self._state: dict[str, Any] = {}
        self._outbox: asyncio.Queue[_Publish | _Subscribe] = asyncio.Queue(maxsize=1000)
        self._stopping = asyncio.Event()
        self._connected = asyncio.Event()
        self._session_up = False  # a broker session exists: what is queued now gets sent
        self._rng = random.Random()
        self._subscriptions: dict[str, MessageHandler] = {}
        self.dropped_events = 0

    @property
    def connected(self) -> bool:
        """True while a session with the broker is up."""
        return self._connected.is_set()

    async def wait_connected(self, timeout_s: float) -> None:
        """Wait until connected (for tests and start-up logs); TimeoutError otherwise."""
        await bounded(self._connected.wait(), timeout_s)

    def subscribe(self, topic_filter: str, handler: MessageHandler) -> None:
        """Call `handler` for every message matching `topic_filter`, across reconnects.

        Safe to call from a handler: the subscription is sent by the link's own task.
        """
        new = topic_filter not in self._subscriptions
        self._subscriptions[topic_filter] = handler
        if new and self._session_up:  # otherwise the next session subscribes it
            self._outbox.put_nowait(_Subscribe(topic_filter))

    def update_state(self, **fields: Any) -> None:
        """Merge fields into the retained state and publish it (again on every reconnect)."""
        self._state.update(fields)
        if self._session_up:  # otherwise the next connect publishes the latest state
            self._enqueue(self.topics.state, json.dumps(self._state), retain=True)

    def publish(self, topic: str, payload: str) -> bool:
        """Send a command to another device (QoS 1, not retained); False while disconnected."""
        if not self._session_up:
            return False
        self._enqueue(topic, payload, retain=False, qos=1)
        return True

    def emit_event(self, payload: dict[str, Any]) -> None:
        """Publish one event; events while disconnected are dropped and counted."""
        if not self._session_up:
            self.dropped_events += 1
            return
        self._enqueue(self.topics.event, json.dumps(payload), retain=False)

    def _enqueue(self, topic: str, payload: str, retain: bool, qos: int = 0) -> None:
        if self._outbox.full():
            self._outbox.get_nowait()  # the oldest goes; state is re-sent on reconnect anyway
            self.dropped_events += 1
        self._outbox.put_nowait(_Publish(topic, payload, retain, 1 if retain else qos))

    def _drop_unsent(self) -> None:
        """Forget what a lost session did not send: a device command must not arrive late,
        and state and subscriptions are sent again on the next connect anyway."""
        while not self._outbox.empty():
            if isinstance(self._outbox.get_nowait(), _Publish):
                self.dropped_events += 1

    def _client(self) -> aiomqtt.Client:
        tls_context = None
        if self.broker.tls:
            tls_context = ssl.create_default_context(cafile=self.settings.ca_file or None)
            if self.settings.tls_insecure:
                tls_context.check_hostname = False
                tls_context.verify_mode = ssl.CERT_NONE
        return aiomqtt.Client(
            hostname=self.broker.host,
            port=self.broker.port,
            username=self.broker.username,
            password=self.broker.password,
            identifier=f"{self.settings.topic_prefix}-{self.topics.node_id}",
            will=aiomqtt.Will(self.topics.availability, "offline", qos=1, retain=True),
            keepalive=self.settings.keepalive_s,
            timeout=10,
            tls_context=tls_context,
        )

    async def run(self) -> None:
        """Connect, serve, reconnect with backoff; returns after `stop()`."""
        attempt = 0
        while not self._stopping.is_set():
            try:
                async with self._client() as client:
                    if attempt:
                        _LOGGER.info("MQTT: connected to %s again", self.broker)
                    else:
                        _LOGGER.info("MQTT: connected to %s as %s", self.broker, self.topics.base)
                    attempt = 0
                    await self._session(client)
                    return
            except aiomqtt.MqttError as err:
                self._connected.clear()
                log = _LOGGER.warning if attempt == 0 else _LOGGER.debug
                if _refused_login(err):
                    log(
                        "MQTT: broker %s refused the login (%s): check mqtt.username and "
                        "mqtt.password (HOMEVOICE_MQTT_USERNAME, HOMEVOICE_MQTT_PASSWORD); "
                        "retrying with backoff",
                        self.broker,
                        err,
                    )
                else:
                    log(
                        "MQTT: broker %s unreachable or lost (%s); retrying with backoff",
                        self.broker,
                        err,
                    )
            delay = backoff_s(attempt, self.settings.retry_max_s, self._rng)
            attempt += 1
            with contextlib.suppress(TimeoutError):
                await bounded(self._stopping.wait(), delay)

    async def stop(self) -> None:
        """Ask `run()` to publish `offline`, disconnect cleanly and return."""
        self._stopping.set()

    async def _session(self, client: aiomqtt.Client) -> None:
        # From here on what is published is queued and sent after the set-up, in order; before,
        # an event or a command in the set-up's few round trips was dropped.
        self._session_up = True
        closing = asyncio.Event()
        tasks = TaskSet(f"mqtt {self.topics.base}")
        try:
            await client.publish(self.topics.availability, "online", qos=1, retain=True)
            await client.subscribe(self.topics.commands, qos=1)
            await client.subscribe(self.topics.ha_status, qos=1)
            for topic_filter in list(self._subscriptions):
                await client.subscribe(topic_filter, qos=1)
            await self._announce(client)
            self._connected.set()
            racing = {
                tasks.spawn(self._send(client, closing), "send", report=False),
                tasks.spawn(self._receive(client, tasks), "receive", report=False),
                tasks.spawn(self._stopping.wait(), "stop", report=False),
            }
            done, _ = await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # an MqttError here means: reconnect
        finally:
            self._session_up = False
            self._connected.clear()
            closing.set()
            await tasks.aclose()
            self._drop_unsent()
        with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
            async with asyncio.timeout(3):  # a clean disconnect sends no will: say it ourselves
                await client.publish(self.topics.availability, "offline", qos=1, retain=True)

    async def _announce(self, client: aiomqtt.Client) -> None:
        await client.publish(self.topics.discovery, json.dumps(self._discovery()), qos=1)
        if self._state:
            await client.publish(self.topics.state, json.dumps(self._state), qos=1, retain=True)

    async def _send(self, client: aiomqtt.Client, closing: asyncio.Event) -> None:
        # aiomqtt waits for a publish's confirmation with asyncio.wait_for, which on Python
        # 3.11 can swallow our cancellation: `closing` ends the loop all the same.
        while not closing.is_set():
            item = await self._outbox.get()
            if isinstance(item, _Subscribe):
                await client.subscribe(item.topic_filter, qos=1)
            else:
                await client.publish(item.topic, item.payload, qos=item.qos, retain=item.retain)

    async def _receive(self, client: aiomqtt.Client, tasks: TaskSet) -> None:
        async for message in client.messages:
            topic = message.topic.value
            if topic == self.topics.ha_status:
                if _text(message.payload) == "online":
                    tasks.spawn(self._announce_after_birth(client), "announce after birth")
                continue
            name = self.topics.command_name(topic)
            if name is not None and self._on_command is not None and not message.retain:
                raw = message.payload
                size = len(raw) if isinstance(raw, bytes | bytearray) else len(_text(raw))
                if size > MAX_COMMAND_BYTES:
                    what = f"{size} bytes (at most {MAX_COMMAND_BYTES})"
                    self.refuse(topic, CommandRefused("command-too-large", what))
                else:
                    await self._command(name, topic, _text(message.payload))
                continue
            self._deliver(message.topic, _text(message.payload), bool(message.retain))

    def _deliver(self, topic: aiomqtt.Topic, payload: str, retained: bool) -> None:
        for topic_filter, handler in list(self._subscriptions.items()):
            if topic.matches(topic_filter):
                try:
                    handler(topic.value, payload, retained)
                except Exception:
                    _LOGGER.exception("MQTT: handling %s failed", topic.value)

    async def _announce_after_birth(self, client: aiomqtt.Client) -> None:
        await asyncio.sleep(self._rng.uniform(0, self.settings.birth_delay_max_s))
        with contextlib.suppress(aiomqtt.MqttError):
            await self._announce(client)

    def refuse(self, topic: str, refused: CommandRefused) -> None:
        """Log a refused command once and publish why, as an `error` event."""
        event = refusal(self.topics.node_id, topic, refused)
        _LOGGER.warning("MQTT: %s", event.message)
        self.emit_event(event.as_json())

    async def _command(self, name: str, topic: str, payload: str) -> None:
        assert self._on_command is not None
        try:
            await self._on_command(name, payload)
        except CommandRefused as refused:
            self.refuse(topic, refused)
        except asyncio.CancelledError:
            raise
        except Exception:
            _LOGGER.exception("MQTT: command %s/set failed", name)


def _text(payload: Any) -> str:
    if isinstance(payload, bytes | bytearray):
        return payload.decode("utf-8", errors="replace")
    return "" if payload is None else str(payload)


def device_discovery(
    topics: NodeTopics,
    name: str,
    model: str,
    version: str,
    components: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """A Home Assistant device-discovery document: one device, its entities, full key names."""
    return {
        "device": {
            "identifiers": [f"{topics.prefix}_{topics.node_id}"],
            "name": name,
            "manufacturer": "homevoice",
            "model": model,
            "sw_version": version,
        },
        "origin": {
            "name": "homevoice",
            "sw_version": version,
            "support_url": home_url(),
        },
        "availability": [{"topic": topics.availability}],
        "qos": 1,
        "components": {
            key: {"unique_id": f"{topics.prefix}_{topics.node_id}_{key}", **component}
            for key, component in components.items()
        },
    }
