"""Progress of slow verbs (deploying on Ray, simulating, running for seconds) as one output that
is updated in place through a display handle: HTML with a bar in JupyterLab, text elsewhere.

Updates come from the thread running the cell, and from a deployment's thread when the flow it
deployed fails later (``Stages.failed_later``): the update names the display, so it lands in
the deploy cell whichever cell runs now.
"""

from __future__ import annotations

import html
import time
from typing import Any

# as JupyterLab shows stderr: the failure reads as the error it is
ERROR_STYLE = ("margin: 4px 0 0; padding: 4px 8px; background: var(--jp-rendermime-error-"
               "background, #fdd); color: var(--jp-content-font-color1, #1f2328); "
               "white-space: pre-wrap; font-family: var(--jp-code-font-family, monospace)")


class Progress:
    """One output: a title, a bar (when the fraction done is known) and a few status lines."""

    def __init__(self, title: str, lines: list[str] | None = None):
        from IPython.display import display

        self.title = title
        self.lines = lines or ["starting…"]
        self.fraction: float | None = 0.0
        self.error: str | None = None  # shown under the lines as an error
        self.handle = display(self.bundle(), raw=True, display_id=True)

    def update(self, lines: list[str], fraction: float | None = None,
               error: str | None = None) -> None:
        self.lines, self.fraction, self.error = lines, fraction, error
        self.handle.update(self.bundle(), raw=True)

    def bundle(self) -> dict[str, Any]:
        bar_html = bar_text = ""
        if self.fraction is not None:
            value = min(max(self.fraction, 0.0), 1.0)
            bar_html = f' <progress value="{value:.3f}" max="1" style="width: 12em"></progress>'
            filled = round(value * 20)
            bar_text = f" [{'#' * filled}{'.' * (20 - filled)}]"
        body = "<br>".join(html.escape(line) for line in self.lines)
        error_html = error_text = ""
        if self.error:
            error_html = (f'<pre class="hydro-lab-error" style="{ERROR_STYLE}">'
                          f"{html.escape(self.error)}</pre>")
            error_text = "\n" + self.error
        return {
            "text/html": (f'<div class="hydro-lab-progress"><b>{html.escape(self.title)}</b>'
                          f"{bar_html}<br><code>{body}</code>{error_html}</div>"),
            "text/plain": "\n".join([f"{self.title}{bar_text}"] + ["  " + x for x in self.lines])
            + error_text,
        }


class Stages:
    """Named stages run one after another: ``stages("first tick")`` marks the running stage done
    (with its time) and starts the next; ``stages(None)`` ends; ``fail(err)`` marks a failure."""

    def __init__(self, title: str, total: int):
        self.total = total
        self.done: list[str] = []
        self.current: str | None = None
        self.started = time.monotonic()
        self.progress = Progress(title, ["starting…"])

    def __call__(self, name: str | None) -> None:
        now = time.monotonic()
        if self.current is not None:
            self.done.append(f"✓ {self.current} ({now - self.started:.1f} s)")
        self.current, self.started = name, now
        lines = list(self.done) + ([f"▸ {name}…"] if name else [])
        self.progress.update(lines, 1.0 if name is None else len(self.done) / self.total)

    def fail(self, message: str, error: str | None = None) -> None:
        """The running stage failed: ✗ and ``message`` instead of its check mark, and the
        whole ``error`` below."""
        lines = list(self.done) + [f"✗ {self.current or 'deploy'}: {message}"]
        self.current = None
        self.progress.update(lines, None, error)

    def failed_later(self, what: str, error: str) -> None:
        """After every stage passed, ``what`` failed (e.g. running in the background): a ✗
        line, and the whole ``error`` below."""
        self.progress.update(list(self.done) + [f"✗ {what}"], None, error)
