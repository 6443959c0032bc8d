from tests.conftest import client_for, give_totp
from tests.factories import PASSWORD, UserFactory


def test_it_sends_the_admin_login_to_the_portal_login(db):
    response = client_for(None).get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_refuses_a_logged_in_partner_who_posts_staff_credentials_to_the_admin(db):
    staff = UserFactory(is_staff=True, is_superuser=True)
    partner = UserFactory()
    client = client_for(partner)

    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})

    assert response.status_code == 403
    assert client.session["_auth_user_id"] == str(partner.pk)


def test_it_makes_a_site_admin_set_up_two_factor_first(db):
    staff = UserFactory(is_staff=True, is_superuser=True)
    response = client_for(staff).get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_a_site_admin_with_two_factor_reaches_the_admin(db):
    staff = UserFactory(is_staff=True, is_superuser=True)
    give_totp(staff)
    response = client_for(staff).get("/admin/")
    assert response.status_code == 200
    assert "PPIE Portal administration" in response.content.decode()
