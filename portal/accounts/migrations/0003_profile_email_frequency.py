"""The reminder tick box becomes a choice of how often: those who said no get essential only."""

from django.db import migrations, models


def from_tick_box(apps, schema_editor):
    Profile = apps.get_model("accounts", "Profile")
    Profile.objects.filter(email_reminders=False).update(email_frequency="essential")


def to_tick_box(apps, schema_editor):
    Profile = apps.get_model("accounts", "Profile")
    Profile.objects.filter(email_frequency="essential").update(email_reminders=False)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_profile_payment_reduced_percent_and_more")]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="email_frequency",
            field=models.CharField(
                choices=[
                    ("immediate", "As it happens"),
                    ("daily", "One summary a day"),
                    ("weekly", "One summary a week"),
                    ("essential", "Only essential emails (account, invitations, passwords)"),
                ],
                default="immediate",
                help_text=(
                    "Everything also appears on your What's new page. Emails about your "
                    "account, invitations and passwords always come."
                ),
                max_length=10,
                verbose_name=(
                    "how often should we email you about reviews, answers and your "
                    "contributions?"
                ),
            ),
        ),
        migrations.RunPython(from_tick_box, to_tick_box),
        migrations.RemoveField(model_name="profile", name="email_reminders"),
    ]
