#!/usr/bin/env bash
# Builds the packages and checks them as a distribution would:
#  - contents and control data (dpkg-deb, rpm -qlp, rpm -qp --scripts),
#    the arm64 binaries' machine type, a rebuild giving the same bytes;
#  - lintian: no errors, and no warning other than the ones justified in
#    packaging/README.md;
#  - the agent's unit: systemd-analyze verify, and systemd-analyze security
#    with an exposure level below 3.0;
#  - a fresh Debian 12 minbase root (debootstrap; the pristine root is kept
#    as a tar in $VPNC_GO_TEST_CACHE, default /var/cache/vpnc-go-test):
#    install, the files where listed, vpnc-go version and profiles from the
#    installed path, the group, an upgrade, remove and purge leaving only
#    what the administrator added to /etc/vpnc-go/profile; the .rpm
#    likewise with rpm --root (scripts run inside); then both again
#    with /run/systemd/system present and a recording systemctl, for the
#    calls that enable, start, restart and stop the agent.
#
#   bash packaging/test.sh
#
# Needs root and dpkg-deb, lintian, rpm, debootstrap, systemd-analyze
# (.ci/setup installs them). Without them it skips (exit 0) unless CI=true,
# where it fails.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export PATH=$PATH:/usr/local/go/bin:/usr/sbin:/sbin
start=$SECONDS

missing=()
for tool in dpkg-deb lintian rpm debootstrap systemd-analyze chroot; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ "$(id -u)" = 0 ] || missing+=(root)
if [ ${#missing[@]} -gt 0 ]; then
	if [ "${CI:-}" = true ]; then
		echo "packaging/test.sh: missing ${missing[*]}" >&2
		exit 1
	fi
	echo "packaging/test.sh: SKIP: missing ${missing[*]} (bash .ci/setup installs them)"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "packaging/test.sh: FAIL: $*" >&2
	exit 1
}
step() { echo "== packaging: $* ($((SECONDS - start))s)"; }

step "build"
bash packaging/build.sh "$tmp/v1" >"$tmp/build1.log" 2>&1 || {
	cat "$tmp/build1.log"
	fail "build.sh"
}
version=$(sed -n 's/^build.sh: vpnc-go \([^ ]*\) (commit.*/\1/p' "$tmp/build1.log")
[ -n "$version" ] || fail "build.sh printed no version"
deb_amd64=$(echo "$tmp"/v1/vpnc-go_*_amd64.deb)
deb_arm64=$(echo "$tmp"/v1/vpnc-go_*_arm64.deb)
rpm_amd64=$(echo "$tmp"/v1/vpnc-go-[0-9]*.x86_64.rpm)
rpm_arm64=$(echo "$tmp"/v1/vpnc-go-[0-9]*.aarch64.rpm)
for f in "$deb_amd64" "$deb_arm64" "$rpm_amd64" "$rpm_arm64"; do
	[ -f "$f" ] || fail "no package $f"
done
echo "built $version: $(cd "$tmp/v1" && echo *)"

step "reproducible: a second build of the same commit"
ARCHS=amd64 bash packaging/build.sh "$tmp/again" >"$tmp/build2.log" 2>&1 || {
	cat "$tmp/build2.log"
	fail "second build"
}
cmp "$deb_amd64" "$tmp/again/$(basename "$deb_amd64")" || fail "the .deb differs between two builds"
cmp "$rpm_amd64" "$tmp/again/$(basename "$rpm_amd64")" || fail "the .rpm differs between two builds"

step "package contents"
# Paths both packages hold (the unit and the zsh completion differ by
# distribution and are checked below).
common_files="/usr/bin/vpnc-go
/usr/lib/sysusers.d/vpnc-go.conf
/etc/vpnc-go/profile
/etc/vpnc-go/certs
/usr/share/man/man1/vpnc-go.1.gz
/usr/share/man/man1/vpnc-go-connect.1.gz
/usr/share/man/man1/vpnc-go-version.1.gz
/usr/share/bash-completion/completions/vpnc-go
/usr/share/fish/vendor_completions.d/vpnc-go.fish"
deb_files="$common_files
/lib/systemd/system/vpnc-go-agent.service
/usr/share/zsh/vendor-completions/_vpnc-go
/usr/share/doc/vpnc-go/copyright
/usr/share/doc/vpnc-go/changelog.Debian.gz"
rpm_files="$common_files
/usr/lib/systemd/system/vpnc-go-agent.service
/usr/share/zsh/site-functions/_vpnc-go
/usr/share/licenses/vpnc-go/copyright"
for deb in "$deb_amd64" "$deb_arm64"; do
	dpkg-deb -c "$deb" | awk '{ print $6 }' | sed -e 's|^\.||' -e 's|/$||' >"$tmp/deb.list"
	while read -r f; do
		grep -qx "$f" "$tmp/deb.list" || fail "$(basename "$deb") lacks $f"
	done <<<"$deb_files"
	[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "$(basename "$deb"): version $(dpkg-deb -f "$deb" Version), want $version"
	for s in postinst prerm postrm; do
		dpkg-deb -I "$deb" "$s" >/dev/null || fail "$(basename "$deb") has no $s"
	done
done
dpkg-deb -I "$deb_amd64"
for rpm in "$rpm_amd64" "$rpm_arm64"; do
	rpm -qlp "$rpm" 2>/dev/null >"$tmp/rpm.list"
	while read -r f; do
		grep -qx "$f" "$tmp/rpm.list" || fail "$(basename "$rpm") lacks $f"
	done <<<"$rpm_files"
	rpm -qp --scripts "$rpm" 2>/dev/null >"$tmp/rpm.scripts"
	for s in postinstall preuninstall postuninstall; do
		grep -q "^$s scriptlet" "$tmp/rpm.scripts" || fail "$(basename "$rpm") has no $s scriptlet"
	done
	grep -q 'systemd-sysusers vpnc-go.conf' "$tmp/rpm.scripts" || fail "$(basename "$rpm"): postinstall does not create the group"
done
rpm -qlp "$rpm_amd64" 2>/dev/null

# ELF e_machine (offset 18): 0x3e x86-64, 0xb7 AArch64.
machine() { dpkg-deb --fsys-tarfile "$1" | tar -xO ./usr/bin/vpnc-go | od -An -tx1 -j18 -N1 | tr -d ' '; }
[ "$(machine "$deb_amd64")" = 3e ] || fail "the amd64 package's binary is not x86-64"
[ "$(machine "$deb_arm64")" = b7 ] || fail "the arm64 package's binary is not AArch64"

step "lintian"
# Warnings accepted, each justified in packaging/README.md.
accepted='maintainer-script-calls-systemctl|shared-library-lacks-prerequisites'
for deb in "$deb_amd64" "$deb_arm64"; do
	lintian --allow-root --no-tag-display-limit "$deb" >"$tmp/lintian.log" 2>&1 || true
	cat "$tmp/lintian.log"
	if grep -q '^E:' "$tmp/lintian.log"; then
		fail "lintian reports errors on $(basename "$deb")"
	fi
	if grep '^W:' "$tmp/lintian.log" | grep -vqE ": ($accepted) "; then
		fail "lintian warns of something not justified in packaging/README.md on $(basename "$deb")"
	fi
done

# The GUI package, built wherever cmd/vpnc-go-gui exists (amd64).
gui_deb=$(echo "$tmp"/v1/vpnc-go-gui_*_amd64.deb)
if [ -d cmd/vpnc-go-gui ] && [ "$(dpkg --print-architecture)" = amd64 ]; then
	step "the GUI package"
	[ -f "$gui_deb" ] || fail "no GUI package $gui_deb"
	dpkg-deb -c "$gui_deb" | awk '{ print $6 }' | sed -e 's|^\.||' >"$tmp/gui.list"
	for want in /usr/bin/vpnc-go-gui /usr/share/applications/vpnc-go-gui.desktop \
		/usr/share/icons/hicolor/scalable/apps/vpnc-go.svg /usr/share/icons/hicolor/48x48/apps/vpnc-go.png; do
		grep -qx "$want" "$tmp/gui.list" || fail "the GUI package lacks $want"
	done
	dpkg-deb -f "$gui_deb" Depends | grep -q 'vpnc-go (= ' || fail "the GUI package does not depend on vpnc-go of its version"
	lintian --allow-root --no-tag-display-limit "$gui_deb" >"$tmp/lintian-gui.log" 2>&1 || true
	cat "$tmp/lintian-gui.log"
	grep -q '^E:' "$tmp/lintian-gui.log" && fail "lintian reports errors on $(basename "$gui_deb")"
fi

step "the upgrade build (release 2)"
ARCHS=amd64 RELEASE=2 bash packaging/build.sh "$tmp/v2" >"$tmp/build3.log" 2>&1 || {
	cat "$tmp/build3.log"
	fail "upgrade build"
}
version2=${version%-*}-2
deb2=$(echo "$tmp"/v2/vpnc-go_*_amd64.deb)
dpkg --compare-versions "$version2" gt "$version" || fail "$version2 does not sort above $version"

step "a Debian 12 minbase root"
cache=${VPNC_GO_TEST_CACHE:-/var/cache/vpnc-go-test}
tarball=$cache/bookworm-minbase.tar
if [ ! -f "$tarball" ]; then
	# The machine's own Debian mirror, from its apt sources.
	mirror=$(awk '$1 == "URIs:" && $2 ~ /\/debian\/?$/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
	[ -n "$mirror" ] || fail "no Debian mirror in the apt sources"
	mkdir -p "$cache"
	debootstrap --variant=minbase bookworm "$tmp/bootstrap" "$mirror" >"$tmp/debootstrap.log" 2>&1 || {
		tail -20 "$tmp/debootstrap.log"
		fail "debootstrap"
	}
	tar -C "$tmp/bootstrap" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
	rm -rf "$tmp/bootstrap"
fi
root=$tmp/root
mkdir "$root"
tar -C "$root" -xf "$tarball"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
[ ! -d "$root/run/systemd/system" ] || fail "the root claims a running systemd"

# Everything but dpkg's and the logs' own records, and the backups that
# groupadd and groupdel keep of the files they change (/etc/gshadow-);
# /etc/group and gshadow by content too, since the group comes and goes.
snapshot() {
	(cd "$root" && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/log -o -path ./tmp -o -path ./var/cache/debconf \) -prune -o \
		! -path './etc/*-' -print | sort)
	cat "$root/etc/group" "$root/etc/gshadow"
}
snapshot >"$tmp/before"

step "install $version in the root"
cp "$deb_amd64" "$root/tmp/v1.deb"
in_root dpkg -i /tmp/v1.deb
while read -r f; do
	[ -e "$root$f" ] || fail "installed root lacks $f"
done <<<"$deb_files"
out=$(in_root /usr/bin/vpnc-go version)
echo "$out"
case $out in "vpnc-go $version (commit "*", built "*) ;; *) fail "vpnc-go version printed: $out" ;; esac
in_root getent group vpnc-go || fail "no vpnc-go group after install"
out=$(in_root vpnc-go profiles)
[ "$out" = "no profile hosts found" ] || fail "vpnc-go profiles in a fresh root printed: $out"

step "systemd-analyze on the installed unit"
# The minbase root has no systemd to verify against, so the host's systemd
# checks the installed unit, with ExecStart naming the installed binary in
# the root (verify checks that the command exists and is executable).
mkdir "$tmp/unit"
sed "s|^ExecStart=/usr/bin/vpnc-go|ExecStart=$root/usr/bin/vpnc-go|" \
	"$root/lib/systemd/system/vpnc-go-agent.service" >"$tmp/unit/vpnc-go-agent.service"
grep -q "^ExecStart=$root/usr/bin/vpnc-go agent\$" "$tmp/unit/vpnc-go-agent.service" || fail "the unit's ExecStart is not /usr/bin/vpnc-go agent"
systemd-analyze verify --man=no "$tmp/unit/vpnc-go-agent.service" || fail "systemd-analyze verify"
systemd-analyze security --offline=true "$tmp/unit/vpnc-go-agent.service" >"$tmp/security.log" 2>&1 || true
grep -E '^✗|Overall' "$tmp/security.log"
exposure=$(sed -n 's/.*Overall exposure level for vpnc-go-agent.service: \([0-9.]*\).*/\1/p' "$tmp/security.log")
[ -n "$exposure" ] || {
	cat "$tmp/security.log"
	fail "systemd-analyze security printed no exposure level"
}
awk -v e="$exposure" 'BEGIN { exit !(e < 3.0) }' || fail "exposure level $exposure, want below 3.0"
echo "agent unit exposure level: $exposure (below 3.0)"

step "the administrator adds a managed profile"
cp testdata/profiles/good/corp-asa.xml "$root/etc/vpnc-go/profile/corp.xml"
in_root vpnc-go profiles | tee "$tmp/profiles.out"
grep -q 'corp.xml' "$tmp/profiles.out" || fail "vpnc-go profiles does not list the managed profile"

step "upgrade to $version2"
cp "$deb2" "$root/tmp/v2.deb"
in_root dpkg -i /tmp/v2.deb
out=$(in_root vpnc-go version)
case $out in "vpnc-go $version2 "*) ;; *) fail "after the upgrade vpnc-go version printed: $out" ;; esac
in_root getent group vpnc-go >/dev/null || fail "the upgrade lost the group"
[ -f "$root/etc/vpnc-go/profile/corp.xml" ] || fail "the upgrade lost the administrator's profile"

step "remove"
in_root dpkg -r vpnc-go
[ ! -e "$root/usr/bin/vpnc-go" ] || fail "dpkg -r left /usr/bin/vpnc-go"
[ ! -e "$root/lib/systemd/system/vpnc-go-agent.service" ] || fail "dpkg -r left the unit"
[ -f "$root/etc/vpnc-go/profile/corp.xml" ] || fail "dpkg -r removed the administrator's profile"

step "purge"
in_root dpkg -P vpnc-go
in_root getent group vpnc-go && fail "dpkg -P left the vpnc-go group"
[ -f "$root/etc/vpnc-go/profile/corp.xml" ] || fail "dpkg -P removed the administrator's profile"
rm -f "$root/tmp/v1.deb" "$root/tmp/v2.deb"
snapshot >"$tmp/after"
# What the administrator added, and the folders holding it, stay; nothing
# else differs.
printf '%s\n' ./etc/vpnc-go ./etc/vpnc-go/profile ./etc/vpnc-go/profile/corp.xml >"$tmp/admin"
if ! diff <(cat "$tmp/before" "$tmp/admin" | sort) <(sort "$tmp/after"); then
	fail "after purge the root differs from before the install by more than the administrator's file"
fi

step "rpm: install, upgrade and erase in a fresh root (rpm --root runs the scripts inside it)"
rpm2=$(echo "$tmp"/v2/vpnc-go-[0-9]*.x86_64.rpm)
rroot=$tmp/rpmroot
mkdir "$rroot"
tar -C "$rroot" -xf "$tarball"
# Debian's rpm warns that it is not Debian's installer; that line is dropped.
rpm_in() {
	rpm --root "$rroot" --nodeps "$@" 2>"$tmp/rpm.err" || {
		cat "$tmp/rpm.err"
		fail "rpm $*"
	}
	grep -v -e 'should not be used directly' -e 'assuming you know' "$tmp/rpm.err" >&2 || true
}
rsnapshot() {
	(cd "$rroot" && find . -xdev \( -path ./root/.rpmdb -o -path ./var/log -o -path ./tmp \) -prune -o \
		! -path './etc/*-' -print | sort)
	cat "$rroot/etc/group" "$rroot/etc/gshadow"
}
rsnapshot >"$tmp/rbefore"
rpm_in -i "$rpm_amd64"
while read -r f; do
	[ -e "$rroot$f" ] || fail "rpm-installed root lacks $f"
done <<<"$rpm_files"
out=$(chroot "$rroot" /usr/bin/vpnc-go version)
case $out in "vpnc-go $version (commit "*) ;; *) fail "vpnc-go version from the rpm printed: $out" ;; esac
chroot "$rroot" getent group vpnc-go >/dev/null || fail "no vpnc-go group after the rpm install"
cp testdata/profiles/good/corp-asa.xml "$rroot/etc/vpnc-go/profile/corp.xml"
rpm_in -U "$rpm2"
out=$(chroot "$rroot" /usr/bin/vpnc-go version)
case $out in "vpnc-go $version2 "*) ;; *) fail "after the rpm upgrade vpnc-go version printed: $out" ;; esac
rpm_in -e vpnc-go
[ ! -e "$rroot/usr/bin/vpnc-go" ] || fail "rpm -e left /usr/bin/vpnc-go"
[ -f "$rroot/etc/vpnc-go/profile/corp.xml" ] || fail "rpm -e removed the administrator's profile"
# RPM distributions keep a package's group after erase (there is no purge);
# it is removed here so that the rest can be compared.
chroot "$rroot" getent group vpnc-go >/dev/null || fail "rpm -e removed the group"
chroot "$rroot" groupdel vpnc-go
rsnapshot >"$tmp/rafter"
# Folders that an RPM distribution's own packages own (filesystem, systemd,
# fish, zsh) and that rpm makes, unowned, in this Debian root.
printf '%s\n' ./usr/lib/sysusers.d ./usr/share/fish ./usr/share/fish/vendor_completions.d \
	./usr/share/licenses ./usr/share/zsh ./usr/share/zsh/site-functions >"$tmp/rpmdirs"
if ! diff <(cat "$tmp/rbefore" "$tmp/admin" "$tmp/rpmdirs" | sort) <(sort "$tmp/rafter"); then
	fail "after rpm -e the root differs from before the install by more than the administrator's file"
fi

step "the maintainer scripts where systemd runs (a recording systemctl)"
# No systemd can run in the root, so a stand-in systemctl, named as one,
# records how the scripts call it, and /run/systemd/system says systemd
# runs: the scripts' calls for install, upgrade, remove and purge.
shim() { # ROOT
	mkdir -p "$1/run/systemd/system"
	cat >"$1/usr/bin/systemctl" <<'SHIM'
#!/bin/sh
# test stand-in: records the call, changes nothing
echo "$*" >>/tmp/systemctl.log
SHIM
	chmod 755 "$1/usr/bin/systemctl"
}
calls() { # ROOT PHASE COMMAND...: runs the package tool, prints the phase's systemctl calls
	local r=$1 phase=$2 log
	shift 2
	: >"$r/tmp/systemctl.log"
	"$@" >/dev/null
	log=$(paste -sd ';' "$r/tmp/systemctl.log")
	printf '%s: %s\n' "$phase" "${log:-none}"
}
shim "$root"
shim "$rroot"
cp "$deb_amd64" "$root/tmp/v1.deb"
cp "$deb2" "$root/tmp/v2.deb"
{
	calls "$root" install in_root dpkg -i /tmp/v1.deb
	calls "$root" upgrade in_root dpkg -i /tmp/v2.deb
	calls "$root" remove in_root dpkg -r vpnc-go
	calls "$root" purge in_root dpkg -P vpnc-go
} >"$tmp/systemctl.calls"
cat "$tmp/systemctl.calls"
cat >"$tmp/systemctl.want" <<'WANT'
install: --quiet enable vpnc-go-agent.service;daemon-reload;start vpnc-go-agent.service
upgrade: daemon-reload;try-restart vpnc-go-agent.service
remove: stop vpnc-go-agent.service;--quiet disable vpnc-go-agent.service;daemon-reload
purge: none
WANT
diff "$tmp/systemctl.want" "$tmp/systemctl.calls" || fail "the .deb's scripts call systemctl otherwise than intended"
{
	calls "$rroot" install rpm_in -i "$rpm_amd64"
	calls "$rroot" upgrade rpm_in -U "$rpm2"
	calls "$rroot" remove rpm_in -e vpnc-go
} >"$tmp/systemctl.rpm.calls"
cat "$tmp/systemctl.rpm.calls"
head -3 "$tmp/systemctl.want" | diff - "$tmp/systemctl.rpm.calls" || fail "the .rpm's scripts call systemctl otherwise than intended"

echo "packaging/test.sh: all checks passed in $((SECONDS - start))s"
