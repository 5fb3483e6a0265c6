"""What a simulator test body ``def body(inst): ...`` holds: ``SimInstance`` (connect ports, run,
advance the virtual clock, crash a member) and what its ``connect`` returns (``SimInput``,
``SimOutput``, ``SimClient``). Handles only drive the execution's ``World``: a send queues a
message there, and waiting for an output runs it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from typing import TYPE_CHECKING, Any

from hydro_lab.errors import HydroDeployError
from hydro_lab.ir.kinds import Order, Retries
from hydro_lab.sim.trace import short

if TYPE_CHECKING:
    from hydro_lab.sim.api import Simulator
    from hydro_lab.sim.world import World


class SimInstance:
    """What a test body gets: ports to connect, and control over the simulated world."""

    def __init__(self, sim: Simulator, world: World):
        self._sim = sim
        self._world = world

    def connect(self, port):
        """A handle for one of the flow's ports: ``SimInput`` for an input port, ``SimOutput``
        for an output port, and for a ``bidi_external`` port a new ``SimClient`` each call (the
        port's ``events`` see it connect), as ``d.connect(port)`` is in a deployment."""
        info = self._sim.port_info(port)
        if info.many_clients:
            return SimClient(self, info)
        if info.direction == "out":
            return SimOutput(self, info)
        return SimInput(self, info)

    @property
    def time(self) -> float:
        """The virtual clock, in seconds (to the nanosecond: timers that add up 0.1 s steps
        do not show float noise such as 0.30000000000000004)."""
        return round(self._world.time, 9)

    def run(self) -> None:
        """Run until nothing can happen without time passing."""
        self._settle(allow_time=False)

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass, then settle. What is pending now is handled
        first, except that within the window a timer may fire before messages still in flight
        arrive (a decision: slow messages)."""
        if not seconds >= 0:
            raise HydroDeployError(f"advance(): seconds must be a number >= 0, got {seconds!r}")
        world = self._world
        end = world.time + seconds
        world.horizon = end
        try:
            self._settle(allow_time=False)
            while world.advance_time(end):
                self._settle(allow_time=False)
            world.time = end
            self._settle(allow_time=False)
        finally:
            world.horizon = world.time

    def crash(self, cluster, member: int) -> None:
        """Crash one cluster member now (fail-stop)."""
        name = getattr(cluster, "name", cluster)
        for inst in self._world.instances:
            if inst.location.name == name and inst.member == member:
                self._world.crash(inst, reason="crash (by the test)")
                return
        raise HydroDeployError(f"crash(): no member {member} of cluster {name!r}")

    def _settle(self, allow_time: bool, done=lambda: False) -> bool:
        return self._world.run_until(done, allow_time=allow_time,
                                     max_steps=self._sim.max_steps, max_time=self._sim.max_time)


class SimInput:
    """A test's handle on an input port of the simulated flow (``inst.connect(port)``): what it
    sends enters the flow in that order, or in any order the exploration chooses when the port
    was declared unordered; on an at-least-once port a message may also arrive twice."""

    def __init__(self, inst: SimInstance, info):
        self._inst = inst
        self.info = info
        self.ordered = _port_order(inst._sim, info) is Order.TOTAL_ORDER
        self.retried = _port_retries(inst._sim, info) is Retries.AT_LEAST_ONCE

    def send(self, value: Any) -> None:
        """Send one message into the flow."""
        self.send_many([value])

    def send_many(self, values) -> None:
        """Send values in this order (one message each)."""
        world = self._inst._world
        for v in values:
            copies = 2 if self.retried and world.chooser.choose(2) else 1
            for _ in range(copies):
                world.send(self.info, [v])

    def send_many_unordered(self, values) -> None:
        """Send values whose order the flow may not rely on (a NoOrder port only)."""
        if self.ordered:
            raise HydroDeployError(
                f"send_many_unordered(): {_port_name(self.info)} was declared TotalOrder, so the "
                "flow may rely on the order of what it receives; declare "
                "sim_input(order=Order.NO_ORDER) or use send_many")
        self.send_many(values)


class _Receiver(ABC):
    """Reading what the flow sent to one receiver; waiting runs the simulation. A receiver says
    where its values land in the world (``_buffer``) and how messages name it (``_name``)."""

    _inst: SimInstance
    _read: int

    @property
    @abstractmethod
    def _buffer(self) -> list: ...

    @property
    @abstractmethod
    def _name(self) -> str: ...

    def _unread(self) -> list:
        return self._buffer[self._read:]

    def _wait_for(self, n: int, allow_time: bool = True) -> list:
        self._inst._settle(allow_time=allow_time,
                           done=lambda: len(self._buffer) - self._read >= n)
        return self._unread()

    def _ended(self) -> str:
        """How a wait ended without what it waited for."""
        world, sim = self._inst._world, self._inst._sim
        if world.out_of_time:
            return (f"nothing more came within {sim.max_time:g} s of virtual time (a timer "
                    f"kept the flow going; flow.sim(..., max_time=) sets the limit)")
        return "the flow settled"

    def collect(self) -> list:
        """Everything not yet read, after running until nothing can happen without time."""
        self._inst._settle(allow_time=False)
        out = self._unread()
        self._read = len(self._buffer)
        return out

    def next(self) -> Any:
        """The next value, running the simulation until there is one; ``AssertionError`` if
        the flow settles (or runs out of virtual time) without yielding one."""
        got = self._wait_for(1)
        if not got:
            raise AssertionError(f"{self._name}: {self._ended()} without yielding")
        self._read += 1
        return got[0]

    def recv(self, timeout: float | None = None) -> Any:
        """The next value, as a deployment client's ``recv()``: waiting runs the simulation;
        ``timeout`` is in virtual seconds (``TimeoutError`` when nothing came by then)."""
        if timeout is None:
            return self.next()
        inst = self._inst
        inst._world.run_until(lambda: bool(self._unread()), allow_time=True,
                              max_steps=inst._sim.max_steps, max_time=timeout)
        got = self._unread()
        if not got:
            raise TimeoutError(f"{self._name}: no value within {timeout:g} s (virtual time)")
        self._read += 1
        return got[0]

    def recv_all(self) -> list:
        """Everything not yet read, once the flow is quiet (time does not pass): what a
        deployment client's ``recv_all()`` returns after the flow ran."""
        return self.collect()

    def assert_yields(self, expected) -> None:
        """The next values are exactly ``expected``, in order."""
        expected = list(expected)
        got = self._wait_for(len(expected))[: len(expected)]
        if got != expected:
            raise AssertionError(self._mismatch(expected, got))
        self._read += len(expected)

    def assert_yields_unordered(self, expected) -> None:
        """The next ``len(expected)`` values are ``expected`` in some order."""
        expected = list(expected)
        got = self._wait_for(len(expected))[: len(expected)]
        if _multiset(got) != _multiset(expected):
            raise AssertionError(self._mismatch(expected, got, unordered=True))
        self._read += len(expected)

    def assert_no_more(self) -> None:
        """Nothing else is yielded (after settling, without letting time pass)."""
        rest = self.collect()
        if rest:
            raise AssertionError(f"{self._name} yielded unexpected values {short(rest)}")

    def assert_yields_only(self, expected) -> None:
        """``assert_yields(expected)``, then ``assert_no_more()``: exactly these values, in this
        order, and nothing after them."""
        self.assert_yields(expected)
        self.assert_no_more()

    def assert_yields_only_unordered(self, expected) -> None:
        """``assert_yields_unordered(expected)``, then ``assert_no_more()``: exactly these
        values, in any order, and nothing after them."""
        self.assert_yields_unordered(expected)
        self.assert_no_more()

    def _mismatch(self, expected, got, unordered: bool = False) -> str:
        how = "in any order " if unordered else ""
        if len(got) < len(expected):
            return (f"{self._name}: expected {short(expected)} {how}but {self._ended()} after "
                    f"yielding only {short(got)}")
        return f"{self._name}: expected {short(expected)} {how}but it yielded {short(got)}"


class SimOutput(_Receiver):
    """A test's handle on an output port (``inst.connect(port)``) or a ``sim_output()`` of the
    simulated flow: read with ``next()``/``recv()``/``collect()`` or check with the
    ``assert_yields*`` methods; waiting runs the simulation."""

    def __init__(self, inst: SimInstance, info):
        self._inst = inst
        self.info = info
        self._read = 0

    @property
    def _buffer(self) -> list:
        return self._inst._world.outputs[self.info.key]

    @property
    def _name(self) -> str:
        return _port_name(self.info)


class SimClient(_Receiver):
    """One client of a ``bidi_external`` port, shaped like a deployment's client: ``send`` /
    ``send_many`` messages (they reach the flow as ``(client_id, message)``), ``recv()`` the
    next reply the flow sent to this client (waiting runs the simulation), ``recv_all()``,
    ``close()`` (the port's ``events`` see it leave). The reading and asserting methods of
    ``SimOutput`` (``next``, ``collect``, ``assert_yields``, ...) read this client's replies.

    Sending after ``close()`` raises ``HydroDeployError``, as it does deployed."""

    def __init__(self, inst: SimInstance, info):
        self._inst = inst
        self.info = info
        self.port = info.key
        self._read = 0
        self.closed = False
        self.client_id = inst._world.connect_client(info)

    @property
    def _buffer(self) -> list:
        return self._inst._world.replies.setdefault((self.info.key, self.client_id), [])

    @property
    def _name(self) -> str:
        return f"client {self.client_id} of {_port_name(self.info)}"

    def send(self, value: Any) -> None:
        """Send one message into the flow."""
        self.send_many([value])

    def send_many(self, values) -> None:
        """Send several messages, in order."""
        if self.closed:
            raise HydroDeployError(f"{self._name} is closed")
        self._inst._world.send(self.info, list(values), client=self.client_id)

    def close(self) -> None:
        """Disconnect: the port's ``events`` see this client leave; later replies are lost."""
        if not self.closed:
            self.closed = True
            self._inst._world.disconnect_client(self.info, self.client_id)


def _multiset(values) -> Counter:
    return Counter(repr(v) for v in values)


_PORT_KIND = {"in": "sim_input", "out": "sim_output", "bidi": "bidi_external"}


def _port_name(info) -> str:
    """``port 23 (sim_output at counter.py, line 41)``: the key, and where the user made it."""
    where = info.created_at.where() if info.created_at is not None else None
    kind = _PORT_KIND.get(info.direction, "port")
    return f"port {info.key} ({kind} at {where})" if where else f"port {info.key}"


def _port_order(sim: Simulator, info) -> Order:
    node = _port_node(sim, info)
    return node.meta.kind.order if node is not None else Order.TOTAL_ORDER


def _port_retries(sim: Simulator, info) -> Retries:
    node = _port_node(sim, info)
    return node.meta.kind.retries if node is not None else Retries.EXACTLY_ONCE


def _port_node(sim: Simulator, info):
    return sim.program_ir.nodes.get(info.input_node) if info.input_node is not None else None
