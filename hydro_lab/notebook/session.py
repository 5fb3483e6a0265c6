"""One notebook's hydro session: the flow its ``%%hydro`` cells build (``cells.py`` runs and
replays them), the deployment and the live graph display.

The graph display is the flow's graph, and while a deployment of this very flow exists it is the
deployment's live graph (``deployment.graph()``): counts and rates arrive on the comm, and after
``%hydro stop`` the last values stay. Once a cell changes the flow the display shows the edited
flow without live values, saying that the deployment runs the flow as it was deployed; a cell
that changes it back (or re-runs unchanged) brings the live graph back.

A deployment's failure is reported once to the user (``unreported_failure`` /
``mark_reported``): the magics show it in the next cell that runs, unless a verb or the cell
itself already showed it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from hydro_lab.core.topology import Topology
from hydro_lab.errors import HydroError
from hydro_lab.flow import FlowBuilder
from hydro_lab.ir.locations import ClusterId
from hydro_lab.ir.printer import format_program
from hydro_lab.notebook.cells import Cell, CellReport, HydroCells, describe_error
from hydro_lab.observe.metrics import TICK_DURATION
from hydro_lab.viz.graph import MIME_TYPE, Graph


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def failure_lines(err: BaseException, n: int = 3, indent: str = "  ") -> str:
    """The first ``n`` lines of a failure (what raised, where, on which element), indented
    under the first."""
    lines = describe_error(err).splitlines()[:n]
    return f"\n{indent}".join(line.strip() for line in lines)


class NotebookSession:
    """The flow, cells, deployment and graph display of one IPython shell."""

    def __init__(self, shell: Any, flow_name: str = "flow"):
        self.shell = shell
        self.hydro_cells = HydroCells(shell, flow_name)
        self.version = 0                    # bumped whenever the flow changes
        self.deployment: Any = None
        self.deployed_version: int | None = None
        self.deployed_flow: str | None = None  # the deployed flow's IR, as text without lines
        self.live: Any = None               # the deployment's live graph, once shown
        self.display_id: str | None = None  # the live graph's display id
        self.display_key: str | None = None  # the cell whose output holds the live graph
        self.graph_location: str | None = None  # %hydro graph --location: one DFIR location
        self.cell_id: str | None = None     # the front end's id of the cell executing now
        self.cell_number: int | None = None  # its execution count
        self.last_sim: Any = None           # the last %hydro sim result: a count or SimFailure
        self.last_sim_run: Any = None       # (simulator, body, schedule) for %hydro replay --sim
        self.deployed_by: str | None = None  # "In [5]": the cell that deployed
        self._reported: Any = None          # the deployment's failure, once shown to the user
        self._runs = 0

    # -- cells ----------------------------------------------------------------------------------

    def execution_key(self, name: str | None = None) -> str:
        """The key of the executing cell: ``name`` if given, else the front end's cell id, else
        a new key (plain IPython: every execution is a new cell)."""
        if name:
            return name
        if self.cell_id:
            return self.cell_id
        self._runs += 1
        return f"run-{self._runs}"

    def run_cell(self, key: str, body: str, header: str = "") -> CellReport:
        """Build a ``%%hydro`` cell: add it if new, else rebuild the flow with its new source."""
        number = self.cell_number if self.cell_number is not None else \
            self.shell.execution_count
        report = self.hydro_cells.run(key, body, header, number)
        if report.ok:
            self.version += 1
        return report

    @property
    def flow(self) -> FlowBuilder:
        """The flow the ``%%hydro`` cells build."""
        return self.hydro_cells.flow

    @property
    def cells(self) -> dict[str, Cell]:
        """The ``%%hydro`` cells by key, in first-execution order."""
        return self.hydro_cells.cells

    @property
    def building(self) -> str | None:
        """The key of the cell being built (its nodes are tagged with it), else None."""
        return self.hydro_cells.building

    @property
    def broken(self) -> list[Cell]:
        return self.hydro_cells.broken

    def reset(self) -> BaseException | None:
        """An empty flow and no cells; the deployment is stopped and forgotten, whatever state
        it is in. Returns what the user has not seen yet about the old deployment: its failure
        (unless it was reported), or what went wrong stopping it; None when there is nothing."""
        news: BaseException | None = self.unreported_failure()
        try:
            self.stop()
        except Exception as err:  # noqa: BLE001  (a reset must succeed: this is reported)
            news = err
        self.deployment = self.deployed_version = self.deployed_by = None
        self._reported = None
        self.hydro_cells.reset()
        self.version += 1
        self.deployed_flow = self.live = None  # the display no longer shows the deployment
        self.last_sim = None
        self.last_sim_run = None
        return news

    # -- the live graph ---------------------------------------------------------------------------

    def graph(self, view: str = "ir", location: str | None = None) -> tuple[Graph, str | None]:
        """The graph to show and a note when the asked-for view is not available."""
        note = None
        if view == "dfir":
            try:
                return self.flow.graph("dfir", location=location), None
            except Exception as err:  # noqa: BLE001  (any reason: the IR view still helps)
                note = (f"DFIR view: the flow does not compile yet ({first_line(str(err))}); "
                        "showing the IR view")
        return self.flow.graph("ir"), note

    def graph_bundle(self, view: str = "ir", location: str | None = None
                     ) -> tuple[dict[str, Any], str | None]:
        """The live graph's bundle; its payload is keyed by the display id, so the renderer
        keeps the user's zoom and folds when the graph is drawn again. While the deployment
        runs this flow it is the deployment's live graph (all locations: ``location`` is not
        applied); when the flow changed since, the edited flow, with a note."""
        live = self.live_graph()
        if live is not None:
            live.key = self.display_id
            return live.bundle(view), None
        graph, note = self.graph(view, location)
        bundle = graph.live_as(graph.live, key=self.display_id)._repr_mimebundle_()
        stale = self.stale_note()
        if stale:
            payload = bundle[MIME_TYPE]
            payload["notes"] = {**{v: stale for v in ("ir", "dfir")}, **payload.get("notes", {})}
            note = f"{note}\nnote: {stale}" if note else f"note: {stale}"
        if note:
            bundle["text/plain"] = f"({note})\n{bundle['text/plain']}"
        return bundle, note

    def live_graph(self) -> Any:
        """The deployment's live graph when the display should show it (a deployment exists
        and the flow is the one it runs), made on first use; else None."""
        d = self.deployment
        if d is None or self.flow_changed():
            return None
        if self.live is None or self.live.deployment is not d:
            self.live = d.graph()
        return self.live

    def flow_changed(self) -> bool:
        """The flow differs from the deployed one (a cell re-run unchanged does not count)."""
        if self.deployment is None or self.deployed_version == self.version:
            return False
        return self.deployed_flow != _flow_text(self.flow)

    def stale_note(self) -> str | None:
        d = self.deployment
        if d is None or d.state in ("stopped", "failed") or not self.flow_changed():
            return None
        return ("the flow changed since %hydro deploy: this graph shows it without live values; "
                "the deployment runs the flow as it was deployed (%hydro deploy runs this one)")

    def show_graph(self, key: str, view: str = "ir", location: str | None = None, *,
                   here: bool = False) -> str | None:
        """Show the live graph: in this cell's output when it is the first time, when asked
        (``here``: ``%hydro graph``, one more output of the same display), or when this cell holds
        the display (re-running it cleared its output); elsewhere update the display in place
        (every output of it). The cell that showed it first keeps holding it: ``%hydro graph``
        does not move it, so re-running the first ``%%hydro`` cell draws it there again. Returns
        the note, if any."""
        from IPython.display import display, update_display

        if self.display_id is None:
            self.display_id = f"hydro-graph-{uuid.uuid4().hex}"
        bundle, note = self.graph_bundle(view, location)
        if here or self.display_key is None or self.display_key == key:
            display(bundle, raw=True, display_id=self.display_id)
            if self.display_key is None:
                self.display_key = key
        else:
            update_display(bundle, raw=True, display_id=self.display_id)
        return note

    # -- deployment -------------------------------------------------------------------------------

    def cluster_sizes(self, given: dict[str, int], default: int) -> dict[str, int]:
        """``given`` plus ``default`` members for every cluster it does not name."""
        sizes = dict(given)
        for loc in self.flow.ir().locations:
            if isinstance(loc, ClusterId):
                sizes.setdefault(loc.name, default)
        return sizes

    def deploy(self, backend: str, sizes: dict[str, int], default_size: int, *,
               paused: bool = False, stage: Callable[[str], Any] | None = None) -> Any:
        """Compile, deploy, run the first tick and start (unless ``paused``).

        ``stage(name)`` is called as each stage begins: ``stage(None)`` when all are done. The
        flow is compiled before the running deployment is stopped: a flow that does not compile
        leaves it running. A first tick that fails leaves the new deployment failed, as a later
        failure would (``deployment.error`` says why).
        """

        stage = stage or (lambda name: None)
        stage("compiling")
        compiled = self.flow.compile()
        sizes = self.cluster_sizes(sizes, default_size)
        # a size mistake, too, leaves the running one running
        n = len(Topology.of(compiled, sizes).instances)
        self.stop()  # the old deployment's failure was reported when it happened
        if backend == "ray":
            from hydro_lab.deploy.ray import ensure_ray  # Ray is imported only when used

            stage("starting Ray")
            ensure_ray()
            stage(f"deploying {n} actor{'s' * (n != 1)}")
        else:
            stage(f"creating {n} instance{'s' * (n != 1)}")
        d = compiled.deploy(backend, sizes)
        d.redeploy_hint = "`%hydro deploy` again"
        self.deployment, self.deployed_version = d, self.version
        self.deployed_flow, self.live = _flow_text(self.flow), None
        self.deployed_by, self._reported = self.cell_label(), None
        if self.shell is not None:  # the notebook reaches it as `deployment`, as `flow`
            self.shell.user_ns["deployment"] = d
        if not paused:
            stage("first tick")
            try:
                d.step(1)
                stage("starting")
                d.start()
            except HydroError:
                raise  # failed: it stays so (deployment.error), as after any later failure
            except BaseException:
                self.stop()  # interrupted: nothing is left running half-started
                raise
        stage(None)
        return d

    def cell_label(self) -> str:
        number = self.cell_number if self.cell_number is not None else \
            getattr(self.shell, "execution_count", None)
        return f"In [{number}]"

    def stop(self) -> bool:
        """Stop the deployment if one runs; True if there was one to stop. Its failure, if it
        had failed, is not raised: ``deployment.error`` keeps it."""
        d = self.deployment
        if d is None or d.state == "stopped":
            return False
        try:
            d.stop()
        except HydroError:
            pass  # the failure it had: in d.error, reported by who asked (or already)
        finally:
            if self.live is not None:
                self.live.refresh()  # its last update, before the cell ends
        return True

    # -- failures ---------------------------------------------------------------------------------

    def unreported_failure(self) -> Any:
        """The deployment's failure if the user has not been shown it yet, else None."""
        err = getattr(self.deployment, "error", None)
        return err if err is not None and err is not self._reported else None

    def mark_reported(self, err: Any = None) -> None:
        self._reported = err if err is not None else getattr(self.deployment, "error", None)

    def failure_report(self, err: BaseException) -> str:
        """A failure shown in a cell other than the one that deployed: what it is, then how it
        came to be shown here."""
        return (f"{describe_error(err)}\n(the deployment of {self.deployed_by or 'this flow'} "
                "failed while it ran in the background: the flow no longer runs; %hydro deploy "
                "runs it anew)")

    def rounds(self) -> dict[str, int]:
        """The last tick each instance of the deployment ran (from its metrics)."""
        d = self.deployment
        if d is None:
            return {}
        last: dict[str, int] = {}
        for loc, member, tick, _t, metric, _k, _v in d.recorder.rows():
            if metric == TICK_DURATION:
                name = loc if member is None else f"{loc}[{member}]"
                last[name] = max(last.get(name, -1), tick)
        return last

    # -- status -----------------------------------------------------------------------------------

    def status(self, view: str) -> str:
        program = self.flow.ir()
        locs = ", ".join(f"{type(h).__name__.lower()} {h.name}" for h in self.flow.locations)
        lines = [f"flow {self.flow.name!r}: {len(program.nodes)} IR nodes; "
                 f"locations: {locs or 'none'}"]
        if self.cells:
            lines.append(f"%%hydro cells, in build order ({len(self.cells)}):")
            for cell in self.cells.values():
                nodes = sum(1 for n in program.nodes.values()
                            if n.meta.source is not None and n.meta.source.cell_id == cell.key)
                state = (f"does not build: {first_line(cell.error)}" if cell.error
                         else f"{nodes} node{'s' * (nodes != 1)}")
                lines.append(f"  {cell.label}: {state}")
        else:
            lines.append("no %%hydro cells yet")
        lines.append(f"live graph: {view} view" + ("" if self.display_id else " (not shown yet)"))
        d = self.deployment
        if d is None:
            lines.append("deployment: none (%hydro deploy)")
        else:
            rounds = self.rounds()
            ticks = ", ".join(f"{k} {v + 1}" for k, v in sorted(rounds.items()))
            state = d.state
            err = getattr(d, "error", None)
            if err is not None and state == "stopped":
                state = "stopped after a failure"
            lines.append(f"deployment: {d.backend}, {state}; instances: "
                         f"{', '.join(i.name for i in d.instances)}")
            if err is not None:
                lines.append("  failed: " + failure_lines(err, indent="          "))
            lines.append(f"  ticks run: {ticks or 'none yet'}")
            if self.flow_changed():
                lines.append("  the flow changed since it was deployed: %hydro deploy again")
        if self.last_sim is not None:
            result = self.last_sim
            lines.append("last sim: " + (f"{result} execution{'s' * (result != 1)} passed"
                                         if isinstance(result, int)
                                         else f"failed: {first_line(str(result))}"))
        return "\n".join(lines)


def _flow_text(flow: FlowBuilder) -> str:
    """A flow's IR as text without cells and lines: equal for a cell re-run unchanged."""
    return format_program(flow.ir(), long=True, sources=False)
