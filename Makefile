# ferrovs: two set-up commands for a fresh Debian 12 machine, as root.
#   make demo   build and run a bridge of DPDK vdev ports, live PMD stats and /metrics
#               (make demo CONTROLLER=learning: with the learning controller)
#   make test   every test (unit, end-to-end, conformance subset, fuzz smoke run)
#   make bench  OpenFlow workloads W1-W5: ferrovs against Open vSwitch with DPDK
#               and the testpmd ceiling (quiet machine); make bench W=W2 for one

.PHONY: demo test bench clean

demo:
	bash scripts/demo.sh $(if $(CONTROLLER),--controller $(CONTROLLER))

test:
	bash scripts/test.sh

bench:
	bash -c 'source scripts/setup.sh && cargo build --release -p switch -p ferrovs-cli -p ferrovs-tests --bins'
	python3 bench/openflow.py $(if $(W),--workloads $(W)) $(BENCH_ARGS)

clean:
	cargo clean
