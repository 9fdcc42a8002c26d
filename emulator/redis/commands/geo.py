"""The GEO family as redis-server 7.0 runs it, in place of fakeredis's methods of the same names.

fakeredis stores a base32 geohash string as a member's score and searches by its own distance formula, so ZSCORE,
WITHHASH, positions, distances, BYBOX units and result order all differ from redis. Here a member's score is redis'
52-bit geohash integer, positions read back as the centre of its cell, and a search walks the same nine cells in the
same order with the same inside-the-shape tests (emulator/redis/commands/geohash.py), then sorts as redis does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fakeredis import _msgs as msgs
from fakeredis._command_args_parsing import Float, Int
from fakeredis._commands import CommandItem
from fakeredis._helpers import SimpleError
from fakeredis.model import ZSet

from cloudtwin.redis.commands import geohash as geomath
from cloudtwin.redis.commands.base import ServerCommandsBase

_METRES_PER_UNIT = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}
_UNSUPPORTED_UNIT = "ERR unsupported unit provided. please use M, KM, FT, MI"

# Command kinds, for the options each accepts and the errors it words.
_RADIUS, _RADIUS_RO, _SEARCH, _SEARCHSTORE = "georadius", "georadius_ro", "geosearch", "geosearchstore"


@dataclass(frozen=True)
class _Found:
    member: bytes
    distance: float
    score: float
    longitude: float
    latitude: float


def _unit(name: bytes) -> float:
    conversion = _METRES_PER_UNIT.get(name.lower())
    if conversion is None:
        raise SimpleError(_UNSUPPORTED_UNIT)
    return conversion


def _number(value: bytes, error: str | None = None) -> float:
    try:
        return Float.decode(value)
    except SimpleError:
        raise SimpleError(error or msgs.INVALID_FLOAT_MSG) from None


def _long_lat(longitude: float, latitude: float) -> tuple[float, float]:
    if not geomath.in_range(longitude, latitude):
        raise SimpleError(f"ERR invalid longitude,latitude pair {longitude:f},{latitude:f}")
    return longitude, latitude


def _need(args: tuple[bytes, ...], count: int, command: str) -> None:
    """The arity check redis makes (fakeredis's signatures for GEO commands accept fewer arguments)."""
    if len(args) < count:
        raise SimpleError(f"ERR wrong number of arguments for '{command}' command")


def _distance_reply(value: float) -> bytes:
    return b"%.4f" % value


class GeoCommands(ServerCommandsBase):
    def _coordinate_reply(self, value: float) -> Any:
        # redis prints a coordinate with "%.17Lf", trailing zeros dropped: a bulk string in RESP2, a double in RESP3.
        text = f"{value:.17f}".rstrip("0").rstrip(".")
        if text in ("", "-0"):
            text = "0"
        return float(text) if self._client_info.protocol_version == 3 else text.encode()

    def geoadd(self, key: CommandItem, *args: bytes) -> int:
        _need(args, 3, "geoadd")
        index, nx, xx, ch = 0, False, False, False
        while index < len(args):
            option = args[index].lower()
            if option == b"nx":
                nx = True
            elif option == b"xx":
                xx = True
            elif option == b"ch":
                ch = True
            else:
                break
            index += 1
        data = args[index:]
        if not data or len(data) % 3 or (xx and nx):
            raise SimpleError(msgs.SYNTAX_ERROR_MSG)
        members = []
        for position in range(0, len(data), 3):
            longitude, latitude = _long_lat(_number(data[position]), _number(data[position + 1]))
            members.append((data[position + 2], geomath.score_of(longitude, latitude)))
        zset: ZSet = key.value
        added = changed = 0
        for member, score in members:
            old = zset.get(member)
            if (old is None and xx) or (old is not None and nx):
                continue
            if zset.add(member, float(score)):
                changed += 1
                added += old is None
        if changed:
            key.updated()
        return changed if ch else added

    def geohash(self, key: CommandItem, *members: bytes) -> list[bytes | None]:
        zset: ZSet = key.value
        scores = [zset.get(member) for member in members]
        return [None if score is None else geomath.standard_geohash(score).encode() for score in scores]

    def geopos(self, key: CommandItem, *members: bytes) -> list[Any]:
        zset: ZSet = key.value
        replies: list[Any] = []
        for member in members:
            score = zset.get(member)
            if score is None:
                replies.append(None)
            else:
                longitude, latitude = geomath.position_of(score)
                replies.append([self._coordinate_reply(longitude), self._coordinate_reply(latitude)])
        return replies

    def geodist(self, key: CommandItem, first: bytes, second: bytes, *args: bytes) -> bytes | None:
        if len(args) > 1:
            raise SimpleError(msgs.SYNTAX_ERROR_MSG)
        conversion = _unit(args[0]) if args else 1.0
        zset: ZSet = key.value
        scores = zset.get(first), zset.get(second)
        if scores[0] is None or scores[1] is None:
            return None
        (long1, lat1), (long2, lat2) = geomath.position_of(scores[0]), geomath.position_of(scores[1])
        return _distance_reply(geomath.distance(long1, lat1, long2, lat2) / conversion)

    def georadius(self, key: CommandItem, longitude: float, latitude: float, radius: float, *args: bytes) -> Any:
        return self._search(
            key, _RADIUS, args, centre=_long_lat(longitude, latitude), radius=radius, command="georadius"
        )

    def georadius_ro(self, key: CommandItem, longitude: float, latitude: float, radius: float, *args: bytes) -> Any:
        return self._search(
            key, _RADIUS_RO, args, centre=_long_lat(longitude, latitude), radius=radius, command="georadius_ro"
        )

    def georadiusbymember(self, key: CommandItem, member: bytes, radius: float, *args: bytes) -> Any:
        return self._search(key, _RADIUS, args, member=member, radius=radius, command="georadiusbymember")

    def georadiusbymember_ro(self, key: CommandItem, member: bytes, radius: float, *args: bytes) -> Any:
        return self._search(key, _RADIUS_RO, args, member=member, radius=radius, command="georadiusbymember_ro")

    def geosearch(self, key: CommandItem, *args: bytes) -> Any:
        _need(args, 5, "geosearch")
        return self._search(key, _SEARCH, args)

    def geosearchstore(self, destination: bytes, key: CommandItem, *args: bytes) -> Any:
        _need(args, 5, "geosearchstore")
        return self._search(key, _SEARCHSTORE, args, destination=destination)

    def _search(
        self,
        key: CommandItem,
        kind: str,
        args: tuple[bytes, ...],
        centre: tuple[float, float] | None = None,
        member: bytes | None = None,
        radius: float | None = None,
        destination: bytes | None = None,
        command: str = "",
    ) -> Any:
        """georadiusGeneric: parse the options, find the members inside the shape, then reply or store."""
        zset: ZSet | None = key.value if key.value else None
        conversion, width, height, is_box = 1.0, 0.0, 0.0, False
        if radius is not None:
            # GEORADIUS[BYMEMBER][_RO]: the unit is the first argument after the radius.
            _need(args, 1, command)
            if radius < 0:
                raise SimpleError("ERR radius cannot be negative")
            conversion, args = _unit(args[0]), args[1:]
            if member is not None and zset is not None:
                centre = self._member_position(zset, member)
        withdist = withhash = withcoord = any_ = storedist = False
        count, order = 0, ""
        store = destination
        from_member = from_lonlat = by_radius = by_box = False
        index = 0
        while index < len(args):
            option = args[index].lower()
            left = len(args) - index - 1
            if option == b"withdist":
                withdist = True
            elif option == b"withhash":
                withhash = True
            elif option == b"withcoord":
                withcoord = True
            elif option == b"any":
                any_ = True
            elif option in (b"asc", b"desc"):
                order = option.decode()
            elif option == b"count" and left >= 1:
                count = Int.decode(args[index + 1])
                if count <= 0:
                    raise SimpleError("ERR COUNT must be > 0")
                index += 1
            elif option in (b"store", b"storedist") and left >= 1 and kind == _RADIUS:
                store, storedist = args[index + 1], option == b"storedist"
                index += 1
            elif option == b"storedist" and kind == _SEARCHSTORE:
                storedist = True
            elif option == b"frommember" and left >= 1 and kind in (_SEARCH, _SEARCHSTORE) and not from_lonlat:
                if zset is not None:
                    centre = self._member_position(zset, args[index + 1])
                from_member = True
                index += 1
            elif option == b"fromlonlat" and left >= 2 and kind in (_SEARCH, _SEARCHSTORE) and not from_member:
                centre = _long_lat(_number(args[index + 1]), _number(args[index + 2]))
                from_lonlat = True
                index += 2
            elif option == b"byradius" and left >= 2 and kind in (_SEARCH, _SEARCHSTORE) and not by_box:
                radius = _number(args[index + 1], "ERR need numeric radius")
                if radius < 0:
                    raise SimpleError("ERR radius cannot be negative")
                conversion = _unit(args[index + 2])
                by_radius = True
                index += 2
            elif option == b"bybox" and left >= 3 and kind in (_SEARCH, _SEARCHSTORE) and not by_radius:
                width, height = _number(args[index + 1]), _number(args[index + 2])
                if width < 0 or height < 0:
                    raise SimpleError("ERR height or width cannot be negative")
                conversion = _unit(args[index + 3])
                by_box = is_box = True
                index += 3
            else:
                raise SimpleError(msgs.SYNTAX_ERROR_MSG)
            index += 1
        if store is not None and (withdist or withhash or withcoord):
            where = "GEOSEARCHSTORE" if kind == _SEARCHSTORE else "STORE option in GEORADIUS"
            raise SimpleError(f"ERR {where} is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
        if kind in (_SEARCH, _SEARCHSTORE):
            name = kind.upper()
            if from_member == from_lonlat:
                raise SimpleError(f"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}")
            if by_radius == by_box:
                raise SimpleError(f"ERR exactly one of BYRADIUS and BYBOX can be specified for {name}")
        if any_ and not count:
            raise SimpleError("ERR the ANY argument requires COUNT argument")
        if zset is None:
            if store is not None:
                self._delete(store)
                return 0
            return []
        # COUNT without ANY means the nearest ones, so it sorts.
        if count and not order and not any_:
            order = "asc"
        assert centre is not None
        shape = geomath.Shape(centre[0], centre[1], conversion, radius or 0.0, width, height, is_box)
        found = self._members_inside(zset, shape, count if any_ else 0)
        if order:
            found.sort(key=lambda point: point.distance, reverse=order == "desc")
        if count:
            found = found[:count]
        if store is not None:
            return self._store(store, found, storedist, conversion)
        return [self._result_reply(point, conversion, withdist, withhash, withcoord) for point in found]

    def _member_position(self, zset: ZSet, member: bytes) -> tuple[float, float]:
        score = zset.get(member)
        if score is None:
            raise SimpleError("ERR could not decode requested zset member")
        return geomath.position_of(score)

    @staticmethod
    def _members_inside(zset: ZSet, shape: geomath.Shape, limit: int) -> list[_Found]:
        found: list[_Found] = []
        last: geomath.Cell | None = None
        for position, cell in enumerate(shape.cells()):
            if cell.step == 0 and cell.bits == 0:
                continue
            # A huge radius makes neighbouring cells the same one: redis skips a repeat of the cell scanned last.
            if position and last is not None and cell == last:
                continue
            if found and limit and len(found) >= limit:
                break
            low, high = geomath.score_range(cell)
            for score, member in zset._byscore.irange((low,), (high,)):
                longitude, latitude = geomath.position_of(score)
                distance = shape.distance_if_inside(longitude, latitude)
                if distance is None:
                    continue
                found.append(_Found(member, distance, score, longitude, latitude))
                if limit and len(found) >= limit:
                    break
            if position:
                last = cell
        return found

    def _result_reply(self, point: _Found, conversion: float, withdist: bool, withhash: bool, withcoord: bool) -> Any:
        if not (withdist or withhash or withcoord):
            return point.member
        reply: list[Any] = [point.member]
        if withdist:
            reply.append(_distance_reply(point.distance / conversion))
        if withhash:
            reply.append(int(point.score))
        if withcoord:
            reply.append([self._coordinate_reply(point.longitude), self._coordinate_reply(point.latitude)])
        return reply

    def _store(self, destination: bytes, found: list[_Found], storedist: bool, conversion: float) -> int:
        if not found:
            self._delete(destination)
            return 0
        zset = ZSet()
        for point in found:
            zset.add(point.member, point.distance / conversion if storedist else point.score)
        item = CommandItem(destination, self._db, item=self._db.get(destination), default=ZSet())
        item.value = zset
        item.writeback()
        return len(found)

    def _delete(self, destination: bytes) -> None:
        if destination in self._db:
            del self._db[destination]
