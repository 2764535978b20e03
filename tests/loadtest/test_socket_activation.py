"""The VPS emulation's socket activation: a process started through `activated` finds the held
socket at fd 3 with LISTEN_FDS=1 and LISTEN_PID its own pid (what gunicorn checks), and a
connection made while no server runs waits in the backlog for the next one."""

from __future__ import annotations

import socket
import subprocess
import sys

from deploy_advisor.emulate.ports import free_port
from deploy_advisor.emulate.socket_activation import activated, held_socket

# Answers one connection on the passed socket with what systemd told it.
_SERVER = """
import os, socket
fds, pid = os.environ.get("LISTEN_FDS"), os.environ.get("LISTEN_PID")
sock = socket.socket(fileno=3)
conn, _ = sock.accept()
conn.sendall(f"{fds} {pid == str(os.getpid())} {sock.getsockname()[1]}".encode())
conn.close()
"""


def _serve_one(sock: socket.socket) -> None:
    command, fds = activated([sys.executable, "-c", _SERVER], sock)
    done = subprocess.run(command, pass_fds=fds, timeout=30, check=False, capture_output=True)
    assert done.returncode == 0, done.stderr


def test_each_server_takes_the_held_socket_and_connections_wait_between_them() -> None:
    port = free_port()
    with held_socket(port) as sock:
        for _ in range(2):  # two "releases", one after the other, on the same socket
            client = socket.create_connection(("127.0.0.1", port), timeout=10)  # none serves yet
            _serve_one(sock)
            assert client.recv(100).decode() == f"1 True {port}"
            client.close()
