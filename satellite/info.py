"""The Wyoming `info` the satellite answers `describe` with (Home Assistant reads `satellite`)."""

from __future__ import annotations

from wyoming.info import Attribution, Info, Satellite, WakeModel, WakeProgram

from protocol.version import HOMEVOICE, package_version

from .settings import SatelliteSettings, WakeEngineName
from .wake import WakeDetector

MAX_ACTIVE_WAKE_WORDS = 8
_ENGINES = {
    WakeEngineName.OPENWAKEWORD: Attribution(
        name="openWakeWord", url="https://github.com/dscripka/openWakeWord"
    ),
    WakeEngineName.MICROWAKEWORD: Attribution(
        name="microWakeWord", url="https://github.com/kahrendt/microWakeWord"
    ),
}


def build_info(settings: SatelliteSettings, detector: WakeDetector | None) -> Info:
    """The satellite block, and the local wake words when there are any."""
    ours = package_version()
    words = list(settings.wake.words)
    info = Info(
        satellite=Satellite(
            name=settings.name,
            description="homevoice satellite",
            attribution=HOMEVOICE,
            installed=True,
            version=ours,
            area=settings.area or None,
            has_vad=True,
            active_wake_words=words,
            max_active_wake_words=MAX_ACTIVE_WAKE_WORDS,
            supports_trigger=True,
        )
    )
    if detector is not None and words:
        engine = settings.wake.engine
        info.wake = [
            WakeProgram(
                name=engine.value,
                description=f"{_ENGINES[engine].name} on the satellite",
                attribution=_ENGINES[engine],
                installed=True,
                version=ours,
                models=[
                    WakeModel(
                        name=name,
                        description=detector.models[name].phrase,
                        phrase=detector.models[name].phrase,
                        attribution=_ENGINES[engine],
                        installed=True,
                        version=ours,
                        languages=["en"],
                    )
                    for name in words
                ],
            )
        ]
    return info
