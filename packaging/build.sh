#!/usr/bin/env bash
# Builds the vpnc-go packages: .deb and .rpm for amd64 and arm64 of the
# command line package vpnc-go, and, when cmd/vpnc-go-gui exists and this
# machine is amd64, of the GUI package vpnc-go-gui (a native cgo build).
#
#   bash packaging/build.sh [OUTDIR]        # default: dist/
#
# Reproducible: the same commit gives the same packages. Binaries are built
# with -trimpath and no build ID; every time stamp is SOURCE_DATE_EPOCH, by
# default the last commit's time. The version is VERSION if set, else from
# "git describe" (tag v1.2.3 gives 1.2.3, later commits 1.2.3+gitN.HASH),
# else, before the first tag, the newest version in packaging/changelog.yaml
# with "~git<commit time>.<hash>" (sorting below that release). RELEASE
# (default 1) is the package revision. ARCHS overrides "amd64 arm64".
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export PATH=$PATH:/usr/local/go/bin

out=${1:-dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)
archs=${ARCHS:-amd64 arm64}

have_git=false
if git rev-parse --git-dir >/dev/null 2>&1; then
	have_git=true
fi

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	if $have_git; then
		SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)
	else
		SOURCE_DATE_EPOCH=$(stat -c %Y go.mod)
	fi
fi
export SOURCE_DATE_EPOCH
build_date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)

commit=unknown
if $have_git; then
	commit=$(git rev-parse HEAD)
fi

base=$(awk '$1 == "-" && $2 == "semver:" { print $3; exit }' packaging/changelog.yaml)
if [ -z "${VERSION:-}" ]; then
	if $have_git && desc=$(git describe --tags --match 'v[0-9]*' --abbrev=7 2>/dev/null); then
		# v1.2.3 or v1.2.3-N-gHASH
		VERSION=$(printf '%s\n' "${desc#v}" | sed -E 's/-([0-9]+)-g([0-9a-f]+)$/+git\1.\2/')
	elif $have_git; then
		VERSION="$base~git$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S).$(git rev-parse --short=7 HEAD)"
	else
		VERSION="$base~unknown"
	fi
fi
RELEASE=${RELEASE:-1}
if ! [[ $VERSION =~ ^[0-9][0-9A-Za-z.+~]*$ ]]; then
	echo "build.sh: version $VERSION is not a package version (digits first, then letters, digits, . + ~)" >&2
	exit 1
fi
export VERSION RELEASE
full="$VERSION-$RELEASE"
echo "build.sh: vpnc-go $full (commit $commit, $build_date) into $out"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nfpm=$(go tool -n nfpm)

ldflags="-s -w -buildid= -X main.version=$full -X main.commit=$commit -X main.date=$build_date"
gobuild() { # GOARCH CGO OUTPUT PACKAGE
	GOOS=linux GOARCH=$1 CGO_ENABLED=$2 go build -trimpath -buildvcs=false -buildmode=pie \
		-ldflags "$ldflags" -o "$3" "$4"
}

# Architecture-independent files, made with a build for this machine.
common=$work/common
mkdir -p "$common/man" "$common/completions"
CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$work/vpnc-go" ./cmd/vpnc-go
"$work/vpnc-go" gen-man "$common/man"
gzip -9n "$common/man"/*.1
"$work/vpnc-go" completion bash >"$common/completions/vpnc-go.bash"
"$work/vpnc-go" completion zsh >"$common/completions/_vpnc-go"
"$work/vpnc-go" completion fish >"$common/completions/vpnc-go.fish"
bash packaging/copyright.sh ./cmd/vpnc-go >"$common/copyright"
{
	printf -- '- semver: %s\n  date: %s\n' "$full" "$build_date"
	printf '  packager: vpnc-go maintainers <maintainers@vpnc-go.org>\n'
	printf '  deb:\n    urgency: medium\n    distributions: [stable]\n'
	printf '  changes:\n    - note: Built from commit %s.\n' "${commit:0:12}"
	grep -v '^#' packaging/changelog.yaml
} >"$common/changelog.yaml"
ln -s "$repo/packaging" "$common/packaging"

# package CONFIG ARCH STAGE: the .deb and the .rpm of one configuration.
package() {
	for fmt in deb rpm; do
		(cd "$3" && ARCH=$2 "$nfpm" package --config "$1" --packager "$fmt" --target "$out/") |
			sed 's/^/build.sh: /'
	done
}

for arch in $archs; do
	stage=$work/vpnc-go-$arch
	cp -a "$common" "$stage"
	mkdir -p "$stage/bin"
	gobuild "$arch" 0 "$stage/bin/vpnc-go" ./cmd/vpnc-go
	package "$repo/packaging/nfpm/vpnc-go.yaml" "$arch" "$stage"
done

# The GUI links the system's graphics libraries (cgo): built natively for
# this machine's architecture only, which the package ships for amd64.
if [ -d cmd/vpnc-go-gui ]; then
	if [ "$(go env GOARCH)" = amd64 ]; then
		stage=$work/vpnc-go-gui-amd64
		cp -a "$common" "$stage"
		mkdir -p "$stage/bin"
		bash packaging/copyright.sh ./cmd/vpnc-go-gui >"$stage/copyright"
		gobuild amd64 1 "$stage/bin/vpnc-go-gui" ./cmd/vpnc-go-gui
		package "$repo/packaging/nfpm/vpnc-go-gui.yaml" amd64 "$stage"
	else
		echo "build.sh: vpnc-go-gui is built on amd64 machines only; skipped" >&2
	fi
else
	echo "build.sh: no cmd/vpnc-go-gui yet; the vpnc-go-gui package is not built"
fi
ls -1 "$out"
