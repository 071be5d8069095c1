#!/usr/bin/env python3
"""Schema-driven fuzzing of the REST API with schemathesis, bounded in time.

Starts `certhall serve` on a free 127.0.0.1 port in a scratch data directory, registers a
customer (the SMS code read from the file outbox) and logs in the console administrator,
then runs schemathesis against /api/v1/openapi.json twice: once with the customer's
session and once with the console's, so that operations behind a login are exercised as
well as refused. The checks: no 5xx (not_a_server_error) and no status the document does
not list (status_code_conformance). Exit status: schemathesis's (0 when clean).

    fuzz_api.py CERTHALL_BINARY [SECONDS_PER_RUN]
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request


def start(binary, data_dir):
    env = dict(os.environ, CERTHALL_DATA_DIR=str(data_dir), CERTHALL_LOG="warn")
    server = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    for line in server.stderr:
        match = re.search(r"CertHall listening on (http://127\.0\.0\.1:\d+)", line)
        if match:
            # Keep draining stderr so the server never blocks on a full pipe.
            threading.Thread(target=server.stderr.read, daemon=True).start()
            return server, match.group(1)
        if time.time() > deadline:
            break
    server.kill()
    raise SystemExit("certhall serve did not start")


def call(base, method, path, body=None, headers=None):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request) as response:
        cookie = response.headers.get("Set-Cookie", "").split(";")[0]
        return json.loads(response.read() or b"{}"), cookie


def sms_code(data_dir, phone):
    outbox = pathlib.Path(data_dir) / "outbox" / "sms.jsonl"
    for _ in range(100):
        if outbox.exists():
            for line in reversed(outbox.read_text().splitlines()):
                message = json.loads(line)
                if message["to"] == phone:
                    return re.search(r"\d{6}", message["text"]).group(0)
        time.sleep(0.1)
    raise SystemExit(f"no SMS code for {phone} in {outbox}")


def customer_session(base, data_dir):
    phone = "13900139000"
    call(base, "POST", "/api/v1/sms-codes", {"phone": phone, "purpose": "register"})
    code = sms_code(data_dir, phone)
    body = {"phone": phone, "code": code, "password": "fuzzpass123", "agree": True}
    session, cookie = call(base, "POST", "/api/v1/accounts", body)
    return cookie, session["csrf_token"]


def console_session(base, data_dir):
    password = (pathlib.Path(data_dir) / "initial-admin-password").read_text().strip()
    body = {"username": "admin", "password": password}
    session, cookie = call(base, "POST", "/api/v1/console/session", body)
    return cookie, session["csrf_token"]


def fuzz(base, seconds, cookie, csrf, label):
    st = shutil.which("st") or str(pathlib.Path(sys.executable).parent / "st")
    print(f"--- schemathesis, {label}, {seconds} s", flush=True)
    return subprocess.call(
        [
            st,
            "run",
            f"{base}/api/v1/openapi.json",
            "--checks",
            "not_a_server_error,status_code_conformance",
            "--max-time",
            str(seconds),
            "--workers",
            "2",
            "--header",
            f"Cookie: {cookie}",
            "--header",
            f"X-CSRF-Token: {csrf}",
            "--warnings",
            "off",
        ]
    )


def main():
    binary = sys.argv[1]
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    data_dir = tempfile.mkdtemp(prefix="certhall-fuzz-")
    server, base = start(binary, data_dir)
    try:
        # Both sessions first: fuzzing the logins soon throttles this address.
        sessions = [
            ("as a customer", customer_session(base, data_dir)),
            ("as the console administrator", console_session(base, data_dir)),
        ]
        status = 0
        for label, (cookie, csrf) in sessions:
            status |= fuzz(base, seconds, cookie, csrf, label)
        return status
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
