"""`core.views_kit`: query parameters read as ids, shared by every page's filters."""

from __future__ import annotations

import pytest

from steward.core.views_kit import id_or_none
from steward.testing import factories as f


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("7", 7), (None, None), ("", None), ("seven", None), ("0", None), ("-3", None),
     (str(2**63 - 1), 2**63 - 1), (str(2**63), None), ("9" * 40, None)],
)  # fmt: skip
def test_id_or_none_takes_only_what_can_be_a_database_id(raw, expected):
    assert id_or_none(raw) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/field/vans/?depot=", "/sites/?account=", "/catalog/contracts/?account="],
)
def test_a_filter_id_past_64_bits_lists_nothing_instead_of_failing(client, path):
    client.force_login(f.staff_user("admin"))
    response = client.get(path + "9" * 30)
    assert response.status_code == 200
