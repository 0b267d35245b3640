"""Text-to-speech with Piper voices on onnxruntime, one piece of text at a time.

A piece rendered before comes from the answer cache (`speech_cache.py`) without a render.
espeak-ng (phonemes) is a process-wide C library and not thread-safe, so phonemizing holds a
lock; the ONNX inference, where the time goes, runs concurrently behind a limit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hub.settings import Device, TtsSettings
from protocol.audio import PcmFormat, float_to_pcm16

from .device import onnx_providers
from .errors import TtsError
from .limiter import PriorityLimiter
from .speech_cache import SpeechCache, SynthesisKey

_LOGGER = logging.getLogger(__name__)
_ESPEAK_LOCK = threading.Lock()


@dataclass
class LoadedVoice:
    """A Piper voice ready to speak."""

    name: str
    path: Path
    language: str
    description: str
    format: PcmFormat
    voice: object  # piper.PiperVoice


def _voice_language(config: dict[str, object], name: str) -> str:
    language = config.get("language")
    if isinstance(language, dict) and isinstance(language.get("code"), str):
        return str(language["code"])
    return name.split("-")[0]


class PiperEngine:
    """The configured Piper voices, loaded once and shared by all connections."""

    def __init__(self, voice_paths: dict[str, Path], settings: TtsSettings, device: Device) -> None:
        self.settings = settings
        self._voice_paths = voice_paths
        self._requested_device = device
        self.providers: list[str] = []
        self.voices: dict[str, LoadedVoice] = {}
        self.default_voice = next(iter(voice_paths))
        self._slots: PriorityLimiter | None = None
        self._concurrency = 1
        self.cache = SpeechCache(settings.cache_size_mb * 1024 * 1024, settings.cache_entries)

    def load(self) -> float:
        """Load and warm every voice; returns the seconds it took."""
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig

        started = time.perf_counter()
        self.providers = onnx_providers(self._requested_device)
        cores = os.cpu_count() or 1
        on_gpu = self.providers[0] == "CUDAExecutionProvider"
        # On CPU one synthesis with every core beats several sharing them.
        self._concurrency = self.settings.concurrency or (2 if on_gpu else 1)
        for name, path in self._voice_paths.items():
            config = json.loads(Path(f"{path}.json").read_text(encoding="utf-8"))
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = cores
            options.inter_op_num_threads = 1
            session = onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=self.providers
            )
            voice = PiperVoice(config=PiperConfig.from_dict(config), session=session)
            sample_rate = int(voice.config.sample_rate)
            self.voices[name] = LoadedVoice(
                name=name,
                path=path,
                language=_voice_language(config, name),
                description=str(config.get("dataset") or name),
                format=PcmFormat(rate_hz=sample_rate, width=2, channels=1),
                voice=voice,
            )
            self.render_sync(self.voices[name], "Ready.")
        return time.perf_counter() - started

    def start(self) -> None:
        """Create the concurrency limit on the running loop."""
        self._slots = PriorityLimiter(self._concurrency)

    def voice(self, name: str | None) -> LoadedVoice:
        """The voice called `name` (None: the default); TtsError if unknown."""
        key = name or self.default_voice
        found = self.voices.get(key)
        if found is None:
            known = ", ".join(self.voices)
            raise TtsError("unknown-voice", f"unknown voice {key!r}; this hub has: {known}")
        return found

    def check_length(self, chars: int) -> None:
        """Refuse text beyond the configured length."""
        if chars > self.settings.max_text_chars:
            raise TtsError(
                "text-too-long",
                f"text of {chars} characters exceeds the limit of {self.settings.max_text_chars}",
            )

    async def render(self, voice: LoadedVoice, text: str, first: bool = True) -> bytes:
        """16-bit PCM for one piece of text: from the cache, or rendered off the event loop.

        The first piece of an answer goes ahead of later pieces of other answers: those
        are already playing, and their listeners have audio until the next piece is due.
        """
        assert self._slots is not None, "start() first"
        key = synthesis_key(voice, text)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        async with self._slots.slot(priority=0 if first else 1):
            try:
                pcm = await asyncio.to_thread(self.render_sync, voice, text)
            except Exception as err:
                raise TtsError("tts-failed", f"synthesis failed: {err}") from err
        self.cache.put(key, pcm)
        return pcm

    async def render_pieces(self, voice: LoadedVoice, pieces: list[str]) -> AsyncIterator[bytes]:
        """Render pieces in order, yielding each one's audio as soon as it is ready."""
        for index, piece in enumerate(pieces):
            yield await self.render(voice, piece, first=index == 0)

    def render_sync(self, loaded: LoadedVoice, text: str) -> bytes:
        """Blocking synthesis of one piece of text (one or more sentences)."""
        voice = loaded.voice
        with _ESPEAK_LOCK:
            sentences = voice.phonemize(text)  # type: ignore[attr-defined]
        parts: list[bytes] = []
        for phonemes in sentences:
            if not phonemes:
                continue
            ids = voice.phonemes_to_ids(phonemes)  # type: ignore[attr-defined]
            audio = np.asarray(voice.phoneme_ids_to_audio(ids), dtype=np.float32)  # type: ignore[attr-defined]
            peak = float(np.max(np.abs(audio))) if audio.size else 0.0
            parts.append(float_to_pcm16(audio / peak if peak > 1e-8 else audio * 0.0))
        return b"".join(parts)


def synthesis_key(loaded: LoadedVoice, text: str) -> SynthesisKey:
    """The cache key of `text` in `loaded`'s voice with the settings it renders with."""
    config = getattr(loaded.voice, "config", None)
    speakers = int(getattr(config, "num_speakers", 1) or 1)
    return SynthesisKey(
        voice=loaded.name,
        model_path=str(loaded.path),
        text=text,
        speaker_id=int(getattr(config, "default_speaker_id", 0)) if speakers > 1 else None,
        length_scale=float(getattr(config, "length_scale", 1.0)),
        noise_scale=float(getattr(config, "noise_scale", 0.0)),
        noise_w_scale=float(getattr(config, "noise_w_scale", 0.0)),
        rate_hz=loaded.format.rate_hz,
    )
