"""Engines: where the chunks of a batch are parsed and checked.

- `InProcessEngine` (workers = 1): here, one chunk after the other; the easiest to debug.
- `ProcessEngine` (workers = N, all cores by default): a pool of worker processes, started once and kept for the
  gateway's life; each loads the schemas and rule tables once (`work.warm_up`).
- `DaskEngine`: the chunks go to a Dask cluster (`--engine dask --scheduler tcp://HOST:PORT`, or
  `--engine dask-local` for a cluster of local processes), with the ledger on a database every worker reaches.

Whatever the engine, the process that owns the batch splits the flow, sends the chunks out, and takes the verdicts
back *in document order*, at most a few chunks ahead (`in_flight`), so that memory holds a bounded number of
chunks whatever the size of the lot. It settles the duplicate rules and records the decisions itself: the
results are the same as in-process, to the invoice.
"""

from __future__ import annotations

import collections
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..errors import ConfigError

log = logging.getLogger(__name__)
ENGINES = ("local", "dask", "dask-local")


class InProcessEngine:
    """Chunks checked here, one after the other."""

    workers = 1
    local_files = True  # whether its workers write to this machine's filesystem (they may write the outbox)

    def map(self, function: Callable, tasks: Iterable) -> Iterator:
        return map(function, tasks)

    def start(self) -> None:
        """Nothing to start."""

    def close(self) -> None:
        pass


class _Windowed:
    """Submit tasks at most `in_flight` ahead of the one being yielded; yield results in task order."""

    in_flight: int

    def _submit(self, function: Callable, task):
        raise NotImplementedError

    @staticmethod
    def _result(future):
        return future.result()

    def map(self, function: Callable, tasks: Iterable) -> Iterator:
        pending: collections.deque = collections.deque()
        for task in tasks:
            pending.append(self._submit(function, task))
            if len(pending) >= self.in_flight:
                yield self._result(pending.popleft())
        while pending:
            yield self._result(pending.popleft())


class ProcessEngine(_Windowed):
    """A pool of worker processes on this machine, started at the first chunk (or by `start`) and kept until
    `close`.

    Workers are spawned (a fresh interpreter each, with the gateway's import path), not forked from the gateway,
    whose threads (watcher, scheduler) could hold locks at the time of a fork; each ends itself when the gateway
    dies, even by SIGKILL (`work.warm_up`)."""

    local_files = True

    def __init__(self, workers: int):
        self.workers = workers
        self.in_flight = 2 * workers
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start every worker now, without waiting for them: each loads the schemas and rules (`work.warm_up`)
        while the gateway goes on (the pool would otherwise start a worker per task submitted, at the first
        chunks)."""
        if self._pool is None:
            from .work import ready

            for _ in range(self.workers):
                self._submit(ready, None)

    def _submit(self, function: Callable, task):
        if self._pool is None:
            from .work import warm_up

            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=warm_up,
                                             initargs=(os.getpid(),))
            log.info("started %d worker processes", self.workers)
        return self._pool.submit(function, task)

    def _result(self, future):
        try:
            return future.result()
        except BrokenProcessPool:
            # A worker died (killed, out of memory): this batch fails and is resumed later; the next one gets a
            # fresh pool instead of this broken one.
            log.error("a worker process died; the pool is restarted for the next batch")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskEngine(_Windowed):
    """Chunks sent to a Dask cluster: an existing scheduler, or a local cluster of worker processes started for
    the gateway's life (`scheduler=None`)."""

    def __init__(self, scheduler: str | None, workers: int):
        from dask.distributed import Client, LocalCluster

        # A cluster's workers may run on other machines: the outbox is written here. A local cluster's share it.
        self.local_files = not scheduler
        if scheduler:
            self.client = Client(scheduler, timeout="30s")
            self._cluster = None
        else:
            # Loopback only: a local cluster opens no port beyond this machine (its dashboard included).
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         host="127.0.0.1", dashboard_address="127.0.0.1:0")
            self.client = Client(self._cluster)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or workers)
        self.in_flight = 2 * self.workers
        log.info("Dask engine on %s with %d worker(s)", scheduler or "a local cluster", self.workers)

    def _submit(self, function: Callable, task):
        return self.client.submit(function, task, pure=False)

    def start(self) -> None:
        """Nothing to start: the cluster is up."""

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def all_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and taskset narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def make_engine(kind: str = "local", workers: int = 0, scheduler: str | None = None):
    """The engine the settings ask for; `workers` 0 means every core."""
    workers = workers or all_cores()
    if kind == "local":
        return InProcessEngine() if workers == 1 else ProcessEngine(workers)
    if kind == "dask":
        if not scheduler:
            raise ConfigError("--engine dask needs --scheduler tcp://HOST:PORT (or use --engine dask-local)")
        return DaskEngine(scheduler, workers)
    if kind == "dask-local":
        return DaskEngine(None, workers)
    raise ConfigError(f"engine {kind!r}: expected one of {list(ENGINES)}")
