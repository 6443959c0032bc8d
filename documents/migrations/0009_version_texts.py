"""Versions keep their blocks' texts apart from their HTML, for the page to read cheaply."""

from django.db import migrations, models


def keep_texts(apps, schema_editor):
    from documents.blocks import texts_encoded

    Version = apps.get_model("documents", "Version")
    for version in Version.objects.exclude(blocks=[]).only("pk", "blocks").iterator():
        Version.objects.filter(pk=version.pk).update(texts=texts_encoded(version.blocks))


class Migration(migrations.Migration):
    dependencies = [("documents", "0008_comment_entered_by")]

    operations = [
        migrations.AddField(
            model_name="version",
            name="texts",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(keep_texts, migrations.RunPython.noop),
    ]
