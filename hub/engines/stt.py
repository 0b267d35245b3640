"""Speech-to-text with faster-whisper's CTranslate2 model, tuned for short voice commands.

Whisper pads every input to a 30 s window, so the encoder costs the same for a 2 s command as
for 30 s of speech. CTranslate2 accepts a shorter window, so for short audio we encode only
`max(min_window_s, audio + margin)`; when that output looks doubtful (a repeated phrase, a
hit on the length cap, a low log-probability) we transcribe again the way faster-whisper does
by itself (full window, temperature fallback), as does audio longer than one window.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from faster_whisper.tokenizer import Tokenizer

from hub.errors import ModelError
from hub.settings import Device, SttSettings
from protocol.audio import STT_FORMAT, pcm16_to_float

from .device import ctranslate2_device
from .errors import SttError

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

_LOGGER = logging.getLogger(__name__)

FRAMES_PER_S = 100  # Whisper's mel hop is 10 ms
FULL_WINDOW_FRAMES = 3000
MIN_AUDIO_S = 0.1
MAX_COMPRESSION_RATIO = 2.0
MIN_AVG_LOGPROB = -0.6
REPEATED_NGRAM_WORDS = 4
INCOMPLETE_HINT = (
    "the split small packages on PyPI are known to be incomplete (model.bin 180 MiB): use "
    "stt.model tiny.en or base, or put a complete CTranslate2 model in a data directory"
)
MAX_HINT_TOKENS = 160  # the longest prompt of the home's names (Whisper allows 223)


@dataclass(frozen=True)
class SttResult:
    """A transcript and how it was made."""

    text: str
    language: str
    audio_s: float
    decode_ms: float
    window_s: float
    retried_full_window: bool


def _compression_ratio(text: str) -> float:
    raw = text.encode("utf-8")
    return len(raw) / max(1, len(zlib.compress(raw)))


def _repeats_itself(text: str, n: int = REPEATED_NGRAM_WORDS) -> bool:
    """True when some run of `n` words occurs twice: Whisper's loop on a short window."""
    words = re.sub(r"[^\w' ]", " ", text.lower()).split()
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return len(grams) != len(set(grams))


class WhisperEngine:
    """One loaded Whisper model shared by every connection, behind a concurrency limit."""

    def __init__(self, model_dir: Path, name: str, settings: SttSettings, device: Device) -> None:
        self.model_dir = model_dir
        self.name = name
        self.settings = settings
        self._requested_device = device
        self.device = "cpu"
        self.compute_type = settings.compute_type
        self._model: WhisperModel | None = None
        self._concurrency = 1
        self._slots: asyncio.Semaphore | None = None
        self.multilingual = False
        self._tokenizers: dict[str, tuple[Tokenizer, list[int]]] = {}
        # The words to expect (the home's names), asked for at every decode when
        # stt.vocabulary_prompt is on; set by whoever knows the home.
        self.hint: Callable[[], str] | None = None

    @property
    def languages(self) -> list[str]:
        """Languages the model transcribes."""
        if not self.multilingual:
            return ["en"]
        from faster_whisper.tokenizer import _LANGUAGE_CODES

        return list(_LANGUAGE_CODES)

    def load(self) -> float:
        """Load and warm the model; returns the seconds it took."""
        from faster_whisper import WhisperModel

        started = time.perf_counter()
        self.device = ctranslate2_device(self._requested_device)
        if self.compute_type == "auto":
            self.compute_type = "float16" if self.device == "cuda" else "int8"
        concurrency = self.settings.concurrency or (2 if self.device == "cuda" else 1)
        try:
            model = WhisperModel(
                str(self.model_dir),
                device=self.device,
                compute_type=self.compute_type,
                cpu_threads=self.settings.cpu_threads or (os.cpu_count() or 1),
                num_workers=concurrency,
            )
        except RuntimeError as err:
            if "invalid payload size" not in str(err) and "model.bin" not in str(err):
                raise
            raise ModelError(
                f"speech-to-text model {self.name} at {self.model_dir} is incomplete or damaged "
                f"(CTranslate2: {err}); {INCOMPLETE_HINT}"
            ) from None
        self._model = model
        self.multilingual = bool(model.model.is_multilingual)
        self._concurrency = concurrency
        self.transcribe_sync(np.zeros(STT_FORMAT.rate_hz, dtype=np.float32), "en")
        return time.perf_counter() - started

    def start(self) -> None:
        """Create the concurrency limit on the running loop."""
        self._slots = asyncio.Semaphore(self._concurrency)

    def check_length(self, byte_count: int) -> float:
        """Seconds of 16 kHz 16-bit audio in `byte_count`; SttError above `max_audio_s`."""
        audio_s = byte_count / (STT_FORMAT.frame_bytes * STT_FORMAT.rate_hz)
        if audio_s > self.settings.max_audio_s:
            raise SttError(
                "audio-too-long",
                f"{audio_s:.0f} s of audio exceeds the limit of {self.settings.max_audio_s:g} s",
            )
        return audio_s

    async def transcribe(self, pcm16: bytes, language: str | None) -> SttResult:
        """Transcribe 16 kHz mono 16-bit audio off the event loop."""
        audio_s = self.check_length(len(pcm16))
        lang = self._language(language)
        if audio_s < MIN_AUDIO_S:
            return SttResult("", lang, audio_s, 0.0, 0.0, False)
        assert self._slots is not None, "start() first"
        async with self._slots:
            try:
                return await asyncio.to_thread(self.transcribe_sync, pcm16_to_float(pcm16), lang)
            except SttError:
                raise
            except Exception as err:
                raise SttError("stt-failed", f"transcription failed: {err}") from err

    def _language(self, requested: str | None) -> str:
        if not self.multilingual:
            if requested and requested.split("-")[0].lower() != "en":
                raise SttError(
                    "unsupported-language",
                    f"model {self.name} transcribes English only, not {requested!r}",
                )
            return "en"
        code = (requested or self.settings.language or "en").split("-")[0].lower()
        if code not in self.languages:
            raise SttError("unsupported-language", f"language {requested!r} is not supported")
        return code

    def transcribe_sync(self, audio: np.ndarray, language: str) -> SttResult:
        """Blocking transcription of float32 16 kHz mono audio."""
        assert self._model is not None, "load() first"
        started = time.perf_counter()
        audio_s = len(audio) / STT_FORMAT.rate_hz
        model = self._model
        features = model.feature_extractor(audio)
        content_frames = features.shape[1]
        if content_frames > FULL_WINDOW_FRAMES - 10:
            text = self._library_transcribe(audio, language)
            return SttResult(text, language, audio_s, _ms_since(started), 30.0, False)

        margin = self.settings.window_margin_s * FRAMES_PER_S
        window = max(self.settings.min_window_s * FRAMES_PER_S, content_frames + margin)
        window_frames = min(FULL_WINDOW_FRAMES, int(math.ceil(window / 100) * 100))
        max_tokens = int(12 + audio_s * 6)
        text, suspicious = self._decode(features, window_frames, language, max_tokens)
        retried = False
        if suspicious:
            retried = True
            window_frames = FULL_WINDOW_FRAMES
            text = self._library_transcribe(audio, language)
        return SttResult(
            text, language, audio_s, _ms_since(started), window_frames / FRAMES_PER_S, retried
        )

    def _decode(
        self, features: np.ndarray, window_frames: int, language: str, max_tokens: int
    ) -> tuple[str, bool]:
        import ctranslate2

        model = self._model
        assert model is not None
        padded = np.zeros((features.shape[0], window_frames), dtype=np.float32)
        used = min(features.shape[1], window_frames)
        padded[:, :used] = features[:, :used]
        tokenizer, suppressed = self._tokenizer(language)
        encoded = model.model.encode(ctranslate2.StorageView.from_array(padded[None]), to_cpu=False)
        prompt = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        hint = self.hint() if self.hint is not None else ""
        if hint:  # as faster-whisper's initial_prompt: the previous text before the start
            prompt = [tokenizer.sot_prev, *tokenizer.encode(" " + hint)[-MAX_HINT_TOKENS:], *prompt]
        result = model.model.generate(
            encoded,
            [prompt],
            beam_size=self.settings.beam_size,
            max_length=len(prompt) + max_tokens,  # the prompt counts
            suppress_blank=True,
            suppress_tokens=suppressed,
            return_scores=True,
        )[0]
        ids = [token for token in result.sequences_ids[0] if token < tokenizer.eot]
        text = tokenizer.decode(ids).strip()
        avg_logprob = result.scores[0] if ids else 0.0
        suspicious = (
            len(ids) >= max_tokens - 3
            or _compression_ratio(text) > MAX_COMPRESSION_RATIO
            or _repeats_itself(text)
            or avg_logprob < MIN_AVG_LOGPROB
        )
        if suspicious:
            _LOGGER.debug(
                "Doubtful %d s-window transcript %r (avg logprob %.2f, %d of %d tokens); "
                "transcribing again with the full window",
                window_frames // FRAMES_PER_S,
                text,
                avg_logprob,
                len(ids),
                max_tokens,
            )
        return text, suspicious

    def _tokenizer(self, language: str) -> tuple[Tokenizer, list[int]]:
        cached = self._tokenizers.get(language)
        if cached is None:
            from faster_whisper.transcribe import get_suppressed_tokens

            assert self._model is not None
            tokenizer = Tokenizer(
                self._model.hf_tokenizer,
                self.multilingual,
                task="transcribe",
                language=language if self.multilingual else "en",
            )
            cached = (tokenizer, list(get_suppressed_tokens(tokenizer, [-1]) or []))
            self._tokenizers[language] = cached
        return cached

    def _library_transcribe(self, audio: np.ndarray, language: str) -> str:
        """faster-whisper's own path: full 30 s windows, long audio in segments, and its
        temperature fallback when a greedy decode scores poorly (as wyoming-faster-whisper)."""
        assert self._model is not None
        hint = self.hint() if self.hint is not None else ""
        segments, _ = self._model.transcribe(
            audio,
            language=language,
            beam_size=self.settings.beam_size,
            initial_prompt=hint or None,
        )
        return " ".join(segment.text.strip() for segment in segments).strip()


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
