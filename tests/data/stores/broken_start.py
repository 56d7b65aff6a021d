#!/usr/bin/env python3
"""A node that never becomes ready, in one of five ways (tests/harness/startup_test.cc).

  --mode silent    never opens its client port (sleeps until stopped)
  --mode mute      accepts connections and never answers
  --mode garbage   accepts connections and answers bytes that are not HTTP
  --mode non-json  answers every request with HTTP 200 and a body that is not JSON
  --mode exit3     writes a line to stderr and exits with status 3 at startup

Usage: broken_start.py --mode MODE --host HOST --port CLIENT_PORT
"""
import argparse
import signal
import socket
import sys
import threading
import time


def serve(host, port, answer):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(64)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=answer, args=(conn,), daemon=True).start()


HELD = []


def mute(conn):
    HELD.append(conn)  # kept open, never answered


def garbage(conn):
    with conn:
        conn.sendall(b"hello garbage\x01\x02 this is not HTTP\n")


def non_json(conn):
    with conn:
        conn.settimeout(2)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
        except OSError:
            return
        body = b"hello, world"
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", required=True, choices=["silent", "mute", "garbage", "non-json", "exit3"])
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if a.mode == "exit3":
        print("broken_start: fatal: cannot open /nonexistent/config.toml", file=sys.stderr)
        sys.exit(3)
    if a.mode == "silent":
        while True:
            time.sleep(1)
    serve(a.host, a.port, {"mute": mute, "garbage": garbage, "non-json": non_json}[a.mode])


if __name__ == "__main__":
    main()
