from engagement.models import RESEARCH_CYCLE_STAGES, Membership
from portal.permissions import Role
from tests.conftest import client_for
from tests.factories import UserFactory


def test_it_creates_a_study_with_research_cycle_stages_and_its_creator_as_coordinator(db):
    lead = UserFactory(can_create_studies=True)
    from tests.conftest import give_totp

    give_totp(lead)
    response = client_for(lead).post(
        "/studies/new/",
        {"title": "Hearing loss", "lay_summary": "About hearing.", "status": "planning"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=lead)
    assert membership.role == Role.COORDINATOR
    names = list(membership.study.stages.order_by("position").values_list("name", flat=True))
    assert names == list(RESEARCH_CYCLE_STAGES)
