"""The helpers services' own test suites share: a free loopback port, a bounded wait."""

from __future__ import annotations

import socket

import pytest

from service_runtime.testing import free_port, wait_until


def test_a_free_port_can_be_bound_on_loopback() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_wait_until_returns_once_the_predicate_holds() -> None:
    calls = iter([False, False, True])
    wait_until(lambda: next(calls), timeout=5, what="the third call", interval=0.001)


def test_wait_until_names_what_it_waited_for() -> None:
    with pytest.raises(TimeoutError, match="waiting for the moon"):
        wait_until(lambda: False, timeout=0.05, what="the moon", interval=0.01)
