"""Redis' geohash arithmetic: 52-bit interleaved scores, cell areas, neighbours and distances, as geohash.c does them.

A geo member's sorted-set score is the 26-step geohash of its position (latitude bits on even positions, longitude
bits on odd ones, latitude limited to Web Mercator's ±85.05112878°); its position reads back as the centre of that
cell. Every step here is the same IEEE double arithmetic redis does in C, so positions and distances agree to the bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LONG_MIN, LONG_MAX = -180.0, 180.0
LAT_MIN, LAT_MAX = -85.05112878, 85.05112878
STEP_MAX = 26
EARTH_RADIUS_IN_METERS = 6372797.560856
MERCATOR_MAX = 20037726.37
_DEG_TO_RAD = math.pi / 180.0
_EVEN = 0x5555555555555555
_ODD = 0xAAAAAAAAAAAAAAAA
_GEOALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz"


@dataclass(frozen=True)
class Cell:
    """A geohash cell: `bits` of `step` steps (2 * step bits); step 0 marks a neighbour left out of a search."""

    bits: int
    step: int


@dataclass(frozen=True)
class Area:
    long_min: float
    long_max: float
    lat_min: float
    lat_max: float


def _spread(value: int) -> int:
    """The 32 low bits of `value` moved to the even bit positions of a 64-bit word."""
    value &= 0xFFFFFFFF
    value = (value | (value << 16)) & 0x0000FFFF0000FFFF
    value = (value | (value << 8)) & 0x00FF00FF00FF00FF
    value = (value | (value << 4)) & 0x0F0F0F0F0F0F0F0F
    value = (value | (value << 2)) & 0x3333333333333333
    return (value | (value << 1)) & _EVEN


def _gather(value: int) -> int:
    """The inverse of `_spread`: the even bits of `value`, packed."""
    value &= _EVEN
    value = (value | (value >> 1)) & 0x3333333333333333
    value = (value | (value >> 2)) & 0x0F0F0F0F0F0F0F0F
    value = (value | (value >> 4)) & 0x00FF00FF00FF00FF
    value = (value | (value >> 8)) & 0x0000FFFF0000FFFF
    return (value | (value >> 16)) & 0x00000000FFFFFFFF


def in_range(longitude: float, latitude: float) -> bool:
    return LONG_MIN <= longitude <= LONG_MAX and LAT_MIN <= latitude <= LAT_MAX


def encode(
    longitude: float, latitude: float, step: int = STEP_MAX, lat_min: float = LAT_MIN, lat_max: float = LAT_MAX
) -> Cell:
    lat_offset = (latitude - lat_min) / (lat_max - lat_min) * (1 << step)
    long_offset = (longitude - LONG_MIN) / (LONG_MAX - LONG_MIN) * (1 << step)
    # C converts the offsets to uint32_t, truncating.
    return Cell(_spread(int(lat_offset)) | (_spread(int(long_offset)) << 1), step)


def score_of(longitude: float, latitude: float) -> int:
    """The sorted-set score GEOADD stores: the 26-step hash aligned to 52 bits."""
    return encode(longitude, latitude).bits


def area_of(cell: Cell) -> Area:
    lat_cell, long_cell = _gather(cell.bits), _gather(cell.bits >> 1)
    cells = float(1 << cell.step)
    lat_scale, long_scale = LAT_MAX - LAT_MIN, LONG_MAX - LONG_MIN
    return Area(
        long_min=LONG_MIN + (long_cell * 1.0 / cells) * long_scale,
        long_max=LONG_MIN + ((long_cell + 1) * 1.0 / cells) * long_scale,
        lat_min=LAT_MIN + (lat_cell * 1.0 / cells) * lat_scale,
        lat_max=LAT_MIN + ((lat_cell + 1) * 1.0 / cells) * lat_scale,
    )


def position_of(score: float) -> tuple[float, float]:
    """(longitude, latitude) of a stored score: the centre of its cell, clamped to the valid range."""
    area = area_of(Cell(int(score), STEP_MAX))
    longitude = min(max((area.long_min + area.long_max) / 2, LONG_MIN), LONG_MAX)
    latitude = min(max((area.lat_min + area.lat_max) / 2, LAT_MIN), LAT_MAX)
    return longitude, latitude


def standard_geohash(score: float) -> str:
    """GEOHASH's 11-character string: the position re-encoded with the standard ±90° latitude range."""
    longitude, latitude = position_of(score)
    bits = encode(longitude, latitude, STEP_MAX, -90.0, 90.0).bits
    characters = [_GEOALPHABET[(bits >> (52 - (index + 1) * 5)) & 0x1F] for index in range(10)]
    # 52 bits make ten characters and two bits; redis answers eleven, the last one always '0'.
    return "".join(characters) + "0"


def _degrees(radians: float) -> float:
    return radians / _DEG_TO_RAD


def lat_distance(lat1: float, lat2: float) -> float:
    return EARTH_RADIUS_IN_METERS * abs(lat2 * _DEG_TO_RAD - lat1 * _DEG_TO_RAD)


def distance(long1: float, lat1: float, long2: float, lat2: float) -> float:
    """Haversine distance in metres, as redis 7.0 computes it."""
    v = math.sin((long2 * _DEG_TO_RAD - long1 * _DEG_TO_RAD) / 2)
    if v == 0.0:
        return lat_distance(lat1, lat2)
    lat1r, lat2r = lat1 * _DEG_TO_RAD, lat2 * _DEG_TO_RAD
    u = math.sin((lat2r - lat1r) / 2)
    a = u * u + math.cos(lat1r) * math.cos(lat2r) * v * v
    return 2.0 * EARTH_RADIUS_IN_METERS * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class Shape:
    """A search area: a circle of `radius` or a box of `width` x `height`, in units of `conversion` metres."""

    longitude: float
    latitude: float
    conversion: float
    radius: float = 0.0
    width: float = 0.0
    height: float = 0.0
    is_box: bool = False

    def distance_if_inside(self, longitude: float, latitude: float) -> float | None:
        if not self.is_box:
            found = distance(self.longitude, self.latitude, longitude, latitude)
            return None if found > self.radius * self.conversion else found
        if lat_distance(latitude, self.latitude) > self.height * self.conversion / 2:
            return None
        if distance(longitude, latitude, self.longitude, latitude) > self.width * self.conversion / 2:
            return None
        return distance(self.longitude, self.latitude, longitude, latitude)

    def _bounds(self) -> tuple[float, float, float, float]:
        if self.is_box:
            height, width = self.conversion * self.height / 2, self.conversion * self.width / 2
        else:
            height = width = self.conversion * self.radius
        lat_delta = _degrees(height / EARTH_RADIUS_IN_METERS)
        long_delta_top = _degrees(width / EARTH_RADIUS_IN_METERS / math.cos((self.latitude + lat_delta) * _DEG_TO_RAD))
        long_delta_bottom = _degrees(
            width / EARTH_RADIUS_IN_METERS / math.cos((self.latitude - lat_delta) * _DEG_TO_RAD)
        )
        long_delta = long_delta_bottom if self.latitude < 0 else long_delta_top
        return (
            self.longitude - long_delta,
            self.latitude - lat_delta,
            self.longitude + long_delta,
            self.latitude + lat_delta,
        )

    def cells(self) -> list[Cell]:
        """The cells to scan, in redis' order: the centre's, then N, S, E, W, NE, NW, SE, SW, useless ones left out."""
        min_long, min_lat, max_long, max_lat = self._bounds()
        if self.is_box:
            radius_meters = math.sqrt((self.width / 2) ** 2 + (self.height / 2) ** 2) * self.conversion
        else:
            radius_meters = self.radius * self.conversion
        step = _estimate_step(radius_meters, self.latitude)
        centre = encode(self.longitude, self.latitude, step)
        neighbours = _neighbours(centre)
        north, south, east, west = (area_of(neighbours[name]) for name in ("n", "s", "e", "w"))
        if step > 1 and (
            north.lat_max < max_lat or south.lat_min > min_lat or east.long_max < max_long or west.long_min > min_long
        ):
            step -= 1
            centre = encode(self.longitude, self.latitude, step)
            neighbours = _neighbours(centre)
        area = area_of(centre)
        if step >= 2:
            excluded: set[str] = set()
            if area.lat_min < min_lat:
                excluded |= {"s", "sw", "se"}
            if area.lat_max > max_lat:
                excluded |= {"n", "ne", "nw"}
            if area.long_min < min_long:
                excluded |= {"w", "sw", "nw"}
            if area.long_max > max_long:
                excluded |= {"e", "se", "ne"}
            for name in excluded:
                neighbours[name] = Cell(0, 0)
        return [centre, *(neighbours[name] for name in ("n", "s", "e", "w", "ne", "nw", "se", "sw"))]


def _estimate_step(range_meters: float, latitude: float) -> int:
    if range_meters == 0:
        return 26
    step = 1
    while range_meters < MERCATOR_MAX:
        range_meters *= 2
        step += 1
    step -= 2
    if latitude > 66 or latitude < -66:
        step -= 1
        if latitude > 80 or latitude < -80:
            step -= 1
    return min(max(step, 1), 26)


def _move(cell: Cell, east: int, north: int) -> Cell:
    bits, width = cell.bits, 64 - cell.step * 2
    longitude, latitude = bits & _ODD, bits & _EVEN
    if east:
        fill = _EVEN >> width
        longitude = longitude + (fill + 1) if east > 0 else (longitude | fill) - (fill + 1)
        longitude &= _ODD >> width
    if north:
        fill = _ODD >> width
        latitude = latitude + (fill + 1) if north > 0 else (latitude | fill) - (fill + 1)
        latitude &= _EVEN >> width
    return Cell((longitude | latitude) & 0xFFFFFFFFFFFFFFFF, cell.step)


def _neighbours(cell: Cell) -> dict[str, Cell]:
    moves = {"n": (0, 1), "s": (0, -1), "e": (1, 0), "w": (-1, 0), "ne": (1, 1), "nw": (-1, 1), "se": (1, -1)}
    moves["sw"] = (-1, -1)
    return {name: _move(cell, east, north) for name, (east, north) in moves.items()}


def score_range(cell: Cell) -> tuple[int, int]:
    """The scores [low, high) of the members inside a cell."""
    shift = 52 - cell.step * 2
    return cell.bits << shift, (cell.bits + 1) << shift
