from django.urls import path

from portal.home.privacy import views

urlpatterns = [
    path("profile/your-data.json", views.personal_data_json, name="personal_data_json"),
    path("profile/your-data.pdf", views.personal_data_pdf, name="personal_data_pdf"),
    path("people/<id:user_id>/erase/", views.person_erase_view, name="person_erase"),
    path(
        "studies/<id:study_id>/privacy/access-record/",
        views.access_record,
        name="access_record",
    ),
]
