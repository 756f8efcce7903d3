# ferrovs: two set-up commands for a fresh Debian 12 machine, as root.
#   make demo   build and run a bridge of DPDK vdev ports, live PMD stats and /metrics
#   make test   every test (unit, end-to-end, conformance subset, fuzz smoke run)
#   make bench  cross-connect throughput beside dpdk-testpmd (quiet machine)

.PHONY: demo test bench clean

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

bench:
	cargo build --release -p switch -p ferrovs-cli -p ferrovs-tests --bins
	python3 bench/crossconnect.py

clean:
	cargo clean
