import pytest

from tests.conftest import client_for


@pytest.mark.parametrize(
    "path",
    [
        "/studies/99999999999999999999999/",
        "/studies/{study}/stages/99999999999999999999999/edit/",
        "/studies/{study}/members/99999999999999999999999/role/",
        "/studies/-1/",
    ],
)
def test_it_answers_an_impossible_id_with_not_found(team, path):
    response = client_for(team.coordinator).get(path.format(study=team.study.pk))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
