"""GEO commands against the twin and redis-server: scores, positions, distances, hashes and search results alike."""

from __future__ import annotations

import random

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PLACES = [
    (13.361389, 38.115556, b"Palermo"),
    (15.087269, 37.502669, b"Catania"),
    (2.1909389952632, 41.433791470673, b"place1"),
    (2.1873744593677, 41.406342043777, b"\x80place2"),
    (-122.4194, 37.7749, b"sf"),
    (179.99, 85.05, b"edge-ne"),
    (-180, -85.05112878, b"edge-sw"),
    (0, 0, b"origin"),
]


def raw(client: redis.Redis, *command: object) -> object:
    try:
        return client.execute_command(*command)
    except redis.ResponseError as exc:
        return ("error", str(exc))


def scenario(client: redis.Redis) -> list:
    client.flushall()
    geoadd = ["GEOADD", "g"]
    for longitude, latitude, member in PLACES:
        geoadd += [longitude, latitude, member]
    return [
        raw(client, *geoadd),
        raw(client, "ZRANGE", "g", 0, -1, "WITHSCORES"),
        raw(client, "ZSCORE", "g", "Palermo"),
        raw(client, "GEOPOS", "g", "Palermo", "edge-ne", "edge-sw", "origin", "missing"),
        raw(client, "GEOHASH", "g", "Palermo", "Catania", "edge-sw", "missing"),
        raw(client, "GEODIST", "g", "Palermo", "Catania"),
        raw(client, "GEODIST", "g", "Palermo", "Catania", "km"),
        raw(client, "GEODIST", "g", "Palermo", "Catania", "mi"),
        raw(client, "GEODIST", "g", "Palermo", "Catania", "ft"),
        raw(client, "GEODIST", "g", "Palermo", "Catania", "yd"),
        raw(client, "GEORADIUS", "g", 15, 37, 200, "km", "WITHDIST", "WITHHASH", "WITHCOORD"),
        raw(client, "GEORADIUS", "g", 15, 37, 200, "km", "WITHDIST", "DESC"),
        raw(client, "GEORADIUS", "g", 2.191, 41.433, 5, "km", "COUNT", 1),
        raw(client, "GEORADIUS", "g", 2.191, 41.433, 5000, "km", "COUNT", 1, "ANY"),
        raw(client, "GEORADIUS", "g", 2.191, 41.433, 5, "km", "ANY"),
        raw(client, "GEORADIUS_RO", "g", 15, 37, 200, "km", "STORE", "x"),
        raw(client, "GEORADIUS", "g", 15, 37, 200, "km", "WITHDIST", "STORE", "x"),
        raw(client, "GEORADIUS", "g", 15, 37, 200, "km", "STORE", "stored"),
        raw(client, "ZRANGE", "stored", 0, -1, "WITHSCORES"),
        raw(client, "GEORADIUS", "g", 15, 37, 200, "km", "STOREDIST", "stored"),
        raw(client, "ZRANGE", "stored", 0, -1, "WITHSCORES"),
        raw(client, "GEORADIUSBYMEMBER", "g", "place1", 4, "km"),
        raw(client, "GEORADIUSBYMEMBER", "g", "nobody", 4, "km"),
        raw(client, "GEORADIUSBYMEMBER", "nokey", "nobody", 4, "km"),
        raw(client, "GEOSEARCH", "g", "FROMMEMBER", "place1", "BYRADIUS", 4, "km"),
        raw(client, "GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYBOX", 400, 400, "km", "ASC", "WITHCOORD"),
        raw(client, "GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYBOX", 250, 250, "mi", "WITHDIST"),
        raw(client, "GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYBOX", 800000, 800000, "ft"),
        raw(client, "GEOSEARCH", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 30000, "km"),
        raw(client, "GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "BYBOX", 1, 1, "km"),
        raw(client, "GEOSEARCH", "g", "BYRADIUS", 200, "km"),
        raw(client, "GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYRADIUS", -1, "km"),
        raw(client, "GEOSEARCH", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "km", "ANY"),
        raw(client, "GEOSEARCHSTORE", "dst", "g", "FROMLONLAT", 15, 37, "BYBOX", 400, 400, "km", "STOREDIST"),
        raw(client, "ZRANGE", "dst", 0, -1, "WITHSCORES"),
        raw(client, "GEOSEARCHSTORE", "dst", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "m"),
        raw(client, "EXISTS", "dst"),
        raw(client, "GEOADD", "g", "XX", "CH", 13.5, 38.2, "Palermo", 1, 1, "new"),
        raw(client, "GEOADD", "g", "NX", 13.5, 38.2, "Palermo", 1, 1, "new"),
        raw(client, "GEOADD", "g", "NX", "XX", 1, 1, "x"),
        raw(client, "GEOADD", "g", 181, 1, "x"),
        raw(client, "GEOADD", "g", 1, 86, "x"),
        raw(client, "GEOADD", "g", 1, 1),
    ]


def test_geo_commands_reply_like_redis_server(both) -> None:
    twin, real = both
    assert scenario(twin) == scenario(real)


def test_geo_replies_in_resp3_like_redis_server(redis_client_factory, real_redis) -> None:
    twin = redis_client_factory(protocol=3)
    real = redis.Redis(port=real_redis.connection_pool.connection_kwargs["port"], protocol=3)
    try:
        assert scenario(twin) == scenario(real)
    finally:
        real.close()


COORDINATES = st.tuples(
    st.floats(min_value=-180, max_value=180, allow_nan=False),
    st.floats(min_value=-85.05112878, max_value=85.05112878, allow_nan=False),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    points=st.lists(COORDINATES, min_size=1, max_size=30),
    centre=COORDINATES,
    radius_km=st.sampled_from([1, 50, 500, 3000, 9000]),
    seed=st.integers(0, 2**16),
)
def test_searches_anywhere_find_what_redis_server_finds(both, points, centre, radius_km, seed) -> None:
    """Positions anywhere, searches by radius and by box of any size: the same members, distances and order."""
    twin, real = both
    units = random.Random(seed).choice(["m", "km", "mi", "ft"])
    per_unit = {"m": 1000, "km": 1, "mi": 0.621371, "ft": 3280.84}[units]
    size = radius_km * per_unit
    replies = []
    for client in (twin, real):
        client.flushall()
        arguments = [value for index, (lon, lat) in enumerate(points) for value in (lon, lat, f"m{index}")]
        client.execute_command("GEOADD", "g", *arguments)
        replies.append(
            [
                client.execute_command("ZRANGE", "g", 0, -1, "WITHSCORES"),
                client.execute_command("GEOPOS", "g", *(f"m{index}" for index in range(len(points)))),
                client.execute_command("GEOSEARCH", "g", "FROMLONLAT", *centre, "BYRADIUS", size, units, "WITHDIST"),
                client.execute_command("GEOSEARCH", "g", "FROMLONLAT", *centre, "BYBOX", size, size / 2, units),
                client.execute_command("GEOSEARCH", "g", "FROMMEMBER", "m0", "BYRADIUS", size, units, "DESC"),
            ]
        )
    assert replies[0] == replies[1]


@pytest.mark.parametrize("protocol", [2, 3])
def test_geo_member_score_is_the_52_bit_geohash(redis_client_factory, protocol) -> None:
    twin = redis_client_factory(protocol=protocol)
    twin.geoadd("g", (13.361389, 38.115556, "Palermo"))
    # The value redis-server 7.0 stores for Palermo, as its GEOADD documentation shows.
    assert twin.zscore("g", "Palermo") == 3479099956230698
