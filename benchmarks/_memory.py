"""Peak resident memory of a block of code, sampled from /proc (Linux), no dependencies."""

import threading
import time
from contextlib import contextmanager


def rss_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


@contextmanager
def peak_rss_above_start(interval=0.005):
    """Yield a dict whose "peak" is, after the block, the peak RSS above the RSS at entry."""
    result = {"start": rss_bytes(), "peak": 0}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            result["peak"] = max(result["peak"], rss_bytes() - result["start"])
            time.sleep(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        result["peak"] = max(result["peak"], rss_bytes() - result["start"])
