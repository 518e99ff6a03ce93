#!/bin/sh
# vpnc-go: before the files go. Debian calls it with "remove" (or "upgrade"
# when a new version replaces this one), RPM with the number of versions
# left (0: erase, 1: upgrade). On upgrade the agent keeps running until the
# new version's postinstall restarts it.
set -e

case "$1" in
remove | 0) ;;
*) exit 0 ;;
esac

if [ -d /run/systemd/system ]; then
	systemctl stop vpnc-go-agent.service || true
fi
if command -v systemctl >/dev/null 2>&1; then
	systemctl --quiet disable vpnc-go-agent.service || true
fi
exit 0
