"""The ipywidgets that drive a running deployment from its dashboard: pause/resume/step, the
tick-rate limit, kill/restart of cluster members, and drops/delays on a channel.

Every control calls the deployment's public API (``pause``, ``set_tick_rate``, ``kill``,
``inject``, ...) from the kernel's thread, where widget events arrive; a refused action shows its
message in ``status`` instead of raising into the void. ``sync`` (called by the pump) makes the
buttons follow the deployment's state.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from typing import Any

import ipywidgets as widgets

from hydro_lab.errors import HydroError

RATE_MIN_EXP, RATE_MAX_EXP = 0, 4  # the rate slider: 1 to 10,000 ticks per second
DELAY_MAX_S = 5.0
# the controls by name, in the order they are laid out
NAMES = ("pause", "resume", "step", "step_ticks", "state", "limit", "rate", "member", "kill",
         "restart", "channel", "drop", "delay", "clear", "status")


class DeploymentControls(Mapping[str, widgets.Widget]):
    """The control widgets of one deployment, a mapping from name to widget (``NAMES``, in
    layout order; each is an attribute too: ``controls["kill"] is controls.kill``):
    ``pause``, ``resume``, ``step`` (buttons), ``step_ticks`` (how many rounds ``step``
    runs), ``state`` (the deployment's state), ``limit`` (the tick-rate checkbox), ``rate``
    (its slider), ``member`` (a cluster member), ``kill``, ``restart``, ``channel``, ``drop``,
    ``delay`` (its fault's sliders), ``clear`` (its fault), ``status`` (what the last action
    did, or why it was refused). ``widget`` lays them out in one row; a deployment without
    cluster members or channels does not show those groups, but has their widgets."""

    def __init__(self, deployment: Any):
        self.deployment = d = deployment
        self._syncing = False
        # buttons keep their natural width: in a narrow column, "width: auto" let flex squeeze
        # "pause" to "pa…" (seen in JupyterLab)
        layout = widgets.Layout(width="auto", flex="0 0 auto")
        # lifecycle
        self.pause = widgets.Button(description="pause", icon="pause", layout=layout)
        self.resume = widgets.Button(description="resume", icon="play", layout=layout)
        self.step = widgets.Button(description="step", icon="step-forward", layout=layout,
                                   tooltip="run this many rounds now (every instance ticks once "
                                           "a round)")
        self.step_ticks = widgets.BoundedIntText(
            value=1, min=1, max=100_000, description="ticks",
            layout=widgets.Layout(width="130px", flex="0 0 auto"))
        self.state = widgets.HTML()
        self.pause.on_click(lambda _: self._act(d.pause))
        self.resume.on_click(lambda _: self._act(self._resume))
        self.step.on_click(lambda _: self._act(lambda: d.step(self.step_ticks.value)))
        # tick rate
        self.limit = widgets.Checkbox(value=d.tick_rate is not None, description="limit tick rate",
                                      indent=False)
        self.rate = widgets.FloatLogSlider(value=d.tick_rate or 100.0, base=10,
                                           min=RATE_MIN_EXP, max=RATE_MAX_EXP, step=0.05,
                                           description="ticks/s", continuous_update=False,
                                           readout_format=".3g")
        self.limit.observe(self._on_rate, "value")
        self.rate.observe(self._on_rate, "value")
        # members
        self._members = [inst for inst in d.instances if inst.member is not None]
        self.member = widgets.Dropdown(options=[(i.name, i.name) for i in self._members],
                                       description="member",
                                       layout=widgets.Layout(width="230px"))
        self.kill = widgets.Button(description="kill", icon="stop", button_style="danger",
                                   layout=layout)
        self.restart = widgets.Button(description="restart", icon="refresh", layout=layout)
        self.kill.on_click(lambda _: self._on_member(d.kill))
        self.restart.on_click(lambda _: self._on_member(d.restart))
        self.member.observe(lambda _: self.sync(), "value")
        # channel faults
        self.channel = widgets.Dropdown(options=d.channels(), description="channel",
                                        layout=widgets.Layout(width="280px"))
        self.drop = widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05,
                                        description="drop", continuous_update=False,
                                        readout_format=".0%")
        self.delay = widgets.FloatSlider(value=0.0, min=0.0, max=DELAY_MAX_S, step=0.05,
                                         description="delay (s)", continuous_update=False)
        self.clear = widgets.Button(description="clear fault", layout=layout)
        self.channel.observe(lambda _: self._show_fault(), "value")
        self.drop.observe(self._on_fault, "value")
        self.delay.observe(self._on_fault, "value")
        self.clear.on_click(lambda _: self._clear_fault())
        self.status = widgets.HTML()
        self.widget = self._layout()
        self._show_fault()
        self.sync()

    # -- the mapping ---------------------------------------------------------------------------

    def __getitem__(self, name: str) -> widgets.Widget:
        if name not in NAMES:
            raise KeyError(name)
        return getattr(self, name)

    def __iter__(self) -> Iterator[str]:
        return iter(NAMES)

    def __len__(self) -> int:
        return len(NAMES)

    def __repr__(self) -> str:
        return f"<DeploymentControls of {self.deployment!r:.60}: {', '.join(NAMES)}>"

    # -- layout --------------------------------------------------------------------------------

    def _layout(self) -> widgets.Widget:
        def group(title: str, *children: widgets.Widget) -> widgets.VBox:
            # groups keep their width and wrap to a new line in a narrow notebook, instead of
            # being squeezed until their widgets are clipped (seen in JupyterLab)
            return widgets.VBox([widgets.HTML(f"<b>{title}</b>"), *children],
                                layout=widgets.Layout(margin="0 18px 8px 0", flex="0 0 auto"))

        groups = [
            group("run", widgets.HBox([self.pause, self.resume]),
                  widgets.HBox([self.step, self.step_ticks]), self.state),
            group("tick rate", self.limit, self.rate),
        ]
        if self._members:
            groups.append(group("members", self.member, widgets.HBox([self.kill, self.restart])))
        if self.channel.options:
            groups.append(group("channel faults", self.channel, self.drop, self.delay,
                                self.clear))
        return widgets.VBox([widgets.HBox(groups, layout=widgets.Layout(flex_flow="row wrap")),
                             self.status])

    # -- actions -------------------------------------------------------------------------------

    def _act(self, action, done: str | None = None) -> bool:
        try:
            action()
        except HydroError as err:
            self._say(str(err), error=True)
            return False
        if done:
            self._say(done)
        self.sync()
        return True

    def _say(self, message: str, error: bool = False) -> None:
        color = "#b00020" if error else "#555"
        self.status.value = f'<span style="color:{color}">{html.escape(message)}</span>'

    def _resume(self) -> None:
        d = self.deployment
        if d.state == "created":
            d.start()
        else:
            d.resume()

    def _on_rate(self, _change=None) -> None:
        if self._syncing:
            return
        if _change is not None and _change["owner"] is self.rate and not self.limit.value:
            self._syncing = True  # moving the slider asks for a limit
            self.limit.value = True
            self._syncing = False
        rate = self.rate.value if self.limit.value else None
        self._act(lambda: self.deployment.set_tick_rate(rate),
                  f"tick rate limited to {rate:.3g} ticks/s" if rate else "no tick-rate limit")

    def _on_member(self, action) -> None:
        name = self.member.value
        inst = next((i for i in self._members if i.name == name), None)
        if inst is None:
            return
        self._act(lambda: action(inst.location.name, inst.member),
                  f"{name} {'killed' if action == self.deployment.kill else 'restarted'}")

    def _on_fault(self, _change=None) -> None:
        if self._syncing or not self.channel.value:
            return
        channel, drop, delay = self.channel.value, self.drop.value, self.delay.value
        done = (f"{channel}: dropping {drop:.0%}, delaying {delay:g} s" if drop or delay
                else f"{channel}: no fault")
        self._act(lambda: self.deployment.inject(channel, drop=drop, delay=delay), done)

    def _clear_fault(self) -> None:
        if not self.channel.value:
            return
        self._act(lambda: self.deployment.inject(self.channel.value),
                  f"{self.channel.value}: no fault")
        self._show_fault()

    def _show_fault(self) -> None:
        """The sliders show the selected channel's fault."""
        fault = self.deployment.faults().get(self.channel.value)
        self._syncing = True
        try:
            self.drop.value = fault.drop if fault else 0.0
            self.delay.value = min(fault.delay, DELAY_MAX_S) if fault else 0.0
        finally:
            self._syncing = False

    # -- following the deployment --------------------------------------------------------------

    def sync(self) -> None:
        """Enable what makes sense in the deployment's state; show the state."""
        d = self.deployment
        state = d.state
        over = state in ("stopped", "failed")
        self.state.value = f"state: <b>{state}</b>"
        self.pause.disabled = over or state != "running"
        self.resume.disabled = over or state == "running"
        self.step.disabled = over
        self.limit.disabled = self.rate.disabled = over
        live = set(d.live_instances()) if not over else set()
        selected = self.member.value
        self.kill.disabled = over or selected not in live
        self.restart.disabled = over or selected is None or selected in live
        self.channel.disabled = self.drop.disabled = self.delay.disabled = over
        self.clear.disabled = over
