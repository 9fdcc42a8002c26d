"""The Query wire's form: `a=b&c=d` pairs, and `Attribute.1.Name`-style keys unflattened.

`unflatten` turns the flat keys into the nested plain data the JSON wire gets (lists for `.N`
members, dicts for maps, the API model's member names), ready for `shapes.coerce`.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from cloudtwin.sqs import errors, shapes
from cloudtwin.sqs.query_names import LIST_ITEMS, MAP_ENTRIES, MAP_ENTRY_ALIASES

_INDEX = re.compile(r"[1-9][0-9]{0,8}")

Tree = dict[str, "str | Tree"]


def parse(text: str) -> dict[str, str]:
    """The form's pairs; a key given twice is an error, since the SDKs never send one twice."""
    try:
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise errors.MalformedQueryString("The query string has percent-encoded bytes that are not UTF-8.") from None
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            raise errors.InvalidParameterValue(f"The parameter {key} was given more than once.")
        form[key] = value
    return form


def unflatten(action: str, form: dict[str, str]) -> dict:
    """The members of `action`'s input found in `form`, nested as the JSON wire nests them."""
    return _structure(action, shapes.INPUTS[action], _tree(form), "")


def _tree(form: dict[str, str]) -> Tree:
    root: Tree = {}
    for key, value in form.items():
        node = root
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if isinstance(child, str):
                raise errors.InvalidParameterValue(f"The parameter {key} conflicts with a parameter named {part}.")
            node = child
        if leaf in node:
            raise errors.InvalidParameterValue(f"The parameter {key} conflicts with parameters under it.")
        node[leaf] = value
    return root


def _structure(action: str, shape: dict, node: Tree, path: str) -> dict:
    raw: dict = {}
    for member, kind in shape.items():
        if isinstance(kind, list):
            name = f"{action}RequestEntry"
            items = _items(node.get(name), path + name)
            if items is not None:
                raw[member] = [_entry(action, kind[0], item, f"{path}{name}.{n}.") for n, item in items]
        elif kind == shapes.STRING_LIST:
            name = LIST_ITEMS[member]
            items = _items(node.get(name), path + name, bare_allowed=True)
            if items is not None:
                raw[member] = [item for _, item in items]
        elif kind in (shapes.STRING_MAP, shapes.ATTRIBUTE_MAP):
            name, key_name, value_name = MAP_ENTRIES[member]
            if name not in node and MAP_ENTRY_ALIASES.get(member) in node:
                name = MAP_ENTRY_ALIASES[member]
            items = _items(node.get(name), path + name)
            if items is not None:
                raw[member] = _map(items, f"{path}{name}", key_name, value_name)
        elif member in node:
            value = node[member]
            if not isinstance(value, str):
                raise errors.InvalidParameterValue(f"The parameter {path}{member} must be a single value.")
            raw[member] = value
    return raw


def _entry(action: str, shape: dict, item, path: str) -> dict:
    if not isinstance(item, dict):
        raise errors.InvalidParameterValue(f"The parameter {path[:-1]} must have members, such as {path}Id.")
    return _structure(action, shape, item, path)


def _items(node, path: str, bare_allowed: bool = False) -> list[tuple[int, object]] | None:
    """The `.1`, `.2`, … children of `node` in order: indexes must run from 1 without gaps.

    A list of strings may also come as one bare `Name=value`, as AWS's own examples send it.
    """
    if node is None:
        return None
    if isinstance(node, str):
        if bare_allowed:
            return [(1, node)]
        raise errors.InvalidParameterValue(f"The parameter {path} must be indexed, as in {path}.1.")
    for index in node:
        if not _INDEX.fullmatch(index):
            raise errors.InvalidParameterValue(f"{path}.{index} has an invalid index: indexes are 1, 2, 3, …")
    indexes = sorted(int(index) for index in node)
    if indexes[-1] != len(indexes):
        missing = next(n for n, index in enumerate(indexes, 1) if index != n)
        raise errors.InvalidParameterValue(f"{path}.{missing} is missing: indexes must run from 1 without gaps.")
    return [(n, node[str(n)]) for n in indexes]


def _map(items: list[tuple[int, object]], path: str, key_name: str, value_name: str) -> dict:
    entries: dict = {}
    for n, item in items:
        if not isinstance(item, dict) or not isinstance(item.get(key_name), str):
            raise errors.InvalidParameterValue(f"The parameter {path}.{n}.{key_name} is missing.")
        key = item[key_name]
        if key in entries:
            raise errors.InvalidParameterValue(f"{path}.{n}.{key_name}: {key} is given more than once.")
        entries[key] = item.get(value_name)
    return entries
