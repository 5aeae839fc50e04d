"""Messages between the trusted executor and its zygote over a Unix stream socket.

A message is one codec frame, optionally preceded by a one-byte carrier of file
descriptors (SCM_RIGHTS). Reads are exact (never buffered ahead), so descriptors stay
attached to the message they belong to.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from autograder.sandbox import codec

_NO_FDS = b"-"
_WITH_FDS = b"+"
MAX_FDS = 4


class ChannelClosed(EOFError):
    """The other end closed the socket."""


def send_message(sock: socket.socket, value: Any, fds: tuple[int, ...] = ()) -> None:
    """Send ``value`` (plain data) and, attached to it, the descriptors ``fds``."""
    send_frame(sock, codec.encode(value), fds)


def send_frame(sock: socket.socket, frame: bytes, fds: tuple[int, ...] = ()) -> None:
    """Send an already encoded frame (with its length prefix) and the descriptors ``fds``."""
    if fds:
        socket.send_fds(sock, [_WITH_FDS], list(fds))
    else:
        sock.sendall(_NO_FDS)
    sock.sendall(frame)


def receive_message(sock: socket.socket, max_bytes: int) -> tuple[Any, list[int]]:
    """Receive one message; return its value and the descriptors that came with it.

    Raises ChannelClosed at end of stream and codec.CodecError on a malformed message.
    """
    frame, fds = receive_frame(sock, max_bytes)
    try:
        return codec.decode(frame), fds
    except BaseException:
        for fd in fds:
            _close_quietly(fd)
        raise


def receive_frame(sock: socket.socket, max_bytes: int) -> tuple[bytes, list[int]]:
    """Receive one frame undecoded (length prefix included) and its descriptors.

    Raises ChannelClosed at end of stream and codec.CodecError on a malformed or oversized frame.
    """
    marker, fds, _flags, _address = socket.recv_fds(sock, 1, MAX_FDS)
    if not marker:
        raise ChannelClosed("control socket closed")
    try:
        if marker not in (_NO_FDS, _WITH_FDS):
            raise codec.CodecError("malformed control message")
        prefix = _receive_exactly(sock, 8)
        length = int.from_bytes(prefix, "little")
        if length > max_bytes:
            raise codec.CodecError(f"control message of {length} bytes exceeds {max_bytes}")
        return prefix + _receive_exactly(sock, length), fds
    except BaseException:
        for fd in fds:
            _close_quietly(fd)
        raise


def _receive_exactly(sock: socket.socket, size: int) -> bytes:
    buffer = bytearray(size)
    view = memoryview(buffer)
    received = 0
    while received < size:
        count = sock.recv_into(view[received:], size - received)
        if count == 0:
            raise ChannelClosed("control socket closed mid-message")
        received += count
    return bytes(buffer)


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
