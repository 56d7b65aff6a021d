#!/usr/bin/env python3
"""A small KV store speaking docs/PROTOCOL.md, for the protocol probe's tests.

Not replicated: the first member of --peers is the leader and holds everything in memory; every
other node answers 503 {"error":"not-leader","leader":<first>} (so a probe sees a real
not-leader answer). --mode picks a deliberate defect:
  ok            speaks the protocol
  broken-cas    a cas applies without comparing (no 412 mismatch ever)
  no-locks      no lock endpoints (404), as a store that does not offer them
  text-mismatch a mismatch is answered 412 with a plain-text body instead of the JSON error
  stale-followers  followers answer a GET /kv/<key> themselves, from a lagging copy: the leader
                saves its data to --share FILE after each write, the followers reload it every
                0.5 s (without --share the copy stays empty); other requests as in ok
  unread-body   followers answer not-leader without reading the request body, so on a kept-alive
                connection the next request line starts with that body
"""
import argparse
import json
import os
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--id", required=True)
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--client-port", type=int, required=True)
ap.add_argument("--peers", default="")
ap.add_argument("--mode", default="ok")
ap.add_argument("--share", default="")
args = ap.parse_args()

leader = args.peers.split(",")[0].split("=")[0] if args.peers else args.id
data = {}
locks = {}  # name -> [owner, token, expires, last_token]
mu = threading.Lock()
lagging = {}  # stale-followers: a follower's copy of the leader's data, up to 0.5 s old


def save_share():
    if args.mode == "stale-followers" and args.share:
        tmp = args.share + "." + args.id
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.replace(tmp, args.share)


def reload_share():
    global lagging
    while True:
        time.sleep(0.5)
        try:
            with open(args.share) as f:
                lagging = json.load(f)
        except (OSError, ValueError):
            pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, body):
        raw = (json.dumps(body) if not isinstance(body, bytes) else body)
        raw = raw.encode() if isinstance(raw, str) else raw
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"null")

    def route(self, method):
        path = self.path
        if path == "/status" and method == "GET":
            return self.answer(200, {"id": args.id, "role": "leader" if args.id == leader else "follower",
                                     "term": 1, "leader": leader, "commit_index": 0})
        if args.id != leader and args.mode == "unread-body":
            return self.answer(503, {"error": "not-leader", "leader": leader})
        body = self.body() if method in ("PUT", "POST") else None
        parts = [urllib.parse.unquote(p) for p in path.split("/")[1:]]
        if args.id != leader and args.mode == "stale-followers" and method == "GET" and \
                parts[0] == "kv" and len(parts) == 2:
            return self.answer(200, {"value": lagging.get(parts[1])})
        if args.id != leader:
            return self.answer(503, {"error": "not-leader", "leader": leader})
        with mu:
            if parts[0] == "kv" and len(parts) == 2:
                key = parts[1]
                if method == "GET":
                    return self.answer(200, {"value": data.get(key)})
                if method == "PUT":
                    data[key] = body["value"]
                    save_share()
                    return self.answer(200, {})
                if method == "DELETE":
                    data.pop(key, None)
                    save_share()
                    return self.answer(200, {})
            if parts[0] == "kv" and len(parts) == 3 and parts[2] == "cas" and method == "POST":
                key = parts[1]
                if args.mode != "broken-cas" and data.get(key) != body["from"]:
                    if args.mode == "text-mismatch":
                        return self.answer(412, b"precondition failed")
                    return self.answer(412, {"error": "mismatch"})
                if body["to"] is None:
                    data.pop(key, None)
                else:
                    data[key] = body["to"]
                save_share()
                return self.answer(200, {})
            if parts[0] == "lock" and len(parts) == 3 and method == "POST" and args.mode != "no-locks":
                lk = locks.setdefault(parts[1], [None, 0, 0.0, 0])
                now = time.monotonic()
                if parts[2] == "acquire":
                    if lk[0] is not None and now < lk[2]:
                        return self.answer(409, {"error": "held"})
                    lk[3] += 1
                    lk[0], lk[1], lk[2] = body["owner"], lk[3], now + body["ttl_ms"] / 1000.0
                    return self.answer(200, {"token": lk[1]})
                if parts[2] == "release":
                    if lk[0] is None or now >= lk[2] or lk[0] != body["owner"] or lk[1] != body["token"]:
                        return self.answer(409, {"error": "not-held"})
                    lk[0] = None
                    return self.answer(200, {})
        return self.answer(404, {"error": "not found"})

    def do_GET(self):
        self.route("GET")

    def do_PUT(self):
        self.route("PUT")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")


if args.mode == "stale-followers" and args.share and args.id != leader:
    threading.Thread(target=reload_share, daemon=True).start()
ThreadingHTTPServer.allow_reuse_address = True
ThreadingHTTPServer((args.host, args.client_port), Handler).serve_forever()
