#!/usr/bin/python3
"""smtp_sink.py: a loopback SMTP server for tests (Debian's python3-aiosmtpd).

Each message it receives is written to DIR as NNNN.json, atomically (written aside, then
renamed), holding {"mail_from", "rcpt_tos", "to", "subject", "body"} with the body decoded
(quoted-printable, charset) so a test can read a link straight out of it. Listens on
127.0.0.1 only, in clear text (the app's SMTP_URL says ?starttls=off, which the mail component
accepts for a loopback host only). Stops on SIGTERM or SIGINT.

    smtp_sink.py --port 2525 --dir /tmp/mails
"""
import argparse
import email
import email.policy
import itertools
import json
import os
import signal
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = message.get_body(preferencelist=("plain",)) if message.is_multipart() else message
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "to": str(message.get("To", "")),
            "subject": str(message.get("Subject", "")),
            "body": part.get_content() if part is not None else "",
        }
        with self.lock:
            number = next(self.counter)
        path = os.path.join(self.folder, "%04d.json" % number)
        with open(path + ".tmp", "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.rename(path + ".tmp", path)
        return "250 Message accepted"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(Sink(args.dir), hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("listening on 127.0.0.1:%d" % args.port, flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
