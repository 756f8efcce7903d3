"""Start os-ken's switch test tool (os_ken.tests.switch.tester).

os-ken 4.2.2 ships no `osken-manager` script: this builds the AppManager
itself with the OpenFlow controller (ofp_handler) and the tester app. The
command line takes the tester's options as os-ken spells them, e.g.

    launcher.py --test-switch-dir DIR --test-switch-target 0000000000000001 \
        --test-switch-tester 0000000000000002 \
        --test-switch-target-version openflow13 \
        --test-switch-tester-version openflow13 \
        --ofp-listen-host 127.0.0.1 --ofp-tcp-listen-port 6653 \
        --results FILE.jsonl

--duration SECONDS (ours) overrides the traffic duration of the throughput
tests (meter, group; 30 s in os-ken's files) to make a run shorter.
--steady-rate (ours) makes the throughput tests' sender keep its rate by the
clock: os-ken sends rate x 10 ms of packets per 10 ms sleep, so every
iteration's own work slows it down (about 12 % below the asked rate on a
2-core machine), beyond the tests' +-10 % margin. It also builds the
packet-out of a fixed (not randomized) packet once and sends those bytes
again, where os-ken builds and serializes a message per packet (a few
thousand a second at most, below the 10000 and 20000 pktps tests).
--strict-port-stats (ours): by default the launcher lets os-ken parse an
OpenFlow 1.4 port-stats experimenter property whose data is not a whole
number of 32-bit words (the DPDK custom statistics that ferrovs and
Open vSwitch with DPDK send: counter names of any length); os-ken 4.2.2
raises struct.error on it and drops the whole reply, so every of14 test
that reads port counters times out. This option keeps os-ken's behaviour.
--tester-ctl PATH (ours): the tester switch's ovs-vswitchd control socket.
After every change to the tester's flows (os-ken deletes them all and adds
its in_port->CONTROLLER flow again before each test) the launcher runs
`ovs-appctl -t PATH revalidator/wait`: Open vSwitch answers the barrier
before its revalidators have updated the datapath flows, and a target
that forwards the test packet within a few milliseconds of that barrier
otherwise meets the tester's datapath flow of the intermediate, empty
table (the packet is counted on the tester's port and dropped: no
packet-in, "Receiving timeout: increment in rx_packets in tester").
--results (ours, not os-ken's) writes one JSON line per test: the test file
(relative to --test-switch-dir), the test's description, OK or ERROR and
os-ken's failure message. The tester ends the process itself (SIGTERM to its
own pid) after its report.
"""

import os
import sys

os.environ.setdefault("OSKEN_HUB_TYPE", "eventlet")

from os_ken.lib import hub  # noqa: E402

hub.patch(thread=False)

import json  # noqa: E402
import logging  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from os_ken import cfg  # noqa: E402
from os_ken import flags  # noqa: E402,F401  (registers the test-switch options)
from os_ken import log  # noqa: E402
from os_ken.base.app_manager import AppManager  # noqa: E402


def _take_arg(argv, name):
    """Removes `--NAME VALUE` from argv; returns (argv, VALUE or None)."""
    out, value = [], None
    it = iter(argv)
    for arg in it:
        if arg == name:
            value = next(it)
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
        else:
            out.append(arg)
    return out, value


class _ResultRecorder(logging.Handler):
    """Turns the tester's result lines into JSON lines.

    The tester logs `'    %-100s %s' % (description, OK|ERROR)` after each
    test and, for an error, `'        %s' % message` right after it.
    """

    def __init__(self, path, test_dir):
        super().__init__(logging.INFO)
        self.out = open(path, "a", buffering=1)
        self.test_dir = test_dir
        self.file = None
        self.pending = None

    def _flush(self):
        if self.pending is not None:
            self.out.write(json.dumps(self.pending) + "\n")
            self.pending = None

    def emit(self, record):
        if record.msg == "    %-100s %s" and len(record.args) == 2:
            self._flush()
            desc, result = record.args
            self.pending = {"file": self.file, "test": str(desc),
                            "result": str(result), "message": ""}
            if result == "OK":
                self._flush()
        elif record.msg == "        %s" and self.pending is not None:
            self.pending["message"] = str(record.args[0])
            self._flush()


def _lenient_experimenter_props():
    """os-ken's experimenter property parser, keeping a trailing partial
    word as bytes instead of failing on it."""
    import struct
    from os_ken.ofproto import ofproto_v1_4, ofproto_v1_4_parser

    cls = ofproto_v1_4_parser.OFPPropCommonExperimenter4ByteData

    @classmethod
    def parser(klass, buf):
        (type_, length, experimenter, exp_type) = struct.unpack_from(
            ofproto_v1_4.OFP_PROP_EXPERIMENTER_PACK_STR, buf, 0)
        rest = buf[ofproto_v1_4.OFP_PROP_EXPERIMENTER_SIZE:length]
        data = []
        while len(rest) >= 4:
            data.append(struct.unpack_from("!I", rest, 0)[0])
            rest = rest[4:]
        prop = klass(type_, length, experimenter, exp_type, data)
        prop.trailing = bytes(rest)
        return prop

    cls.parser = parser


def _steady_rate(tester):
    """os-ken's _send_packet_thread, with the packet count taken from the
    time elapsed since the first iteration instead of one step per sleep,
    and a fixed packet's packet-out message built once."""

    def send_packet_thread(self, arg):
        if self.ingress_event is None or self.ingress_event._cond:
            return
        now = time.monotonic()
        arg.setdefault("t0", now)
        arg.setdefault("sent", 0)
        if not arg["thread_counter"] % arg["dot_span"]:
            sys.stdout.write(".")
            sys.stdout.flush()
        arg["thread_counter"] += 1
        pktps = arg["packet_counter_inc"] / tester.CONTINUOUS_THREAD_INTVL
        count = int((now - arg["t0"]) * pktps + arg["packet_counter_inc"]) - arg["sent"]
        arg["sent"] += count

        hub.sleep(tester.CONTINUOUS_THREAD_INTVL)
        tid = hub.spawn(self._send_packet_thread, arg)
        self.ingress_threads.append(tid)
        hub.sleep(0)
        if not arg["randomize"]:
            # The same packet every time: the same packet-out message too,
            # built once (os-ken builds and serializes one per packet, which
            # caps Python at a few thousand a second).
            sw = self.tester_sw
            buf = arg.get("packet_out")
            if buf is None:
                dp, ofp = sw.dp, sw.dp.ofproto
                out = dp.ofproto_parser.OFPPacketOut(
                    datapath=dp, buffer_id=ofp.OFP_NO_BUFFER,
                    data=arg["packet_binary"], in_port=ofp.OFPP_CONTROLLER,
                    actions=[dp.ofproto_parser.OFPActionOutput(sw.tester_send_port)])
                dp.set_xid(out)
                out.serialize()
                buf = arg["packet_out"] = bytes(out.buf)
            for _ in range(count):
                if not sw.dp.send(buf):
                    self.thread_msg = "the tester's connection is closing"
                    self.ingress_event.set()
                    break
            return
        for _ in range(count):
            msg = eval("/".join(arg["packet_text"]), vars(tester))
            msg.serialize()
            try:
                self.tester_sw.send_packet_out(msg.data)
            except Exception as err:  # as os-ken does
                self.thread_msg = err
                self.ingress_event.set()
                break

    tester.OfTester._send_packet_thread = send_packet_thread


def _settle_tester(tester, ctl):
    """Waits for the tester switch's revalidators after each change to its
    flows (see --tester-ctl)."""

    def settle():
        subprocess.run(["ovs-appctl", "-t", ctl, "revalidator/wait"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=10, check=False)

    orig_init = tester.OfTester._test_initialize_flow
    orig_install = tester.OfTester._test_msg_install

    def initialize_flow(self, datapath):
        result = orig_init(self, datapath)
        if datapath is self.tester_sw:
            settle()
        return result

    def msg_install(self, datapath, message):
        result = orig_install(self, datapath, message)
        if datapath is self.tester_sw:
            settle()
        return result

    tester.OfTester._test_initialize_flow = initialize_flow
    tester.OfTester._test_msg_install = msg_install


def main():
    argv, results = _take_arg(sys.argv[1:], "--results")
    argv, tester_ctl = _take_arg(argv, "--tester-ctl")
    argv, duration = _take_arg(argv, "--duration")
    steady = "--steady-rate" in argv
    strict = "--strict-port-stats" in argv
    argv = [a for a in argv if a not in ("--steady-rate", "--strict-port-stats")]
    log.early_init_log(logging.INFO)
    cfg.CONF(args=argv, project="os_ken")
    log.init_log()

    from os_ken.tests.switch import tester

    if results:
        test_dir = os.path.abspath(cfg.CONF["test-switch"]["dir"])
        recorder = _ResultRecorder(results, test_dir)
        # An OSKenApp logs through the logger named after its class.
        logging.getLogger(tester.OfTester.__name__).addHandler(recorder)

        # Remember each test file's path so that results name their file.
        orig_get_tests = tester.TestFile._get_tests

        def get_tests(self, path):
            self.path = path
            return orig_get_tests(self, path)

        tester.TestFile._get_tests = get_tests

        orig_file_execute = tester.OfTester._test_file_execute

        def file_execute(self, testfile):
            path = getattr(testfile, "path", None)
            if path is not None:
                # The test directory holds symbolic links: keep their names.
                path = os.path.relpath(os.path.abspath(path),
                                       os.path.abspath(test_dir))
            recorder.file = path
            return orig_file_execute(self, testfile)

        tester.OfTester._test_file_execute = file_execute

    if duration:
        orig_send = tester.OfTester._continuous_packet_send

        def continuous_packet_send(self, pkt):
            pkt[tester.KEY_PACKETS][tester.KEY_DURATION_TIME] = int(duration)
            return orig_send(self, pkt)

        tester.OfTester._continuous_packet_send = continuous_packet_send

    if steady:
        _steady_rate(tester)
    if tester_ctl:
        _settle_tester(tester, tester_ctl)
    if not strict:
        _lenient_experimenter_props()

    AppManager.run_apps(["os_ken.controller.ofp_handler",
                         "os_ken.tests.switch.tester"])


if __name__ == "__main__":
    main()
