#!/bin/sh
# vpnc-go: after the files are gone. Debian calls it with "remove" or
# "purge", RPM with the number of versions left (0: erase).
#
# Purge removes what the package made outside its file list: the agent's
# state and runtime folders and the vpnc-go group. The managed profile and
# certificate folders are package folders: dpkg removes them only when
# empty, so what an administrator put there stays.
set -e

case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload || true
	fi
	;;
purge)
	rm -rf /var/lib/vpnc-go /run/vpnc-go
	# groupdel refuses while the group is some user's primary group: the
	# purge goes on and says so.
	if getent group vpnc-go >/dev/null; then
		groupdel vpnc-go ||
			echo "vpnc-go: the vpnc-go group is some user's primary group; not removed" >&2
	fi
	;;
esac
exit 0
