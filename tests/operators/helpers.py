"""Operator logins from source addresses of their own, so per-source limits are tested and never shared by tests."""

from __future__ import annotations

import random
from contextlib import AsyncExitStack, asynccontextmanager
from typing import AsyncIterator

import httpx

from app.operators.models import Operator
from app.operators.service import create_operator
from tests.factories import OPERATOR_PASSWORD, unique_label


def new_source() -> str:
    """A loopback address no other test uses (Linux routes all of 127.0.0.0/8 to the loopback interface).

    Random rather than counted: Redis keeps a source's counters for 15 minutes, across test runs too.
    """
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


@asynccontextmanager
async def clients_from(server, count: int) -> AsyncIterator[list[httpx.AsyncClient]]:
    """`count` clients of the session's server, each connecting from a new source address."""
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(httpx.AsyncClient(
            base_url=server.base_url, timeout=30.0,
            transport=httpx.AsyncHTTPTransport(local_address=new_source()))) for _ in range(count)]


async def new_operator(role: str = "operator") -> Operator:
    return await create_operator(unique_label("login-"), OPERATOR_PASSWORD, role)


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/admin/v1/auth/login", json={"username": username, "password": password})


def codes(responses: list[httpx.Response]) -> list[str]:
    return ["TOKEN" if r.status_code == 200 else r.json()["error"]["code"] for r in responses]
