"""Stored versions get the comment controls that carry no text of their own, and a long
version is divided into the sections its page is shown in."""

from django.db import migrations, models


def refresh(apps, schema_editor):
    from documents.blocks import Block
    from documents.rendition import controls_refresh

    Version = apps.get_model("documents", "Version")
    for version in Version.objects.exclude(html="").only("pk", "html", "blocks").iterator():
        blocks = [Block.from_dict(block) for block in version.blocks or []]
        html, sections = controls_refresh(version.html, blocks)
        Version.objects.filter(pk=version.pk).update(html=html, sections=sections)


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_reminders")]

    operations = [
        migrations.AddField(
            model_name="version",
            name="sections",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(refresh, migrations.RunPython.noop),
    ]
