# ruff: noqa: E501
"""Summary tables and the statement-level triggers that keep them exact (PostgreSQL only)."""
from django.db import migrations, models

# Frozen copies of ops_metrics.rollups.install_sql() / uninstall_sql() at the time of this migration (a migration must
# not import names that may change later); a test checks that they still match the module.
INSTALL = [
    'ALTER TABLE ops_rollup_booking SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01)',
    'ALTER TABLE ops_rollup_complaint_created SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01)',
    'ALTER TABLE ops_rollup_complaint_resolved SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01)',
    'ALTER TABLE ops_rollup_complaint_responded SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01)',
    "CREATE OR REPLACE FUNCTION bookings_booking_rollup_compact() RETURNS void SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off LANGUAGE plpgsql AS $body$\nBEGIN\n  IF random() < 0.05 AND current_setting('transaction_isolation') = 'read committed' AND pg_try_advisory_xact_lock(4172301001) THEN WITH k AS (SELECT DISTINCT grain, bucket, status FROM ops_rollup_booking WHERE NOT folded), gone AS (DELETE FROM ops_rollup_booking AS t USING k WHERE t.grain = k.grain AND t.bucket = k.bucket AND t.status = k.status RETURNING t.grain, t.bucket, t.status, t.count, t.amount) INSERT INTO ops_rollup_booking (grain, bucket, status, count, amount, folded) SELECT grain, bucket, status, sum(count), sum(amount), TRUE FROM gone GROUP BY grain, bucket, status HAVING sum(count) <> 0 OR sum(amount) <> 0; END IF;\nEND\n$body$",
    "CREATE OR REPLACE FUNCTION bookings_booking_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $body$\nBEGIN\n  INSERT INTO ops_rollup_booking (grain, bucket, status, count, amount, folded) SELECT g.grain, CASE g.grain WHEN 0 THEN date_bin('15 minutes', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') ELSE date_bin('1 day', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') END, d.status, sum(d.sign), sum(d.sign * d.amount), FALSE FROM (SELECT created_at AS t, status AS status, total_amount AS amount, 1 AS sign FROM new_rows WHERE created_at IS NOT NULL AND TRUE) AS d CROSS JOIN (VALUES (0), (1)) AS g(grain) GROUP BY 1, 2, 3 HAVING sum(d.sign) <> 0 OR sum(d.sign * d.amount) <> 0;\n  PERFORM bookings_booking_rollup_compact();\n  RETURN NULL;\nEND\n$body$",
    'DROP TRIGGER IF EXISTS ops_rollup_insert ON bookings_booking',
    'CREATE TRIGGER ops_rollup_insert AFTER INSERT ON bookings_booking REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bookings_booking_rollup_insert()',
    "CREATE OR REPLACE FUNCTION bookings_booking_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $body$\nBEGIN\n  INSERT INTO ops_rollup_booking (grain, bucket, status, count, amount, folded) SELECT g.grain, CASE g.grain WHEN 0 THEN date_bin('15 minutes', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') ELSE date_bin('1 day', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') END, d.status, sum(d.sign), sum(d.sign * d.amount), FALSE FROM (SELECT created_at AS t, status AS status, total_amount AS amount, 1 AS sign FROM new_rows WHERE created_at IS NOT NULL AND TRUE UNION ALL SELECT created_at AS t, status AS status, total_amount AS amount, -1 AS sign FROM old_rows WHERE created_at IS NOT NULL AND TRUE) AS d CROSS JOIN (VALUES (0), (1)) AS g(grain) GROUP BY 1, 2, 3 HAVING sum(d.sign) <> 0 OR sum(d.sign * d.amount) <> 0;\n  PERFORM bookings_booking_rollup_compact();\n  RETURN NULL;\nEND\n$body$",
    'DROP TRIGGER IF EXISTS ops_rollup_update ON bookings_booking',
    'CREATE TRIGGER ops_rollup_update AFTER UPDATE ON bookings_booking REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bookings_booking_rollup_update()',
    "CREATE OR REPLACE FUNCTION bookings_booking_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $body$\nBEGIN\n  INSERT INTO ops_rollup_booking (grain, bucket, status, count, amount, folded) SELECT g.grain, CASE g.grain WHEN 0 THEN date_bin('15 minutes', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') ELSE date_bin('1 day', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') END, d.status, sum(d.sign), sum(d.sign * d.amount), FALSE FROM (SELECT created_at AS t, status AS status, total_amount AS amount, -1 AS sign FROM old_rows WHERE created_at IS NOT NULL AND TRUE) AS d CROSS JOIN (VALUES (0), (1)) AS g(grain) GROUP BY 1, 2, 3 HAVING sum(d.sign) <> 0 OR sum(d.sign * d.amount) <> 0;\n  PERFORM bookings_booking_rollup_compact();\n  RETURN NULL;\nEND\n$body$",
    'DROP TRIGGER IF EXISTS ops_rollup_delete ON bookings_booking',
    'CREATE TRIGGER ops_rollup_delete AFTER DELETE ON bookings_booking REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bookings_booking_rollup_delete()',
    'CREATE OR REPLACE FUNCTION bookings_booking_rollup_truncate() RETURNS trigger LANGUAGE plpgsql AS $body$\nBEGIN\n  DELETE FROM ops_rollup_booking;\n  RETURN NULL;\nEND\n$body$',
    'DROP TRIGGER IF EXISTS ops_rollup_truncate ON bookings_booking',
    'CREATE TRIGGER ops_rollup_truncate AFTER TRUNCATE ON bookings_booking FOR EACH STATEMENT EXECUTE FUNCTION bookings_booking_rollup_truncate()',
    "CREATE OR REPLACE FUNCTION complaints_complaint_rollup_compact() RETURNS void SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off LANGUAGE plpgsql AS $body$\nBEGIN\n  IF random() < 0.05 AND current_setting('transaction_isolation') = 'read committed' AND pg_try_advisory_xact_lock(4172301001) THEN WITH k AS (SELECT DISTINCT grain, bucket, priority, status FROM ops_rollup_complaint_created WHERE NOT folded), gone AS (DELETE FROM ops_rollup_complaint_created AS t USING k WHERE t.grain = k.grain AND t.bucket = k.bucket AND t.priority = k.priority AND t.status = k.status RETURNING t.grain, t.bucket, t.priority, t.status, t.count) INSERT INTO ops_rollup_complaint_created (grain, bucket, priority, status, count, folded) SELECT grain, bucket, priority, status, sum(count), TRUE FROM gone GROUP BY grain, bucket, priority, status HAVING sum(count) <> 0; WITH k AS (SELECT DISTINCT grain, bucket, outcome FROM ops_rollup_complaint_resolved WHERE NOT folded), gone AS (DELETE FROM ops_rollup_complaint_resolved AS t USING k WHERE t.grain = k.grain AND t.bucket = k.bucket AND t.outcome = k.outcome RETURNING t.grain, t.bucket, t.outcome, t.count, t.duration_us) INSERT INTO ops_rollup_complaint_resolved (grain, bucket, outcome, count, duration_us, folded) SELECT grain, bucket, outcome, sum(count), sum(duration_us), TRUE FROM gone GROUP BY grain, bucket, outcome HAVING sum(count) <> 0 OR sum(duration_us) <> 0; WITH k AS (SELECT DISTINCT grain, bucket FROM ops_rollup_complaint_responded WHERE NOT folded), gone AS (DELETE FROM ops_rollup_complaint_responded AS t USING k WHERE t.grain = k.grain AND t.bucket = k.bucket RETURNING t.grain, t.bucket, t.count, t.duration_us) INSERT INTO ops_rollup_complaint_responded (grain, bucket, count, duration_us, folded) SELECT grain, bucket, sum(count), sum(duration_us), TRUE FROM gone GROUP BY grain, bucket HAVING sum(count) <> 0 OR sum(duration_us) <> 0; END IF;\nEND\n$body$",
    "CREATE OR REPLACE FUNCTION complaints_complaint_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $body$\nBEGIN\n  INSERT INTO ops_rollup_complaint_created (grain, bucket, priority, status, count, folded) SELECT g.grain, CASE g.grain WHEN 0 THEN date_bin('15 minutes', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') ELSE date_bin('1 day', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') END, d.priority, d.status, sum(d.sign), FALSE FROM (SELECT created_at AS t, priority AS priority, status AS status, 1 AS sign FROM new_rows WHERE created_at IS NOT NULL AND TRUE) AS d CROSS JOIN (VALUES (0), (1)) AS g(grain) GROUP BY 1, 2, 3, 4 HAVING sum(d.sign) <> 0;\n  INSERT INTO ops_rollup_complaint_resolved (grain, bucket, outcome, count, duration_us, folded) SELECT g.grain, CASE g.grain WHEN 0 THEN date_bin('15 minutes', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') ELSE date_bin('1 day', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') END, d.outcome, sum(d.sign), sum(d.sign * d.duration_us), FALSE FROM (SELECT resolved_at AS t, CASE WHEN (resolution_due_at IS NOT NULL AND resolved_at > resolution_due_at) OR (response_due_at IS NOT NULL AND first_response_at > response_due_at) THEN 1 WHEN first_response_at IS NULL AND response_due_at IS NOT NULL THEN 2 ELSE 0 END AS outcome, ((EXTRACT(EPOCH FROM resolved_at) - EXTRACT(EPOCH FROM created_at)) * 1000000) AS duration_us, 1 AS sign FROM new_rows WHERE resolved_at IS NOT NULL AND TRUE) AS d CROSS JOIN (VALUES (0), (1)) AS g(grain) GROUP BY 1, 2, 3 HAVING sum(d.sign) <> 0 OR sum(d.sign * d.duration_us) <> 0;\n  INSERT INTO ops_rollup_complaint_responded (grain, bucket, count, duration_us, folded) SELECT g.grain, CASE g.grain WHEN 0 THEN date_bin('15 minutes', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') ELSE date_bin('1 day', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') END, sum(d.sign), sum(d.sign * d.duration_us), FALSE FROM (SELECT first_response_at AS t, ((EXTRACT(EPOCH FROM first_response_at) - EXTRACT(EPOCH FROM created_at)) * 1000000) AS duration_us, 1 AS sign FROM new_rows WHERE first_response_at IS NOT NULL AND TRUE) AS d CROSS JOIN (VALUES (0), (1)) AS g(grain) GROUP BY 1, 2 HAVING sum(d.sign) <> 0 OR sum(d.sign * d.duration_us) <> 0;\n  PERFORM complaints_complaint_rollup_compact();\n  RETURN NULL;\nEND\n$body$",
    'DROP TRIGGER IF EXISTS ops_rollup_insert ON complaints_complaint',
    'CREATE TRIGGER ops_rollup_insert AFTER INSERT ON complaints_complaint REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION complaints_complaint_rollup_insert()',
    "CREATE OR REPLACE FUNCTION complaints_complaint_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $body$\nBEGIN\n  INSERT INTO ops_rollup_complaint_created (grain, bucket, priority, status, count, folded) SELECT g.grain, CASE g.grain WHEN 0 THEN date_bin('15 minutes', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') ELSE date_bin('1 day', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') END, d.priority, d.status, sum(d.sign), FALSE FROM (SELECT created_at AS t, priority AS priority, status AS status, 1 AS sign FROM new_rows WHERE created_at IS NOT NULL AND TRUE UNION ALL SELECT created_at AS t, priority AS priority, status AS status, -1 AS sign FROM old_rows WHERE created_at IS NOT NULL AND TRUE) AS d CROSS JOIN (VALUES (0), (1)) AS g(grain) GROUP BY 1, 2, 3, 4 HAVING sum(d.sign) <> 0;\n  INSERT INTO ops_rollup_complaint_resolved (grain, bucket, outcome, count, duration_us, folded) SELECT g.grain, CASE g.grain WHEN 0 THEN date_bin('15 minutes', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') ELSE date_bin('1 day', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') END, d.outcome, sum(d.sign), sum(d.sign * d.duration_us), FALSE FROM (SELECT resolved_at AS t, CASE WHEN (resolution_due_at IS NOT NULL AND resolved_at > resolution_due_at) OR (response_due_at IS NOT NULL AND first_response_at > response_due_at) THEN 1 WHEN first_response_at IS NULL AND response_due_at IS NOT NULL THEN 2 ELSE 0 END AS outcome, ((EXTRACT(EPOCH FROM resolved_at) - EXTRACT(EPOCH FROM created_at)) * 1000000) AS duration_us, 1 AS sign FROM new_rows WHERE resolved_at IS NOT NULL AND TRUE UNION ALL SELECT resolved_at AS t, CASE WHEN (resolution_due_at IS NOT NULL AND resolved_at > resolution_due_at) OR (response_due_at IS NOT NULL AND first_response_at > response_due_at) THEN 1 WHEN first_response_at IS NULL AND response_due_at IS NOT NULL THEN 2 ELSE 0 END AS outcome, ((EXTRACT(EPOCH FROM resolved_at) - EXTRACT(EPOCH FROM created_at)) * 1000000) AS duration_us, -1 AS sign FROM old_rows WHERE resolved_at IS NOT NULL AND TRUE) AS d CROSS JOIN (VALUES (0), (1)) AS g(grain) GROUP BY 1, 2, 3 HAVING sum(d.sign) <> 0 OR sum(d.sign * d.duration_us) <> 0;\n  INSERT INTO ops_rollup_complaint_responded (grain, bucket, count, duration_us, folded) SELECT g.grain, CASE g.grain WHEN 0 THEN date_bin('15 minutes', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') ELSE date_bin('1 day', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') END, sum(d.sign), sum(d.sign * d.duration_us), FALSE FROM (SELECT first_response_at AS t, ((EXTRACT(EPOCH FROM first_response_at) - EXTRACT(EPOCH FROM created_at)) * 1000000) AS duration_us, 1 AS sign FROM new_rows WHERE first_response_at IS NOT NULL AND TRUE UNION ALL SELECT first_response_at AS t, ((EXTRACT(EPOCH FROM first_response_at) - EXTRACT(EPOCH FROM created_at)) * 1000000) AS duration_us, -1 AS sign FROM old_rows WHERE first_response_at IS NOT NULL AND TRUE) AS d CROSS JOIN (VALUES (0), (1)) AS g(grain) GROUP BY 1, 2 HAVING sum(d.sign) <> 0 OR sum(d.sign * d.duration_us) <> 0;\n  PERFORM complaints_complaint_rollup_compact();\n  RETURN NULL;\nEND\n$body$",
    'DROP TRIGGER IF EXISTS ops_rollup_update ON complaints_complaint',
    'CREATE TRIGGER ops_rollup_update AFTER UPDATE ON complaints_complaint REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION complaints_complaint_rollup_update()',
    "CREATE OR REPLACE FUNCTION complaints_complaint_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $body$\nBEGIN\n  INSERT INTO ops_rollup_complaint_created (grain, bucket, priority, status, count, folded) SELECT g.grain, CASE g.grain WHEN 0 THEN date_bin('15 minutes', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') ELSE date_bin('1 day', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') END, d.priority, d.status, sum(d.sign), FALSE FROM (SELECT created_at AS t, priority AS priority, status AS status, -1 AS sign FROM old_rows WHERE created_at IS NOT NULL AND TRUE) AS d CROSS JOIN (VALUES (0), (1)) AS g(grain) GROUP BY 1, 2, 3, 4 HAVING sum(d.sign) <> 0;\n  INSERT INTO ops_rollup_complaint_resolved (grain, bucket, outcome, count, duration_us, folded) SELECT g.grain, CASE g.grain WHEN 0 THEN date_bin('15 minutes', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') ELSE date_bin('1 day', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') END, d.outcome, sum(d.sign), sum(d.sign * d.duration_us), FALSE FROM (SELECT resolved_at AS t, CASE WHEN (resolution_due_at IS NOT NULL AND resolved_at > resolution_due_at) OR (response_due_at IS NOT NULL AND first_response_at > response_due_at) THEN 1 WHEN first_response_at IS NULL AND response_due_at IS NOT NULL THEN 2 ELSE 0 END AS outcome, ((EXTRACT(EPOCH FROM resolved_at) - EXTRACT(EPOCH FROM created_at)) * 1000000) AS duration_us, -1 AS sign FROM old_rows WHERE resolved_at IS NOT NULL AND TRUE) AS d CROSS JOIN (VALUES (0), (1)) AS g(grain) GROUP BY 1, 2, 3 HAVING sum(d.sign) <> 0 OR sum(d.sign * d.duration_us) <> 0;\n  INSERT INTO ops_rollup_complaint_responded (grain, bucket, count, duration_us, folded) SELECT g.grain, CASE g.grain WHEN 0 THEN date_bin('15 minutes', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') ELSE date_bin('1 day', d.t, TIMESTAMPTZ '2000-01-01 00:00:00+00') END, sum(d.sign), sum(d.sign * d.duration_us), FALSE FROM (SELECT first_response_at AS t, ((EXTRACT(EPOCH FROM first_response_at) - EXTRACT(EPOCH FROM created_at)) * 1000000) AS duration_us, -1 AS sign FROM old_rows WHERE first_response_at IS NOT NULL AND TRUE) AS d CROSS JOIN (VALUES (0), (1)) AS g(grain) GROUP BY 1, 2 HAVING sum(d.sign) <> 0 OR sum(d.sign * d.duration_us) <> 0;\n  PERFORM complaints_complaint_rollup_compact();\n  RETURN NULL;\nEND\n$body$",
    'DROP TRIGGER IF EXISTS ops_rollup_delete ON complaints_complaint',
    'CREATE TRIGGER ops_rollup_delete AFTER DELETE ON complaints_complaint REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION complaints_complaint_rollup_delete()',
    'CREATE OR REPLACE FUNCTION complaints_complaint_rollup_truncate() RETURNS trigger LANGUAGE plpgsql AS $body$\nBEGIN\n  DELETE FROM ops_rollup_complaint_created;\n  DELETE FROM ops_rollup_complaint_resolved;\n  DELETE FROM ops_rollup_complaint_responded;\n  RETURN NULL;\nEND\n$body$',
    'DROP TRIGGER IF EXISTS ops_rollup_truncate ON complaints_complaint',
    'CREATE TRIGGER ops_rollup_truncate AFTER TRUNCATE ON complaints_complaint FOR EACH STATEMENT EXECUTE FUNCTION complaints_complaint_rollup_truncate()',
]

UNINSTALL = [
    'DROP TRIGGER IF EXISTS ops_rollup_insert ON bookings_booking',
    'DROP FUNCTION IF EXISTS bookings_booking_rollup_insert()',
    'DROP TRIGGER IF EXISTS ops_rollup_update ON bookings_booking',
    'DROP FUNCTION IF EXISTS bookings_booking_rollup_update()',
    'DROP TRIGGER IF EXISTS ops_rollup_delete ON bookings_booking',
    'DROP FUNCTION IF EXISTS bookings_booking_rollup_delete()',
    'DROP TRIGGER IF EXISTS ops_rollup_truncate ON bookings_booking',
    'DROP FUNCTION IF EXISTS bookings_booking_rollup_truncate()',
    'DROP FUNCTION IF EXISTS bookings_booking_rollup_compact()',
    'DROP TRIGGER IF EXISTS ops_rollup_insert ON complaints_complaint',
    'DROP FUNCTION IF EXISTS complaints_complaint_rollup_insert()',
    'DROP TRIGGER IF EXISTS ops_rollup_update ON complaints_complaint',
    'DROP FUNCTION IF EXISTS complaints_complaint_rollup_update()',
    'DROP TRIGGER IF EXISTS ops_rollup_delete ON complaints_complaint',
    'DROP FUNCTION IF EXISTS complaints_complaint_rollup_delete()',
    'DROP TRIGGER IF EXISTS ops_rollup_truncate ON complaints_complaint',
    'DROP FUNCTION IF EXISTS complaints_complaint_rollup_truncate()',
    'DROP FUNCTION IF EXISTS complaints_complaint_rollup_compact()',
]


def install(apps, schema_editor):
    """Install the triggers; the summaries are current only if both tables are still empty (else: rebuild)."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in INSTALL:
            cursor.execute(statement)
        cursor.execute(
            "INSERT INTO ops_rollup_state (id, current) SELECT 1, NOT EXISTS (SELECT FROM bookings_booking) "
            "AND NOT EXISTS (SELECT FROM complaints_complaint)"
        )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for statement in UNINSTALL:
            cursor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('ops', '0003_sla_targets_move_to_complaints'),
        ('bookings', '0002_open_by_staff_index'),
        ('complaints', '0003_sla_policy'),
    ]

    operations = [
        migrations.CreateModel(
            name='RollupState',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('current', models.BooleanField(default=False)),
                ('rebuilt_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'db_table': 'ops_rollup_state',
            },
        ),
        migrations.CreateModel(
            name='BookingRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('grain', models.SmallIntegerField()),
                ('bucket', models.DateTimeField()),
                ('count', models.BigIntegerField()),
                ('folded', models.BooleanField(default=False)),
                ('status', models.CharField(max_length=20)),
                ('amount', models.DecimalField(decimal_places=2, max_digits=24)),
            ],
            options={
                'db_table': 'ops_rollup_booking',
                'indexes': [models.Index(fields=['grain', 'bucket'], include=['status', 'amount', 'count'], name='ops_rb_bucket_idx'), models.Index(condition=models.Q(('folded', False)), fields=['grain', 'bucket'], name='ops_rb_delta_idx')],
            },
        ),
        migrations.CreateModel(
            name='ComplaintCreatedRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('grain', models.SmallIntegerField()),
                ('bucket', models.DateTimeField()),
                ('count', models.BigIntegerField()),
                ('folded', models.BooleanField(default=False)),
                ('priority', models.CharField(max_length=10)),
                ('status', models.CharField(max_length=20)),
            ],
            options={
                'db_table': 'ops_rollup_complaint_created',
                'indexes': [models.Index(fields=['grain', 'bucket'], include=['priority', 'status', 'count'], name='ops_rcc_bucket_idx'), models.Index(condition=models.Q(('folded', False)), fields=['grain', 'bucket'], name='ops_rcc_delta_idx')],
            },
        ),
        migrations.CreateModel(
            name='ComplaintResolvedRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('grain', models.SmallIntegerField()),
                ('bucket', models.DateTimeField()),
                ('count', models.BigIntegerField()),
                ('folded', models.BooleanField(default=False)),
                ('outcome', models.SmallIntegerField(choices=[(0, 'No target breached, whatever now is'), (1, 'A target breached, whatever now is'), (2, 'Compliant while response_due_at >= now')])),
                ('duration_us', models.DecimalField(decimal_places=0, max_digits=32)),
            ],
            options={
                'db_table': 'ops_rollup_complaint_resolved',
                'indexes': [models.Index(fields=['grain', 'bucket'], include=['outcome', 'duration_us', 'count'], name='ops_rcr_bucket_idx'), models.Index(condition=models.Q(('folded', False)), fields=['grain', 'bucket'], name='ops_rcr_delta_idx')],
            },
        ),
        migrations.CreateModel(
            name='ComplaintRespondedRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('grain', models.SmallIntegerField()),
                ('bucket', models.DateTimeField()),
                ('count', models.BigIntegerField()),
                ('folded', models.BooleanField(default=False)),
                ('duration_us', models.DecimalField(decimal_places=0, max_digits=32)),
            ],
            options={
                'db_table': 'ops_rollup_complaint_responded',
                'indexes': [models.Index(fields=['grain', 'bucket'], include=['duration_us', 'count'], name='ops_rcp_bucket_idx'), models.Index(condition=models.Q(('folded', False)), fields=['grain', 'bucket'], name='ops_rcp_delta_idx')],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
