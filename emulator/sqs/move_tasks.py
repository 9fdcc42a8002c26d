"""Message move tasks (StartMessageMoveTask): redrive from a dead-letter queue, at a rate."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, field


@dataclass
class MoveTask:
    task_id: str
    source_arn: str
    destination_arn: str | None
    max_per_second: int | None
    to_move: int
    started: float
    status: str = "RUNNING"
    moved: int = 0
    failure_reason: str | None = None
    handle: str = field(init=False)

    def __post_init__(self) -> None:
        token = json.dumps({"taskId": self.task_id, "sourceArn": self.source_arn}, separators=(",", ":"))
        self.handle = base64.b64encode(token.encode()).decode()

    def may_move(self, now: float) -> bool:
        """Whether the rate limit and the task's own count allow one more message now."""
        if self.status != "RUNNING" or self.moved >= self.to_move:
            return False
        if self.max_per_second is None:
            return True  # AWS's "system-optimised rate": here, all at once
        return self.moved < int((now - self.started) * self.max_per_second) + 1

    def fail(self, reason: str) -> None:
        self.status = "FAILED"
        self.failure_reason = reason

    def finish_if_done(self) -> None:
        if self.status == "RUNNING" and self.moved >= self.to_move:
            self.status = "COMPLETED"


def decode_task_handle(handle: str) -> tuple[str, str] | None:
    """(task id, source ARN) of a task handle (base64 of `{"taskId", "sourceArn"}`), or None if it is not one."""
    try:
        document = json.loads(base64.b64decode(handle, validate=True))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(document, dict):
        return None
    task_id, source_arn = document.get("taskId"), document.get("sourceArn")
    if not isinstance(task_id, str) or not isinstance(source_arn, str):
        return None
    return task_id, source_arn


class MoveTasks:
    def __init__(self) -> None:
        self._tasks: list[MoveTask] = []

    def start(
        self, source_arn: str, destination_arn: str | None, max_per_second: int | None, to_move: int, now: float
    ) -> MoveTask:
        task = MoveTask(str(uuid.uuid4()), source_arn, destination_arn, max_per_second, to_move, now)
        self._tasks.append(task)
        return task

    @property
    def active(self) -> bool:
        # Asked on every request: most twins never start a move task, and an empty list needs no generator.
        return bool(self._tasks) and any(task.status == "RUNNING" for task in self._tasks)

    def running(self, source_arn: str) -> bool:
        return any(task.status == "RUNNING" and task.source_arn == source_arn for task in self._tasks)

    def due(self) -> list[MoveTask]:
        return [task for task in self._tasks if task.status == "RUNNING"]

    def by_handle(self, handle: str) -> MoveTask | None:
        return next((task for task in self._tasks if task.handle == handle), None)

    def for_source(self, source_arn: str) -> list[MoveTask]:
        """Newest first, as ListMessageMoveTasks returns them."""
        return [task for task in reversed(self._tasks) if task.source_arn == source_arn]
