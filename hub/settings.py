"""The hub's settings: frozen dataclasses validated when built."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from protocol.admission import ServerLimits
from protocol.logs import LEVELS
from protocol.mqtt import MqttSettings
from protocol.server import TcpUri
from protocol.settings import check, secret

from .llm import LlmSettings

BUILTIN_WAKE_WORDS = ("hey_jarvis", "okay_nabu", "alexa", "hey_mycroft", "hey_rhasspy")


class Device(StrEnum):
    """Where inference runs; `auto` picks CUDA when CTranslate2 / onnxruntime see a GPU."""

    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


@dataclass(frozen=True)
class SttSettings:
    """faster-whisper (CTranslate2) speech-to-text."""

    model: str = "tiny.en"
    language: str = "en"
    beam_size: int = 1
    compute_type: str = "auto"
    cpu_threads: int = 0
    concurrency: int = 0
    min_window_s: float = 15.0
    window_margin_s: float = 3.0
    max_audio_s: float = 120.0
    vocabulary_prompt: bool = True
    alternatives: int = 5
    doubt_ratio: float = 0.2
    batch_window_ms: int = -1
    max_batch: int = 8

    def __post_init__(self) -> None:
        check(
            -1 <= self.batch_window_ms <= 200,
            "stt.batch_window_ms",
            self.batch_window_ms,
            "must be -1 (auto) or 0..200",
        )
        check(1 <= self.max_batch <= 64, "stt.max_batch", self.max_batch, "must be 1..64")
        check(
            0 <= self.alternatives <= 10,
            "stt.alternatives",
            self.alternatives,
            "must be 0..10 (0 = off)",
        )
        check(
            0 <= self.doubt_ratio < 1,
            "stt.doubt_ratio",
            self.doubt_ratio,
            "must be 0..1 (0 = off)",
        )
        check(1 <= self.beam_size <= 10, "stt.beam_size", self.beam_size, "must be 1..10")
        check(self.cpu_threads >= 0, "stt.cpu_threads", self.cpu_threads, "must be >= 0 (0 = all)")
        check(self.concurrency >= 0, "stt.concurrency", self.concurrency, "must be >= 0 (0 = auto)")
        check(
            1.0 <= self.min_window_s <= 30.0, "stt.min_window_s", self.min_window_s, "must be 1..30"
        )
        check(
            0 <= self.window_margin_s <= 10,
            "stt.window_margin_s",
            self.window_margin_s,
            "must be 0..10",
        )
        check(0 < self.max_audio_s <= 3600, "stt.max_audio_s", self.max_audio_s, "must be 0..3600")
        check(bool(self.model), "stt.model", self.model, "must not be empty")


@dataclass(frozen=True)
class TtsSettings:
    """Piper text-to-speech."""

    voice: str = "en_US-joe-medium"
    extra_voices: tuple[str, ...] = ()
    samples_per_chunk: int = 1024
    concurrency: int = 0
    max_text_chars: int = 10_000
    first_clause_min_chars: int = 40
    cache_size_mb: int = 32
    cache_entries: int = 1000

    def __post_init__(self) -> None:
        check(bool(self.voice), "tts.voice", self.voice, "must not be empty")
        check(
            64 <= self.samples_per_chunk <= 65536,
            "tts.samples_per_chunk",
            self.samples_per_chunk,
            "must be 64..65536",
        )
        check(self.concurrency >= 0, "tts.concurrency", self.concurrency, "must be >= 0 (0 = auto)")
        check(
            1 <= self.max_text_chars <= 1_000_000,
            "tts.max_text_chars",
            self.max_text_chars,
            "must be 1..1000000",
        )
        check(
            self.first_clause_min_chars >= 0,
            "tts.first_clause_min_chars",
            self.first_clause_min_chars,
            "must be >= 0 (0 = never split at commas)",
        )
        check(
            0 <= self.cache_size_mb <= 4096,
            "tts.cache_size_mb",
            self.cache_size_mb,
            "must be 0..4096 (0 = no cache)",
        )
        check(
            1 <= self.cache_entries <= 1_000_000,
            "tts.cache_entries",
            self.cache_entries,
            "must be 1..1000000",
        )


@dataclass(frozen=True)
class WakeSettings:
    """openWakeWord detection on streamed audio."""

    words: tuple[str, ...] = BUILTIN_WAKE_WORDS
    threshold: float = 0.5
    trigger_level: int = 1
    refractory_s: float = 2.0

    def __post_init__(self) -> None:
        check(
            0.0 < self.threshold < 1.0, "wake.threshold", self.threshold, "must be between 0 and 1"
        )
        check(
            1 <= self.trigger_level <= 20, "wake.trigger_level", self.trigger_level, "must be 1..20"
        )
        check(0 <= self.refractory_s <= 60, "wake.refractory_s", self.refractory_s, "must be 0..60")


@dataclass(frozen=True)
class VadSettings:
    """End of a satellite's command on the hub (Silero VAD), speculative decoding, and the
    end read from the speculative transcript (semantic end-pointing)."""

    threshold: float = 0.5
    min_speech_s: float = 0.1
    silence_s: float = 0.3
    no_speech_timeout_s: float = 8.0
    max_command_s: float = 15.0
    speculate_after_s: float = 0.06
    complete_silence_s: float = 0.12
    unfinished_silence_s: float = 1.0

    def __post_init__(self) -> None:
        check(0 < self.threshold < 1, "vad.threshold", self.threshold, "must be between 0 and 1")
        check(0 <= self.min_speech_s <= 2, "vad.min_speech_s", self.min_speech_s, "must be 0..2")
        check(0.1 <= self.silence_s <= 5, "vad.silence_s", self.silence_s, "must be 0.1..5")
        check(
            1 <= self.no_speech_timeout_s <= 60,
            "vad.no_speech_timeout_s",
            self.no_speech_timeout_s,
            "must be 1..60",
        )
        check(
            1 <= self.max_command_s <= 120,
            "vad.max_command_s",
            self.max_command_s,
            "must be 1..120",
        )
        check(
            0 <= self.speculate_after_s <= self.silence_s,
            "vad.speculate_after_s",
            self.speculate_after_s,
            "must be 0..vad.silence_s (silence_s: no speculative decoding)",
        )
        check(
            0 <= self.complete_silence_s <= self.silence_s,
            "vad.complete_silence_s",
            self.complete_silence_s,
            "must be 0..vad.silence_s (silence_s: a complete command waits as long as any)",
        )
        check(
            self.silence_s <= self.unfinished_silence_s <= 5,
            "vad.unfinished_silence_s",
            self.unfinished_silence_s,
            "must be vad.silence_s..5 (silence_s: an unfinished sentence waits no longer)",
        )


class ControlMode(StrEnum):
    """Which satellites the hub drives: every one it finds, only the listed ones, or none."""

    ALL = "all"
    LISTED = "listed"
    NONE = "none"


@dataclass(frozen=True)
class SatelliteSettings:
    """The satellite controller: which satellites, how they are watched, arbitration."""

    control: ControlMode = ControlMode.ALL
    uris: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    connect_timeout_s: float = 5.0
    ping_interval_s: float = 2.0
    silence_timeout_s: float = 5.0
    retry_max_s: float = 30.0
    arbitration_window_s: float = 0.3
    duplicate_cooldown_s: float = 2.0
    played_timeout_s: float = 2.0
    announce_queue: int = 5
    history: int = 20

    def __post_init__(self) -> None:
        for uri in self.uris:
            try:
                TcpUri.parse(uri)
            except ValueError as err:
                check(False, "satellites.uris", uri, str(err))
        for name in ("connect_timeout_s", "ping_interval_s", "silence_timeout_s"):
            value = getattr(self, name)
            check(0 < value <= 60, f"satellites.{name}", value, "must be 0..60")
        check(
            self.silence_timeout_s > self.ping_interval_s,
            "satellites.silence_timeout_s",
            self.silence_timeout_s,
            "must be longer than satellites.ping_interval_s",
        )
        check(
            1 <= self.retry_max_s <= 600,
            "satellites.retry_max_s",
            self.retry_max_s,
            "must be 1..600",
        )
        check(
            0 <= self.arbitration_window_s <= 2,
            "satellites.arbitration_window_s",
            self.arbitration_window_s,
            "must be 0..2",
        )
        check(
            self.duplicate_cooldown_s >= self.arbitration_window_s,
            "satellites.duplicate_cooldown_s",
            self.duplicate_cooldown_s,
            "must be at least satellites.arbitration_window_s",
        )
        check(
            0 < self.played_timeout_s <= 60,
            "satellites.played_timeout_s",
            self.played_timeout_s,
            "must be 0..60",
        )
        check(
            1 <= self.announce_queue <= 100,
            "satellites.announce_queue",
            self.announce_queue,
            "must be 1..100",
        )
        check(1 <= self.history <= 1000, "satellites.history", self.history, "must be 1..1000")


LimitSettings = ServerLimits  # bounds on what one Wyoming peer may send, and on peers at once


@dataclass(frozen=True)
class EntityOverride:
    """Names and an area given in the config file for an entity (by unique id or name)."""

    aliases: tuple[str, ...] = ()
    area: str = ""


@dataclass(frozen=True)
class HomeSettings:
    """The registry's bound, and names and areas for entities (by unique id or name)."""

    max_entities: int = 2000
    entities: dict[str, EntityOverride] = field(default_factory=dict)
    command_prefixes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check(
            1 <= self.max_entities <= 100_000,
            "home.max_entities",
            self.max_entities,
            "must be 1..100000",
        )


@dataclass(frozen=True)
class HttpSettings:
    """The HTTP API and dashboard on `http_port`."""

    token: str = secret()  # the bearer token (better from HOMEVOICE_HTTP_TOKEN or token_file)
    token_file: str = ""  # the bearer token, from this file
    max_body_kb: int = 16384
    timeout_s: float = 60.0

    def __post_init__(self) -> None:
        check(
            1 <= self.max_body_kb <= 1_048_576,
            "http.max_body_kb",
            self.max_body_kb,
            "must be 1..1048576",
        )
        check(1 <= self.timeout_s <= 600, "http.timeout_s", self.timeout_s, "must be 1..600")


@dataclass(frozen=True)
class HubSettings:
    """Everything the hub reads from `--config` and its flags."""

    uri: str = "tcp://0.0.0.0:10300"
    device: Device = Device.AUTO
    data_dirs: tuple[Path, ...] = ()
    allow_download: bool = False
    zeroconf: bool = True
    zeroconf_name: str = ""
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    home: HomeSettings = field(default_factory=HomeSettings)
    llm: LlmSettings = field(default_factory=LlmSettings)
    http_port: int = 10380
    http: HttpSettings = field(default_factory=HttpSettings)
    log_level: str = "info"
    stt: SttSettings = field(default_factory=SttSettings)
    tts: TtsSettings = field(default_factory=TtsSettings)
    wake: WakeSettings = field(default_factory=WakeSettings)
    vad: VadSettings = field(default_factory=VadSettings)
    satellites: SatelliteSettings = field(default_factory=SatelliteSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)

    def __post_init__(self) -> None:
        try:
            TcpUri.parse(self.uri)
        except ValueError as err:
            check(False, "uri", self.uri, str(err))
        check(
            0 <= self.http_port <= 65535, "http_port", self.http_port, "must be 0..65535 (0 = off)"
        )
        check(self.log_level in LEVELS, "log_level", self.log_level, f"must be one of {LEVELS}")

    @property
    def tcp(self) -> TcpUri:
        """The listening address."""
        return TcpUri.parse(self.uri)
