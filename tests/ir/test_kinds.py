"""Property tests of the guarantee algebra: the lattice itself, and that operators respect it.

Weakening is free, combining two collections gives the weaker of each guarantee, and only a
``nondet`` (or an operator that enforces the guarantee: ``sort``, ``unique``) strengthens one.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hydro_lab import Bound, FlowBuilder, HydroTypeError, Order, Retries, nondet
from hydro_lab.ir.kinds import is_at_least, weaker

ENUMS = [Bound, Order, Retries]
values_of = st.sampled_from(ENUMS).flatmap(
    lambda e: st.tuples(st.sampled_from(list(e)), st.sampled_from(list(e)),
                        st.sampled_from(list(e))))
orders = st.sampled_from(list(Order))
retries = st.sampled_from(list(Retries))
ND = nondet("property test")


@given(values_of)
def test_weaker_is_a_meet(abc):
    a, b, c = abc
    assert weaker(a, b) == weaker(b, a)
    assert weaker(a, weaker(b, c)) == weaker(weaker(a, b), c)
    assert weaker(a, a) == a
    m = weaker(a, b)
    assert is_at_least(a, m) and is_at_least(b, m)
    # the meet is the strongest lower bound
    for x in type(a):
        if is_at_least(a, x) and is_at_least(b, x):
            assert is_at_least(m, x)


@given(values_of)
def test_is_at_least_is_a_partial_order(abc):
    a, b, c = abc
    assert is_at_least(a, a)
    if is_at_least(a, b) and is_at_least(b, a):
        assert a == b
    if is_at_least(a, b) and is_at_least(b, c):
        assert is_at_least(a, c)


def _stream(p, order, retry, bounded=False):
    s = p.source_iter([1, 2, 3]) if bounded else p.spin().map(lambda _: 1)
    if order is Order.NO_ORDER:
        s = s.weaken_ordering()
    if retry is Retries.AT_LEAST_ONCE:
        s = s.weaken_retries()
    return s


def _strength(c):
    return (c.bound, c.order, c.retries)


# (name, build(stream, flow parts) -> stream, which guarantees it may strengthen)
UNARY = [
    ("map", lambda s, w: s.map(str), set()),
    ("filter", lambda s, w: s.filter(bool), set()),
    ("filter_map", lambda s, w: s.filter_map(str), set()),
    ("flat_map_ordered", lambda s, w: s.flat_map_ordered(lambda x: [x]), set()),
    ("flat_map_unordered", lambda s, w: s.flat_map_unordered(lambda x: [x]), set()),
    ("inspect", lambda s, w: s.inspect(print), set()),
    ("weaken_ordering", lambda s, w: s.weaken_ordering(), set()),
    ("weaken_retries", lambda s, w: s.weaken_retries(), set()),
    ("unique", lambda s, w: s.unique(), {"retries"}),
    ("send", lambda s, w: s.send(w["q"]) if s._loc == w["p"].id else s, set()),
    ("interleave", lambda s, w: s.interleave(s) if s._loc.is_top_level else s, set()),
    ("batch+sort+all_ticks",
     lambda s, w: s.batch(w["t"], ND).sort().all_ticks() if s._loc == w["p"].id else s,
     {"order"}),
    ("assume_ordering", lambda s, w: s.assume_ordering(ND), {"order"}),
    ("assume_retries", lambda s, w: s.assume_retries(ND), {"retries"}),
]


@settings(max_examples=150, deadline=None)
@given(order=orders, retry=retries, bounded=st.booleans(),
       ops=st.lists(st.integers(0, len(UNARY) - 1), min_size=1, max_size=6))
def test_only_declared_or_enforcing_operators_strengthen(order, retry, bounded, ops):
    flow = FlowBuilder()
    p, q = flow.process("p"), flow.process("q")
    w = {"p": p, "q": q, "t": p.tick()}
    s = _stream(p, order, retry, bounded)
    for i in ops:
        name, build, may = UNARY[i]
        before = _strength(s)
        s = build(s, w)
        after = _strength(s)
        for label, b, a in zip(("bound", "order", "retries"), before, after, strict=True):
            if not is_at_least(b, a):  # strengthened
                assert label in may, (name, label, b, a)


BINARY = {
    "cross_product": lambda a, b: a.cross_product(b),
    "join": lambda a, b: a.map(lambda x: (x, x)).join(b.map(lambda x: (x, x))),
    "interleave": lambda a, b: a.interleave(b),
    "chain": lambda a, b: a.chain(b),
}


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(sorted(BINARY)), orders, retries, orders, retries, st.booleans(),
       st.booleans())
def test_combining_gives_the_weaker_of_both(op, o1, r1, o2, r2, b1, b2):
    flow = FlowBuilder()
    p = flow.process("p")
    left, right = _stream(p, o1, r1, b1), _stream(p, o2, r2, b2)
    if op == "chain" and not b1:
        left = _stream(p, o1, r1, True)  # chain needs a bounded first stream
        b1 = True
    out = BINARY[op](left, right)
    assert is_at_least(left.retries, out.retries) and is_at_least(right.retries, out.retries)
    assert out.retries == weaker(left.retries, right.retries)
    if op == "join" and b2:  # a Bounded right side keeps the left order (Hydro's bounded join)
        assert out.order == left.order
    elif op in ("cross_product", "join", "interleave"):
        assert out.order is Order.NO_ORDER
    else:
        assert out.order == weaker(left.order, right.order)
    if op == "interleave":
        assert out.bound is Bound.UNBOUNDED
    elif op == "chain":
        assert out.bound == right.bound
    else:
        assert out.bound == weaker(left.bound, right.bound)


@settings(max_examples=100, deadline=None)
@given(order=orders, retry=retries, comm=st.booleans(), idem=st.booleans(),
       agg=st.sampled_from(["fold", "reduce", "keyed_fold", "keyed_reduce"]))
def test_aggregation_rule(order, retry, comm, idem, agg):
    flow = FlowBuilder()
    p = flow.process("p")
    s = _stream(p, order, retry)
    kwargs = {}
    if comm:
        kwargs["commutative"] = "the test says so"
    if idem:
        kwargs["idempotent"] = "the test says so"
    allowed = (order is Order.TOTAL_ORDER or comm) and (retry is Retries.EXACTLY_ONCE or idem)

    def run():
        if agg == "fold":
            return s.fold(lambda: 0, max, **kwargs)
        if agg == "reduce":
            return s.reduce(max, **kwargs)
        keyed = s.map(lambda x: (x, x)).into_keyed()
        if agg == "keyed_fold":
            return keyed.fold(lambda: 0, max, **kwargs)
        return keyed.reduce(max, **kwargs)

    if allowed:
        result = run()
        assert result.bound is Bound.UNBOUNDED
    else:
        try:
            run()
        except HydroTypeError as err:
            msg = str(err)
            if order is Order.NO_ORDER and not comm:
                assert "commutative" in msg
            if retry is Retries.AT_LEAST_ONCE and not idem:
                assert "idempotent" in msg
        else:
            raise AssertionError("the aggregation rule should have refused this")


@settings(max_examples=60, deadline=None)
@given(order=orders, retry=retries)
def test_builtin_aggregations_have_known_algebra(order, retry):
    flow = FlowBuilder()
    s = _stream(flow.process("p"), order, retry)
    s.max()
    s.min()  # never refused
    if retry is Retries.EXACTLY_ONCE:
        s.count()
    else:
        try:
            s.count()
        except HydroTypeError as err:
            assert "ExactlyOnce" in str(err)
        else:
            raise AssertionError("count must refuse AtLeastOnce input")
