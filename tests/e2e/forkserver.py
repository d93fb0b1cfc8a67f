"""Serve ``pathway`` commands to a shell script from one warm interpreter: each command is a fork.

``python tests/e2e/forkserver.py SOCKET`` imports the CLI once, prints ``ready`` and then, for every
connection, receives the caller's stdin, stdout and stderr (as file descriptors), its arguments,
environment and working directory, forks, runs the console script's ``main()`` in the child with
exactly those, and answers the child's exit code. :data:`SHIM` is the ``pathway`` a script finds on
PATH: it sends its own descriptors and exits with the code it gets back. A script so runs the real
``main()`` in a process of its own per command, without paying a fresh interpreter's imports each
time (tests/e2e/test_subprocess.py keeps one real subprocess per command for those).
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys

#: The ``pathway`` executable a script calls: standard library only, started without site-packages.
SHIM = """#!{python} -S
import json, os, socket, struct, sys
with socket.socket(socket.AF_UNIX) as conn:
    conn.connect({socket!r})
    request = json.dumps({{"args": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}}).encode()
    socket.send_fds(conn, [struct.pack("!I", len(request)) + request], [0, 1, 2])
    answer = b""
    while len(answer) < 4:
        part = conn.recv(4 - len(answer))
        if not part:
            sys.exit(70)
        answer += part
sys.exit(struct.unpack("!i", answer)[0])
"""


def _receive(conn: socket.socket) -> tuple[dict[str, object], list[int]]:
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
    size = struct.unpack("!I", data[:4])[0]
    while len(data) < 4 + size:
        data += conn.recv(4 + size - len(data))
    return json.loads(data[4:4 + size]), fds


def _child(request: dict[str, object], fds: list[int]) -> int:
    from pathway.cli.app import main

    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(str(request["cwd"]))
    os.environ.clear()
    os.environ.update(request["env"])  # type: ignore[arg-type]
    sys.argv = ["pathway", *request["args"]]  # type: ignore[misc]
    try:
        main()
        return 0
    except SystemExit as exit_:
        if isinstance(exit_.code, str):
            print(exit_.code, file=sys.stderr)
            return 1
        return exit_.code or 0
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def serve(path: str) -> None:
    import importlib

    # the imports the commands share, paid once (each command still runs main() in a process of its own)
    for name in ("pathway.cli.app", "pathway.bootstrap", "pathway.cli.participant", "pathway.cli.report",
                 "pathway.services.participants", "pathway.services.reporting", "pathway.store.migrate"):
        importlib.import_module(name)

    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen()
        print("ready", flush=True)
        while True:
            conn, _ = server.accept()
            with conn:
                request, fds = _receive(conn)
                pid = os.fork()
                if pid == 0:
                    code = 1
                    try:
                        code = _child(request, fds)
                    finally:
                        os._exit(code)
                for fd in fds:
                    os.close(fd)
                _, status = os.waitpid(pid, 0)
                conn.sendall(struct.pack("!i", os.waitstatus_to_exitcode(status)))


if __name__ == "__main__":
    serve(sys.argv[1])
