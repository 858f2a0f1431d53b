"""A task's network namespace: what ``awsvpc`` gives each ECS task, shared by its containers.

The namespace has its own loopback interface, so the app binds the address and port the image and the task
definition say (``0.0.0.0:8000``), and the image's HEALTHCHECK asks ``127.0.0.1`` inside it, as in the
container. The twin bridges it to the machine's loopback with sockets created inside the namespace
(``setns`` on a helper thread): outbound, the platform's proxy and credentials endpoint appear on the
task's ``127.0.0.1``; inbound, the task's port is published on a loopback address of its own, standing
in for the task's address in the VPC, where the load balancer (here CloudFront's stand-in) reaches it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import socket
import subprocess
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

CLONE_NEWNET = 0x40000000
T = TypeVar("T")


class TaskNetwork:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.touch()
        subprocess.run(["/usr/bin/unshare", f"--net={path}", "/bin/true"], check=True)
        subprocess.run(
            ["/usr/bin/nsenter", f"--net={path}", "/usr/sbin/ip", "link", "set", "lo", "up"], check=True
        )
        self._listeners: list[socket.socket] = []
        self._closed = False

    def nsenter(self) -> list[str]:
        """The argv prefix that runs a command inside this namespace."""
        return ["/usr/bin/nsenter", f"--net={self.path}", "--"]

    def inside(self, make: Callable[[], T]) -> T:
        """Run ``make`` on a thread that joined this namespace (sockets it creates stay in it)."""
        result: dict[str, T] = {}
        failure: list[BaseException] = []

        def run() -> None:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(self.path, os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns into the task's network namespace failed")
                result["value"] = make()
            except BaseException as exc:  # handed to the caller's thread
                failure.append(exc)
            finally:
                os.close(fd)

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        if failure:
            raise failure[0]
        return result["value"]

    def forward_in(self, port: int, target: tuple[str, int]) -> None:
        """``127.0.0.1:port`` inside the task reaches ``target`` on the machine (the platform's endpoints)."""

        def listen() -> socket.socket:
            return socket.create_server(("127.0.0.1", port))

        listener = self.inside(listen)
        self._serve(listener, lambda: socket.create_connection(target, timeout=10))

    def publish(self, addresses: Iterable[str], port: int) -> str:
        """``address:port`` on the machine reaches the task's ``port`` (the task's address in the VPC), for
        the first of ``addresses`` whose ``port`` is free; returns that address."""
        for address in addresses:
            try:
                listener = socket.create_server((address, port))
            except OSError as err:
                if err.errno == errno.EADDRINUSE:
                    continue  # another twin on this machine published a task there
                raise
            self._serve(
                listener,
                lambda: self.inside(lambda: socket.create_connection(("127.0.0.1", port), timeout=10)),
            )
            return address
        raise OSError(errno.EADDRINUSE, f"no free loopback address for the task's port {port}")

    def _serve(self, listener: socket.socket, connect: Callable[[], socket.socket]) -> None:
        self._listeners.append(listener)

        def accept_loop() -> None:
            while not self._closed:
                try:
                    client, _ = listener.accept()
                except OSError:
                    return
                threading.Thread(target=_bridge, args=(client, connect), daemon=True).start()

        threading.Thread(target=accept_loop, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        for listener in self._listeners:
            listener.close()
        subprocess.run(["/usr/bin/umount", str(self.path)], check=False, capture_output=True)
        with contextlib.suppress(OSError):
            self.path.unlink()


def _bridge(client: socket.socket, connect: Callable[[], socket.socket]) -> None:
    try:
        upstream = connect()
    except OSError:
        client.close()
        return
    upstream.settimeout(None)

    def pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

    other = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
    other.start()
    pipe(client, upstream)
    other.join()
    client.close()
    upstream.close()
