"""The timing loop both PyTorch reference scripts share: warm up, then run `step` for at least
`seconds` (and at least 5 steps), measuring wall and CPU time."""
import time


def time_steps(step, seconds):
    """Returns (steps, wall seconds, CPU seconds) of the timed part."""
    for _ in range(3):
        step()
    t0, c0, n = time.perf_counter(), time.process_time(), 0
    while n < 5 or time.perf_counter() - t0 < seconds:
        step()
        n += 1
    return n, time.perf_counter() - t0, time.process_time() - c0
