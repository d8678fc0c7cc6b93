"""The portal's outgoing mail: SMTP (`PORTVAKT_SMTP_URL`) or, without it, the outbox shown at
`{S}/test/utboks`."""

from __future__ import annotations

import asyncio
import smtplib
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from portvakt.portal.store import PortalStore
from portvakt.settings import Settings
from portvakt.web.logging import get_logger

log = get_logger("portvakt.portal.mail")
_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailError(RuntimeError):
    """The mail could not be handed to the SMTP server."""


def _send_smtp(url: str, message: EmailMessage) -> None:
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise MailError("PORTVAKT_SMTP_URL must be smtp://, smtp+starttls:// or smtps://host[:port]")
    port = parts.port or _DEFAULT_PORTS[parts.scheme]
    smtp_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with smtp_class(parts.hostname, port, timeout=30) as smtp:
        if parts.scheme == "smtp+starttls":
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(message)


class Mailer:
    def __init__(self, settings: Settings, store: PortalStore) -> None:
        self.smtp_url = settings.smtp_url
        self.sender = settings.mail_from
        self.store = store

    async def send(self, recipient: str, subject: str, body: str, now: datetime) -> None:
        if self.smtp_url is None:
            await self.store.add_mail(recipient, subject, body, now)
            log.info("mail_kept_in_outbox", subject=subject)
            return
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = recipient
        message["Subject"] = subject
        message.set_content(body)
        try:
            await asyncio.to_thread(_send_smtp, self.smtp_url, message)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("mail_not_sent", subject=subject, error=type(exc).__name__)
            raise MailError("mail not sent") from exc
