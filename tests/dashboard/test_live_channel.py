"""The kernel's end of the live graph comm: one comm opened by the kernel, comms the renderer
opens with a Hello answered with the latest updates, closed and broken comms forgotten, and
nothing at all without a kernel (and never a print)."""

from __future__ import annotations

from hydro_lab.dashboard import live_channel
from hydro_lab.dashboard.live_channel import LiveChannel
from hydro_lab.viz.protocol import COMM_TARGET
from tests.dashboard.live_fakes import FakeComm, FakeManager, fake_channel


def body(live_id="g1", n=1):
    return {"type": "update", "id": live_id, "state": "running", "views": {"ir": {"counts": {
        "n1": n}}}}


def test_without_a_kernel_nothing_is_sent_and_nothing_fails(capsys):
    channel = LiveChannel()
    assert not live_channel.kernel_running()
    assert not channel.available and channel.open() is False and not channel.register()
    sent = channel.publish(body())
    assert sent["seq"] == 1 and channel.latest["g1"] == sent and channel.comms == []
    assert capsys.readouterr() == ("", "")


def test_each_display_opens_a_new_comm_and_closes_the_one_before():
    """A comm reaches the pages connected when it opened: a page reloaded since gets the next
    one (its own Hello would wait behind every queued cell)."""
    channel, comms = fake_channel()
    assert channel.available and channel.open() and channel.open()
    first, second = comms
    assert first.closed and not second.closed and channel.comms == [second]
    channel.publish(body())
    assert first.sent == [] and len(second.sent) == 1


def test_updates_are_numbered_per_id():
    channel, comms = fake_channel()
    channel.open()
    (opened,) = comms
    assert opened.target_name == COMM_TARGET
    assert channel._manager.targets[COMM_TARGET] == channel.comm_opened
    for n in range(3):
        channel.publish(body("a", n))
    channel.publish(body("b"))
    assert [(u["id"], u["seq"]) for u in opened.sent] == [("a", 1), ("a", 2), ("a", 3),
                                                          ("b", 1)]
    assert channel.resend("a")["seq"] == 4 and opened.sent[-1]["views"] == body("a", 2)["views"]
    assert channel.resend("unknown") is None


def test_a_renderer_that_reloaded_says_hello_and_gets_the_latest_of_each_id():
    channel, comms = fake_channel()
    channel.publish(body("a", 1))
    channel.publish(body("a", 7))
    reloaded = FakeComm(COMM_TARGET)
    channel.comm_opened(reloaded, {"content": {"data": {"type": "hello",
                                                        "ids": ["a", "gone"]}}})
    latest, gone = reloaded.sent
    assert latest == {**body("a", 7), "seq": 2}
    assert gone["id"] == "gone" and gone["state"] == "stopped" and gone["views"] == {}
    # later updates reach it too, and a Hello sent as a message on it is answered on it alone
    channel.open()
    channel.publish(body("a", 9))
    assert reloaded.sent[-1]["seq"] == 3 and comms[0].sent[-1]["seq"] == 3
    reloaded.says({"type": "hello", "ids": ["a"]})
    assert reloaded.sent[-1]["views"] == body("a", 9)["views"] and len(comms[0].sent) == 1
    reloaded.says({"type": "something else"})
    channel.comm_opened(FakeComm(), {"content": {"data": {}}})  # an open without a Hello
    assert len(reloaded.sent) == 4


def test_closed_and_broken_comms_are_forgotten_and_the_kernel_opens_a_new_one(capsys):
    channel, comms = fake_channel()
    channel.open()
    comms[0].close()  # the front end closed it (no extension there, say)
    channel.publish(body())
    assert comms[0].sent == [] and channel.comms == []
    channel.open()
    assert len(comms) == 2
    comms[1].broken = True
    channel.publish(body())
    assert channel.comms == [] and channel.errors == 1
    assert capsys.readouterr() == ("", "")


def test_only_the_latest_updates_of_recent_ids_are_kept(monkeypatch):
    monkeypatch.setattr(live_channel, "KEEP_IDS", 3)
    channel = LiveChannel()
    for i in range(5):
        channel.publish(body(f"g{i}"))
    assert list(channel.latest) == ["g2", "g3", "g4"]


def test_in_a_kernel_whose_front_end_does_not_draw_graphs_nothing_is_opened(monkeypatch):
    """nbclient (nbconvert, papermill, CI) would read an update's "state" as widget state and
    fail: a kernel not serving JupyterLab with the extension opens no comm."""
    monkeypatch.setattr(live_channel, "kernel_running", lambda: True)
    monkeypatch.setattr(live_channel, "frontend_draws", lambda: False)
    manager = FakeManager()
    monkeypatch.setattr(live_channel.comm, "get_comm_manager", lambda: manager)
    opened = []
    monkeypatch.setattr(live_channel.comm, "create_comm", lambda **kw: opened.append(kw))
    channel = LiveChannel()
    assert not channel.available and channel.open() is False and opened == []
    channel.publish(body())
    # a renderer that opens a comm here does draw them: it gets updates from then on
    assert channel.register() and COMM_TARGET in manager.targets
    reloaded = FakeComm(COMM_TARGET)
    manager.targets[COMM_TARGET](reloaded, {"content": {"data": {"type": "hello",
                                                                 "ids": ["g1"]}}})
    assert channel.available and channel.open() and opened == []
    channel.publish(body(n=2))
    assert [u["seq"] for u in reloaded.sent] == [1, 2]
    monkeypatch.setattr(live_channel, "frontend_draws", lambda: True)
    assert LiveChannel().available
