"""Coordinators shape a study's stages: rename, reorder, add and remove."""

from __future__ import annotations

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from engagement.models import Stage
from engagement.services import stage_delete
from portal.permissions import Role
from portal.rules import RuleBroken
from tests.conftest import StudyTeam, client_for, give_totp
from tests.engagement.pages import messages_of, shows
from tests.factories import MembershipFactory, StageFactory


def names_in_order(team: StudyTeam) -> list[str]:
    return list(team.study.stages.order_by("position", "id").values_list("name", flat=True))


def stage_named(team: StudyTeam, name: str) -> Stage:
    return team.study.stages.get(name=name)


def list_url(team: StudyTeam) -> str:
    return reverse("stage_list", args=[team.study.pk])


def move(team: StudyTeam, stage: Stage, direction: str):
    return client_for(team.coordinator).post(
        reverse("stage_move", args=[team.study.pk, stage.pk]), {"direction": direction}, follow=True
    )


# --- the list ----------------------------------------------------------------------


def test_it_lists_the_studys_stages_in_order_with_their_actions(team: StudyTeam) -> None:
    response = client_for(team.coordinator).get(list_url(team))
    content = response.content.decode()
    positions = [content.index(name) for name in names_in_order(team)]
    assert positions == sorted(positions)
    first, last = (
        team.study.stages.order_by("position")[0],
        team.study.stages.order_by("-position")[0],
    )
    # The first stage cannot go up and the last cannot go down, so neither offers it.
    assert f'Move up<span class="visually-hidden">: {first.name}' not in content
    assert f'Move down<span class="visually-hidden">: {last.name}' not in content
    assert reverse("stage_edit", args=[team.study.pk, first.pk]) in content


# --- renaming ---------------------------------------------------------------------


def test_it_renames_a_stage(team: StudyTeam) -> None:
    stage = team.stage
    response = client_for(team.coordinator).post(
        reverse("stage_edit", args=[team.study.pk, stage.pk]),
        {"name": "  Choosing what to research  ", "description": "Setting priorities together."},
        follow=True,
    )
    stage.refresh_from_db()
    assert stage.name == "Choosing what to research"
    assert stage.description == "Setting priorities together."
    assert "Stage saved." in messages_of(response)
    assert shows(response, "Choosing what to research")


def test_it_lets_a_stage_keep_its_own_name_in_another_case(team: StudyTeam) -> None:
    stage = stage_named(team, "Undertaking")
    response = client_for(team.coordinator).post(
        reverse("stage_edit", args=[team.study.pk, stage.pk]), {"name": "UNDERTAKING"}
    )
    assert response.status_code == 302
    stage.refresh_from_db()
    assert stage.name == "UNDERTAKING"


def test_it_rejects_renaming_a_stage_to_another_stages_name(team: StudyTeam) -> None:
    stage = stage_named(team, "Undertaking")
    response = client_for(team.coordinator).post(
        reverse("stage_edit", args=[team.study.pk, stage.pk]), {"name": "disseminating"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "This study already has a stage with that name."
    ]
    stage.refresh_from_db()
    assert stage.name == "Undertaking"


# --- reordering ----------------------------------------------------------------------


def test_it_moves_a_stage_down(team: StudyTeam) -> None:
    before = names_in_order(team)
    response = move(team, stage_named(team, before[0]), "down")
    assert names_in_order(team) == [before[1], before[0], *before[2:]]
    assert f"“{before[0]}” moved down." in messages_of(response)
    positions = list(team.study.stages.order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, len(before) + 1))


def test_it_moves_a_stage_up(team: StudyTeam) -> None:
    before = names_in_order(team)
    response = move(team, stage_named(team, before[-1]), "up")
    assert names_in_order(team) == [*before[:-2], before[-1], before[-2]]
    assert f"“{before[-1]}” moved up." in messages_of(response)


def test_it_does_not_move_the_first_stage_up(team: StudyTeam) -> None:
    before = names_in_order(team)
    response = move(team, stage_named(team, before[0]), "up")
    assert response.status_code == 200
    assert names_in_order(team) == before
    assert f"“{before[0]}” is already at that end." in messages_of(response)


def test_it_does_not_move_the_last_stage_down(team: StudyTeam) -> None:
    before = names_in_order(team)
    response = move(team, stage_named(team, before[-1]), "down")
    assert names_in_order(team) == before
    assert f"“{before[-1]}” is already at that end." in messages_of(response)


@pytest.mark.parametrize("direction", ["", "sideways", "UP", "up "])
def test_it_answers_a_bad_direction_with_a_message(team: StudyTeam, direction: str) -> None:
    before = names_in_order(team)
    response = move(team, stage_named(team, before[2]), direction)
    assert response.status_code == 200
    assert names_in_order(team) == before
    assert "Choose whether to move the stage up or down." in messages_of(response)


def test_it_keeps_moves_inside_the_study(team: StudyTeam) -> None:
    other = [StageFactory(study=team.other_study, position=n) for n in (1, 2)]
    before = names_in_order(team)
    move(team, stage_named(team, before[0]), "down")
    for stage in other:
        position = stage.position
        stage.refresh_from_db()
        assert stage.position == position


# --- adding ---------------------------------------------------------------------------


def test_it_adds_a_stage_at_the_end(team: StudyTeam) -> None:
    before = names_in_order(team)
    response = client_for(team.coordinator).post(
        list_url(team), {"name": "Co-analysis workshop", "description": ""}, follow=True
    )
    assert names_in_order(team) == [*before, "Co-analysis workshop"]
    assert "Stage “Co-analysis workshop” added at the end." in messages_of(response)
    assert shows(response, "Co-analysis workshop")


def test_it_rejects_a_duplicate_stage_name_whatever_its_case(team: StudyTeam) -> None:
    count = team.study.stages.count()
    response = client_for(team.coordinator).post(list_url(team), {"name": "  undertaking "})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "This study already has a stage with that name."
    ]
    content = response.content.decode()
    assert 'href="#id_name"' in content  # the error summary links to the field
    assert team.study.stages.count() == count


def test_it_allows_a_name_another_study_already_uses(team: StudyTeam) -> None:
    StageFactory(study=team.other_study, name="Steering group")
    response = client_for(team.coordinator).post(list_url(team), {"name": "Steering group"})
    assert response.status_code == 302
    assert team.study.stages.filter(name="Steering group").exists()
    assert team.other_study.stages.filter(name="Steering group").count() == 1


def test_it_requires_a_name_for_a_new_stage(team: StudyTeam) -> None:
    count = team.study.stages.count()
    response = client_for(team.coordinator).post(list_url(team), {"name": "   "})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert team.study.stages.count() == count


# --- removing -----------------------------------------------------------------------


def test_it_asks_before_removing_a_stage(team: StudyTeam) -> None:
    stage = team.stage
    response = client_for(team.coordinator).get(
        reverse("stage_delete", args=[team.study.pk, stage.pk])
    )
    assert response.status_code == 200
    assert shows(response, stage.name)
    assert Stage.objects.filter(pk=stage.pk).exists()


def test_it_removes_a_stage(team: StudyTeam) -> None:
    stage = stage_named(team, "Implementing")
    response = client_for(team.coordinator).post(
        reverse("stage_delete", args=[team.study.pk, stage.pk]), follow=True
    )
    assert not Stage.objects.filter(pk=stage.pk).exists()
    assert "Implementing" not in names_in_order(team)
    assert "Stage “Implementing” removed." in messages_of(response)


@pytest.fixture
def stage_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every stage behave as if a document or contribution referred to it."""

    def refuse(self: Stage, *args: object, **kwargs: object) -> None:
        raise ProtectedError("Referred to by something.", set())

    monkeypatch.setattr(Stage, "delete", refuse)


@pytest.mark.usefixtures("stage_in_use")
def test_the_service_refuses_to_remove_a_stage_in_use(team: StudyTeam) -> None:
    stage = team.stage
    with pytest.raises(RuleBroken, match="cannot be removed because"):
        stage_delete(stage=stage)
    assert Stage.objects.filter(pk=stage.pk).exists()


@pytest.mark.usefixtures("stage_in_use")
def test_it_explains_why_a_stage_in_use_cannot_be_removed(team: StudyTeam) -> None:
    stage = team.stage
    response = client_for(team.coordinator).post(
        reverse("stage_delete", args=[team.study.pk, stage.pk]), follow=True
    )
    assert response.status_code == 200
    assert Stage.objects.filter(pk=stage.pk).exists()
    [message] = messages_of(response)
    assert message.startswith(f"“{stage.name}” cannot be removed because")
    assert "Rename it instead" in message
    assert shows(response, stage.name)


# --- who may -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["partner", "researcher"])
def test_it_rejects_members_who_are_not_coordinators(team: StudyTeam, role: str) -> None:
    stage = team.stage
    client = client_for(getattr(team, role))
    assert client.post(list_url(team), {"name": "Sneaky"}).status_code == 403
    delete = client.post(reverse("stage_delete", args=[team.study.pk, stage.pk]))
    assert delete.status_code == 403
    assert Stage.objects.filter(pk=stage.pk).exists()
    assert not team.study.stages.filter(name="Sneaky").exists()


def test_it_rejects_an_outsider_with_404(team: StudyTeam) -> None:
    response = client_for(team.outsider).post(list_url(team), {"name": "Sneaky"})
    assert response.status_code == 404
    assert not team.study.stages.filter(name="Sneaky").exists()


# --- queries --------------------------------------------------------------------------

# Session, user, the two-factor check, the membership, the stages.
STAGE_LIST_MAX_QUERIES = 5


@pytest.mark.parametrize("extra_stages", [0, 30])
def test_the_stage_list_needs_the_same_queries_however_many_stages(
    team: StudyTeam, django_assert_max_num_queries, extra_stages: int
) -> None:
    for n in range(extra_stages):
        StageFactory(study=team.study, name=f"Extra stage {n}", position=100 + n)
    client = client_for(team.coordinator)
    with django_assert_max_num_queries(STAGE_LIST_MAX_QUERIES):
        response = client.get(list_url(team))
    assert response.status_code == 200
    assert len(response.context["stages"]) == 8 + extra_stages


def test_a_second_coordinator_manages_stages_too(team: StudyTeam) -> None:
    second = MembershipFactory(study=team.study, role=Role.COORDINATOR).user
    give_totp(second)
    response = client_for(second).post(list_url(team), {"name": "Evaluation"})
    assert response.status_code == 302
    assert "Evaluation" in names_in_order(team)


def test_the_database_refuses_a_stage_name_that_differs_only_in_case(team):
    from engagement.services import stage_add
    from portal.rules import RuleBroken

    existing = team.stage.name
    with pytest.raises(RuleBroken, match="already has a stage with that name"):
        stage_add(study=team.study, name=existing.upper())
    assert team.study.stages.filter(name__iexact=existing).count() == 1
