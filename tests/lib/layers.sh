#!/usr/bin/env bash
# tests/lib/layers.sh SRCDIR: no include runs up the layers (docs/layers.md).
#
# The layer order and the public headers each layer owns come from one
# place, SRCDIR/harness/LAYERS. Every .c and .h of the layers' folders
# (harness/*/, certs-gen/) and of harness/include/mxlab/ is scanned; each
# #include "x.h" is resolved to the folder that holds x.h, and "mxlab/x.h"
# (or <mxlab/x.h>) to the layer that owns that public header. Other <...>
# includes are system headers and are not checked. Fails (TAP not ok,
# naming FILE:LINE -> HEADER and the two layers) on:
#   - an include of a header of a higher layer (same layer or lower: fine);
#   - a *_int.h (or certs-gen's certs_compat.h) included from another folder;
#   - an include that resolves to no file, or to files in several folders;
#   - a file of harness/cli/ including anything but system headers,
#     mxlab/*.h and the CLI's own headers (mxlab.h);
#   - a folder under harness/ (or a header of harness/include/mxlab/) that
#     LAYERS does not list.
# Prints TAP.
set -u
src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src" || { echo "Bail out! cannot cd to $src"; exit 1; }


[ -f harness/LAYERS ] || { echo "Bail out! no harness/LAYERS in $src"; exit 1; }

declare -A rank folder_layer public_owner headers_in
declare -a order folders
n=0
while read -r name folder pub; do
	case $name in ''|'#'*) continue ;; esac
	rank[$name]=$n
	order[n]=$name
	n=$((n + 1))
	if [ "$folder" != - ]; then
		folder_layer[$folder]=$name
		folders+=("$folder")
	fi
	for h in $pub; do public_owner[$h]=$name; done
done <harness/LAYERS

t=0
fails=0
ok() { t=$((t + 1)); echo "ok $t - $*"; }
not_ok() { t=$((t + 1)); fails=$((fails + 1)); echo "not ok $t - $*"; }

# Every folder of the harness has a layer; every public header an owner.
bad=
for d in harness/*/; do
	d=${d%/}
	[ "$d" = harness/include ] && continue
	[ -n "${folder_layer[$d]:-}" ] || bad="$bad $d"
done
if [ -z "$bad" ]; then ok "every folder under harness/ has a layer in harness/LAYERS"
else not_ok "folders missing from harness/LAYERS:$bad"; fi
bad=
for f in harness/include/mxlab/*.h; do
	h=${f##*/}
	[ -n "${public_owner[$h]:-}" ] || bad="$bad mxlab/$h"
done
if [ -z "$bad" ]; then ok "every public header has an owning layer in harness/LAYERS"
else not_ok "public headers no layer owns in harness/LAYERS:$bad"; fi

# Which folders hold each header name.
for d in "${folders[@]}"; do
	for f in "$d"/*.h; do
		[ -e "$f" ] || continue
		h=${f##*/}
		headers_in[$h]="${headers_in[$h]:-} $d"
	done
done

private_header() {
	case $1 in *_int.h|certs_compat.h) return 0 ;; esac
	return 1
}

nincl=0
nfiles=0
files=()
for d in "${folders[@]}"; do
	for f in "$d"/*.c "$d"/*.h; do [ -e "$f" ] && files+=("$f"); done
done
for f in harness/include/mxlab/*.h; do files+=("$f"); done

for f in "${files[@]}"; do
	nfiles=$((nfiles + 1))
	case $f in
	harness/include/mxlab/*) from=${public_owner[${f##*/}]:-}; fdir=harness/include ;;
	*) fdir=${f%/*}; from=${folder_layer[$fdir]} ;;
	esac
	[ -n "$from" ] || continue	# reported above
	while IFS=: read -r line text; do
		hdr=$(printf '%s\n' "$text" | sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]\([^">]*\)[">].*/\1/p')
		[ -n "$hdr" ] || continue
		case $text in *'<'*) case $hdr in mxlab/*) ;; *) continue ;; esac ;; esac
		nincl=$((nincl + 1))
		where="$f:$line -> $hdr"
		case $hdr in
		mxlab/*)
			h=${hdr#mxlab/}
			to=${public_owner[$h]:-}
			if [ ! -f "harness/include/mxlab/$h" ] || [ -z "$to" ]; then
				not_ok "$where: resolves to no public header (harness/include/mxlab/, owned in harness/LAYERS)"
				continue
			fi
			tdir=harness/include
			;;
		*/*)
			not_ok "$where: a path in an include (layer $from): include the header by its name"
			continue
			;;
		*)
			set -- ${headers_in[$hdr]:-}
			if [ $# -eq 0 ]; then
				not_ok "$where: resolves to no file in the layers' folders (layer $from)"
				continue
			fi
			if [ $# -gt 1 ]; then
				not_ok "$where: resolves to several files (layer $from):$(printf ' %s/'"$hdr" "$@")"
				continue
			fi
			tdir=$1
			to=${folder_layer[$tdir]}
			if private_header "$hdr" && [ "$tdir" != "$fdir" ]; then
				not_ok "$where: $tdir/$hdr is private to its folder (layer $from -> layer $to)"
				continue
			fi
			if [ "$from" = cli ] && [ "$tdir" != harness/cli ]; then
				not_ok "$where: the CLI includes only system headers, mxlab/*.h and its own (cli -> $to, $tdir/$hdr)"
				continue
			fi
			;;
		esac
		if [ "${rank[$to]}" -gt "${rank[$from]}" ]; then
			not_ok "$where: runs up the layers (layer $from -> layer $to)"
		fi
	done < <(grep -n '^[[:space:]]*#[[:space:]]*include' "$f")
done

if [ "$fails" -eq 0 ]; then
	ok "$nincl includes in $nfiles files, layers ${order[*]}: none runs up or crosses into a private header"
else
	not_ok "$fails includes break the layer rules (docs/layers.md)"
fi
echo "1..$t"
