#!/bin/sh
# Starts a private system bus and a real systemd-resolved for the netcfg
# tests. Run it inside the test's network namespace and a private mount
# namespace:
#   nsenter --net=/run/netns/NS unshare --mount --propagation private sh resolved-env.sh DIR ROOT
# DIR is a scratch folder (bound over /run), ROOT the unpacked
# systemd-resolved package (dpkg-deb -x). Nothing here touches the host: the
# mounts live and die with the private mount namespace. The bus listens on
# DIR/run/dbus/system_bus_socket. The script waits until killed.
set -eu
dir=$1 root=$2

mkdir -p "$dir/run/dbus" "$dir/run/systemd/resolved.conf.d" "$dir/etc"
cp /etc/passwd "$dir/etc/passwd"
cp /etc/group "$dir/etc/group"
# resolved drops privileges to this user, and the bus policy lets only it
# own org.freedesktop.resolve1.
grep -q '^systemd-resolve:' "$dir/etc/passwd" ||
	echo 'systemd-resolve:x:991:991:systemd Resolver (test):/:/usr/sbin/nologin' >>"$dir/etc/passwd"
grep -q '^systemd-resolve:' "$dir/etc/group" || echo 'systemd-resolve:x:991:' >>"$dir/etc/group"
echo 'nameserver 127.0.0.53' >"$dir/etc/resolv.conf"

mount --bind "$dir/etc/passwd" /etc/passwd
mount --bind "$dir/etc/group" /etc/group
if [ -f /etc/resolv.conf ] && [ ! -L /etc/resolv.conf ]; then
	mount --bind "$dir/etc/resolv.conf" /etc/resolv.conf
fi
mount --bind "$dir/run" /run

cat >/run/systemd/resolved.conf.d/test.conf <<CONF
[Resolve]
DNS=
FallbackDNS=
LLMNR=no
MulticastDNS=no
DNSSEC=no
DNSOverTLS=no
Cache=no
CONF

cat >"$dir/dbus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <include>$root/usr/share/dbus-1/system.d/org.freedesktop.resolve1.conf</include>
</busconfig>
CONF

pids=
stop() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait
	exit 0
}
trap stop TERM INT HUP

dbus-daemon --config-file="$dir/dbus.conf" --nofork --nopidfile --nosyslog >"$dir/dbus.log" 2>&1 &
pids="$pids $!"
i=0
until [ -S /run/dbus/system_bus_socket ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "bus did not start" >&2; cat "$dir/dbus.log" >&2; stop; }
	sleep 0.05
done
SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_TARGET=console "$root/lib/systemd/systemd-resolved" >"$dir/resolved.log" 2>&1 &
pids="$pids $!"
echo ready >"$dir/started"
wait
