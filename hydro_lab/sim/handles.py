"""What a simulator test body ``def body(inst): ...`` holds: ``SimInstance`` (connect ports, run,
advance the virtual clock, crash a member) and what its ``connect`` returns (``SimInput``,
``SimOutput``, ``SimClient``, and for a cluster's ports ``SimClusterInput`` and
``SimClusterOutput``, which name the member each message goes to or came from). Handles only
drive the execution's ``World``: a send queues a message there, and waiting for an output runs
it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from hydro_lab.errors import HydroDeployError
from hydro_lab.ir.kinds import Order, Retries
from hydro_lab.ir.locations import ClusterId
from hydro_lab.member_id import MemberId
from hydro_lab.sim.trace import short

if TYPE_CHECKING:
    from hydro_lab.sim.api import Simulator
    from hydro_lab.sim.world import World

_NO_VALUE = object()  # SimClusterInput.send(member) called without a value


class SimInstance:
    """What a test body gets: ports to connect, and control over the simulated world."""

    def __init__(self, sim: Simulator, world: World):
        self._sim = sim
        self._world = world

    def connect(self, port):
        """A handle for one of the flow's ports: ``SimInput`` for an input port, ``SimOutput``
        for an output port, and for a ``bidi_external`` port a new ``SimClient`` each call (the
        port's ``events`` see it connect), as ``d.connect(port)`` is in a deployment. A
        cluster's ``sim_input`` gives a ``SimClusterInput`` (``send(member, x)``) and a
        cluster's ``sim_output`` a ``SimClusterOutput`` (read per member)."""
        info = self._sim.port_info(port)
        if info.many_clients:
            return SimClient(self, info)
        if isinstance(info.location, ClusterId):
            if info.direction == "out":
                return SimClusterOutput(self, info)
            return SimClusterInput(self, info)
        if info.direction == "out":
            return SimOutput(self, info)
        return SimInput(self, info)

    @property
    def time(self) -> float:
        """The virtual clock, in seconds (to the nanosecond: timers that add up 0.1 s steps
        do not show float noise such as 0.30000000000000004)."""
        return round(self._world.time, 9)

    def launch(self) -> None:
        """Start the flow now: every instance runs its tick 0, with what the body sent before
        (Hydro's ``instance.launch()``). Optional: the first wait (``collect()``, ``recv()``,
        ``run()``...) launches a flow not launched yet; launching twice does nothing."""
        if not self._world.started:
            self._world.start()

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


class SimClusterInput:
    """A test's handle on a cluster's ``sim_input`` port (Hydro's ``SimClusterSender``): each
    message goes to the member the test names, ``send(member, x)``; a member is its index
    ``0 .. size-1`` or its ``MemberId``. Each member receives its messages in the order sent to
    it (any order when the port was declared ``Order.NO_ORDER``)."""

    def __init__(self, inst: SimInstance, info):
        self._inst = inst
        self.info = info
        self.cluster = info.location.name
        self.ordered = _port_order(inst._sim, info) is Order.TOTAL_ORDER
        self.retried = _port_retries(inst._sim, info) is Retries.AT_LEAST_ONCE

    @property
    def members(self) -> list[int]:
        """The members a message can go to: ``0 .. size-1`` (the cluster's size in
        ``flow.sim(cluster_sizes=...)``)."""
        return list(self._inst._sim.members[self.cluster])

    def send(self, member: Any, value: Any = _NO_VALUE) -> None:
        """Send ``value`` to ``member`` (Hydro's ``send(member_id, t)``)."""
        if value is _NO_VALUE:
            raise HydroDeployError(
                f"send(): {_port_name(self.info)} is a sim_input of cluster {self.cluster!r}: "
                f"say which member gets the message, send(member, value), e.g. "
                f"send(0, {short(member)})")
        self._send([(member, value)], "send")

    def send_many(self, pairs) -> None:
        """Send ``(member, value)`` pairs, in this order."""
        self._send(pairs, "send_many")

    def _send(self, pairs, op: str) -> None:
        messages = self._messages(pairs, op)
        world = self._inst._world
        for member, value in messages:
            copies = 2 if self.retried and world.chooser.choose(2) else 1
            for _ in range(copies):
                world.send(self.info, [value], member=member)

    def send_many_unordered(self, pairs) -> None:
        """Send ``(member, value)`` pairs whose order the members may not rely on (a NoOrder
        port only)."""
        if self.ordered:
            raise HydroDeployError(
                f"send_many_unordered(): {_port_name(self.info)} was declared TotalOrder, so "
                "each member may rely on the order of what it receives; declare "
                "sim_input(order=Order.NO_ORDER) or use send_many")
        self._send(pairs, "send_many_unordered")

    def _messages(self, pairs, op: str) -> list[tuple[int, Any]]:
        """Every pair checked before any is sent: a bad one sends nothing."""
        out = []
        for pair in pairs:
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise HydroDeployError(
                    f"{op}(): {_port_name(self.info)} is a sim_input of cluster "
                    f"{self.cluster!r}, so it takes (member, value) pairs, got {short(pair)}; "
                    f"e.g. {op}([(0, x), (1, y)])")
            out.append((_member_index(self._inst._sim, self.cluster, pair[0], op, self.info),
                        pair[1]))
        return out


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

    def _available(self) -> int:
        """How many values are not yet read (cheap: asked at every step of a wait)."""
        return len(self._buffer) - self._read

    def _unread(self) -> list:
        return self._buffer[self._read:]

    def _consume(self, n: int) -> None:
        self._read += n

    def _wait_for(self, n: int, allow_time: bool = True) -> list:
        self._inst._settle(allow_time=allow_time, done=lambda: self._available() >= n)
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
        self._consume(len(out))
        return out

    def collect_sorted(self, key=None) -> list:
        """``collect()``, sorted (Hydro's ``collect_sorted``, for outputs whose order is not
        deterministic): everything not yet read once the flow is quiet, in ascending order
        (by ``key`` when given, as ``sorted``)."""
        return self._sorted(self.collect(), "collect_sorted", key)

    def _sorted(self, values: list, op: str, key=None) -> list:
        try:
            return sorted(values, key=key)
        except TypeError as err:
            raise HydroDeployError(
                f"{op}(): the values of {self._name} cannot be ordered ({err}); pass "
                "collect_sorted(key=...) to order them, or compare collect() as a multiset"
            ) from None

    def __iter__(self) -> Iterator[Any]:
        """The values in turn, each as ``next()`` waits for it, until the flow settles (or
        runs out of virtual time) without another: Hydro's
        ``while let Some(x) = out.next().await``."""
        while True:
            got = self._wait_for(1)
            if not got:
                return
            self._consume(1)
            yield got[0]

    def next(self) -> Any:
        """The next value, running the simulation until there is one; ``AssertionError`` if
        the flow settles (or runs out of virtual time) without yielding one."""
        got = self._wait_for(1)
        if not got:
            raise AssertionError(f"{self._name}: {self._ended()} without yielding")
        self._consume(1)
        return got[0]

    def try_next(self) -> Any:
        """The next value, or ``None`` when the flow settles (or runs out of virtual time)
        without one (Hydro's ``try_next``)."""
        got = self._wait_for(1)
        if not got:
            return None
        self._consume(1)
        return got[0]

    def collect_n(self, n: int) -> list:
        """The next ``n`` values, waiting for them (Hydro's ``collect_n``); ``AssertionError``
        if the flow settles first. It does not check that nothing follows: ``collect_n_only``
        does."""
        got = self._wait_for(n)[:n]
        if len(got) < n:
            raise AssertionError(f"{self._name}: {self._ended()} after {len(got)} values, but "
                                 f"{n} were expected: {short(got)}")
        self._consume(n)
        return got

    def collect_n_only(self, n: int) -> list:
        """``collect_n(n)``, then ``assert_no_more()`` (Hydro's ``collect_n_only``)."""
        got = self.collect_n(n)
        self.assert_no_more()
        return got

    def collect_n_sorted_only(self, n: int) -> list:
        """The next ``n`` values, sorted, and then nothing more (Hydro's
        ``collect_n_sorted_only``, for outputs whose order is not deterministic)."""
        got = self.collect_n(n)
        self.assert_no_more()
        return self._sorted(got, "collect_n_sorted_only")

    def next_only(self) -> Any:
        """The one next value, and then nothing more (Hydro's ``next_only``)."""
        return self.collect_n_only(1)[0]

    def recv(self, timeout: float | None = None) -> Any:
        """The next value, as a deployment client's ``recv()``: waiting runs the simulation;
        ``timeout`` is in virtual seconds (``TimeoutError`` when nothing came by then)."""
        if timeout is None:
            return self.next()
        inst = self._inst
        inst._world.run_until(lambda: self._available() > 0, allow_time=True,
                              max_steps=inst._sim.max_steps, max_time=timeout)
        got = self._unread()
        if not got:
            raise TimeoutError(f"{self._name}: no value within {timeout:g} s (virtual time)")
        self._consume(1)
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
        self._consume(len(expected))

    def assert_yields_unordered(self, expected) -> None:
        """The next ``len(expected)`` values are ``expected`` in some order."""
        expected = list(expected)
        got = self._wait_for(len(expected))[: len(expected)]
        if _multiset(got) != _multiset(expected):
            raise AssertionError(self._mismatch(expected, got, unordered=True))
        self._consume(len(expected))

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


class _PortOutput(_Receiver):
    """A receiver reading an output port's values as the world collected them."""

    _inst: SimInstance
    info: Any

    @property
    def _buffer(self) -> list:
        return self._inst._world.outputs[self.info.key]

    @property
    def _name(self) -> str:
        return _port_name(self.info)


class SimOutput(_PortOutput):
    """A test's handle on an output port (``inst.connect(port)``) or a ``sim_output()`` of the
    simulated flow: read with ``next()``/``recv()``/``collect()`` or check with the
    ``assert_yields*`` methods; waiting runs the simulation."""

    def __init__(self, inst: SimInstance, info):
        self._inst = inst
        self.info = info
        self._read = 0


class SimClusterOutput(_PortOutput):
    """A test's handle on a cluster's ``sim_output`` (Hydro's ``SimClusterReceiver``): each
    member's output is its own. ``next(member)``, ``collect(member)``,
    ``collect_sorted(member)``, ``assert_no_more(member)`` read one member, as Hydro's do;
    ``out[member]`` (or ``out.member(member)``) is that member's output with every reading
    and asserting method of ``SimOutput``. Without a member, the handle reads all members'
    outputs as ``(member, value)`` pairs in the order they were produced; the two share what
    was read (a value read through one is not read again through the other)."""

    def __init__(self, inst: SimInstance, info):
        self._inst = inst
        self.info = info
        self.cluster = info.location.name
        self._reads = dict.fromkeys(inst._sim.members[self.cluster], 0)
        self._views: dict[int, SimMemberOutput] = {}

    def _available(self) -> int:
        return len(self._buffer) - sum(self._reads.values())

    def _unread(self) -> list:
        seen = dict.fromkeys(self._reads, 0)
        out = []
        for pair in self._buffer:
            member = pair[0]
            if seen[member] >= self._reads[member]:
                out.append(pair)
            seen[member] += 1
        return out

    def _consume(self, n: int) -> None:
        for member, _ in self._unread()[:n]:
            self._reads[member] += 1

    @property
    def members(self) -> list[int]:
        """The cluster's members: ``0 .. size-1``."""
        return list(self._reads)

    def member(self, member: Any) -> SimMemberOutput:
        """One member's output (an index ``0 .. size-1`` or a ``MemberId``): a handle with
        ``next``, ``recv``, ``collect``, ``collect_sorted``, iteration and the
        ``assert_yields*`` methods, reading only what that member produced."""
        index = _member_index(self._inst._sim, self.cluster, member, "member", self.info)
        view = self._views.get(index)
        if view is None:
            view = self._views[index] = SimMemberOutput(self, index)
        return view

    def __getitem__(self, member: Any) -> SimMemberOutput:
        """``out[member]``: ``out.member(member)``."""
        return self.member(member)

    def next(self, member: Any = None) -> Any:
        """The next value of ``member`` (Hydro's ``next(member_id)``), or without a member the
        next ``(member, value)`` of any; ``AssertionError`` if the flow settles without one."""
        return super().next() if member is None else self.member(member).next()

    def try_next(self, member: Any = None) -> Any:
        """The next value of ``member`` (or ``(member, value)`` of any), or ``None`` when the
        flow settles without one (Hydro's ``try_next(member_id)``)."""
        return super().try_next() if member is None else self.member(member).try_next()

    def collect_n_sorted_only(self, member: Any, n: int) -> list:  # type: ignore[override]
        """The next ``n`` values of ``member``, sorted, and then nothing more from it (Hydro's
        ``collect_n_sorted_only(member_id, n)``)."""
        return self.member(member).collect_n_sorted_only(n)

    def next_only(self, member: Any = None) -> Any:
        """The one next value of ``member``, and then nothing more from it (Hydro's
        ``next_only(member_id)``); without a member, the one ``(member, value)`` of all."""
        return super().next_only() if member is None else self.member(member).next_only()

    def recv(self, timeout: float | None = None, *, member: Any = None) -> Any:
        """``next(member)``, waiting at most ``timeout`` virtual seconds when given
        (``TimeoutError`` when nothing came by then)."""
        if member is None:
            return super().recv(timeout)
        return self.member(member).recv(timeout)

    def collect(self, member: Any = None) -> list:
        """Everything ``member`` produced not yet read (Hydro's ``collect(member_id)``), or
        without a member every unread ``(member, value)``, once the flow is quiet."""
        return super().collect() if member is None else self.member(member).collect()

    def collect_sorted(self, member: Any = None, key=None) -> list:
        """``collect(member)``, sorted (Hydro's ``collect_sorted(member_id)``)."""
        if member is None:
            return super().collect_sorted(key=key)
        return self.member(member).collect_sorted(key=key)

    def assert_no_more(self, member: Any = None) -> None:
        """``member`` (or, without one, no member) yields nothing more, once the flow is
        quiet (Hydro's ``assert_no_more(member_id)``)."""
        if member is None:
            super().assert_no_more()
        else:
            self.member(member).assert_no_more()


class SimMemberOutput(_Receiver):
    """One member's output of a cluster's ``sim_output`` (``out[member]``): what it reads is
    read for its ``SimClusterOutput`` too."""

    def __init__(self, parent: SimClusterOutput, member: int):
        self._inst = parent._inst
        self._parent = parent
        self.info = parent.info
        self.member = member

    @property
    def _read(self) -> int:  # type: ignore[override]  (kept by the cluster's handle)
        return self._parent._reads[self.member]

    @_read.setter
    def _read(self, n: int) -> None:
        self._parent._reads[self.member] = n

    @property
    def _buffer(self) -> list:
        return self._inst._world.outputs[self.info.key, self.member]

    @property
    def _name(self) -> str:
        return f"member {self._parent.cluster}[{self.member}] of {_port_name(self.info)}"


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


def _member_index(sim: Simulator, cluster: str, member: Any, op: str, info) -> int:
    """A member of ``cluster`` named by its index or its ``MemberId``, checked against the
    cluster's size in this simulation."""
    members = sim.members[cluster]
    if isinstance(member, MemberId):
        if member.cluster != cluster:
            raise HydroDeployError(
                f"{op}(): {member!r} is a member of cluster {member.cluster!r}, but "
                f"{_port_name(info)} is at cluster {cluster!r}")
        index = member.raw_id
    elif isinstance(member, int) and not isinstance(member, bool):
        index = member
    else:
        raise HydroDeployError(
            f"{op}(): a member is its index (0 .. {len(members) - 1}) or its MemberId, got "
            f"{short(member)}")
    if index not in members:
        raise HydroDeployError(
            f"{op}(): cluster {cluster!r} has members 0 .. {len(members) - 1} in this "
            f"simulation (flow.sim(cluster_sizes=...)), got member {index}")
    return index


def _multiset(values) -> Counter:
    return Counter(repr(v) for v in values)


# what made a port, by direction: a test's own (the implicit client ``sim``), or a client's
_PORT_KIND = {"in": ("sim_input", "source_external"), "out": ("sim_output", "send_external"),
              "bidi": ("bidi_external", "bidi_external")}


def _port_name(info) -> str:
    """``port 23 (sim_output at counter.py, line 41)``: the key, what made it (``sim_input``
    for a test's port, ``source_external`` for a client's) and where the user made it."""
    where = info.created_at.where() if info.created_at is not None else None
    kinds = _PORT_KIND.get(info.direction)
    kind = "port" if kinds is None else kinds[0 if info.external.name == "sim" else 1]
    return f"port {info.key} ({kind} at {where})" if where else f"port {info.key}"


def _port_order(sim: Simulator, info) -> Order:
    node = _port_node(sim, info)
    return node.meta.kind.order if node is not None else Order.TOTAL_ORDER


def _port_retries(sim: Simulator, info) -> Retries:
    node = _port_node(sim, info)
    return node.meta.kind.retries if node is not None else Retries.EXACTLY_ONCE


def _port_node(sim: Simulator, info):
    return sim.program_ir.nodes.get(info.input_node) if info.input_node is not None else None
