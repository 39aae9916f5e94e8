"""Mail the operator configured (``CODEFLASH_ENGINE_SMTP_URL``): the completion email of ``codeflash --all``.

``smtp://user:password@host:587`` uses STARTTLS when the server offers it; ``smtps://...`` (port
465 by default) TLS from the start. Sending runs in a thread (smtplib blocks).
"""

from __future__ import annotations

import asyncio
import email.message
import smtplib
import ssl
import urllib.parse

from codeflash_engine.settings import Settings

#: seconds the SMTP conversation may take
SMTP_TIMEOUT = 20.0


def mail_configured(settings: Settings) -> bool:
    """Whether the operator configured an SMTP server and a sender."""
    return settings.codeflash_engine_smtp_url is not None and bool(settings.codeflash_engine_mail_from)


def _send(url: str, sender: str, to: str, subject: str, text: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("CODEFLASH_ENGINE_SMTP_URL must look like smtp://user:password@host:587")
    message = email.message.EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(text)
    context = ssl.create_default_context()
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            parts.hostname, parts.port or 465, timeout=SMTP_TIMEOUT, context=context
        )
    else:
        client = smtplib.SMTP(parts.hostname, parts.port or 587, timeout=SMTP_TIMEOUT)
    with client:
        if parts.scheme == "smtp":
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
        if parts.username:
            client.login(urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))
        client.send_message(message)


async def send_mail(settings: Settings, to: str, subject: str, text: str) -> None:
    """Send one plain-text email; raises OSError/smtplib.SMTPException when it cannot."""
    assert settings.codeflash_engine_smtp_url is not None and settings.codeflash_engine_mail_from
    await asyncio.to_thread(
        _send,
        settings.codeflash_engine_smtp_url.get_secret_value(),
        settings.codeflash_engine_mail_from,
        to,
        subject,
        text,
    )
