"""The satellite's settings: frozen dataclasses validated when built."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from protocol.admission import ServerLimits
from protocol.audio import PcmFormat
from protocol.errors import AudioFormatError
from protocol.logs import LEVELS
from protocol.mqtt import MqttSettings
from protocol.server import TcpUri
from protocol.settings import SettingsError, check


def _check_format(prefix: str, rate_hz: int, width: int, channels: int) -> None:
    checks = (
        ("rate_hz", rate_hz, (rate_hz, 2, 1)),
        ("width", width, (16000, width, 1)),
        ("channels", channels, (16000, 2, channels)),
    )
    for name, value, layout in checks:
        try:
            PcmFormat(*layout)
        except AudioFormatError as err:
            raise SettingsError(f"{prefix}.{name}", value, err.message) from None


@dataclass(frozen=True)
class MicSettings:
    """Where the audio comes from: a command printing raw PCM, or a WAV file played at pace."""

    command: str = ""
    wav: Path | None = None
    rate_hz: int = 16000
    width: int = 2
    channels: int = 1
    chunk_samples: int = 1024
    buffer_s: float = 2.0
    restart_max_s: float = 10.0
    stall_s: float = 5.0
    auto_gain_dbfs: int = 0
    noise_suppression: int = 0

    def __post_init__(self) -> None:
        _check_format("mic", self.rate_hz, self.width, self.channels)
        check(
            0 <= self.auto_gain_dbfs <= 31,
            "mic.auto_gain_dbfs",
            self.auto_gain_dbfs,
            "must be 0..31 (0 = off)",
        )
        check(
            0 <= self.noise_suppression <= 4,
            "mic.noise_suppression",
            self.noise_suppression,
            "must be 0..4 (0 = off)",
        )
        check(
            64 <= self.chunk_samples <= 16384,
            "mic.chunk_samples",
            self.chunk_samples,
            "must be 64..16384",
        )
        check(0.5 <= self.buffer_s <= 60, "mic.buffer_s", self.buffer_s, "must be 0.5..60")
        check(0.5 <= self.stall_s <= 60, "mic.stall_s", self.stall_s, "must be 0.5..60")
        check(
            1 <= self.restart_max_s <= 300,
            "mic.restart_max_s",
            self.restart_max_s,
            "must be 1..300",
        )

    @property
    def format(self) -> PcmFormat:
        """The raw PCM layout the mic delivers."""
        return PcmFormat(self.rate_hz, self.width, self.channels)

    @property
    def cleans(self) -> bool:
        """Whether gain or noise suppression is on."""
        return bool(self.auto_gain_dbfs or self.noise_suppression)


@dataclass(frozen=True)
class SndSettings:
    """Where audio goes: a command reading raw PCM on stdin, or WAV files in a directory."""

    command: str = ""
    wav_dir: Path | None = None
    rate_hz: int = 22050
    width: int = 2
    channels: int = 1
    volume: int = 100
    finish_timeout_s: float = 5.0

    def __post_init__(self) -> None:
        _check_format("snd", self.rate_hz, self.width, self.channels)
        check(0 <= self.volume <= 100, "snd.volume", self.volume, "must be 0..100")
        check(
            0.5 <= self.finish_timeout_s <= 60,
            "snd.finish_timeout_s",
            self.finish_timeout_s,
            "must be 0.5..60",
        )

    @property
    def enabled(self) -> bool:
        """True when there is somewhere to play audio."""
        return bool(self.command) or self.wav_dir is not None

    @property
    def format(self) -> PcmFormat:
        """The raw PCM layout the snd command expects."""
        return PcmFormat(self.rate_hz, self.width, self.channels)


class WakeEngineName(StrEnum):
    """openWakeWord (default) or microWakeWord (lighter, for the smallest boards)."""

    OPENWAKEWORD = "openwakeword"
    MICROWAKEWORD = "microwakeword"


@dataclass(frozen=True)
class WakeSettings:
    """Local wake words; none means: stream everything and let the controller detect."""

    words: tuple[str, ...] = ()
    engine: WakeEngineName = WakeEngineName.OPENWAKEWORD
    threshold: float | None = None  # None: 0.5 for openWakeWord, the model's own cutoff for micro
    trigger_level: int = 1
    refractory_s: float = 2.0
    stop_word: str = ""
    data_dirs: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        check(
            self.threshold is None or 0 < self.threshold < 1,
            "wake.threshold",
            self.threshold,
            "must be between 0 and 1",
        )
        check(1 <= self.trigger_level <= 20, "wake.trigger_level", self.trigger_level, "1..20")
        check(0 <= self.refractory_s <= 60, "wake.refractory_s", self.refractory_s, "0..60")
        check(len(self.words) <= 8, "wake.words", self.words, "at most 8 wake words at once")
        check(
            self.stop_word not in self.words,
            "wake.stop_word",
            self.stop_word,
            "must not also be a wake word",
        )


class VadEngineName(StrEnum):
    """Silero (default, more accurate) or microVAD (lighter)."""

    SILERO = "silero"
    MICRO = "micro"


@dataclass(frozen=True)
class VadSettings:
    """Local end-of-speech detection after the wake word."""

    engine: VadEngineName = VadEngineName.SILERO
    threshold: float = 0.5
    min_speech_s: float = 0.1
    silence_s: float = 0.6
    no_speech_timeout_s: float = 5.0
    max_command_s: float = 15.0

    def __post_init__(self) -> None:
        check(0 < self.threshold < 1, "vad.threshold", self.threshold, "must be between 0 and 1")
        check(0 <= self.min_speech_s <= 2, "vad.min_speech_s", self.min_speech_s, "0..2")
        check(0.1 <= self.silence_s <= 5, "vad.silence_s", self.silence_s, "must be 0.1..5")
        check(
            0.5 <= self.no_speech_timeout_s <= 60,
            "vad.no_speech_timeout_s",
            self.no_speech_timeout_s,
            "must be 0.5..60",
        )
        check(1 <= self.max_command_s <= 300, "vad.max_command_s", self.max_command_s, "1..300")


@dataclass(frozen=True)
class SoundSettings:
    """Optional WAV files; the timer sound is a built-in chime unless a file is given."""

    awake: Path | None = None
    done: Path | None = None
    timer_finished: Path | None = None
    timer_repeat: int = 3

    def __post_init__(self) -> None:
        for name in ("awake", "done", "timer_finished"):
            path = getattr(self, name)
            check(path is None or path.is_file(), f"sounds.{name}", path, "is not a readable file")
        check(1 <= self.timer_repeat <= 20, "sounds.timer_repeat", self.timer_repeat, "1..20")


def _satellite_limits() -> ServerLimits:
    # A controller may stay quiet between runs (Home Assistant pings every 2 s; others may not).
    # Few peers (a controller, `describe` probes), all usually from one address.
    return ServerLimits(
        idle_timeout_s=3600.0,
        write_timeout_s=10.0,
        max_connections=8,
        max_connections_per_address=0,
    )


@dataclass(frozen=True)
class SatelliteSettings:
    """Everything `homevoice-satellite` can be told, from YAML and flags."""

    name: str = field(default_factory=socket.gethostname)
    area: str = ""
    uri: str = "tcp://0.0.0.0:10700"
    mic: MicSettings = field(default_factory=MicSettings)
    snd: SndSettings = field(default_factory=SndSettings)
    wake: WakeSettings = field(default_factory=WakeSettings)
    vad: VadSettings = field(default_factory=VadSettings)
    sounds: SoundSettings = field(default_factory=SoundSettings)
    response_timeout_s: float = 30.0
    zeroconf: bool = True
    zeroconf_name: str = ""
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    limits: ServerLimits = field(default_factory=_satellite_limits)
    log_level: str = "info"

    def __post_init__(self) -> None:
        check(bool(self.name.strip()), "name", self.name, "must not be empty")
        try:
            TcpUri.parse(self.uri)
        except ValueError as err:
            check(False, "uri", self.uri, str(err))
        check(
            bool(self.mic.command) != (self.mic.wav is not None),
            "mic",
            {"command": self.mic.command, "wav": self.mic.wav},
            "give exactly one of mic.command (--mic-command) and mic.wav",
        )
        check(
            self.mic.wav is None or self.mic.wav.is_file(),
            "mic.wav",
            self.mic.wav,
            "is not a readable file",
        )
        check(
            not (self.snd.command and self.snd.wav_dir),
            "snd",
            self.snd.command,
            "give at most one of snd.command (--snd-command) and snd.wav_dir",
        )
        check(
            1 <= self.response_timeout_s <= 600,
            "response_timeout_s",
            self.response_timeout_s,
            "must be 1..600",
        )
        check(self.log_level in LEVELS, "log_level", self.log_level, f"one of {LEVELS}")

    @property
    def tcp(self) -> TcpUri:
        """The parsed listening address."""
        return TcpUri.parse(self.uri)
