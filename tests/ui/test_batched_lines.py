"""Progress lines written a few at a time still reach the reader promptly, whole and in order."""

from __future__ import annotations

import io
import threading
import time

from planner.cli.batched_lines import BatchedLines


class _Stream(io.StringIO):
    """A stream that counts its writes and can break like a closed pipe."""

    def __init__(self, broken: bool = False):
        super().__init__()
        self.writes = 0
        self.broken = broken

    def write(self, s: str) -> int:
        self.writes += 1
        if self.broken:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(s)


def test_a_line_shows_without_waiting_for_the_end():
    out = _Stream()
    lines = BatchedLines(out, every=0.01)
    lines.line("a: Creating...")
    deadline = time.monotonic() + 5
    while "a: Creating..." not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert out.getvalue() == "a: Creating...\n"  # a person watching sees it while the walk goes on
    lines.close()


def test_lines_from_many_threads_arrive_whole_in_their_order_per_thread():
    out = _Stream()
    lines = BatchedLines(out, every=0.005)

    def emit(t: int) -> None:
        for i in range(500):
            lines.line(f"t{t} line {i}")

    threads = [threading.Thread(target=emit, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    lines.close()
    got = out.getvalue().splitlines()
    assert len(got) == 2000
    for t in range(4):
        assert [g for g in got if g.startswith(f"t{t} ")] == [f"t{t} line {i}" for i in range(500)]
    assert out.writes < 2000  # written together, not one write per line


def test_close_writes_what_is_left_before_anything_printed_after_it():
    out = _Stream()
    lines = BatchedLines(out, every=60)  # the thread would wait a minute: close must not
    lines.line("x: Creation complete after 0s [id=lb-1]")
    lines.close()
    out.write("\nApply complete!\n")
    assert out.getvalue() == "x: Creation complete after 0s [id=lb-1]\n\nApply complete!\n"
    lines.line("late")  # after close: written at once
    assert out.getvalue().endswith("late\n")


def test_a_reader_that_went_away_does_not_stop_the_walk():
    out = _Stream(broken=True)
    lines = BatchedLines(out, every=0.001)
    for i in range(100):
        lines.line(f"line {i}")  # never raises on the walk's thread
        time.sleep(0.002)  # (several batches, not one)
    lines.close()  # nor here: the summary printed after the walk reports the pipe
    assert out.writes == 1  # the lines after the reader went away are dropped, not tried again and again
    lines.line("after")
    assert out.writes == 1


def test_a_slow_reader_does_not_hold_up_the_walk():
    release = threading.Event()

    class Stuck(_Stream):
        def write(self, s: str) -> int:
            release.wait(30)  # a terminal over a slow link, or a pipe nobody reads for now
            return super().write(s)

    out = Stuck()
    lines = BatchedLines(out, every=0.001)
    lines.line("first")
    time.sleep(0.1)  # the writing thread is now stuck in the stream
    started = time.monotonic()
    for i in range(1000):
        lines.line(f"line {i}")
    assert time.monotonic() - started < 5  # queued, not written: the walk went on
    release.set()
    lines.close()
    assert out.getvalue().splitlines() == ["first"] + [f"line {i}" for i in range(1000)]
