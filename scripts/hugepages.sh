#!/usr/bin/env bash
# Reserves 2 MiB hugepages and mounts hugetlbfs at /dev/hugepages when
# possible. Prints "hugepages" or "no-huge" (the daemon falls back to
# --no-huge by itself when none are free).
set -u
want=${HUGEPAGES:-512}
cur=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
if [ "$cur" -lt "$want" ]; then
  echo "$want" > /proc/sys/vm/nr_hugepages 2>/dev/null || true
fi
mkdir -p /dev/hugepages 2>/dev/null || true
if ! grep -qs ' /dev/hugepages hugetlbfs' /proc/mounts; then
  mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
fi
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if grep -qs ' /dev/hugepages hugetlbfs' /proc/mounts && [ "${free:-0}" -ge 64 ]; then
  echo hugepages
else
  echo no-huge
fi
