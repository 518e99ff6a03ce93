#!/usr/bin/env bash
# Writes a machine-readable Debian copyright file (DEP-5) for a vpnc-go
# binary: the project itself, the Go standard library and runtime, and
# every module linked into the command given (a package path such as
# ./cmd/vpnc-go), each with the licence text found in the module cache.
# Usage: copyright.sh PACKAGE > copyright
set -euo pipefail
pkg=${1:?usage: copyright.sh PACKAGE}

# license_name FILE: the DEP-5 short name of a licence text.
license_name() {
	local f=$1
	if grep -q 'Apache License' "$f" && grep -q 'Permission is hereby granted, free of charge' "$f"; then
		echo 'Expat and Apache-2.0'
	elif grep -q 'Apache License' "$f" && grep -q 'Version 2.0' "$f"; then
		echo Apache-2.0
	elif grep -q 'Mozilla Public License' "$f" && grep -q 'Version 2.0' "$f"; then
		echo MPL-2.0
	elif grep -q 'Permission is hereby granted, free of charge' "$f"; then
		echo Expat
	elif grep -q 'Redistribution and use in source and binary forms' "$f"; then
		if grep -qE 'Neither the name|names of its contributors' "$f"; then
			echo BSD-3-clause
		else
			echo BSD-2-clause
		fi
	elif grep -q 'Permission to use, copy, modify, and/or distribute' "$f"; then
		echo ISC
	else
		echo "copyright.sh: no known licence in $f" >&2
		return 1
	fi
}

# copyright_lines FILE FALLBACK: the Copyright lines of a licence text.
copyright_lines() {
	local lines
	lines=$(grep -E '^[[:space:]]*Copyright (\(c\)|©|[0-9])' "$1" | grep -v '\[' | sed -E 's/^[[:space:]]*Copyright[[:space:]]*//' || true)
	if [ -z "$lines" ]; then
		lines=$2
	fi
	# First line after the field name, the rest as continuation lines.
	printf '%s\n' "$lines" | sed '2,$s/^/ /'
}

# license_text FILE: the text as DEP-5 continuation lines (" ." for blanks).
license_text() {
	sed -e 's/[[:space:]]*$//' -e 's/^$/./' -e 's/^/ /' "$1"
}

# paragraph FILES COPYRIGHT-FALLBACK LICENSE-FILE
paragraph() {
	local name
	name=$(license_name "$3")
	printf 'Files: %s\nCopyright: %s\nLicense: %s\n' "$1" "$(copyright_lines "$3" "$2")" "$name"
	if [ "$name" = Apache-2.0 ] || [ "$name" = MPL-2.0 ]; then
		printf ' On Debian systems the full text is in /usr/share/common-licenses/%s.\n' "$name"
	else
		license_text "$3"
	fi
	echo
}

cat <<'HEAD'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: vpnc-go
Source: https://github.com/vpnc-go/vpnc-go
Comment: The binaries are built with Go and link the modules listed below;
 each paragraph names a module by its import path, with the licence text
 its source carries.

Files: *
Copyright: the vpnc-go authors
License: vpnc-go
 No licence has been chosen for vpnc-go yet; all rights are reserved by
 its authors.

HEAD

paragraph 'go/*' 'The Go Authors' "$(go env GOROOT)/LICENSE"

GOOS=linux go list -deps -f '{{with .Module}}{{if not .Main}}{{.Path}} {{.Dir}}{{end}}{{end}}' "$pkg" |
	sort -u |
	while read -r mod dir; do
		lic=
		for f in LICENSE LICENSE.txt LICENSE.md LICENSE.rst LICENCE LICENCE.txt LICENCE.md COPYING COPYING.txt COPYING.md; do
			if [ -f "$dir/$f" ]; then
				lic=$dir/$f
				break
			fi
		done
		if [ -z "$lic" ]; then
			echo "copyright.sh: no licence file in module $mod ($dir)" >&2
			exit 1
		fi
		paragraph "$mod/*" "the $mod authors" "$lic"
	done
