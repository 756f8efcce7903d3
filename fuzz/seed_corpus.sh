#!/bin/sh
# Builds the fuzz seed corpus from os-ken 4.2.2's golden OpenFlow messages.
# Usage: fuzz/seed_corpus.sh   (needs pip and python3; idempotent)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work="$here/.osken"
mkdir -p "$work" "$here/corpus/decode" "$here/corpus/framer"
if [ ! -d "$work/os_ken/tests/packet_data" ]; then
    pip download --no-deps --disable-pip-version-check -q os-ken==4.2.2 -d "$work/wheel"
    python3 - "$work" <<'PY'
import sys, zipfile, glob
w = glob.glob(sys.argv[1] + '/wheel/os_ken-*.whl')[0]
z = zipfile.ZipFile(w)
z.extractall(sys.argv[1], [n for n in z.namelist() if n.startswith('os_ken/tests/packet_data/')])
PY
fi
n=0
for d in of10 of12 of13 of14; do
    for f in "$work/os_ken/tests/packet_data/$d"/*.packet; do
        [ -s "$f" ] || continue
        base="$d-$(basename "$f" .packet)"
        cp "$f" "$here/corpus/decode/$base"
        # framer seeds: max-length byte, chunk-step byte, then the stream
        { printf '\377\007'; cat "$f" "$f"; } > "$here/corpus/framer/$base"
        n=$((n + 1))
    done
done
echo "seed corpus: $n messages"
