"""The hub's Wyoming services on fuzzed clients: no crash, no hang, bounded memory, and the
next client's `describe` is still answered. Fake engines, the real intents, real sockets."""

from __future__ import annotations

from hypothesis import given
from wyoming.info import Info

from hub.wyoming_server import ServiceConnection
from testing.fakes import FakeStt, FakeTts, FakeWake, fake_services
from testing.fuzz import FuzzHarness, fuzz_settings, streams


def test_fuzzed_clients_never_crash_hang_or_lock_out_the_hub() -> None:
    services = fake_services(stt=FakeStt(), tts=FakeTts(), wake=FakeWake())
    harness = FuzzHarness(
        lambda peer, writer, limits: ServiceConnection(peer, writer, limits, services, Info())
    )
    with harness.serving():

        @fuzz_settings(25, 2000)
        @given(stream=streams)
        def play(stream: bytes) -> None:
            harness.check(stream)

        play()
