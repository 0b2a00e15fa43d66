#!/bin/sh
# Called by `cwfilter run --on-transition examples/notify.sh` for each alarm transition that has
# actions: the alarm's name, new state and actions are in the environment, and the notification
# the service would deliver is on standard input. Replace the echo with a call to your pager.
echo "notify: $CWFILTER_ALARM_NAME is $CWFILTER_ALARM_STATE (actions: $CWFILTER_ALARM_ACTIONS)" >&2
