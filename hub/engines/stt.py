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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from faster_whisper.tokenizer import Tokenizer

from hub.errors import ModelError
from hub.settings import Device, SttSettings
from protocol.audio import STT_FORMAT, pcm16_to_float

from .batching import Batcher, BatchStats
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
MAX_HINT_TOKENS = 160
MAX_DECODER_TOKENS = 448  # Whisper's decoder reads at most this many, the prompt included
AUTO_BATCH_WINDOW_MS = 10  # the longest prompt of the home's names (Whisper allows 223)
MAX_DOUBTS = 8  # rival transcripts kept per transcript (SttResult.doubted), the likeliest first


@dataclass(frozen=True)
class SttResult:
    """A transcript and how it was made.

    `alternatives`, when the engine can: Whisper's next best transcripts of the same audio
    (a beam search, decoded only when awaited: for a transcript nothing understood).
    `doubted`: the transcript with one word it was unsure of swapped for the other it nearly
    wrote ("turn off the …" for "turn on the …"), the likeliest first. `first_reading`: where
    a doubtful short-window decode was transcribed again with the full window, what the short
    one said (a second opinion on the same audio), else empty."""

    text: str
    language: str
    audio_s: float
    decode_ms: float
    window_s: float
    retried_full_window: bool
    alternatives: Callable[[], Awaitable[list[str]]] | None = field(
        default=None, compare=False, repr=False
    )
    doubted: tuple[str, ...] = ()
    first_reading: str = ""


def _compression_ratio(text: str) -> float:
    raw = text.encode("utf-8")
    return len(raw) / max(1, len(zlib.compress(raw)))


def _repeats_itself(text: str, n: int = REPEATED_NGRAM_WORDS) -> bool:
    """True when some run of `n` words occurs twice: Whisper's loop on a short window."""
    words = re.sub(r"[^\w' ]", " ", text.lower()).split()
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return len(grams) != len(set(grams))


@dataclass(frozen=True)
class Decoded:
    """What one short-window decode heard: the text, whether it looks doubtful (then it is
    transcribed again with the full window) and the rival transcripts of its unsure words."""

    text: str
    suspicious: bool
    doubted: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecodeJob:
    """One short-window decode: the log-mel features and how to decode them."""

    features: np.ndarray
    window_frames: int
    language: str
    max_tokens: int


def job_seconds(audio: np.ndarray) -> float:
    """Seconds of 16 kHz audio."""
    return len(audio) / STT_FORMAT.rate_hz


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
        self._batcher: Batcher[DecodeJob, Decoded] | None = None

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
        """Create the concurrency limit (and the batcher, when batching) on the running loop."""
        self._slots = asyncio.Semaphore(self._concurrency)
        window_ms = self.batch_window_ms
        if window_ms > 0 and self._batcher is None:
            self._batcher = Batcher(
                self._decode_batch,
                window_ms / 1000,
                self.settings.max_batch,
                self._concurrency,
                group=lambda job: job.language,
            )

    @property
    def batch_window_ms(self) -> int:
        """How long a decode waits for others to batch with: stt.batch_window_ms, or with
        -1 (auto) 10 ms on CUDA and none on the CPU (where a batch costs as much as its parts)."""
        if self.settings.batch_window_ms >= 0:
            return self.settings.batch_window_ms
        return AUTO_BATCH_WINDOW_MS if self.device == "cuda" else 0

    @property
    def batch_stats(self) -> BatchStats | None:
        """How decodes were batched, when they are."""
        return self._batcher.stats if self._batcher is not None else None

    def close(self) -> None:
        """Stop batching (the batch running finishes)."""
        if self._batcher is not None:
            self._batcher.close()
            self._batcher = None

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
        try:
            if self._batcher is not None:
                return await self._batched(pcm16_to_float(pcm16), lang)
            async with self._slots:
                return await asyncio.to_thread(self.transcribe_sync, pcm16_to_float(pcm16), lang)
        except SttError:
            raise
        except Exception as err:
            raise SttError("stt-failed", f"transcription failed: {err}") from err

    async def _batched(self, audio: np.ndarray, language: str) -> SttResult:
        """The short-window decode in a batch with other satellites' (stt.batch_window_ms)."""
        assert self._batcher is not None and self._slots is not None
        started = time.perf_counter()
        job = await asyncio.to_thread(self._job, audio, language)
        if job is None:
            async with self._slots:
                return await asyncio.to_thread(self.transcribe_sync, audio, language)
        decoded = await self._batcher.submit(job)
        if not decoded.suspicious:
            return self._finish(audio, job, decoded, started)
        async with self._slots:
            return await asyncio.to_thread(self._finish, audio, job, decoded, started)

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
        started = time.perf_counter()
        job = self._job(audio, language)
        if job is None:
            text = self._library_transcribe(audio, language)
            return SttResult(text, language, job_seconds(audio), _ms_since(started), 30.0, False)
        [decoded] = self._decode_batch([job])
        return self._finish(audio, job, decoded, started)

    def _job(self, audio: np.ndarray, language: str) -> DecodeJob | None:
        """The short-window decode of `audio`, or None when it needs faster-whisper's path."""
        assert self._model is not None, "load() first"
        features = self._model.feature_extractor(audio)
        content_frames = features.shape[1]
        if content_frames > FULL_WINDOW_FRAMES - 10:
            return None
        margin = self.settings.window_margin_s * FRAMES_PER_S
        window = max(self.settings.min_window_s * FRAMES_PER_S, content_frames + margin)
        window_frames = min(FULL_WINDOW_FRAMES, int(math.ceil(window / 100) * 100))
        max_tokens = int(12 + job_seconds(audio) * 6)
        return DecodeJob(features, window_frames, language, max_tokens)

    def _finish(
        self, audio: np.ndarray, job: DecodeJob, decoded: Decoded, started: float
    ) -> SttResult:
        window_frames, text, doubted = job.window_frames, decoded.text, decoded.doubted
        if decoded.suspicious:
            window_frames = FULL_WINDOW_FRAMES
            text = self._library_transcribe(audio, job.language)
            doubted = self.doubted_sync(job, text)
        return SttResult(
            text,
            job.language,
            job_seconds(audio),
            _ms_since(started),
            window_frames / FRAMES_PER_S,
            decoded.suspicious,
            self._later_alternatives(job, text) if self.settings.alternatives else None,
            doubted,
            decoded.text if decoded.suspicious else "",
        )

    def _later_alternatives(self, job: DecodeJob, text: str) -> Callable[[], Awaitable[list[str]]]:
        async def alternatives() -> list[str]:
            assert self._slots is not None, "start() first"
            try:
                async with self._slots:
                    found = await asyncio.to_thread(self.alternatives_sync, job)
            except Exception as err:
                raise SttError("stt-failed", f"transcription failed: {err}") from err
            return [other for other in found if other != text]

        return alternatives

    def alternatives_sync(self, job: DecodeJob) -> list[str]:
        """Whisper's `stt.alternatives` best transcripts of `job` by beam search (the best
        first, each once): what else the audio may have said, for a transcript that nothing
        understood. Costs one more encode and a beam search (~0.3 s of tiny.en on 2 cores)."""
        model = self._model
        assert model is not None, "load() first"
        count = self.settings.alternatives
        tokenizer, suppressed = self._tokenizer(job.language)
        prompt = self._prompt(tokenizer)
        [result] = model.model.generate(
            self._encode([job]),
            [prompt],
            beam_size=max(count, self.settings.beam_size),
            num_hypotheses=count,
            max_length=len(prompt) + job.max_tokens,
            suppress_blank=True,
            suppress_tokens=suppressed,
        )
        texts: dict[str, None] = {}
        for sequence in result.sequences_ids:
            text = tokenizer.decode([t for t in sequence if t < tokenizer.eot]).strip()
            if text:
                texts[text] = None
        return list(texts)

    def doubted_sync(self, job: DecodeJob, text: str, encoded: object = None) -> tuple[str, ...]:
        """`SttResult.doubted` of a transcript `text` of `job` that the greedy decode did not
        write itself (a full-window retry's, a beam search's): the decoder reads `text` (a
        forced decode, one call) and tells how likely each word was against the others. Costs
        an encode when `encoded` is not given (~60 ms of tiny.en) and ~30 ms."""
        model = self._model
        assert model is not None, "load() first"
        tokenizer, _ = self._tokenizer(job.language)
        prompt = self._prompt(tokenizer)
        ids = tokenizer.encode(" " + text.strip()) if text.strip() else []
        ratio = self.settings.doubt_ratio
        if not ids or ratio <= 0 or len(prompt) + len(ids) >= MAX_DECODER_TOKENS:
            return ()
        [result] = model.model.generate(
            encoded if encoded is not None else self._encode([job]),
            [prompt + ids],
            beam_size=1,
            max_length=len(prompt) + len(ids) + 1,
            return_logits_vocab=True,
        )
        return _doubted(ids, result.logits[0][: len(ids)], tokenizer, ratio)

    def _encode(self, jobs: Sequence[DecodeJob]) -> object:
        """The encoder's output for `jobs` (one batch, padded to the longest window)."""
        import ctranslate2

        model = self._model
        assert model is not None, "load() first"
        window_frames = max(job.window_frames for job in jobs)
        padded = np.zeros((len(jobs), jobs[0].features.shape[0], window_frames), dtype=np.float32)
        for row, job in enumerate(jobs):
            used = min(job.features.shape[1], window_frames)
            padded[row, :, :used] = job.features[:, :used]
        return model.model.encode(ctranslate2.StorageView.from_array(padded), to_cpu=False)

    def _prompt(self, tokenizer: Tokenizer) -> list[int]:
        """The decoder's start: the home's names (as faster-whisper's initial_prompt, the
        previous text before the start) when there is a hint, then the start of transcript."""
        prompt = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        hint = self.hint() if self.hint is not None else ""
        if hint:
            prompt = [tokenizer.sot_prev, *tokenizer.encode(" " + hint)[-MAX_HINT_TOKENS:], *prompt]
        return prompt

    def _decode_batch(self, jobs: Sequence[DecodeJob]) -> list[Decoded]:
        """One encoder and one decoder call for all `jobs` (one language): what each heard."""
        model = self._model
        assert model is not None
        tokenizer, suppressed = self._tokenizer(jobs[0].language)
        encoded = self._encode(jobs)
        prompt = self._prompt(tokenizer)
        max_tokens = max(job.max_tokens for job in jobs)
        doubting = self.settings.doubt_ratio > 0
        greedy = self.settings.beam_size == 1  # a beam search returns no per-step logits
        results = model.model.generate(
            encoded,
            [prompt] * len(jobs),
            beam_size=self.settings.beam_size,
            max_length=len(prompt) + max_tokens,  # the prompt counts
            suppress_blank=True,
            suppress_tokens=suppressed,
            return_scores=True,
            return_logits_vocab=greedy and doubting,
        )
        decoded = []
        for job, result in zip(jobs, results, strict=True):
            sequence = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
            text, suspicious = self._judge(job, sequence, result.scores, tokenizer)
            doubted: tuple[str, ...] = ()  # a doubtful one's are its retry's
            if doubting and not suspicious:
                doubted = (
                    _doubted(sequence, result.logits[0], tokenizer, self.settings.doubt_ratio)
                    if greedy
                    else self.doubted_sync(job, text, encoded if len(jobs) == 1 else None)
                )
            decoded.append(Decoded(text, suspicious, doubted))
        return decoded

    def _judge(
        self, job: DecodeJob, sequence: list[int], scores: list[float], tokenizer: Tokenizer
    ) -> tuple[str, bool]:
        ids = [token for token in sequence if token < tokenizer.eot]
        text = tokenizer.decode(ids).strip()
        avg_logprob = scores[0] if ids else 0.0
        suspicious = (
            len(ids) >= job.max_tokens - 3
            or _compression_ratio(text) > MAX_COMPRESSION_RATIO
            or _repeats_itself(text)
            or avg_logprob < MIN_AVG_LOGPROB
        )
        if suspicious:
            _LOGGER.debug(
                "Doubtful %d s-window transcript %r (avg logprob %.2f, %d of %d tokens); "
                "transcribing again with the full window",
                job.window_frames // FRAMES_PER_S,
                text,
                avg_logprob,
                len(ids),
                job.max_tokens,
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


def _doubted(
    ids: list[int], logits: Sequence[object], tokenizer: Tokenizer, least_ratio: float
) -> tuple[str, ...]:
    """The transcript `ids` with each word Whisper was unsure of swapped for another it
    nearly wrote instead, at least `least_ratio` as likely (the likeliest first): `logits`
    are the decoder's, one row of the vocabulary per token. A rival's forms count together
    (" Off", " off", "off"): "turn on" said by a far voice had " on" 0.72 and " off" 0.25
    (a ratio of 0.35), a clear one " on" 0.96 and " off" under 0.01."""
    found: list[tuple[float, str]] = []
    least = math.log(least_ratio)
    for step, chosen in enumerate(ids[: len(logits)]):
        row = np.asarray(logits[step], dtype=np.float32).reshape(-1)
        gaps = row - row[chosen]  # log of each token's probability over the chosen one's
        said = tokenizer.decode([chosen]).strip().lower()
        rivals: dict[str, tuple[float, int, float]] = {}  # word: ratio, its likeliest token
        for index in np.flatnonzero(gaps >= least - math.log(4)):  # forms under a quarter add up
            token = int(index)
            word = tokenizer.decode([token]).strip().lower() if token < tokenizer.eot else ""
            if (
                token == chosen
                or not any(c.isalnum() for c in word)
                or said.startswith(word)  # the same word in more pieces ("T", "ur", "n")
                or word.startswith(said)
            ):
                continue
            gap = float(gaps[token])
            ratio, best, best_gap = rivals.get(word, (0.0, token, gap))
            if gap > best_gap:
                best, best_gap = token, gap
            rivals[word] = (ratio + math.exp(gap), best, best_gap)
        for ratio, token, _ in rivals.values():
            if ratio >= least_ratio:
                text = tokenizer.decode([*ids[:step], token, *ids[step + 1 :]]).strip()
                found.append((ratio, text))
    found.sort(key=lambda item: -item[0])
    return tuple(dict.fromkeys(text for _, text in found[:MAX_DOUBTS]))


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
