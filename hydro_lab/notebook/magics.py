"""``%%hydro`` cells and ``%hydro`` verbs: what each verb does and prints (their grammar and help
are the table in ``verbs.py``).

The state they act on (flow, cells, deployment, live graph) is the shell's
:class:`~hydro_lab.notebook.session.NotebookSession`; options are traitlets, set with
``%config HydroMagics.<option> = ...`` as jupysql's ``SqlMagic`` does.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import threading
import time
from typing import Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from traitlets import Bool, Enum, Float, Int, observe

from hydro_lab.dashboard.live_channel import LIVE
from hydro_lab.errors import HydroError, HydroRuntimeError
from hydro_lab.ir.source_info import set_cell_id_provider
from hydro_lab.lang import External
from hydro_lab.notebook.cells import describe_error
from hydro_lab.notebook.progress import Progress, Stages
from hydro_lab.notebook.session import NotebookSession, failure_lines, first_line
from hydro_lab.notebook.verbs import (
    CELL,
    HelpShown,
    line_help,
    no_verb,
    parsers,
    unknown_verb,
)


@magics_class
class HydroMagics(Magics):
    """``%%hydro`` cells build one flow, cell by cell; ``%hydro VERB`` drives it."""

    backend = Enum(("local", "ray"), "local", help="Where %hydro deploy runs the flow when "
                   "neither --local nor --ray is given. 'ray' also starts Ray in the background "
                   "at once (see warm_start).").tag(config=True)
    graph_view = Enum(("ir", "dfir"), "ir", help="The live graph's view: 'ir' (Hydro IR, "
                      "locations as boxes) or 'dfir' (each location's compiled program). "
                      "%hydro graph --ir/--dfir sets it.").tag(config=True)
    live_graph = Bool(True, help="Show the flow's graph after every %%hydro cell, updated in "
                      "place.").tag(config=True)
    cluster_size = Int(2, min=1, help="Members of each cluster that --size does not name "
                       "(%hydro deploy and %hydro sim).").tag(config=True)
    progress_interval = Float(0.25, min=0.0, help="Seconds between progress updates of "
                              "%hydro sim and %hydro run --seconds.").tag(config=True)
    warm_start = Bool(True, help="When the backend is 'ray', start Ray in the background as "
                      "soon as it is set (at %load_ext hydro_lab from a config file, or at %config "
                      "HydroMagics.backend = 'ray'), so that the first %hydro deploy --ray does "
                      "not wait for it (it waits for that start instead of starting another). "
                      "False: Ray starts at the first %hydro deploy --ray.").tag(config=True)

    _registered = False  # %config starts Ray only once %load_ext is done (not at __init__)

    def __init__(self, shell: Any = None, **kwargs: Any):
        super().__init__(shell=shell, **kwargs)
        self.session = NotebookSession(shell)
        self._parsers = parsers()
        self._cell_parser = CELL.parser()
        self.warming: threading.Thread | None = None  # the warm start's thread, once begun

    # -- warm start -------------------------------------------------------------------------------

    @observe("backend", "warm_start")
    def _options_changed(self, change: dict) -> None:
        if self._registered:
            self.warm_up()

    def warm_up(self) -> bool:
        """Start Ray in the background if the backend is Ray and ``warm_start`` is on (once:
        :func:`~hydro_lab.deploy.ray.start_ray_in_background` joins a start under way and does
        nothing when Ray is up). True if it began one now. Importing Ray takes a while too:
        that happens on the thread as well, not in the cell."""
        if self.backend != "ray" or not self.warm_start or self.warming is not None:
            return False
        self.warming = threading.Thread(target=_warm_start, name="hydro_lab: warm start",
                                        daemon=True)
        self.warming.start()
        return True

    # -- IPython events ---------------------------------------------------------------------------

    def pre_run_cell(self, info: Any) -> None:
        """Note the front end's cell id and the execution count the cell runs under; show a
        failure of the deployment that no cell has shown yet (it happened in the background)."""
        session = self.session
        session.cell_id = getattr(info, "cell_id", None) or None
        count = self.shell.execution_count
        session.cell_number = count - 1 if getattr(info, "store_history", False) else count
        err = session.unreported_failure()
        if err is not None:
            session.mark_reported(err)
            print(session.failure_report(err), file=sys.stderr)

    def post_run_cell(self, result: Any) -> None:
        """A cell that raised the deployment's failure (``recv``, ``step``) has shown it."""
        session = self.session
        error = getattr(result, "error_in_exec", None)
        if error is not None and error is session.unreported_failure():
            session.mark_reported(error)
        session.cell_id = None
        session.cell_number = None

    def building_cell(self) -> str | None:
        return self.session.building

    def shell_exiting(self, change: dict) -> None:
        """The kernel is shutting down (ipykernel sets ``exit_now`` first): end the Ray session
        now, or the kernel waits for Ray's processes to go, and JupyterLab has to kill it."""
        if not change.get("new"):
            return
        ray_backend = sys.modules.get("hydro_lab.deploy.ray")  # only if Ray was used
        shutdown = getattr(ray_backend, "shutdown_ray", None)  # (None: still being imported)
        if shutdown is not None:
            shutdown()  # after a start under way (the warm start) has ended

    # -- %%hydro ----------------------------------------------------------------------------------

    @cell_magic("hydro")
    def hydro_cell(self, line: str, cell: str) -> None:
        try:
            args = self._cell_parser.parse_args(shlex.split(line, comments=True))
        except HelpShown:
            return
        session = self.session
        key = session.execution_key(args.cell)
        report = session.run_cell(key, cell, header=line)
        if report.ok:
            for c in report.broken:
                print(f"%%hydro cell {c.label} no longer builds; it is kept and comes back when "
                      f"it builds again:\n  {c.error.replace(chr(10), chr(10) + '  ')}",
                      file=sys.stderr)
            for c in report.restored:
                print(f"%%hydro cell {c.label} builds again")
            if report.dropped_nodes:
                print(f"note: rebuilding the flow dropped {report.dropped_nodes} node(s) built "
                      "outside %%hydro cells; build the flow in %%hydro cells")
        if self.live_graph and (report.ok or key == session.display_key):
            self._show_graph(key)
        if not report.ok:
            print(report.error, file=sys.stderr)
            raise UsageError(report.summary)

    def _show_graph(self, key: str, *, here: bool = False) -> None:
        try:
            note = self.session.show_graph(key, self.graph_view, self.session.graph_location,
                                           here=here)
        except Exception as err:  # noqa: BLE001  (drawing must never undo a built cell)
            print(f"could not draw the graph: {describe_error(err)}", file=sys.stderr)
            return
        if note:
            print(note)

    # -- %hydro VERB -------------------------------------------------------------------------------

    @line_magic("hydro")
    def hydro_line(self, line: str) -> Any:
        words = shlex.split(line, comments=True)  # `%hydro deploy  # on Ray` is a comment
        if not words:
            raise UsageError(no_verb())
        verb, rest = words[0], words[1:]
        if verb not in self._parsers:
            raise UsageError(unknown_verb(verb))
        try:
            args = self._parsers[verb].parse_args(rest)
        except HelpShown:
            return None
        return getattr(self, f"_verb_{verb}")(args)

    def _fail(self, err: BaseException, summary: str) -> NoReturn:
        if err is getattr(self.session.deployment, "error", None):
            self.session.mark_reported(err)
        print(describe_error(err), file=sys.stderr)
        raise UsageError(summary) from None

    def _deployment(self, verb: str) -> Any:
        d = self.session.deployment
        if d is None:
            raise UsageError(f"%hydro {verb}: nothing is deployed yet; run %hydro deploy first")
        return d

    def _running(self, verb: str) -> Any:
        """The deployment, if it can still run (not stopped, not failed)."""
        d = self._deployment(verb)
        if d.error is not None:
            self.session.mark_reported(d.error)
            print(describe_error(d.error), file=sys.stderr)
            raise UsageError(f"%hydro {verb}: the deployment failed (above); %hydro deploy "
                             "runs the flow anew")
        if d.state == "stopped":
            raise UsageError(f"%hydro {verb}: the deployment is stopped; %hydro deploy runs "
                             "the flow anew")
        return d

    def _note_if_stale(self) -> None:
        s = self.session
        if s.flow_changed():
            print("note: the flow changed since it was deployed; this runs the deployed version "
                  "(%hydro deploy to pick up the changes)")

    def _verb_graph(self, args: argparse.Namespace) -> None:
        s = self.session
        if args.location is not None:
            if args.view == "ir":
                raise UsageError("%hydro graph: --location picks one location's DFIR program; "
                                 "it does not go with --ir")
            names = [h.name for h in s.flow.locations if not isinstance(h, External)]
            if args.location not in names:
                raise UsageError(f"%hydro graph: no process or cluster {args.location!r}; this "
                                 f"flow has {', '.join(names) or 'none'}")
            args.view = "dfir"
        if args.view is not None:
            self.graph_view = args.view
            s.graph_location = args.location
        key = s.execution_key()
        self._show_graph(key, here=True)

    def _verb_deploy(self, args: argparse.Namespace) -> None:
        s = self.session
        backend = args.backend or self.backend
        total = (3 if backend == "ray" else 2) + (0 if args.paused else 2)
        progress = Stages(f"%hydro deploy ({backend})", total)
        try:
            d = s.deploy(backend, dict(args.size), self.cluster_size, paused=args.paused,
                         stage=progress)
        except Exception as err:  # noqa: BLE001  (shown short; the session stays usable)
            progress.fail(first_line(str(err)) or type(err).__name__,
                          describe_error(err) if isinstance(err, HydroRuntimeError) else None)
            self._fail(err, f"%hydro deploy ({backend}) failed")
        started = time.monotonic()

        def failed(err: BaseException) -> None:  # at once, on the thread that saw it fail
            after = time.monotonic() - started
            progress.failed_later(f"running: failed after {after:.1f} s", describe_error(err))

        d.on_failure(failed)  # a later failure shows in this cell's progress, in place
        sizes = ", ".join(f"{k}={v}" for k, v in d.cluster_sizes.items())
        print(f"deployed on {backend}: {len(d.instances)} instance"
              f"{'s' * (len(d.instances) != 1)} ({', '.join(i.name for i in d.instances)})"
              f"{'; cluster sizes ' + sizes if sizes else ''}; {d.state}")
        if d.error is not None:  # its first ticks in the background failed: say why, here
            s.mark_reported(d.error)
            print(describe_error(d.error), file=sys.stderr)
        if s.display_id is not None and self.live_graph:
            self._show_graph(s.execution_key())  # the graph shown above comes alive, in place

    def _verb_run(self, args: argparse.Namespace) -> None:
        d = self._running("run")
        self._note_if_stale()
        try:
            if args.ticks is not None:
                d.run(ticks=args.ticks)
                print(f"ran {args.ticks} round{'s' * (args.ticks != 1)}; {d.state}")
                return
            self._run_seconds(d, args.seconds)
        except HydroError as err:
            self._fail(err, "%hydro run: the flow failed; the deployment stopped")

    def _run_seconds(self, d: Any, seconds: float) -> None:
        was = d.state
        if was in ("created", "paused"):
            d.start() if was == "created" else d.resume()
        progress = Progress(f"%hydro run --seconds {seconds:g}")
        start = time.monotonic()
        end = start + seconds
        try:
            while (left := end - time.monotonic()) > 0:
                d.run(seconds=min(left, max(self.progress_interval, 0.05)))
                done = time.monotonic() - start
                progress.update([f"{min(done, seconds):.1f} of {seconds:g} s; "
                                 f"{self._tick_summary()}"], min(done / seconds, 1.0))
        finally:
            if was in ("created", "paused") and d.state == "running":
                d.pause()
        progress.update([f"ran {seconds:g} s; {self._tick_summary()}; {d.state}"], 1.0)

    def _tick_summary(self) -> str:
        rounds = self.session.rounds()
        if not rounds:
            return "no ticks yet"
        return "ticks " + ", ".join(f"{k} {v + 1}" for k, v in sorted(rounds.items()))

    def _verb_step(self, args: argparse.Namespace) -> None:
        d = self._running("step")
        self._note_if_stale()
        try:
            d.step(args.n)
        except HydroError as err:
            self._fail(err, "%hydro step: the flow failed; the deployment stopped")
        print(f"ran {args.n} round{'s' * (args.n != 1)}; {self._tick_summary()}")

    def _verb_pause(self, args: argparse.Namespace) -> None:
        d = self._running("pause")
        if d.state == "created":
            print("the deployment has not started yet (%hydro resume starts it)")
            return
        d.pause()
        print(f"deployment {d.state}")

    def _verb_resume(self, args: argparse.Namespace) -> None:
        d = self._running("resume")
        self._note_if_stale()
        try:
            d.start() if d.state == "created" else d.resume()
        except HydroError as err:
            self._fail(err, "%hydro resume failed")
        print(f"deployment {d.state}")

    def _verb_stop(self, args: argparse.Namespace) -> None:
        s = self.session
        d = self._deployment("stop")
        stopped = s.stop()
        said = "deployment stopped" if stopped else f"the deployment was already {d.state}"
        if d.error is not None:  # stopped all the same; what had failed, in short
            s.mark_reported(d.error)
            said += f" after a failure: {failure_lines(d.error)}"
        print(said)

    def _verb_status(self, args: argparse.Namespace) -> None:
        self.session.mark_reported()  # it shows the failure, if any
        print(self.session.status(self.graph_view))

    def _verb_dashboard(self, args: argparse.Namespace) -> None:
        from IPython.display import display

        d = self._deployment("dashboard")
        make = getattr(d, "dashboard", None)
        if make is None:
            raise UsageError(f"%hydro dashboard: {type(d).__name__} has no dashboard() yet")
        try:
            view = make()
        except HydroError as err:
            self._fail(err, "%hydro dashboard: no dashboard to show")
        display(view)

    def _verb_metrics(self, args: argparse.Namespace) -> Any:
        return self._deployment("metrics").metrics(wide=args.wide)

    def _verb_reset(self, args: argparse.Namespace) -> None:
        s = self.session
        d = s.deployment
        news = s.reset()  # always: whatever state the deployment was in
        if news is not None and news is getattr(d, "error", None):
            print(f"the deployment it stopped had failed: {failure_lines(news)}")
        elif news is not None:
            print(f"stopping the deployment failed; it is forgotten all the same: "
                  f"{describe_error(news)}", file=sys.stderr)
        if s.display_id is not None and self.live_graph:
            self._show_graph(s.execution_key())  # the old drawing now shows the empty flow
        s.display_id = s.display_key = None  # the next %%hydro cell draws the new flow below
        print("hydro session reset: an empty flow, no %%hydro cells, no deployment")

    def _verb_replay(self, args: argparse.Namespace) -> Any:
        from IPython.display import display

        from hydro_lab.observe.recording import Recording

        s = self.session
        if not args.sim:
            d = self._deployment("replay")
            recording = Recording.from_deployment(d)
            if not len(recording):
                raise UsageError("%hydro replay: the deployment has not ticked yet; %hydro step "
                                 "or %hydro run first")
        else:
            if s.last_sim_run is None:
                raise UsageError("%hydro replay --sim: no simulation yet; run %hydro sim first")
            sim, body, schedule = s.last_sim_run
            from hydro_lab.sim import SimFailure

            try:
                trace = sim.run(body, schedule=schedule, record=True)
            except SimFailure as failure:
                trace = failure.trace
            recording = trace.recording()
        print(f"replay: {len(recording)} tick{'s' * (len(recording) != 1)} recorded")
        display(recording.replay())
        return None

    def _verb_sim(self, args: argparse.Namespace) -> None:
        from hydro_lab.sim import SimFailure

        s = self.session
        body = self.shell.user_ns.get(args.body)
        if body is None:
            raise UsageError(f"%hydro sim: no test function {args.body!r} in the notebook; define "
                             f"`def {args.body}(inst): ...` or name yours: %hydro sim my_test")
        if not callable(body):
            raise UsageError(f"%hydro sim: {args.body!r} is a {type(body).__name__}, not a test "
                             "function")
        mode = "fuzz" if args.fuzz else "exhaustive"
        try:
            sim = s.flow.sim(cluster_sizes=s.cluster_sizes(dict(args.size), self.cluster_size))
        except HydroError as err:
            self._fail(err, "%hydro sim: the flow cannot be simulated yet")
        title = f"%hydro sim {mode}" + (f" ({args.fuzz} runs, seed {args.seed})"
                                        if args.fuzz else "")
        progress = Progress(title)

        def report(p: Any) -> None:
            text = str(p).removeprefix("[hydro_lab sim] ")
            progress.update([text], p.executions / args.fuzz if args.fuzz else None)

        start = time.monotonic()
        try:
            if args.fuzz:
                count = sim.fuzz(body, runs=args.fuzz, seed=args.seed, progress=report,
                                 progress_every=self.progress_interval)
            else:
                count = sim.exhaustive(body, progress=report,
                                       progress_every=self.progress_interval)
        except SimFailure as failure:
            s.last_sim = failure
            s.last_sim_run = (sim, body, failure.schedule)
            self.shell.user_ns["sim"] = sim  # the replay line printed below runs as printed
            progress.update([f"failed after {time.monotonic() - start:.1f} s"], None)
            print(f"%hydro sim {mode}: a failing execution\n{failure}")
            return
        except HydroError as err:
            progress.update([first_line(str(err))], None)
            self._fail(err, f"%hydro sim {mode}: the test could not run")
        s.last_sim = count
        s.last_sim_run = (sim, body, [])
        self.shell.user_ns["sim"] = sim
        elapsed = time.monotonic() - start
        progress.update([f"{count:,} execution{'s' * (count != 1)} in {elapsed:.1f} s: "
                         "all passed"], 1.0)
        print(f"%hydro sim {mode}: {count} execution{'s' * (count != 1)}, all passed")


def _warm_start() -> None:
    """On the warm start's thread: import Ray and begin starting it. A failure here is not
    shown (no cell asked for Ray yet): ``%hydro deploy --ray`` starts it again and shows its
    own error."""
    try:
        from hydro_lab.deploy.ray import start_ray_in_background

        start_ray_in_background()
    except Exception:  # noqa: BLE001, S110  (see above: the deploy that needs Ray reports it)
        pass


# %%hydro? and %hydro? (and docs/api.md) read these, made from the table in verbs.py
HydroMagics.hydro_cell.__doc__ = CELL.help()
HydroMagics.hydro_line.__doc__ = line_help(HydroMagics.class_traits(config=True).items())

_loaded: dict[int, HydroMagics] = {}


def register(ipython: Any) -> HydroMagics:
    """``%load_ext hydro_lab``: register the magics and the cell-id hooks on ``ipython``."""
    magics = HydroMagics(shell=ipython)
    ipython.register_magics(magics)
    ipython.events.register("pre_run_cell", magics.pre_run_cell)
    ipython.events.register("post_run_cell", magics.post_run_cell)
    ipython.observe(magics.shell_exiting, names="exit_now")
    set_cell_id_provider(magics.building_cell)
    ipython.user_ns.setdefault("flow", magics.session.flow)
    LIVE.register()  # a reloaded page's renderer says hello on this comm target (in a kernel)
    _loaded[id(ipython)] = magics
    magics._registered = True
    magics.warm_up()  # the backend is Ray already (a config file): start it in the background
    return magics


def unregister(ipython: Any) -> None:
    """``%unload_ext hydro_lab``: stop the deployment, remove the magics and hooks."""
    magics = _loaded.pop(id(ipython), None)
    if magics is None:
        return
    magics._registered = False  # a later %config no longer starts Ray for it
    magics.session.stop()
    for event, callback in (("pre_run_cell", magics.pre_run_cell),
                            ("post_run_cell", magics.post_run_cell)):
        if callback in ipython.events.callbacks[event]:
            ipython.events.unregister(event, callback)
    ipython.unobserve(magics.shell_exiting, names="exit_now")
    set_cell_id_provider(None)
    manager = ipython.magics_manager
    for kind in ("line", "cell"):
        manager.magics[kind].pop("hydro", None)
    manager.registry.pop(type(magics).__name__, None)
    if magics in ipython.configurables:
        ipython.configurables.remove(magics)
