#!/usr/bin/env python3
"""A Standard Webhooks receiver for the tests (DESIGN §16), independent of the Swift code.

Listens on 127.0.0.1 (an ephemeral port, printed on the first line of stdout), answers each POST with the next
status of --statuses (then 200), optionally with a Retry-After header, verifies `webhook-signature` with Python's
hmac over `id.timestamp.body` (the key is the base64 part of the secret after `whsec_`), drops a repeated
`webhook-id` as a receiver should, and appends one JSON line per request to --log:
{"id", "timestamp", "signature_ok", "duplicate", "status", "body", "headers", "at"}.

    receiver.py --log FILE [--secret whsec_...] [--statuses 503,429,200] [--retry-after 1] [--tls CERT KEY]
"""
import argparse
import base64
import hashlib
import hmac
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify(secret, msg_id, timestamp, body, header):
    """The spec's check: any space-separated `v1,<sig>` in the header that matches."""
    key = base64.b64decode(secret[len("whsec_"):])
    expected = base64.b64encode(
        hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()
    return any(part.split(",", 1) == ["v1", expected] for part in header.split())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--secret")
    ap.add_argument("--statuses", default="")
    ap.add_argument("--retry-after")
    ap.add_argument("--location")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()
    statuses = [int(s) for s in args.statuses.split(",") if s]
    lock = threading.Lock()
    seen = set()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            msg_id = self.headers.get("webhook-id")
            ts = self.headers.get("webhook-timestamp")
            sig = self.headers.get("webhook-signature")
            with lock:
                status = statuses.pop(0) if statuses else 200
                ok = bool(args.secret and sig and msg_id and ts and verify(args.secret, msg_id, ts, body, sig))
                duplicate = msg_id in seen if msg_id else False
                if 200 <= status < 300 and msg_id:
                    seen.add(msg_id)
                with open(args.log, "a") as f:
                    f.write(json.dumps({
                        "id": msg_id, "timestamp": ts, "signature_ok": ok, "duplicate": duplicate, "status": status,
                        "body": body.decode("utf-8"), "headers": {k.lower(): v for k, v in self.headers.items()},
                        "at": time.time(),
                    }) + "\n")
            self.send_response(status)
            if args.retry_after and status in (429, 503):
                self.send_header("Retry-After", args.retry_after)
            if args.location and 300 <= status < 400:
                self.send_header("Location", args.location)
            self.send_header("content-length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
