#!/usr/bin/env python3
"""The studio under load and faults (issue 22, DESIGN §11), on loopback against a running `healthscore serve`.

An open-loop load generator: requests to /api/v1/scores are scheduled at a fixed rate and each latency is measured
from its scheduled time (a slow answer delays the ones behind it, and that delay counts: no coordinated omission).
Phases:
  alone    the scores load alone
  busy     the same load while fits (a new horizon each time, so nothing is cached) and previews (a new weight
           each time) run back to back
  reload   the same load while the server is sent SIGHUP every few seconds (--pid)
  faults   1,000 malformed requests in a row (bad JSON, bad queries, bodies over 1 MiB, malformed chunked bodies,
           clients that never finish their body), then a good request, compared with its answer before; the
           server's resident memory before and after (--pid)
Prints one line per phase: requests, failures, p50/p99/max latency (ms).

usage: load_studio.py BASE_URL [--pid PID] [--rate 200] [--seconds 20] [--phases alone,busy,reload,faults]
exit status 1 when a request failed or the good request after the faults was answered wrongly.
"""
import argparse, http.client, json, os, queue, signal, socket, threading, time, urllib.parse

SCORES = ["/api/v1/scores?limit=100", "/api/v1/scores?limit=100&band=red&sort=-arr",
          "/api/v1/scores?limit=50&offset=500&sort=change", "/api/v1/scores?limit=100&search=A00012",
          "/api/v1/scores?limit=100&am=am_04&sort=-score"]


def connect(base):
    u = urllib.parse.urlparse(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=60)


def get(base, path, conn=None, method="GET", body=None):
    c = conn or connect(base)
    c.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
    r = c.getresponse()
    data = r.read()
    if conn is None:
        c.close()
    return r.status, data


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def load(base, rate, seconds, workers=24):
    """Requests at `rate` per second for `seconds`; returns (latencies in ms, failures)."""
    due = queue.Queue()
    lat, failures, lock = [], [], threading.Lock()
    start = time.perf_counter() + 0.2
    n = int(rate * seconds)

    def worker():
        conn = connect(base)
        while True:
            item = due.get()
            if item is None:
                return
            k, at = item
            delay = at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                status, _ = get(base, SCORES[k % len(SCORES)], conn)
            except Exception as e:  # a reset connection is a failed request; a new one is opened
                status = f"{type(e).__name__}"
                conn.close()
                conn = connect(base)
            ms = (time.perf_counter() - at) * 1000
            with lock:
                lat.append(ms)
                if status != 200:
                    failures.append(status)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for k in range(n):
        due.put((k, start + k / rate))
    for _ in threads:
        due.put(None)
    for t in threads:
        t.join()
    return sorted(lat), failures


def report(name, lat, failures, extra=""):
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
    print(f"{name:7s} {len(lat)} requests, {len(failures)} failed, p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms, "
          f"max {lat[-1] if lat else float('nan'):.1f} ms{extra}", flush=True)


def busy(base, stop, counts):
    """Fits with a new horizon each time and previews with a new weight each time, back to back."""
    config = json.loads(get(base, "/api/v1/config")[1])
    h, w = 30, 0
    while not stop.is_set():
        h += 1
        status, _ = get(base, f"/api/v1/fit?horizon={h}&bootstrap=0")
        counts["fit"] += status == 200
        w += 1
        moved = json.loads(json.dumps(config))
        moved["factors"][0]["weight"] = config["factors"][0]["weight"] + w % 20 + 1
        status, _ = get(base, "/api/v1/preview", method="POST", body=json.dumps(moved))
        counts["preview"] += status == 200


def faults(base, pid):
    """1,000 malformed requests in a row; the next good request must be answered as before."""
    u = urllib.parse.urlparse(base)
    good_before = get(base, "/api/v1/scores?limit=5")[1]
    before = rss(pid) if pid else float("nan")
    statuses, slow = {}, []

    def raw(data, read=True):
        s = socket.create_connection((u.hostname, u.port), timeout=30)
        s.sendall(data)
        if not read:
            return s
        out = b""
        try:
            while b"\r\n\r\n" not in out:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
        s.close()
        return out.split(b" ", 2)[1].decode() if out.startswith(b"HTTP/1.1 ") else "closed"

    big = b"{" + b" " * (1 << 20) + b"}"
    kinds = [
        lambda: get(base, "/api/v1/preview", method="POST", body="{not json")[0],
        lambda: get(base, "/api/v1/preview", method="POST", body='{"factors": "x"}')[0],
        lambda: get(base, "/api/v1/scores?sort=password&limit=-1")[0],
        lambda: get(base, "/api/v1/scores?as_of=2024-13-99")[0],
        lambda: get(base, "/api/v1/fit?horizon=x")[0],
        lambda: get(base, "/api/v1/accounts/%ZZ")[0],
        lambda: raw(b"POST /api/v1/preview HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(big) + big),
        lambda: raw(b"POST /api/v1/preview HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
        lambda: raw(b"GET /api/v1/scores HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"),
        # A client that sends its headers and half its body, and never the rest (held open until the end).
        lambda: slow.append(raw(b"POST /api/v1/preview HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"fac",
                                read=False)) or "held",
    ]
    t0 = time.perf_counter()
    for k in range(1000):
        try:
            status = kinds[k % len(kinds)]()
        except Exception as e:
            status = type(e).__name__
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    during = rss(pid) if pid else float("nan")
    good = get(base, "/api/v1/scores?limit=5")
    for s in slow:
        s.close()
    time.sleep(2)
    after = rss(pid) if pid else float("nan")
    ok = good[0] == 200 and good[1] == good_before
    print(f"faults  1000 malformed requests in {time.perf_counter() - t0:.1f} s: answers {dict(sorted(statuses.items()))}; "
          f"the next good request {'answered as before' if ok else 'WRONG: ' + str(good[0])}; resident memory "
          f"{before:.0f} MB before, {during:.0f} MB with {len(slow)} clients held, {after:.0f} MB after "
          f"({after / before:.2f}x)", flush=True)
    return ok and "500" not in statuses


def main():
    a = argparse.ArgumentParser()
    a.add_argument("base")
    a.add_argument("--pid", type=int)
    a.add_argument("--rate", type=float, default=200)
    a.add_argument("--seconds", type=float, default=20)
    a.add_argument("--phases", default="alone,busy,reload,faults")
    o = a.parse_args()
    failed = False
    for phase in o.phases.split(","):
        if phase == "alone":
            lat, f = load(o.base, o.rate, o.seconds)
            report("alone", lat, f)
        elif phase == "busy":
            stop, counts = threading.Event(), {"fit": 0, "preview": 0}
            t = threading.Thread(target=busy, args=(o.base, stop, counts), daemon=True)
            t.start()
            time.sleep(0.5)
            lat, f = load(o.base, o.rate, o.seconds)
            stop.set()
            t.join()
            report("busy", lat, f, f" (while {counts['fit']} fits and {counts['preview']} previews ran)")
        elif phase == "reload":
            stop, sent = threading.Event(), [0]

            def hup():
                while not stop.wait(4):
                    os.kill(o.pid, signal.SIGHUP)
                    sent[0] += 1
            t = threading.Thread(target=hup, daemon=True)
            t.start()
            lat, f = load(o.base, o.rate, o.seconds)
            stop.set()
            t.join()
            report("reload", lat, f, f" (while {sent[0]} SIGHUP reloads ran)")
        elif phase == "faults":
            failed |= not faults(o.base, o.pid)
            continue
        failed |= bool(f)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
