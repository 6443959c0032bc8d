"""A stamp per document that the database renews whenever what its threads show changes: the
triggers that renew it are made after every migrate (see ``documents.stamps``)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0006_word_imports"),
        ("accounts", "0005_erasure_and_sensitive_access"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="threads_stamp",
            field=models.CharField(default="", editable=False, max_length=32),
        ),
    ]
