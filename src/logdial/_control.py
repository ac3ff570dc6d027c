"""Live control, the program's side: one channel per process that ``logdial set``,
``reset``, ``trace`` and ``ps`` reach (``_control_cli``).

The channel is a Unix datagram socket in a directory only this user can enter, made with
an unpredictable name (``mkdtemp``: 0700, created atomically, so no other user can make
it first or point it elsewhere); the operating system refuses every other user (root
aside) before a byte reaches the program, and each datagram carries its sender's
credentials, checked again. Controllers find channels in ``/proc/net/unix``, which lists
the sockets of live processes only: a program that died is never asked.

No thread listens: the socket signals the process (``O_ASYNC``: ``SIGIO``) when a request
arrives, and the handler, which Python runs in the main thread between two bytecodes,
reads the waiting datagrams without blocking. When the main thread was interrupted inside
logdial or ``logging`` (it holds one of their locks), the request stays queued and the
controller sends it again; a request is answered once (the reply is kept for a repeat).
A forked child closes its copy at once: it never answers on its parent's channel.

Requests are small JSON objects: ``status``, ``set`` (a settings string), ``reset`` and
``trace`` (a directory, or none). Nothing else is accepted: no code, formats or paths
besides a trace directory.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import json
import logging
import os
import signal
import socket
import struct
import tempfile
import threading

from ._errors import LogdialError
from ._forks import held, registering

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType
    from typing import Final

    from ._control_api import Controlled

__all__ = [
    "MAX_REQUEST",
    "OPERATIONS",
    "PER_SIGNAL",
    "ControlError",
    "add",
    "base_directory",
    "channel",
    "credentials",
    "decode",
    "encode",
    "private_directory",
    "remove",
]

#: The largest request or reply, in bytes: a settings string at the grammar's limit fits.
MAX_REQUEST: Final = 200_000
#: How many waiting requests one signal serves; more wait for the next signal (a repeat).
PER_SIGNAL: Final = 32
#: The time one signal may spend answering (seconds): past it, the requests still waiting
#: are dropped unanswered (their controllers send them again), so that a flood of costly
#: requests cannot hold the program's main thread.
BUDGET: Final = 0.02
#: The longest settings string a remote ``set`` takes (characters): reading one costs the
#: main thread time in proportion (a did-you-mean per bad item).
MAX_SETTINGS: Final = 4096
#: How many replies are kept for requests sent again.
_KEPT_REPLIES: Final = 64
#: ``struct ucred`` (pid, uid, gid): the credentials a datagram carries.
_UCRED: Final = struct.Struct("3i")
#: The ancillary room ``recvmsg`` needs for them.
CREDENTIALS_SPACE: Final = socket.CMSG_SPACE(_UCRED.size) if hasattr(socket, "CMSG_SPACE") else 0
#: The operations a request may ask for.
OPERATIONS: Final = ("status", "set", "reset", "trace")


class ControlError(LogdialError):
    """
    This process cannot be controlled (said why): no main thread to take the signal, a
    ``SIGIO`` handler of the program's own, a platform without Unix sockets or
    ``/proc``, no private directory to put the channel in.
    """


def encode(message: dict[str, object]) -> bytes:
    """
    ``message`` as a datagram.
    """
    return json.dumps(message, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def decode(data: bytes) -> dict[str, object] | None:
    """
    A datagram as a message, or ``None`` for anything that is not a JSON object.
    """
    try:
        message = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return message if isinstance(message, dict) else None


def base_directory() -> str:
    """
    Where channels go: ``$XDG_RUNTIME_DIR`` when it is a directory of this user's that
    only they can enter, else the temporary directory (each channel gets a private
    directory of its own there, made by ``mkdtemp``).
    """
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime) and private_directory(runtime, os.getuid()):
        return runtime
    return tempfile.gettempdir()


def private_directory(path: str, uid: int) -> bool:
    """
    Whether ``path`` is a directory of user ``uid``'s that no one else can enter (not a
    link to one).
    """
    import stat

    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == uid and (info.st_mode & 0o077) == 0


class Channel:
    """
    This process's channel, once a system asked to be controllable (``add``).
    """

    def __init__(self) -> None:
        self.systems: dict[str, Controlled] = {}
        self.sock: socket.socket | None = None
        self.path: str | None = None
        self.pid = os.getpid()
        self._previous: Callable[[int, FrameType | None], object] | int | None = None
        self._serving = False
        self._replies: collections.OrderedDict[tuple[object, str], bytes] = collections.OrderedDict()

    def add(self, system: Controlled) -> None:
        """
        Make ``system`` controllable, opening the channel if it is not open.

        Raises:
            ControlError: when this process cannot be controlled (see the class).
        """
        if self.sock is None:
            self._open()
        other = self.systems.get(system.name)
        if other is not None and other.alive() and not other.same(system):
            raise ControlError(
                f"another system named {system.name!r} is controllable in this process already; "
                "live control tells systems apart by name"
            )
        self.systems[system.name] = system

    def _open(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            raise ControlError(
                "live control is enabled from the main thread only (Python runs signal handlers there); "
                "call enable_control() or init() from the main thread"
            )
        if not hasattr(socket, "AF_UNIX") or not hasattr(socket, "SO_PASSCRED") or not hasattr(signal, "SIGIO"):
            raise ControlError("live control needs Linux (Unix sockets with credentials, SIGIO)")
        previous = signal.getsignal(signal.SIGIO)
        if previous is None:
            raise ControlError("SIGIO has a handler installed outside Python, which live control would replace")
        if getattr(previous, "__func__", None) is Channel._on_signal:
            previous = signal.SIG_DFL  # (a channel's own, from before a fork: not chained to)
        directory = tempfile.mkdtemp(prefix=f"logdial-{os.getuid()}-", dir=base_directory())
        path = os.path.join(directory, f"{os.getpid()}.sock")
        if len(path.encode()) > 100:  # (sun_path holds 108 bytes)
            os.rmdir(directory)
            directory = tempfile.mkdtemp(prefix=f"logdial-{os.getuid()}-", dir="/tmp")
            path = os.path.join(directory, f"{os.getpid()}.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.bind(path)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * MAX_REQUEST)
            sock.setblocking(False)
            self._previous = previous
            signal.signal(signal.SIGIO, self._on_signal)
            import fcntl

            fcntl.fcntl(sock.fileno(), fcntl.F_SETOWN, os.getpid())
            flags = fcntl.fcntl(sock.fileno(), fcntl.F_GETFL)
            fcntl.fcntl(sock.fileno(), fcntl.F_SETFL, flags | os.O_ASYNC)
        except BaseException:
            sock.close()
            remove(path)
            if signal.getsignal(signal.SIGIO) == self._on_signal:
                signal.signal(signal.SIGIO, previous)  # (as it was)
            raise
        self.sock, self.path, self.pid = sock, path, os.getpid()
        atexit.register(self.close)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget_in_child)

    def close(self) -> None:
        """
        Close the channel and remove its socket and directory (at exit).
        """
        sock, path, self.sock, self.path = self.sock, self.path, None, None
        if sock is None or path is None:
            return
        sock.close()
        if os.getpid() == self.pid:
            remove(path)

    def _forget_in_child(self) -> None:
        # A forked child never answers on its parent's channel: its copy is closed (the
        # socket stays the parent's), and it is controllable only if it asks again.
        sock, self.sock, self.path = self.sock, None, None
        self.systems = {}
        self._replies.clear()
        if sock is not None:
            sock.close()  # (this process's descriptor only: the path stays the parent's)
        self.pid = os.getpid()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        previous = self._previous
        if callable(previous):
            previous(signum, frame)
        if self.sock is None or os.getpid() != self.pid or self._serving:
            return  # not ours, or this handler interrupted itself (its loop reads what came)
        if self._busy():  # logdial's state is held by the code interrupted: dropped, asked again
            self._drop()
            return
        self._serving = True
        try:
            self.serve()
        finally:
            self._serving = False
        # What arrived while serving signalled a handler that passed it over (above): left
        # in a full queue, it would take no request and signal no more, for good. Dropped
        # (controllers send again); what arrives from now on signals this handler anew.
        self._drop()

    def _drop(self) -> None:
        # Read and drop what waits (reading touches no state of logdial's): a queue left
        # full would take no more requests, and signal no more.
        sock = self.sock
        for _ in range(PER_SIGNAL):
            try:
                if sock is None or not sock.recv(MAX_REQUEST + 1, socket.MSG_DONTWAIT):
                    return
            except OSError:
                return

    def _busy(self) -> bool:
        # Whether the interrupted code (this thread) holds a lock of logging's or of a
        # controllable system's: changing their state now would act in the middle of it.
        lock = getattr(logging, "_lock", None)
        if registering() or (lock is not None and held(lock)):
            return True
        return any(system.busy() for system in list(self.systems.values()))

    def serve(self) -> None:
        """
        Answer up to ``PER_SIGNAL`` waiting requests, without blocking; never raises.
        """
        sock = self.sock
        if sock is None:
            return
        import time

        deadline = time.monotonic() + BUDGET
        for _ in range(PER_SIGNAL):
            if time.monotonic() > deadline:
                self._drop()
                return
            try:
                data, ancillary, flags, sender = sock.recvmsg(MAX_REQUEST + 1, CREDENTIALS_SPACE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            try:
                reply = self._answer(data, ancillary, flags)
            except Exception:  # (never into the interrupted program; _answer says what it can)
                reply = None
            if reply is None or not sender:
                continue
            self._send(sock, sender, reply)

    def _answer(self, data: bytes, ancillary: list[tuple[int, int, bytes]], flags: int) -> dict[str, object] | None:
        creds = credentials(ancillary)
        if creds is None or creds[1] not in (os.getuid(), 0):
            return None  # (the directory already keeps other users out: not answered)
        if flags & socket.MSG_TRUNC or len(data) > MAX_REQUEST:
            return {"ok": False, "error": f"request too large (at most {MAX_REQUEST} bytes)"}
        request = decode(data)
        if request is None:
            return {"ok": False, "error": "not a request: a JSON object was expected"}
        ident, sender = request.get("id"), request.get("from")
        if not isinstance(ident, str) or len(ident) > 64 or not isinstance(sender, (str, type(None))):
            return {"ok": False, "error": "a request needs an 'id' string (and 'from', if any, a string)"}
        key = (sender, ident)
        kept = self._replies.get(key)
        if kept is not None:
            return decode(kept)
        try:
            done = self._perform(request)
        except Exception as exc:  # (an answer the controller can match: not a silence it waits out)
            done = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        reply = {"id": ident, "pid": self.pid, **done}
        self._replies[key] = encode(reply)
        if len(self._replies) > _KEPT_REPLIES:
            self._replies.popitem(last=False)
        return reply

    def _perform(self, request: dict[str, object]) -> dict[str, object]:
        op = request.get("op")
        if op not in OPERATIONS:
            return {"ok": False, "error": f"unknown operation {op!r}: one of {', '.join(OPERATIONS)}"}
        if op == "status":
            return {"ok": True, "systems": [s.status() for s in self._alive()]}
        name = request.get("system")
        system = next((s for s in self._alive() if s.name == name), None)
        if system is None:
            return {"ok": False, "error": f"no controllable system {name!r} in this process"}
        try:
            if op == "set":
                settings = request.get("settings")
                if not isinstance(settings, str):
                    return {"ok": False, "error": "'set' needs a 'settings' string"}
                if len(settings) > MAX_SETTINGS:
                    return {"ok": False, "error": f"settings too long for live control ({len(settings)} "
                            f"characters; at most {MAX_SETTINGS})"}  # fmt: skip
                return {"ok": True, "changed": system.set(settings)}
            if op == "reset":
                return {"ok": True, "changed": system.reset()}
            directory = request.get("dir")
            if directory is not None and (not isinstance(directory, str) or not os.path.isabs(directory)):
                return {"ok": False, "error": "'trace' needs an absolute directory, or null to stop"}
            system.trace(directory)
            return {"ok": True}
        except LogdialError as exc:
            return {"ok": False, "error": str(exc)}
        except (OSError, ValueError, TypeError) as exc:
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}

    def _alive(self) -> list[Controlled]:
        for name, system in list(self.systems.items()):
            if not system.alive():
                self.systems.pop(name, None)
        return list(self.systems.values())

    def _send(self, sock: socket.socket, to: object, reply: dict[str, object]) -> None:
        data = encode(reply)
        if len(data) > MAX_REQUEST:
            data = encode({"id": reply.get("id"), "pid": self.pid, "ok": False, "error": "reply too large"})
        with contextlib.suppress(OSError):  # a controller that left, or whose queue is full: dropped
            sock.sendto(data, socket.MSG_DONTWAIT, to)  # type: ignore[call-overload]  # (recvmsg's address)


def credentials(ancillary: list[tuple[int, int, bytes]]) -> tuple[int, int, int] | None:
    """
    The sender's (pid, uid, gid) that the kernel attached to a datagram (``SO_PASSCRED``),
    from ``recvmsg``'s ancillary data; ``None`` when there are none.
    """
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(data) >= _UCRED.size:
            pid, uid, gid = _UCRED.unpack(data[: _UCRED.size])
            return int(pid), int(uid), int(gid)
    return None


def remove(path: str) -> None:
    """
    Remove a socket and the private directory it sits in, as far as they are there.
    """
    with contextlib.suppress(OSError):
        os.unlink(path)
    with contextlib.suppress(OSError):
        os.rmdir(os.path.dirname(path))


_channel: Channel | None = None


def channel() -> Channel | None:
    """
    This process's channel, if a system made it.
    """
    return _channel if _channel is not None and _channel.pid == os.getpid() else None


def add(system: Controlled) -> str:
    """
    Make ``system`` controllable; return the channel's socket path.

    Raises:
        ControlError: when this process cannot be controlled.
    """
    global _channel  # noqa: PLW0603 (one channel per process)
    if _channel is None or _channel.pid != os.getpid():
        _channel = Channel()
    _channel.add(system)
    assert _channel.path is not None
    return _channel.path
