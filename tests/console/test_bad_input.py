"""Bad input to every console form and filter is a readable 4xx page, never a 500."""

from __future__ import annotations

import pytest

from tests.console.conftest import Pages
from tests.review.seed import seed_approval
from tests.server.conftest import Api

GETS = [
    "/console/review?kind=",
    "/console/review?kind=approval&kind=draft",
    "/console/review/" + "a" * 300,
    "/console/review/apr_x%00y",
    "/console/traces?page=0",
    "/console/traces?page=abc",
    "/console/traces?since=" + "9" * 190 + "d",
    "/console/traces?min_cost=nan",
    "/console/traces?max_cost=1e999",
    "/console/traces?until=2026-13-45",
    "/console/traces?agent=" + "x" * 201,
    "/console/traces/run_%F0%9F%92%A5",
    "/console/audit?since=-5d",
    "/console/audit?page=-1",
    "/console/audit?action=%00",
    "/console/traces?agent=a%00b",
    "/console/traces?tool=%00",
    "/console/login?token=x&next=/console/%00%0d%0aSet-Cookie:%20a=b",
    "/console/login?next=" + "/console/" * 300,
]

POSTS = [
    {"action": "approve_edited", "edited": "{" * 5000, "reason_code": "bad_tone", "note": "x"},
    {"action": "approve_edited", "edited": '{"a": NaN}', "reason_code": "bad_tone", "note": "x"},
    {
        "action": "approve_edited",
        "edited": '{"a": "\\u0000"}',
        "reason_code": "bad_tone",
        "note": "x",
    },
    {
        "action": "approve_edited",
        "edited": "[" * 100 + "]" * 100,
        "reason_code": "bad_tone",
        "note": "x",
    },
    {"action": "reject", "reason_code": "hallucination", "note": "n" * 4001},
    {"action": "reject", "reason_code": "hallucination", "note": "\x00"},
    {"action": "approve", "expected_digest": "sha256:\x00"},
    {"action": "reject", "reason_code": "\x00", "note": "x"},
    {"action": "explode"},
    {},
]


@pytest.mark.parametrize("path", GETS)
async def test_bad_queries_are_readable_pages(pages: Pages, path: str) -> None:
    session = await pages.login("acme-reviewer")
    response = await session.get(path)
    assert response.status_code < 500, (path, response.text)
    assert "Traceback" not in response.text


async def test_bad_forms_are_readable_pages(pages: Pages, api: Api) -> None:
    seed_approval(api.db, "run_bad")
    session = await pages.login("acme-reviewer")
    for data in POSTS:
        response = await session.post("/console/review/apr_run_bad/decide", data)
        assert 400 <= response.status_code < 500, (data, response.status_code)
        assert "Traceback" not in response.text
        assert 'role="alert"' in response.text
    raw = await session.client.post(
        "/console/review/apr_run_bad/decide",
        content=b"csrf=" + session.csrf.encode() + b"&action=\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert raw.status_code == 400
    assert "could not be read" in raw.text
    many = "&".join(f"f{i}=1" for i in range(500))
    crowded = await session.client.post(
        "/console/review/apr_run_bad/decide",
        content=f"csrf={session.csrf}&{many}".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert crowded.status_code == 400
    assert "at most 200 fields" in crowded.text


async def test_next_cannot_inject_headers(pages: Pages, api: Api) -> None:
    client = pages.client()
    response = await client.get(
        "/console/login",
        params={"token": api.secrets["root"], "next": "/console/x\r\nSet-Cookie: a=b"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console/x%0D%0ASet-Cookie:%20a=b"
    assert "a=b" not in response.headers.get_list("set-cookie")
