#!/usr/bin/env python3
"""A small replicated KV store speaking the faultline KV protocol, for the harness's own tests.

Written for faultline's test suite (issue 12), in the shape of a user's first implementation: one
fixed leader (the first node of --peers) holds the state and saves it to --data before it
answers; every other node forwards each request to the leader's peer address and relays the
answer. The leader serves only while a majority of the nodes (itself included) is up: it asks
every follower's peer port for /status every 200 ms, and without a majority it answers 503
{"error":"no-quorum"}. (It does not replicate data: the followers hold none.) Python standard
library only.

Deliberate bugs, one switch each, so that tests can check that faultline catches them:
  --no-locks           no lock endpoints: /lock/... answers 404 (the protocol allows it; a lock
                       workload against it has nothing to judge)
  --ack-before-save    the leader answers writes from memory and never saves them: a killed and
                       restarted leader has forgotten every write it acknowledged
  --exit-on-restart N  a node started a second time on the same data directory exits with
                       status N at once (it "finds an unclean shutdown marker")
  --lease-cap-ms N     a lock's lease lasts at most N ms whatever ttl_ms asked for: the lock is
                       granted again while its holder's lease should still run (fencing tokens
                       still rise, so only the mutex checker sees it)

Usage (as a --node-cmd template):
  kvstore.py --id {id} --host {host} --client-port {client_port} --peer-port {peer_port}
             --peers {peers} --data {data_dir} [switches]
"""
import argparse
import http.client
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--id", required=True)
    p.add_argument("--host", required=True)
    p.add_argument("--client-port", type=int, required=True)
    p.add_argument("--peer-port", type=int, required=True)
    p.add_argument("--peers", required=True)  # n1=host:port,n2=host:port,...
    p.add_argument("--data", required=True)
    p.add_argument("--no-locks", action="store_true")
    p.add_argument("--ack-before-save", action="store_true")
    p.add_argument("--exit-on-restart", type=int, default=0)
    p.add_argument("--lease-cap-ms", type=int, default=0)
    return p.parse_args()


ARGS = parse_args()
PEERS = []
for item in ARGS.peers.split(","):
    node, addr = item.split("=", 1)
    host, port = addr.rsplit(":", 1)
    PEERS.append((node, host.strip("[]"), int(port)))
LEADER = PEERS[0]
IS_LEADER = ARGS.id == LEADER[0]
STATE_FILE = os.path.join(ARGS.data, "state.json")
MU = threading.Lock()
QUORUM = threading.Event()  # the leader saw a majority of the nodes up in its last round
STATE = {"kv": {}, "locks": {}}  # locks: name -> {owner, token, expires, last_token}


def log(msg):
    sys.stderr.write("kvstore %s: %s\n" % (ARGS.id, msg))
    sys.stderr.flush()


def load():
    global STATE
    if ARGS.ack_before_save:
        return  # nothing was ever saved
    try:
        with open(STATE_FILE) as f:
            STATE = json.load(f)
    except FileNotFoundError:
        pass


def save():
    if ARGS.ack_before_save:
        return  # the bug: acknowledged, never saved
    tmp = STATE_FILE + ".tmp"
    with open(tmp, "w") as f:
        json.dump(STATE, f)
    os.replace(tmp, STATE_FILE)


def answers(host, port):
    """Whether a node answers GET /status at its peer address (under faultline's proxy backend
    a relay accepts the connection even when the node behind it is down: only an answer counts).
    """
    conn = http.client.HTTPConnection(host, port, timeout=0.3)
    try:
        conn.request("GET", "/status")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def watch_quorum():
    """The leader's heartbeat: a majority up, every 200 ms."""
    while True:
        up = 1 + sum(1 for node, host, port in PEERS[1:] if answers(host, port))
        if 2 * up > len(PEERS):
            QUORUM.set()
        else:
            QUORUM.clear()
        time.sleep(0.2)


def apply(method, path, body):
    """The leader's state machine: (status, answer) for one request."""
    if not QUORUM.is_set():
        return 503, {"error": "no-quorum"}
    parts = path.strip("/").split("/")
    now = time.monotonic()
    if parts[0] == "kv" and len(parts) in (2, 3):
        key = parts[1]
        kv = STATE["kv"]
        if len(parts) == 2 and method == "GET":
            return 200, {"value": kv.get(key)}
        if len(parts) == 2 and method == "PUT":
            kv[key] = body.get("value")
            save()
            return 200, {}
        if len(parts) == 2 and method == "DELETE":
            kv.pop(key, None)
            save()
            return 200, {}
        if len(parts) == 3 and parts[2] == "cas" and method == "POST":
            if kv.get(key) != body.get("from"):
                return 412, {"error": "mismatch"}
            kv[key] = body.get("to")
            save()
            return 200, {}
    if parts[0] == "lock" and len(parts) == 3 and method == "POST" and not ARGS.no_locks:
        lock = STATE["locks"].setdefault(parts[1], {"owner": None, "token": 0, "expires": 0,
                                                    "last_token": 0})
        held = lock["owner"] is not None and now < lock["expires"]
        if parts[2] == "acquire":
            if held:
                return 409, {"error": "held"}
            lock["last_token"] += 1
            lock.update(owner=body.get("owner"), token=lock["last_token"],
                        expires=now + lease_ms(body.get("ttl_ms", 1000)) / 1000.0)
            save()
            return 200, {"token": lock["token"]}
        if parts[2] == "release":
            if not held or lock["owner"] != body.get("owner") or lock["token"] != body.get("token"):
                return 409, {"error": "not-held"}
            lock["owner"] = None
            save()
            return 200, {}
    return 404, {"error": "no such endpoint"}


def lease_ms(ttl_ms):
    return min(ttl_ms, ARGS.lease_cap_ms) if ARGS.lease_cap_ms > 0 else ttl_ms


def forward(method, path, raw):
    """A follower relays to the leader: (status, body bytes)."""
    conn = http.client.HTTPConnection(LEADER[1], LEADER[2], timeout=1.0)
    try:
        try:
            conn.connect()
        except OSError:
            return 503, json.dumps({"error": "leader-unavailable"}).encode()
        try:
            conn.request(method, path, body=raw or None,
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            return resp.status, resp.read()
        except OSError:
            # The request may have reached the leader: not a definite failure.
            return 504, json.dumps({"error": "leader-timeout"}).encode()
    finally:
        conn.close()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, data):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path == "/status" and self.command == "GET":
            role = "leader" if IS_LEADER else "follower"
            self.answer(200, json.dumps({"id": ARGS.id, "role": role, "term": 1,
                                         "leader": LEADER[0], "commit_index": 0}).encode())
            return
        if not IS_LEADER:
            status, data = forward(self.command, self.path, raw)
            self.answer(status, data)
            return
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            self.answer(400, b'{"error":"bad json"}')
            return
        with MU:
            status, out = apply(self.command, self.path, body if isinstance(body, dict) else {})
        self.answer(status, json.dumps(out).encode())

    do_GET = do_PUT = do_POST = do_DELETE = handle_any


def main():
    os.makedirs(ARGS.data, exist_ok=True)
    marker = os.path.join(ARGS.data, "started")
    if ARGS.exit_on_restart and os.path.exists(marker):
        log("found an unclean shutdown marker in %s; refusing to start" % ARGS.data)
        sys.exit(ARGS.exit_on_restart)
    open(marker, "w").close()
    load()
    # The peer port: followers reach the leader there, and the leader's heartbeat the followers.
    servers = [ThreadingHTTPServer((ARGS.host, ARGS.client_port), Handler),
               ThreadingHTTPServer((ARGS.host, ARGS.peer_port), Handler)]
    if IS_LEADER:
        threading.Thread(target=watch_quorum, daemon=True).start()
    for s in servers:
        s.daemon_threads = True
        threading.Thread(target=s.serve_forever, daemon=True).start()
    log("serving on %s:%d as %s" % (ARGS.host, ARGS.client_port,
                                    "leader" if IS_LEADER else "follower of " + LEADER[0]))
    threading.Event().wait()


if __name__ == "__main__":
    main()
