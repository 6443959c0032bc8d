"""Convert in a child process under a hard memory limit and a time limit.

A converter library can take far more memory and time than the file's size
suggests (mammoth held 6 GB for a 13 MB Word document). So the worker never
converts in its own process: a child does, with its address space capped by
``RLIMIT_AS`` before it reads the file, and is killed when it outlives the time
limit. Whatever happens in the child, the worker survives and learns the true
reason: too large or complex (out of memory, out of time, past the rendition's
limits), or the converter's own plain-English refusal (damaged, unsupported).

Children come from a fork server that has already imported the converters, so a
conversion does not pay for starting Python, and inherits nothing of the
worker's (database connections, threads). billiard's fork server is used rather
than the standard library's because a Celery prefork worker's processes are
daemonic, and the standard library refuses to start children from those.
"""

from __future__ import annotations

import logging
import math
import os
import resource
import signal
import time
from dataclasses import dataclass
from typing import Any, cast

import billiard
from billiard import forkserver as billiard_forkserver

from . import Conversion, ConversionError, RenditionLimits, TooLargeError, convert
from .errors import FAILED

logger = logging.getLogger(__name__)

_context: Any = None


@dataclass(frozen=True)
class Budget:
    """What one conversion may use."""

    max_memory_bytes: int = 1024 * 1024 * 1024
    timeout_seconds: float = 120.0


@dataclass(frozen=True)
class Outcome:
    """How a conversion in the child went, for the worker's log."""

    seconds: float
    peak_memory_bytes: int | None  # None when the child died before it could say


def convert_isolated(
    data: bytes,
    filename: str,
    *,
    max_bytes: int,
    limits: RenditionLimits,
    budget: Budget,
) -> tuple[Conversion, Outcome]:
    """As :func:`convert`, in a child process within ``budget``.

    Raises :class:`TooLargeError` when the child runs out of memory or time, and
    :class:`ConversionError` with the converter's message when it refuses the file.
    """
    started = time.monotonic()
    try:
        child, receiver = _start(data, filename, max_bytes, limits, budget)
    except OSError:
        # The fork server is gone (killed from outside); billiard would not start another.
        logger.warning("The conversion fork server was gone; starting a new one")
        _fork_server_forget()
        child, receiver = _start(data, filename, max_bytes, limits, budget)
    answer: tuple[str, Any, int] | None = None
    try:
        if receiver.poll(budget.timeout_seconds):
            try:
                answer = receiver.recv()
            except (EOFError, OSError):
                answer = None  # the child died without answering
        else:
            answer = ("timeout", "", 0)
    finally:
        if child.is_alive():
            os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        receiver.close()
    seconds = time.monotonic() - started
    if answer is None:
        # Killed by a signal or a failed allocation deep in a C library: with the address
        # space capped, running out of memory is by far the likeliest cause.
        logger.warning("Conversion child died after %.1f s (exit code %s)", seconds, child.exitcode)
        raise TooLargeError()
    status, value, peak = answer
    outcome = Outcome(seconds=seconds, peak_memory_bytes=peak or None)
    if status == "ok":
        return cast(Conversion, value), outcome
    logger.info("Conversion %s after %.1f s, peak %s bytes", status, seconds, peak)
    if status == "timeout":
        raise TooLargeError()
    if status == "too_large":
        raise TooLargeError(value)
    if status == "refused":
        raise ConversionError(value)
    logger.error("Conversion failed in the child: %s", value)
    raise ConversionError(FAILED)


def _start(
    data: bytes, filename: str, max_bytes: int, limits: RenditionLimits, budget: Budget
) -> tuple[Any, Any]:
    context = _fork_server()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_convert_in_child,
        args=(sender, data, filename, max_bytes, limits, budget),
        daemon=True,
    )
    try:
        child.start()
    except BaseException:
        receiver.close()
        raise
    finally:
        sender.close()
    return child, receiver


def _fork_server_forget() -> None:
    # billiard keeps its one fork server in a module global, which the stubs do not list.
    server: Any = getattr(billiard_forkserver, "_forkserver")  # noqa: B009
    if server._forkserver_alive_fd is not None:
        os.close(server._forkserver_alive_fd)
    server._forkserver_alive_fd = None
    server._forkserver_address = None


def _fork_server() -> Any:
    global _context
    if _context is None:
        context = billiard.get_context("forkserver")
        context.set_forkserver_preload(["documents.conversion.preload"])
        _context = context
    return _context


def _convert_in_child(
    sender: Any,
    data: bytes,
    filename: str,
    max_bytes: int,
    limits: RenditionLimits,
    budget: Budget,
) -> None:
    memory = budget.max_memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # The parent kills the child at the time limit; should the parent itself be killed
    # first, the kernel still stops an orphaned child soon after, by its processor time.
    seconds = math.ceil(budget.timeout_seconds) + 10
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    answer: tuple[str, Any]
    try:
        answer = ("ok", convert(data, filename, max_bytes=max_bytes, limits=limits))
    except TooLargeError as error:
        answer = ("too_large", error.detail)
    except ConversionError as error:
        answer = ("refused", error.message)
    except (MemoryError, RecursionError):
        answer = ("too_large", "")
    except Exception as error:  # any other failure is reported to the parent, not raised
        answer = ("failed", f"{type(error).__name__}: {error}"[:2000])
    del data
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    try:
        sender.send((*answer, peak))
    except MemoryError:
        # The answer itself did not fit; the parent sees the pipe close.
        return
    finally:
        sender.close()
