"""The one clock: wall time by default, frozen and advanced by tests, telling listeners when it moves."""

from __future__ import annotations

import time

import pytest

from cloudtwin.clock import Clock


def test_follows_wall_time_by_default():
    clock = Clock()
    assert abs(clock.now() - time.time()) < 1
    assert not clock.frozen


def test_freeze_and_advance():
    clock = Clock()
    at = clock.freeze(1000.0)
    assert at == clock.now() == 1000.0
    assert clock.advance(31) == 1031.0


def test_advance_while_running_shifts_wall_time():
    clock = Clock()
    clock.advance(3600)
    assert clock.now() - time.time() == pytest.approx(3600, abs=1)


def test_unfreeze_continues_from_the_frozen_time():
    clock = Clock()
    clock.freeze(1000.0)
    clock.unfreeze()
    assert 1000.0 <= clock.now() < 1001.0
    clock.reset()
    assert abs(clock.now() - time.time()) < 1


def test_never_moves_backwards():
    clock = Clock()
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_listeners_hear_every_move_until_removed():
    clock = Clock()
    heard = []
    remove = clock.on_move(lambda: heard.append(clock.now()))
    clock.freeze(10.0)
    clock.advance(5)
    remove()
    clock.advance(5)
    assert heard == [10.0, 15.0]
