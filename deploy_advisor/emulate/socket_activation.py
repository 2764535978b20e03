"""Socket activation as systemd does it: we hold the listening socket, and each server process
we start takes it as fd 3, with LISTEN_FDS=1 and LISTEN_PID set to its own pid."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["LISTEN_FDS_START", "activated", "held_socket"]

LISTEN_FDS_START = 3  # sd_listen_fds(3): the first passed socket
# What systemd does between fork and exec (a shell cannot: dash takes fd numbers up to 9 only).
_EXEC_WITH_SOCKET = f"""\
import os, sys
fd = int(sys.argv[1])
if fd != {LISTEN_FDS_START}:
    os.dup2(fd, {LISTEN_FDS_START})
    os.close(fd)
os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
os.execvp(sys.argv[2], sys.argv[2:])
"""


@contextmanager
def held_socket(port: int, *, host: str = "127.0.0.1") -> Iterator[socket.socket]:
    """A TCP socket listening on `host:port` as the socket unit makes it (NoDelay=yes, the
    kernel's largest backlog), closed on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(socket.SOMAXCONN)
        yield sock
    finally:
        sock.close()


def activated(command: list[str], sock: socket.socket) -> tuple[list[str], tuple[int, ...]]:
    """`command` wrapped so that it starts with `sock` as fd 3 and the LISTEN_* variables that
    name it (the wrapper execs, so LISTEN_PID is the command's pid), and the fds to pass to it."""
    return [sys.executable, "-c", _EXEC_WITH_SOCKET, str(sock.fileno()), *command], (sock.fileno(),)
