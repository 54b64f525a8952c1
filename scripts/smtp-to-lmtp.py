#!/usr/bin/env python3
"""A tiny SMTP server for the tests: every message it receives is handed to
Dovecot's LMTP listener *before* it answers 250, so a message is in the
recipient's IMAP mailbox when the SMTP client's send returns (no polling).

    smtp-to-lmtp.py --listen 127.0.0.1:52525 --lmtp 127.0.0.1:52424

Answers 451 (retry later) when LMTP refuses or is unreachable, so the
client sees the same kind of failure a real relay would give. Started and
stopped by `scripts/test-env up|down`; needs aiosmtpd (Debian's
python3-aiosmtpd or PyPI).
"""

import argparse
import asyncio
import signal
import smtplib
import sys

from aiosmtpd.controller import Controller


class LmtpForwarder:
    """Keeps one LMTP connection open (reconnecting when it drops)."""

    def __init__(self, host, port):
        self.host = host
        self.port = port
        self.conn = None
        self.lock = asyncio.Lock()

    def _connect(self):
        conn = smtplib.LMTP(self.host, self.port, timeout=30)
        conn.ehlo_or_helo_if_needed()
        return conn

    def _deliver(self, mail_from, rcpt_tos, data):
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = self._connect()
                refused = self.conn.sendmail(mail_from, rcpt_tos, data)
                if refused:
                    return "451 4.3.0 LMTP refused %s" % ", ".join(sorted(refused))
                return None
            except smtplib.SMTPRecipientsRefused as error:
                return "550 5.1.1 LMTP refused every recipient: %s" % error.recipients
            except (smtplib.SMTPServerDisconnected, ConnectionError, OSError) as error:
                self._close()
                if attempt == 2:
                    return "451 4.4.1 LMTP unreachable: %s" % error
            except smtplib.SMTPException as error:
                self._close()
                return "451 4.3.0 LMTP error: %s" % error
        return "451 4.3.0 LMTP error"

    def _close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
        self.conn = None

    async def handle_DATA(self, server, session, envelope):
        async with self.lock:
            loop = asyncio.get_running_loop()
            error = await loop.run_in_executor(
                None,
                self._deliver,
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content or envelope.content,
            )
        if error:
            return error
        return "250 2.0.0 delivered to the mailbox"


def host_port(text):
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="HOST:PORT to listen on")
    parser.add_argument("--lmtp", required=True, help="Dovecot's LMTP HOST:PORT")
    args = parser.parse_args()
    host, port = host_port(args.listen)
    lmtp_host, lmtp_port = host_port(args.lmtp)
    controller = Controller(
        LmtpForwarder(lmtp_host, lmtp_port),
        hostname=host,
        port=port,
        server_hostname="cabready-test-smtp",
        data_size_limit=10 * 1024 * 1024,
        decode_data=False,
    )
    controller.start()
    print("smtp-to-lmtp: listening on %s:%d, delivering to LMTP %s:%d"
          % (host, port, lmtp_host, lmtp_port), file=sys.stderr, flush=True)
    stop = asyncio.Event()

    async def wait():
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()

    asyncio.run(wait())
    controller.stop()


if __name__ == "__main__":
    main()
