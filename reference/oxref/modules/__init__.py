"""The OX HTTP API modules this node implements; importing them registers their actions."""

from oxref.modules import (  # noqa: F401
    calendar,
    config_tree,
    contacts,
    folders,
    infostore,
    login,
    mail,
    multiple,
    rampup,
    system,
    tasks,
)
