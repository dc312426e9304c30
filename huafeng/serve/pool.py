"""A bounded worker pool: N threads, a queue of at most Q waiting tasks, and an honest "busy".

``concurrent.futures.ThreadPoolExecutor`` has an unbounded queue: under overload every request
is accepted and then times out, so clients wait a minute to learn nothing. Here a full queue
refuses at once (the app turns :class:`Busy` into 503 + ``Retry-After``), and a task whose
caller gave up is dropped before it runs instead of burning a worker.

Threads suit this work: ONNX Runtime and OpenCV release the GIL, and sessions are shared.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class Busy(Exception):
    """The queue is full; ``retry_after`` is a rough estimate in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the service is busy; retry in about {retry_after} s")
        self.retry_after = retry_after


_STOP = object()


class WorkerPool:
    def __init__(self, workers: int, queue_size: int, *, name: str = "huafeng-worker") -> None:
        self.workers = workers
        self.queue_size = queue_size
        self._q: queue.Queue[Any] = queue.Queue()
        self._waiting = 0
        self._busy = 0
        self._lock = threading.Lock()
        self._closed = False
        self._mean_s = 0.5  # running mean task time, for Retry-After
        self._threads = [
            threading.Thread(target=self._loop, name=f"{name}-{i}", daemon=True) for i in range(workers)
        ]
        for t in self._threads:
            t.start()

    @property
    def waiting(self) -> int:
        return self._waiting

    @property
    def busy(self) -> int:
        return self._busy

    def retry_after(self) -> int:
        """Seconds until a slot probably frees: the queue ahead divided among the workers."""
        ahead = self._waiting + self._busy
        return max(1, round(self._mean_s * max(1, ahead) / self.workers))

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Queue ``fn``; raises :class:`Busy` when the queue is full or the pool is closing."""
        fut: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise Busy(5)
            if self._waiting + self._busy >= self.workers + self.queue_size:
                raise Busy(self.retry_after())
            self._waiting += 1
        self._q.put((fn, fut))
        return fut

    def _loop(self) -> None:
        while True:
            item = self._q.get()
            if item is _STOP:
                return
            fn, fut = item
            with self._lock:
                self._waiting -= 1
                self._busy += 1
            try:
                if not fut.set_running_or_notify_cancel():  # the caller gave up while it waited
                    continue
                t0 = time.perf_counter()
                try:
                    fut.set_result(fn())
                except BaseException as e:  # delivered to the waiting request, not lost
                    fut.set_exception(e)
                self._mean_s = 0.8 * self._mean_s + 0.2 * (time.perf_counter() - t0)
            finally:
                with self._lock:
                    self._busy -= 1

    def shutdown(self, grace_s: float) -> bool:
        """Refuse new work, drop what waits, give running tasks ``grace_s``; True if all finished."""
        with self._lock:
            self._closed = True
        while True:  # cancel everything still queued: those requests get 503, not a hang
            try:
                item = self._q.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                item[1].cancel()
                with self._lock:
                    self._waiting -= 1
        for _ in self._threads:
            self._q.put(_STOP)
        deadline = time.monotonic() + grace_s
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)
