"""The Wyoming `info` the hub answers `describe` with; HA builds its entities from it."""

from __future__ import annotations

from wyoming.info import (
    AsrModel,
    AsrProgram,
    Attribution,
    HandleModel,
    HandleProgram,
    Info,
    TtsProgram,
    TtsVoice,
    WakeModel,
    WakeProgram,
)

from protocol.version import HOMEVOICE, package_version

from .engines.stt import WhisperEngine
from .engines.tts import PiperEngine
from .engines.wake import WakeEngine

WHISPER = Attribution(
    name="OpenAI / SYSTRAN faster-whisper", url="https://github.com/SYSTRAN/faster-whisper"
)
PIPER = Attribution(name="Piper", url="https://github.com/OHF-Voice/piper1-gpl")
OPENWAKEWORD = Attribution(name="openWakeWord", url="https://github.com/dscripka/openWakeWord")


def build_info(
    stt: WhisperEngine | None,
    tts: PiperEngine | None,
    wake: WakeEngine | None,
    handle_languages: list[str],
) -> Info:
    """Describe exactly what this hub serves; streaming flags match what is implemented."""
    ours = package_version()
    info = Info()
    if stt is not None:
        info.asr = [
            AsrProgram(
                name="homevoice-stt",
                description=f"faster-whisper on {stt.device} ({stt.compute_type})",
                attribution=HOMEVOICE,
                installed=True,
                version=ours,
                models=[
                    AsrModel(
                        name=stt.name,
                        description=f"Whisper {stt.name}",
                        attribution=WHISPER,
                        installed=True,
                        version=None,
                        languages=stt.languages,
                    )
                ],
                supports_transcript_streaming=True,
            )
        ]
    if tts is not None:
        info.tts = [
            TtsProgram(
                name="homevoice-tts",
                description="Piper",
                attribution=HOMEVOICE,
                installed=True,
                version=ours,
                voices=[
                    TtsVoice(
                        name=voice.name,
                        description=voice.name,
                        attribution=PIPER,
                        installed=True,
                        version=None,
                        languages=[voice.language],
                    )
                    for voice in tts.voices.values()
                ],
                supports_synthesize_streaming=True,
            )
        ]
    if wake is not None:
        info.wake = [
            WakeProgram(
                name="homevoice-wake",
                description="openWakeWord",
                attribution=HOMEVOICE,
                installed=True,
                version=ours,
                models=[
                    WakeModel(
                        name=model.name,
                        description=model.phrase,
                        phrase=model.phrase,
                        attribution=OPENWAKEWORD,
                        installed=True,
                        version=None,
                        languages=["en"],
                    )
                    for model in wake.models.values()
                ],
            )
        ]
    info.handle = [
        HandleProgram(
            name="homevoice-conversation",
            description="homevoice conversation agent",
            attribution=HOMEVOICE,
            installed=True,
            version=ours,
            models=[
                HandleModel(
                    name="homevoice",
                    description="homevoice intents",
                    attribution=HOMEVOICE,
                    installed=True,
                    version=ours,
                    languages=handle_languages,
                )
            ],
            supports_handled_streaming=True,
        )
    ]
    return info
