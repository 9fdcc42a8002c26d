"""A client's replies not yet taken by its socket: bytes in chunks, cheap to append to and to send from the front.

Small replies are packed into chunks of up to CHUNK_BYTES (redis packs them into 16 KiB reply blocks), so a million
unread `+PONG` cost about their own size rather than a Python object each; a large reply stays one chunk, uncopied.
Sending takes from the first chunk only, so a client that reads slowly costs the loop what it reads, never a copy of
everything it has not read yet.
"""

from __future__ import annotations

import socket
import ssl
from collections import deque

CHUNK_BYTES = 16 * 1024
# redis queues a client's first 16 KiB of replies in the client's own buffer and counts only what overflows it
# against client-output-buffer-limit; so does the twin, so small limits drop the same clients.
UNCOUNTED_BYTES = 16 * 1024
# Bytes sent to one client per loop turn before the others get theirs (redis: NET_MAX_WRITES_PER_EVENT, 64 KiB).
SEND_BUDGET = 256 * 1024


class OutputBuffer:
    __slots__ = ("_chunks", "_offset", "_tail", "_tail_size", "size")

    def __init__(self) -> None:
        self._chunks: deque[bytes] = deque()
        # How much of the first chunk the socket has already taken.
        self._offset = 0
        # The latest small replies, joined into one chunk once they would fill it or are sent: appending stays as
        # cheap as a list append, and no more than a chunk's worth is ever held as separate objects.
        self._tail: list[bytes] = []
        self._tail_size = 0
        self.size = 0

    def __len__(self) -> int:
        return self.size

    @property
    def chunk_count(self) -> int:
        return len(self._chunks) + (1 if self._tail else 0)

    def append(self, data: bytes) -> None:
        size = len(data)
        self.size += size
        if self._tail_size + size > CHUNK_BYTES:
            self._pack()
            if size >= CHUNK_BYTES:
                # A large reply is a chunk of its own, as it came: nothing to copy.
                self._chunks.append(data)
                return
        self._tail.append(data)
        self._tail_size += size

    def _pack(self) -> None:
        tail = self._tail
        if tail:
            self._chunks.append(tail[0] if len(tail) == 1 else b"".join(tail))
            self._tail = []
            self._tail_size = 0

    def send(self, sock: socket.socket, budget: int = SEND_BUDGET) -> int:
        """Send from the front until the socket takes less than offered or `budget` bytes went; the bytes sent.

        A socket error other than "would block" propagates; what was sent before it is accounted for.
        """
        chunks = self._chunks
        total = 0
        while total < budget:
            if not chunks:
                if not self._tail:
                    break
                self._pack()
            head = chunks[0]
            offset = self._offset
            try:
                if offset:
                    with memoryview(head) as view, view[offset:] as rest:
                        sent = sock.send(rest)
                else:
                    sent = sock.send(head)
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                break
            total += sent
            self.size -= sent
            if offset + sent == len(head):
                chunks.popleft()
                self._offset = 0
            else:
                self._offset = offset + sent
                break
        return total

    def clear(self) -> None:
        self._chunks = deque()
        self._offset = 0
        self._tail = []
        self._tail_size = 0
        self.size = 0
