"""How BokehJS reaches the page (``hydro_lab/dashboard/bokehjs.py``): inline, guarded to run once
per page, sent once per front-end client session and replaced by the view it was sent for, and
handed to pages that load the kernel's widgets by an invisible widget whose created state (what
nbclient saves) does not carry it. tests/browser/test_bokehjs.py watches it in JupyterLab."""

from __future__ import annotations

import json
import re

import comm
import ipywidgets as widgets
from bokeh import __version__ as BOKEH_VERSION
from IPython.utils.capture import capture_output

from hydro_lab.dashboard import bokehjs

JS = "application/javascript"


def test_the_script_is_bokehjs_inline_and_runs_only_where_the_page_has_none():
    js = bokehjs.script()
    assert len(js) > 1_000_000                      # the library itself, not a link to it
    assert "/* BEGIN bokeh.min.js */" in js and "/* BEGIN bokeh-widgets.min.js */" in js
    assert "cdn.bokeh.org" not in js and not re.search(r"<script[^>]+src=[\"']https?:", js)
    guard = (f"if (root.Bokeh !== undefined && root.Bokeh.version === "
             f"{json.dumps(BOKEH_VERSION)}) {{\n    return;")
    assert js.index(guard) < js.index("hydro_lab_bokehjs_loads") < js.index("BEGIN bokeh.min")
    assert bokehjs.script() is js                   # made once


def test_the_widget_carries_bokehjs_when_asked_for_its_state_not_when_created(monkeypatch):
    opened = []                            # what each comm_open sent: nbclient saves that
    create_comm = comm.create_comm

    def recording(**kwargs):
        opened.append(kwargs["data"]["state"])
        return create_comm(**kwargs)
    monkeypatch.setattr(comm, "create_comm", recording)
    monkeypatch.setattr(bokehjs, "_widget", None)
    w = bokehjs.widget()
    assert [state["_model_name"] for state in opened] == ["LayoutModel", "OutputModel"]
    assert opened[1]["outputs"] == () and opened[0]["display"] == "none"
    assert w.outputs == ()                          # its trait and repr stay small
    # a page asking for every widget's whole state gets the script as its one output
    assert w.get_state()["outputs"] == ({"output_type": "display_data",
                                         "data": {JS: bokehjs.script()}, "metadata": {}},)
    assert w.get_state("outputs")["outputs"] == ()  # a trait's update does not carry it
    assert bokehjs.widget() is w                    # one per kernel
    w.close()
    again = bokehjs.widget()                        # made again once closed
    assert again is not w and again.comm is not None
    again.close()


def test_show_sends_bokehjs_once_per_page_and_replaces_it_with_the_view(monkeypatch,
                                                                          ipython_shell):
    """A reloaded page (or a second tab) is a new client session of the same kernel: it gets
    BokehJS with the next view shown there; the same page does not get it twice."""
    monkeypatch.setattr(bokehjs, "_sessions", set())

    class FakeKernel:                      # what ipykernel answers: the executing request's parent
        session = "page-1"

        def get_parent(self, channel=None):
            assert channel == "shell"
            return {"header": {"session": self.session, "msg_type": "execute_request"}}

    kernel = FakeKernel()
    monkeypatch.setattr(ipython_shell, "kernel", kernel, raising=False)
    view = widgets.VBox([bokehjs.widget(), widgets.HTML("hello")])

    def show():
        with capture_output() as cap:
            sent = bokehjs.show(view, "a view")
        return sent, cap.outputs

    sent, outputs = show()
    assert sent
    script, shown = outputs
    assert script.data == {JS: bokehjs.script()} and not script.update
    assert script.transient["display_id"]
    assert shown.update and shown.transient == script.transient
    assert shown.data == {"text/plain": "a view",
                          "application/vnd.jupyter.widget-view+json": {
                              "version_major": 2, "version_minor": 0,
                              "model_id": view.model_id}}
    sent, outputs = show()                 # same page: it has BokehJS
    assert not sent and [o.data for o in outputs] == [shown.data]
    assert not outputs[0].update and not outputs[0].transient
    kernel.session = "page-2"              # the user reloads the browser tab
    assert show()[0] is True
    assert show()[0] is False
    kernel.session = "page-1"
    assert show()[0] is False
    assert bokehjs._sessions == {"page-1", "page-2"}


def test_without_a_kernel_it_is_sent_once_per_process(monkeypatch, ipython_shell):
    monkeypatch.setattr(bokehjs, "_sessions", set())
    assert bokehjs.client_session() is None
    view = widgets.VBox([bokehjs.widget()])
    with capture_output():
        assert bokehjs.show(view, "v") is True
        assert bokehjs.show(view, "v") is False
