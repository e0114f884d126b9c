"""OpsAuditLog.username: who wrote the row, kept when the user is deleted; existing rows filled from their user."""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_usernames(apps, schema_editor):
    """Each row's username from its user (rows whose user is already gone stay blank)."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    username_field = get_user_model().USERNAME_FIELD  # a class attribute: historical models do not keep it
    audit_log = apps.get_model("ops", "OpsAuditLog")
    names = user_model.objects.filter(pk=OuterRef("user_id")).values(username_field)[:1]
    audit_log.objects.using(schema_editor.connection.alias).filter(user__isnull=False).update(username=Subquery(names))


class Migration(migrations.Migration):

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("ops", "0008_records_audit"),
    ]

    operations = [
        migrations.AddField(
            model_name="opsauditlog",
            name="username",
            field=models.CharField(
                blank=True, help_text="The user's username when the row was written.", max_length=150
            ),
        ),
        migrations.RunPython(fill_usernames, migrations.RunPython.noop),
    ]
