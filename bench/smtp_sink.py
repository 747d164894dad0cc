"""An SMTP sink for bench/load_test.py: takes every message and writes one JSON line per event to --log.

    bench/.venv-load/bin/python bench/smtp_sink.py --port 2525 --log sink.jsonl --delay-file delay

Runs in the load test's own venv (aiosmtpd). For each message it writes {"event": "data", ...} when the
message's DATA has arrived, then, before answering, waits the seconds written in --delay-file (absent or empty: no
wait; the load test writes it to slow the sink down while it kills a job worker mid-send), and writes either
{"event": "delivered", ...} when it answers 250 to a connection still open, or {"event": "aborted", ...} when the
client went away during the wait: like a real mail server, it accepts a message only by answering it, and a
client that never read the 250 has not sent it. Each line has the time, the Message-ID, the recipients and the
client's port (the load test finds the sending process by it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, log: Path, delay_file: Path | None):
        self.log = log.open("a", buffering=1)  # a line at a time: the load test reads it while it runs
        self.delay_file = delay_file

    def delay(self) -> float:
        if self.delay_file is None:
            return 0.0
        try:
            return float(self.delay_file.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0.0

    def write(self, event: str, envelope, session, **extra) -> None:
        headers = BytesHeaderParser().parsebytes(envelope.original_content or envelope.content or b"")
        line = {
            "event": event,
            "time": time.time(),
            "message_id": (headers.get("Message-ID") or "").strip(),
            "subject": headers.get("Subject", ""),
            "to": list(envelope.rcpt_tos),
            "peer_port": session.peer[1] if session.peer else None,
            **extra,
        }
        self.log.write(json.dumps(line) + "\n")

    async def handle_DATA(self, server: SMTP, session, envelope) -> str:
        self.write("data", envelope, session)
        seconds = self.delay()
        if seconds:
            try:
                await asyncio.sleep(seconds)
            except asyncio.CancelledError:  # aiosmtpd cancels the handler when the client's connection drops
                self.write("aborted", envelope, session, waited=seconds)
                raise
        transport = server.transport
        if transport is None or transport.is_closing():
            self.write("aborted", envelope, session, waited=seconds)
            return "451 Client went away"
        self.write("delivered", envelope, session, waited=seconds)
        return "250 Message accepted for delivery"


async def serve(host: str, port: int, sink: Sink) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink, hostname="sink.localhost"), host, port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--delay-file", type=Path)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port, Sink(args.log, args.delay_file)))


if __name__ == "__main__":
    main()
