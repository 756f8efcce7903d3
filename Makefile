# ferrovs: two set-up commands for a fresh Debian 12 machine, as root.
#   make demo   build and run a bridge of DPDK vdev ports, live PMD stats and /metrics
#               (make demo CONTROLLER=learning: with the learning controller)
#   make test   every test (unit, end-to-end, conformance subset, fuzz smoke run)
#   make bench  OpenFlow workloads W1-W5: ferrovs against Open vSwitch with DPDK
#               and the testpmd ceiling (quiet machine); make bench W=W2 for one
#   make bench-control  control plane: flow-mod rate (1 M flows), packet-ins
#               under a table-miss flood, stats latency; ferrovs against Open
#               vSwitch with DPDK, ferrovs-controller-sim as the controller

.PHONY: demo test bench bench-control clean

demo:
	bash scripts/demo.sh $(if $(CONTROLLER),--controller $(CONTROLLER))

test:
	bash scripts/test.sh

bench:
	bash -c 'source scripts/setup.sh && cargo build --release -p switch -p ferrovs-cli -p ferrovs-tests --bins'
	python3 bench/openflow.py $(if $(W),--workloads $(W)) $(BENCH_ARGS)

bench-control:
	bash -c 'source scripts/setup.sh && cargo build --release -p switch -p ferrovs-cli -p controller-sim --bins'
	flock /tmp/ferrovs-bench.lock python3 bench/controlplane.py --plot bench/controlplane.png $(BENCH_ARGS)

clean:
	cargo clean
