"""Text holding the NUL character cannot be stored or compared by PostgreSQL: a query string or
JSON body carrying one is refused before any view, naming the parameter, on both databases."""

from __future__ import annotations

import json

import pytest

from steward.catalog.models import Service
from steward.core.middleware import _nul_path

pytestmark = pytest.mark.django_db


def test_a_nul_in_an_api_query_string_is_a_422_naming_the_parameter(world, client_for):
    client = client_for(world.users["dispatcher"])
    response = client.get("/api/v1/field/work-orders", {"q": "boiler\x00", "limit": 5})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"q": ["q: the NUL character is not allowed in text"]}
    assert client.get("/api/v1/field/work-orders", {"q": "boiler"}).status_code == 200


def test_a_nul_inside_a_json_body_is_a_422_and_nothing_is_written(world, client_for):
    client = client_for(world.users["admin"])
    before = Service.objects.count()
    body = {"name": "Boiler service", "code": "boiler", "required_skills": ["gas", "h\x00vac"]}
    response = client.post("/api/v1/catalog/services", json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert "required_skills.1" in response.json()["error"]["fields"]
    assert Service.objects.count() == before


def test_a_nul_in_a_pages_query_string_is_a_400(world, client_for):
    response = client_for(world.users["agent"]).get("/desk/", {"q": "\x00"})
    assert response.status_code == 400 and b"NUL character" in response.content


def test_an_escaped_backslash_u_is_ordinary_text():
    # the six characters \u0000 typed by a person arrive JSON-escaped and are not a NUL
    assert _nul_path(json.loads(json.dumps({"note": "\\u0000"}))) is None
    assert _nul_path({"a": [{"b": "x\x00"}]}) == "a.0.b"
    assert _nul_path({"k\x00": 1}) == "k\x00"
    assert _nul_path("\x00") == "body"
