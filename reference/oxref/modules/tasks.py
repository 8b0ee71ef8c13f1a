"""Module `tasks`: tasks in the user's task folders, stored in the context's schema."""

from oxref.modules.records import RecordType, register

TASKS = RecordType(
    table="task",
    folder_module="tasks",
    fields={
        200: ("title", "title"),
        203: ("note", "note"),
        300: ("status", "status"),
        301: ("percent_completed", "percent_completed"),
        309: ("priority", "priority"),
        201: ("start_date", "start_time"),
        202: ("end_date", "end_time"),
    },
)
register("tasks", TASKS)
