#!/usr/bin/env python3
"""A KV store for faultline's own tests (issue 15, the suite's invalid run): every node answers
from its own memory and replicates nothing, so a value written on one node is never read on
another. Any register run with clients on two nodes is INVALID within a second or two, without
faults: a reliable anomaly for tests of what happens around an invalid run. Python standard
library only; the --node-cmd placeholders of docs/PROTOCOL.md.

Usage: split_brain_kv.py --id {id} --host {host} --client-port {client_port}
                         --peer-port {peer_port} --peers {peers} --data {data_dir}
"""
import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

p = argparse.ArgumentParser()
for flag in ("--id", "--host", "--peers", "--data"):
    p.add_argument(flag, required=True)
p.add_argument("--client-port", type=int, required=True)
p.add_argument("--peer-port", type=int, required=True)
ARGS = p.parse_args()
KV = {}
MU = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, out):
        data = json.dumps(out).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return self.answer(400, {"error": "bad json"})
        if not isinstance(body, dict):
            body = {}
        if self.path == "/status":
            return self.answer(200, {"id": ARGS.id, "role": "leader", "term": 1,
                                     "leader": ARGS.id, "commit_index": 0})
        parts = self.path.strip("/").split("/")
        if parts[0] != "kv" or len(parts) not in (2, 3):
            return self.answer(404, {"error": "no such endpoint"})
        key = parts[1]
        with MU:
            if len(parts) == 2 and self.command == "GET":
                return self.answer(200, {"value": KV.get(key)})
            if len(parts) == 2 and self.command == "PUT":
                KV[key] = body.get("value")
                return self.answer(200, {})
            if len(parts) == 2 and self.command == "DELETE":
                KV.pop(key, None)
                return self.answer(200, {})
            if len(parts) == 3 and parts[2] == "cas" and self.command == "POST":
                if KV.get(key) != body.get("from"):
                    return self.answer(412, {"error": "mismatch"})
                KV[key] = body.get("to")
                return self.answer(200, {})
        return self.answer(404, {"error": "no such endpoint"})

    do_GET = do_PUT = do_POST = do_DELETE = handle_any


server = ThreadingHTTPServer((ARGS.host, ARGS.client_port), Handler)
server.daemon_threads = True
server.serve_forever()
