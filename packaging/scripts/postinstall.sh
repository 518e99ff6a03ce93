#!/bin/sh
# vpnc-go: after the files are in place. Debian calls it with "configure"
# (and the old version on upgrade), RPM with the number of installed
# versions (1: install, 2 or more: upgrade).
set -e

case "$1" in
configure) if [ -n "$2" ]; then action=upgrade; else action=install; fi ;;
1) action=install ;;
[2-9] | [1-9][0-9]*) action=upgrade ;;
*) exit 0 ;;
esac

# The group whose members may use the agent's socket, from the sysusers.d
# entry where systemd-sysusers exists, else with groupadd.
if command -v systemd-sysusers >/dev/null 2>&1; then
	systemd-sysusers vpnc-go.conf
elif ! getent group vpnc-go >/dev/null; then
	groupadd --system vpnc-go
fi

# Enable the agent on the first install only, so that an administrator's
# "systemctl disable" survives upgrades. systemctl enable works without a
# running systemd (it only makes links); without systemctl there is nothing
# to enable.
if [ "$action" = install ] && command -v systemctl >/dev/null 2>&1; then
	systemctl --quiet enable vpnc-go-agent.service
fi

# Start or restart it only where systemd runs (not in a chroot or container
# without it). A failed start leaves the package installed and says where
# to look.
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	if [ "$action" = install ]; then
		systemctl start vpnc-go-agent.service ||
			echo "vpnc-go: the agent did not start; see journalctl -u vpnc-go-agent" >&2
	else
		systemctl try-restart vpnc-go-agent.service ||
			echo "vpnc-go: the agent did not restart; see journalctl -u vpnc-go-agent" >&2
	fi
fi
exit 0
