"""Skills of staff members: set, changed, removed by those who plan work; audited; refused for
others and for customer users."""

from datetime import date

import pytest

from steward.accounts import services
from steward.accounts.models import UserSkill
from steward.core.errors import Forbidden, NotFound, ValidationFailed
from steward.core.models import AuditEvent


def test_dispatcher_gives_changes_and_removes_a_skill_with_an_audit_trail(world):
    tech, dispatcher = world.users["technician"], world.users["dispatcher"]
    row = services.user_skill_set(actor=dispatcher, user=tech, skill=" F-Gas ", level=4,
                                  certified_until=date(2027, 3, 31))  # fmt: skip
    assert (row.skill, row.level, row.certified_until) == ("f-gas", 4, date(2027, 3, 31))
    services.user_skill_set(actor=dispatcher, user=tech, skill="f-gas", level=5)
    row.refresh_from_db()
    assert (row.level, row.certified_until) == (5, None)
    services.user_skill_remove(actor=dispatcher, user=tech, skill="f-gas")
    assert not UserSkill.objects.filter(user=tech).exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="user_skill").values_list("action", flat=True)
    )
    assert sorted(actions) == ["user_skill.create", "user_skill.delete", "user_skill.update"]


@pytest.mark.parametrize("role", ["agent", "technician", "customer_a_admin"])
def test_others_may_not_set_skills(world, role):
    with pytest.raises(Forbidden):
        services.user_skill_set(actor=world.users[role], user=world.users["technician"], skill="hvac")
    assert not UserSkill.objects.exists()


def test_bad_input_names_the_field(world):
    manager = world.users["manager"]
    with pytest.raises(ValidationFailed) as e:
        services.user_skill_set(actor=manager, user=world.users["customer_a_admin"], skill="hvac")
    assert "user" in str(e.value.errors if hasattr(e.value, "errors") else e.value)
    with pytest.raises(ValidationFailed):
        services.user_skill_set(actor=manager, user=world.users["technician"], skill="  ")
    with pytest.raises(ValidationFailed):
        services.user_skill_set(actor=manager, user=world.users["technician"], skill="hvac", level=9)
    with pytest.raises(NotFound):
        services.user_skill_remove(actor=manager, user=world.users["technician"], skill="hvac")
    assert not UserSkill.objects.exists()
