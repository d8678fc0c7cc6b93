"""Confirmation mails over SMTP (`PORTVAKT_SMTP_URL`): delivered to a real SMTP conversation, and a clear
message when the server cannot be reached."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator

import pytest

from portvakt.portal import texts
from portvakt.portal.web import Portal
from tests.portal.conftest import PortalWorld, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")


class SmtpSink:
    """A minimal SMTP server (RFC 5321 happy path) on a local port, recording what it is sent."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.server.accept()
        with connection, connection.makefile("rwb") as stream:
            stream.write(b"220 sink\r\n")
            stream.flush()
            in_data = False
            for raw in stream:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                self.lines.append(line)
                if in_data:
                    if line == ".":
                        in_data = False
                        stream.write(b"250 queued\r\n")
                elif line.upper().startswith("DATA"):
                    in_data = True
                    stream.write(b"354 go ahead\r\n")
                elif line.upper().startswith("QUIT"):
                    stream.write(b"221 bye\r\n")
                    stream.flush()
                    return
                else:
                    stream.write(b"250 ok\r\n")
                stream.flush()

    def close(self) -> None:
        self.server.close()
        self.thread.join(timeout=5)


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink()
    yield server
    server.close()


def _portal(world: PortalWorld) -> Portal:
    portal: Portal = world.app.platform.components["selvbetjening.portal"]
    return portal


async def test_confirmation_mail_goes_out_over_smtp(
    world: PortalWorld, sink: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_portal(world).mailer, "smtp_url", f"smtp://127.0.0.1:{sink.port}")
    response = await world.register("kari@tilbyder.no")
    assert response.status_code == 200
    sink.thread.join(timeout=5)
    conversation = [line.lower() for line in sink.lines]
    assert "mail from:<selvbetjening@portvakt.localhost>" in conversation
    assert "rcpt to:<kari@tilbyder.no>" in conversation
    data = sink.lines[sink.lines.index("data") + 1 : sink.lines.index(".")]
    message = email.message_from_string("\n".join(data), policy=email.policy.default)
    assert message["To"] == "kari@tilbyder.no"
    assert message["Subject"] == "Bekreft brukeren din i Samarbeidsportalen"
    body = message.get_body()
    assert body is not None
    assert "http://localhost:8080/selvbetjening/bekreft?token=" in body.get_content()  # type: ignore[attr-defined]
    assert "Ingen e-post." in text_of((await world.get("/test/utboks")).text)  # nothing kept locally


@pytest.mark.parametrize("url", ["smtp://127.0.0.1:1", "http://mail.example"])
async def test_unreachable_smtp_gives_a_clear_message(
    world: PortalWorld, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setattr(_portal(world).mailer, "smtp_url", url)
    response = await world.register("kari@tilbyder.no")
    assert response.status_code == 503
    assert texts.MAIL_FAILED in text_of(response.text)
