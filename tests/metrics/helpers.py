"""Scraping /metrics and reading it back with prometheus-client's own parser; `python -m app serve` as a process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass(frozen=True)
class Scrape:
    samples: list  # prometheus_client.samples.Sample

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples called `name` whose labels include `labels` (0 when there is none)."""
        return sum(s.value for s in self.samples
                   if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))

    def labels(self, name: str, label: str) -> set[str]:
        return {s.labels[label] for s in self.samples if s.name == name and label in s.labels}


def parse(text: str) -> Scrape:
    return Scrape([sample for family in text_string_to_metric_families(text) for sample in family.samples])


async def scrape(client: httpx.AsyncClient, **kwargs) -> Scrape:
    response = await client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


class ServeProcess:
    """`python -m app serve ...` in a process of its own, ready once /healthz answers; stopped with SIGTERM."""

    def __init__(self, args: list[str], env: dict[str, str], origin: str) -> None:
        self.args, self.env, self.origin = args, env, origin
        self.process: asyncio.subprocess.Process | None = None
        # A file, not a pipe: a pipe nobody reads would block a chatty server once it is full.
        self.output = tempfile.NamedTemporaryFile(prefix="yijian-serve-", suffix=".log", delete=False)

    def output_tail(self) -> str:
        with open(self.output.name, "rb") as handle:
            return handle.read().decode("utf-8", "replace")[-3000:]

    async def start(self, timeout_s: float = 90.0) -> ServeProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app", "serve", *self.args, env=self.env, cwd=ROOT,
            stdout=self.output, stderr=subprocess.STDOUT)
        try:
            await self._wait_ready(timeout_s)
        except BaseException:
            await self.stop()  # never leave a server behind a failed start
            raise
        return self

    async def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(base_url=self.origin, timeout=2.0) as http:
            while True:
                if self.process.returncode is not None:
                    raise AssertionError(f"serve exited: {self.output_tail()}")
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"serve did not answer /healthz in time: {self.output_tail()}"
                await asyncio.sleep(0.2)

    async def stop(self) -> int:
        """SIGTERM, as an operator stops it; killed if it has not exited 30 s later. Answers its exit status."""
        try:
            if self.process is not None and self.process.returncode is None:
                self.process.terminate()
                try:
                    await asyncio.wait_for(self.process.wait(), timeout=30)
                except asyncio.TimeoutError:
                    self.process.kill()
                    await self.process.wait()
            return self.process.returncode if self.process else 0
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.output.name)
