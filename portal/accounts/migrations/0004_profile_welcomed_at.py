from django.db import migrations, models
from django.db.models import F


def existing_people_are_welcomed(apps, schema_editor):
    # People who already have accounts have had their first visit: they are not asked.
    Profile = apps.get_model("accounts", "Profile")
    Profile.objects.filter(welcomed_at__isnull=True).update(welcomed_at=F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_profile_email_frequency"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="welcomed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(existing_people_are_welcomed, migrations.RunPython.noop),
    ]
