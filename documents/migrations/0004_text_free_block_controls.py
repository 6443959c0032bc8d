"""Stored versions get the comment controls that carry no text of their own."""

from django.db import migrations


def refresh(apps, schema_editor):
    from documents.blocks import Block
    from documents.rendition import controls_refresh

    Version = apps.get_model("documents", "Version")
    for version in Version.objects.exclude(html="").only("pk", "html", "blocks").iterator():
        blocks = [Block.from_dict(block) for block in version.blocks or []]
        html = controls_refresh(version.html, blocks)
        if html != version.html:
            Version.objects.filter(pk=version.pk).update(html=html)


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_reminders")]

    operations = [migrations.RunPython(refresh, migrations.RunPython.noop)]
