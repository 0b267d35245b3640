"""A private mosquitto on a free loopback port, for tests, the demo and benchmarks."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from testing.hubproc import free_port


class Broker:
    """A private mosquitto on a free loopback port; can be stopped and started again."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self._config = workdir / "mosquitto.conf"
        self._config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        )
        self._log = workdir / "mosquitto.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        with open(self._log, "ab") as log:
            self._proc = subprocess.Popen([binary, "-c", str(self._config)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            if self._proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"mosquitto did not start: {self._log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(10)
        self._proc = None


class SecureBroker(Broker):
    """mosquitto with a second listener as a careful home runs it: TLS (a CA of its own),
    user names and passwords, and an ACL. The plain listener at `port` stays anonymous and
    open, for the tests' own tools (watcher, demo light); the nodes use `tls_url`."""

    def __init__(self, workdir: Path, users: dict[str, str], acl: str) -> None:
        super().__init__(workdir)
        self.tls_port = free_port()
        self.tls_url = f"mqtts://127.0.0.1:{self.tls_port}"
        self.ca_file = workdir / "ca.pem"
        _make_certificates(workdir)
        passwords = workdir / "passwords"
        passwords.write_text("")
        for user, password in users.items():
            subprocess.run(
                ["mosquitto_passwd", "-b", str(passwords), user, password],
                check=True,
                capture_output=True,
                timeout=30,
            )
        (workdir / "acl").write_text(acl)
        # As root, mosquitto would run as the user `mosquitto`, who cannot read the test's files.
        user = "user root\n" if os.geteuid() == 0 else ""
        self._config.write_text(
            f"{user}per_listener_settings true\npersistence false\nlog_type all\n"
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"listener {self.tls_port} 127.0.0.1\nallow_anonymous false\n"
            f"password_file {passwords}\nacl_file {workdir / 'acl'}\n"
            f"cafile {self.ca_file}\ncertfile {workdir / 'server.pem'}\n"
            f"keyfile {workdir / 'server.key'}\n"
        )

    @property
    def log_text(self) -> str:
        """What mosquitto logged (denied publishes and refused logins among it)."""
        return self._log.read_text(errors="replace") if self._log.exists() else ""


def _make_certificates(workdir: Path) -> None:
    """A CA and a server certificate for 127.0.0.1 (openssl), valid for a day."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60, cwd=workdir)

    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "1", "-subj", "/CN=homevoice test CA",
    )  # fmt: skip
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1",
    )  # fmt: skip
    (workdir / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "san.ext",
    )  # fmt: skip
