"""A small writer for generated Python: indented lines, each remembering the operator it belongs
to (so an exception in generated code can be traced to the operator and the user's line)."""

from __future__ import annotations


class CodeBlock:
    def __init__(self) -> None:
        self.lines: list[tuple[int, str, int | None]] = []  # (indent, text, op id)
        self.level = 0

    def line(self, text: str, op: int | None = None) -> None:
        self.lines.append((self.level, text, op))

    def indent(self, levels: int = 1) -> None:
        self.level += levels

    def dedent(self, levels: int = 1) -> None:
        self.level -= levels

    def render(self, first_line: int = 1) -> tuple[str, dict[int, int]]:
        """Source text and a map from line number to operator id."""
        out, owners = [], {}
        for i, (level, text, op) in enumerate(self.lines):
            out.append("    " * level + text)
            if op is not None:
                owners[first_line + i] = op
        return "\n".join(out) + "\n", owners
