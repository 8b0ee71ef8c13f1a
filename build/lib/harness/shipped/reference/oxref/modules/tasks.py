"""Module `tasks`: tasks in the user's task folders, stored in the context's schema."""

from oxref.columns import TASK_FIELDS
from oxref.modules.records import RecordType, register

TASKS = RecordType(
    table="task",
    folder_module="tasks",
    fields=TASK_FIELDS,
)
register("tasks", TASKS)
