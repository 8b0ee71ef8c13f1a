#!/bin/sh
# Run Postfix in the foreground, logging to stdout.
set -e
newaliases
postfix check
exec postfix start-fg
