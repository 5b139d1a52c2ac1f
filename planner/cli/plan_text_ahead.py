"""A large plan's text written by a forked child while the plan is verified (issue 17).

The text of 100,000 creates is 210 MB and took 7-9 s of the command's one busy core after the
rehearsal on the shadow cloud, whose first steps (the instances and load balancers, run before the rest
is cut into parts) leave the other core idle. The plan does not change while it is verified, so the
child renders it then, as it will be shown once verified ("Verified: ..." included), into an unnamed
temporary file; the command copies that file to stdout where it would have rendered. The text is shown
only if the verification passes (else the child is stopped and its file goes with it); a child that
fails leaves the command to render the text itself, as before.
"""

from __future__ import annotations

import codecs
import os
import shutil
import tempfile
import threading
from typing import IO, Any, TextIO

from planner.cli.review import planned_output_changes, render_text
from planner.logs import log
from planner.process import ForkedAnswer, turned_off

MIN_OPERATIONS = 2000  # below this the text takes milliseconds: not worth a fork
ENV_SWITCH = "CLBPLAN_TEXT_AHEAD"  # 0: always render after the verification; always: whatever the size
_PIECE = 1 << 20


class TextAhead:
    """The child rendering one plan's text and the file it writes to."""

    def __init__(self, child: ForkedAnswer, file: IO[bytes]):
        self._child, self._file = child, file

    @classmethod
    def start(cls, planned: Any, opts: Any, stream: TextIO) -> TextAhead | None:
        """A child rendering ``planned``'s text for ``stream``; None when it is not worth one or none can
        be made (one thread only: a fork copies only the calling one)."""
        switch = os.environ.get(ENV_SWITCH, "").strip().lower()
        small = len(planned.plan.operations) < MIN_OPERATIONS and switch != "always"
        if turned_off(switch) or small or not hasattr(os, "fork") or \
                threading.active_count() != 1:
            return None
        encoding = getattr(stream, "encoding", None) or "utf-8"
        errors = getattr(stream, "errors", None) or "strict"
        try:
            file = tempfile.TemporaryFile(prefix="clbplan-plan-text-")
        except OSError:  # (no temporary folder to write in: the text is rendered after the verification)
            return None
        fd = file.fileno()

        def work() -> bool:
            plan = planned.plan
            plan.verified = True  # (in the child only) the text is shown only once the plan is verified
            text = render_text(plan, opts, planned_output_changes(planned, opts))
            with os.fdopen(os.dup(fd), "wb") as out:
                for start in range(0, len(text), _PIECE):
                    out.write(text[start:start + _PIECE].encode(encoding, errors))
            return True

        child = ForkedAnswer.start(work, keep=(fd,))
        if child is None:
            file.close()
            return None
        log.info("plan text: rendered by process %d while the plan is verified", child.pid)
        return cls(child, file)

    def write_to(self, stream: TextIO) -> bool:
        """Copy the text to ``stream`` (waiting for the child); False when the child wrote none."""
        try:
            if self._child.answer() is not True:
                return False
            self._file.seek(0)
            stream.flush()
            binary = getattr(stream, "buffer", None)
            if binary is not None:
                shutil.copyfileobj(self._file, binary, _PIECE)
                binary.flush()
            else:  # (a stream of text only: decoded as it was encoded, a character cut by a piece kept whole)
                decoder = codecs.getincrementaldecoder(getattr(stream, "encoding", None) or "utf-8")()
                while piece := self._file.read(_PIECE):
                    stream.write(decoder.decode(piece))
                stream.write(decoder.decode(b"", final=True))
            return True
        finally:
            self._file.close()

    def cancel(self) -> None:
        """Stop the child and drop its file (the plan was not verified, or not shown)."""
        self._child.cancel()
        self._file.close()


__all__ = ["ENV_SWITCH", "MIN_OPERATIONS", "TextAhead"]
