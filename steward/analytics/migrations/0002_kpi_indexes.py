"""Indexes the KPI queries range-scan on, on tables of other apps (desk's timeline, field's work
orders). Created here, by the app whose queries need them, as plain SQL (both databases accept it)
so the owning apps' model state is untouched; they may adopt them into their Meta later.

- desk_ticketevent (type, at): the first agent replies of a period (first response time) are the
  agent_reply events in a time range; without it every timeline row is read.
- field_workorder (on_site_at): travel time and on-time arrival bucket jobs by their arrival.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("desk", "0003_ticket_queue_order_indexes"),
        ("field", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS analytics_ticketevent_type_at ON desk_ticketevent (type, at)",
            "DROP INDEX IF EXISTS analytics_ticketevent_type_at",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS analytics_workorder_on_site ON field_workorder (on_site_at)",
            "DROP INDEX IF EXISTS analytics_workorder_on_site",
        ),
    ]
