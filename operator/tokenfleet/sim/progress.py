"""A progress bar for long replays, drawn on a terminal only.

It writes to the stream it is given (stderr in the CLI) and draws nothing when that stream is
not a terminal, so piped output and CI logs stay clean.
"""

from __future__ import annotations

from typing import TextIO

WIDTH = 40


class Bar:
    """Call with (done, total); `close` ends the line."""

    def __init__(self, stream: TextIO, label: str = "replay") -> None:
        self._stream = stream
        self._label = label
        self._on = stream.isatty()
        self._shown = -1

    def __call__(self, done: int, total: int) -> None:
        if not self._on or total <= 0:
            return
        percent = min(100, done * 100 // total)
        if percent == self._shown:
            return
        self._shown = percent
        filled = WIDTH * percent // 100
        self._stream.write(
            f"\r{self._label} [{'#' * filled}{'.' * (WIDTH - filled)}] {percent:3d}%"
        )
        self._stream.flush()

    def close(self) -> None:
        if self._on and self._shown >= 0:
            self._stream.write("\n")
            self._stream.flush()
        self._shown = -1
