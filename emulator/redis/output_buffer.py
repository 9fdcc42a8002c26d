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
    __slots__ = ("_chunks", "_offset", "size")

    def __init__(self) -> None:
        self._chunks: deque[bytes | bytearray] = deque()
        # How much of the first chunk the socket has already taken.
        self._offset = 0
        self.size = 0

    def __len__(self) -> int:
        return self.size

    @property
    def chunk_count(self) -> int:
        return len(self._chunks)

    def append(self, data: bytes) -> None:
        chunks = self._chunks
        self.size += len(data)
        if chunks:
            tail = chunks[-1]
            if len(tail) + len(data) <= CHUNK_BYTES:
                if type(tail) is bytearray:
                    tail += data
                else:
                    # The first small reply is kept as it came (one reply, one send: nothing to copy); a second one
                    # starts a chunk that later ones are packed into.
                    packed = bytearray(tail)
                    packed += data
                    chunks[-1] = packed
                return
        chunks.append(data)

    def send(self, sock: socket.socket, budget: int = SEND_BUDGET) -> int:
        """Send from the front until the socket takes less than offered or `budget` bytes went; the bytes sent.

        A socket error other than "would block" propagates; what was sent before it is accounted for.
        """
        chunks = self._chunks
        total = 0
        while chunks and total < budget:
            head = chunks[0]
            offset = self._offset
            try:
                if offset:
                    # Released at once: a bytearray with a live view cannot be appended to.
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
        self.size = 0
