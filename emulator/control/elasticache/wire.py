"""ElastiCache's Query protocol: flat form parameters in, XML out, rendered from botocore's model of the API so every
element has the name and nesting an SDK expects."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from cloudtwin.control.elasticache.errors import ElastiCacheError

NAMESPACE = "http://elasticache.amazonaws.com/doc/2015-02-02/"


@cache
def service_model():
    import botocore.session

    return botocore.session.get_session().get_service_model("elasticache")


class QueryRequest:
    """One request's form parameters (`Name`, `List.member.1`, `Structs.Struct.1.Field`)."""

    def __init__(self, params: dict[str, str]) -> None:
        self.params = params
        self.action = params.get("Action", "")

    def text(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def required(self, name: str) -> str:
        value = self.params.get(name)
        if not value:
            raise ElastiCacheError.invalid_value(f"The parameter {name} must be provided and must not be blank.")
        return value

    def flag(self, name: str) -> bool | None:
        value = self.params.get(name)
        if value is None:
            return None
        if value.lower() not in ("true", "false"):
            raise ElastiCacheError.invalid_value(f"Invalid boolean value for {name}: {value}")
        return value.lower() == "true"

    def number(self, name: str) -> int | None:
        value = self.params.get(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise ElastiCacheError.invalid_value(f"Invalid integer value for {name}: {value}") from None

    def strings(self, name: str) -> list[str]:
        """A list parameter, whatever its member name: `Name.member.1`, `Name.ClusterId.1`."""
        found: list[tuple[int, str]] = []
        prefix = name + "."
        for key, value in self.params.items():
            if key.startswith(prefix):
                parts = key[len(prefix) :].split(".")
                if len(parts) == 2 and parts[1].isdigit():
                    found.append((int(parts[1]), value))
        return [value for _, value in sorted(found)]

    def structures(self, name: str) -> list[dict[str, str]]:
        """A list of flat structures: `Name.Member.1.Field` -> [{"Field": ...}]."""
        found: dict[int, dict[str, str]] = {}
        prefix = name + "."
        for key, value in self.params.items():
            if key.startswith(prefix):
                parts = key[len(prefix) :].split(".")
                if len(parts) == 3 and parts[1].isdigit():
                    found.setdefault(int(parts[1]), {})[parts[2]] = value
        return [found[index] for index in sorted(found)]


def render_result(action: str, result: dict[str, Any] | None) -> bytes:
    """`<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>` for an operation's output."""
    operation = service_model().operation_model(action)
    shape = operation.output_shape
    body = ""
    if shape is not None:
        inner = _members(shape, result or {})
        body = f"<{shape.serialization['resultWrapper']}>{inner}</{shape.serialization['resultWrapper']}>"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{action}Response xmlns="{NAMESPACE}">{body}'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>"
    ).encode()


def render_error(error: ElastiCacheError) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>Sender</Type>'
        f"<Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()


def _members(shape, value: dict[str, Any]) -> str:
    parts = []
    for name, member in shape.members.items():
        if name in value and value[name] is not None:
            parts.append(_element(member.serialization.get("name", name), member, value[name]))
    unknown = set(value) - set(shape.members)
    if unknown:
        raise KeyError(f"{shape.name} has no member {sorted(unknown)}")
    return "".join(parts)


def _element(tag: str, shape, value: Any) -> str:
    return f"<{tag}>{_content(shape, value)}</{tag}>"


def _content(shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "structure":
        return _members(shape, value)
    if kind == "list":
        member = shape.member
        tag = member.serialization.get("name", "member")
        return "".join(_element(tag, member, item) for item in value)
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return escape(str(value))
