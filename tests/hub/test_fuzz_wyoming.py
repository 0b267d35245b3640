"""The hub's Wyoming services on fuzzed clients: no crash, no hang, bounded memory, and the
next client's `describe` is still answered. Fake engines, the real intents, real sockets."""

from __future__ import annotations

from hypothesis import given, settings
from wyoming.info import Info

from hub.wyoming_server import ServiceConnection
from testing.fakes import FakeStt, FakeTts, FakeWake, fake_services
from testing.fuzz import FuzzHarness, examples, streams


def test_fuzzed_clients_never_crash_hang_or_lock_out_the_hub() -> None:
    services = fake_services(stt=FakeStt(), tts=FakeTts(), wake=FakeWake())
    harness = FuzzHarness(
        lambda peer, writer, limits: ServiceConnection(peer, writer, limits, services, Info())
    )
    with harness.serving():

        @settings(max_examples=examples(25, 2000), deadline=None)
        @given(stream=streams)
        def play(stream: bytes) -> None:
            harness.check(stream)

        play()
