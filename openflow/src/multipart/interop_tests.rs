//! Cross-checks with Open vSwitch's decoder: replies encoded here are
//! printed by `ovs-ofctl ofp-print`, which must show our values. Skipped
//! (with a note) where `ovs-ofctl` is not installed.

use std::process::Command;

use super::*;

/// Wraps an encoded multipart reply in an `ofp_header` (type 17 in 1.0,
/// 19 after) and returns `ovs-ofctl ofp-print`'s output, or `None` when
/// the tool is missing.
fn ofp_print(version: Version, reply: &MultipartReply) -> Option<String> {
    let mut msg = vec![
        version.wire(),
        if version == Version::V1_0 { 17 } else { 19 },
        0,
        0,
        0,
        0,
        0,
        7,
    ];
    reply.encode(version, &mut msg).unwrap();
    let len = u16::try_from(msg.len()).unwrap();
    msg[2..4].copy_from_slice(&len.to_be_bytes());
    let out = match Command::new("ovs-ofctl")
        .arg("ofp-print")
        .arg(hex::encode(&msg))
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            println!("note: ovs-ofctl not found; skipping the Open vSwitch cross-check");
            return None;
        }
    };
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ovs-ofctl failed: {text}");
    assert!(
        !text.contains("decode error"),
        "ovs-ofctl could not decode: {text}"
    );
    Some(text)
}

#[test]
fn ovs_prints_v14_port_stats_with_intel_custom_counters() {
    let ps = PortStats {
        port_no: 1,
        duration_sec: 2,
        duration_nsec: 3,
        rx_packets: 1,
        tx_packets: 2,
        rx_bytes: 3,
        tx_bytes: 4,
        rx_dropped: 5,
        tx_dropped: 6,
        rx_errors: 7,
        tx_errors: 8,
        ethernet: Some(PortStatsEthernet {
            rx_frame_err: 9,
            rx_over_err: 10,
            rx_crc_err: 11,
            collisions: 12,
        }),
        optical: None,
        experimenter: vec![
            PortStatsExperimenter::IntelRfc2819(IntelRfc2819Stats::from_array(
                std::array::from_fn(|k| k as u64 + 100),
            )),
            PortStatsExperimenter::IntelCustom(vec![
                CustomCounter {
                    name: "rx_q0_packets".into(),
                    value: 7,
                },
                CustomCounter {
                    name: "tx_q0_bytes".into(),
                    value: 4242,
                },
            ]),
        ],
    };
    let reply = MultipartReply {
        flags: 0,
        body: MultipartReplyBody::PortStats(vec![ps]),
    };
    let Some(text) = ofp_print(Version::V1_4, &reply) else {
        return;
    };
    for want in [
        "port  1: rx pkts=1, bytes=3, drop=5, errs=7, frame=9, over=10, crc=11",
        "tx pkts=2, bytes=4, drop=6, errs=8, coll=12",
        "duration=2.000000003s",
        "rx rfc2819 1_to_64_packets=100,",
        "rx_jabber_errors=120",
        "tx rfc2819 1_to_64_packets=107,",
        "CUSTOM Statistics",
        "rx_q0_packets=7, tx_q0_bytes=4242,",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

#[test]
fn ovs_prints_port_stats_of_older_versions() {
    let ps = PortStats {
        port_no: 0xffff_fffe,
        rx_packets: 11,
        tx_bytes: 22,
        ethernet: Some(PortStatsEthernet {
            rx_crc_err: 33,
            ..Default::default()
        }),
        duration_sec: 4,
        duration_nsec: 500_000_000,
        ..Default::default()
    };
    let reply = MultipartReply {
        flags: 0,
        body: MultipartReplyBody::PortStats(vec![ps]),
    };
    for v in [Version::V1_0, Version::V1_3] {
        let Some(text) = ofp_print(v, &reply) else {
            return;
        };
        assert!(text.contains("port LOCAL: rx pkts=11"), "{v}:\n{text}");
        assert!(text.contains("crc=33"), "{v}:\n{text}");
        assert!(text.contains("bytes=22"), "{v}:\n{text}");
        assert_eq!(
            text.contains("duration=4.500s"),
            v == Version::V1_3,
            "{v}:\n{text}"
        );
    }
}

#[test]
fn ovs_prints_group_meter_and_table_replies() {
    let cases = [
        (
            Version::V1_3,
            MultipartReplyBody::Group(vec![GroupStats {
                group_id: 5,
                ref_count: 1,
                packet_count: 123,
                byte_count: 4567,
                duration_sec: 9,
                duration_nsec: 0,
                bucket_stats: vec![BucketCounter {
                    packet_count: 120,
                    byte_count: 4500,
                }],
            }]),
            vec![
                "group_id=5",
                "packet_count=123",
                "byte_count=4567",
                "bucket0:packet_count=120,byte_count=4500",
            ],
        ),
        (
            Version::V1_3,
            MultipartReplyBody::Meter(vec![MeterStats {
                meter_id: 3,
                flow_count: 2,
                packet_in_count: 77,
                byte_in_count: 88,
                duration_sec: 1,
                duration_nsec: 0,
                band_stats: vec![MeterBandStats {
                    packet_band_count: 5,
                    byte_band_count: 6,
                }],
            }]),
            vec![
                "meter:3",
                "flow_count:2",
                "packet_in_count:77",
                "byte_in_count:88",
                "packet_count:5",
                "byte_count:6",
            ],
        ),
        (
            Version::V1_3,
            MultipartReplyBody::Table(vec![TableStats {
                table_id: 0,
                active_count: 4,
                lookup_count: 10,
                matched_count: 8,
                ..Default::default()
            }]),
            vec!["active=4", "lookup=10", "matched=8"],
        ),
        (
            Version::V1_4,
            MultipartReplyBody::TableDesc(vec![TableDesc {
                table_id: 2,
                // OFPTC14_VACANCY_EVENTS
                config: 1 << 3,
                eviction: Some(0),
                vacancy: Some(TableVacancy {
                    vacancy_down: 20,
                    vacancy_up: 80,
                    vacancy: 50,
                }),
                experimenter: vec![],
            }]),
            vec![
                "table 2:",
                "vacancy=on",
                "vacancy_down=20%",
                "vacancy_up=80%",
            ],
        ),
        (
            Version::V1_3,
            MultipartReplyBody::Aggregate(AggregateStats {
                packet_count: 31,
                byte_count: 32,
                flow_count: 33,
            }),
            vec!["packet_count=31", "byte_count=32", "flow_count=33"],
        ),
    ];
    for (v, body, wants) in cases {
        let reply = MultipartReply { flags: 0, body };
        let Some(text) = ofp_print(v, &reply) else {
            return;
        };
        for want in wants {
            assert!(text.contains(want), "{v}: missing {want:?} in:\n{text}");
        }
    }
}

/// Removes the socket file and stops `ovs-ofctl` even when a check fails.
struct Session {
    child: std::process::Child,
    path: std::path::PathBuf,
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Plays a minimal switch on a unix socket for one `ovs-ofctl` command in
/// `version`: answers hello, features, barrier and echo requests, captures
/// the first stats/multipart request, answers it with `respond(request)`
/// (nothing when that is empty) and returns the request bytes and what
/// `ovs-ofctl` printed. `None` when `ovs-ofctl` is missing.
fn serve_ovs_ofctl(
    version: Version,
    args: &[&str],
    respond: impl FnOnce(&MultipartRequest) -> Vec<MultipartReply>,
) -> Option<(Vec<u8>, String)> {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixListener;
    use std::time::{Duration, Instant};

    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("ofmulti-{}-{n}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    listener.set_nonblocking(true).unwrap();
    let child = match Command::new("ovs-ofctl")
        .arg("-O")
        .arg(version.ovs_name())
        .arg(args[0])
        .arg(format!("unix:{}", path.display()))
        .args(&args[1..])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(_) => {
            println!("note: ovs-ofctl not found; skipping the Open vSwitch session");
            let _ = std::fs::remove_file(&path);
            return None;
        }
    };
    let mut session = Session { child, path };
    // Read what ovs-ofctl prints while it runs, so that a full pipe never blocks it.
    let mut stdout = session.child.stdout.take().unwrap();
    let mut reader = Some(std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    }));
    let deadline = Instant::now() + Duration::from_secs(10);
    let v = version.wire();
    let (mp_request, mp_reply) = if version == Version::V1_0 {
        (16, 17)
    } else {
        (18, 19)
    };
    let (barrier_request, barrier_reply) = if version == Version::V1_0 {
        (18, 19)
    } else {
        (20, 21)
    };
    let mut respond = Some(respond);
    let mut captured = None;
    // ovs-ofctl may open more than one connection (e.g. it asks for the
    // features on one and dumps on the next): serve each in turn until it
    // has sent its request and, when answered, exited.
    'connections: loop {
        let mut stream = loop {
            if captured.is_some() && matches!(session.child.try_wait(), Ok(Some(_))) {
                break 'connections;
            }
            match listener.accept() {
                Ok((s, _)) => break s,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(e) => panic!("ovs-ofctl {version} {args:?} timed out: {e}"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(&[v, 0, 0, 8, 0, 0, 0, 0]).unwrap();
        loop {
            let mut msg = vec![0u8; 8];
            if stream.read_exact(&mut msg).is_err() {
                continue 'connections;
            }
            let len = usize::from(u16::from_be_bytes([msg[2], msg[3]]));
            assert!(len >= 8);
            msg.resize(len, 0);
            stream.read_exact(&mut msg[8..]).unwrap();
            let xid = [msg[4], msg[5], msg[6], msg[7]];
            match msg[1] {
                t if t == mp_request && captured.is_none() => {
                    let req = MultipartRequest::decode(version, &msg[8..])
                        .unwrap_or_else(|e| panic!("{version} {args:?}: {e}"));
                    let replies = respond.take().map(|f| f(&req)).unwrap_or_default();
                    captured = Some(msg);
                    if replies.is_empty() {
                        break 'connections;
                    }
                    for reply in replies {
                        let mut out = vec![v, mp_reply, 0, 0];
                        out.extend_from_slice(&xid);
                        reply.encode(version, &mut out).unwrap();
                        let len = u16::try_from(out.len()).expect("reply split below 64 KiB");
                        out[2..4].copy_from_slice(&len.to_be_bytes());
                        stream.write_all(&out).unwrap();
                    }
                }
                t if t == barrier_request => {
                    stream
                        .write_all(&[&[v, barrier_reply, 0, 8][..], &xid].concat())
                        .unwrap();
                }
                // Features request: a reply without ports.
                5 => {
                    let mut reply = vec![v, 6, 0, 32];
                    reply.extend_from_slice(&xid);
                    reply.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 254, 0, 0, 0]);
                    reply.extend_from_slice(&[0; 8]);
                    stream.write_all(&reply).unwrap();
                }
                // Echo request.
                2 => {
                    let mut reply = msg.clone();
                    reply[1] = 3;
                    stream.write_all(&reply).unwrap();
                }
                _ => {}
            }
        }
    }
    let printed = if captured.is_some() && matches!(session.child.try_wait(), Ok(Some(_))) {
        reader.take().map(|r| r.join().unwrap()).unwrap_or_default()
    } else {
        String::new()
    };
    captured.map(|msg| (msg, printed))
}

#[test]
fn requests_sent_by_ovs_ofctl_reencode_exactly() {
    let mut cases: Vec<(Version, &[&str])> = Vec::new();
    for v in Version::ALL {
        for args in [
            &["dump-desc"][..],
            &["dump-tables"],
            &["dump-ports"],
            &["dump-ports", "3"],
            &["dump-ports-desc"],
            &["queue-stats"],
            &["queue-stats", "1", "2"],
            &["dump-flows", "table=3,ip,nw_dst=10.0.0.0/8"],
            &["dump-aggregate", "out_port=2"],
        ] {
            cases.push((v, args));
        }
        if v >= Version::V1_1 {
            cases.push((v, &["dump-groups"]));
            cases.push((v, &["dump-group-stats", "group_id=5"]));
        }
        if v >= Version::V1_2 {
            cases.push((v, &["dump-group-features"]));
        }
        if v >= Version::V1_3 {
            cases.push((v, &["dump-meters"]));
            cases.push((v, &["meter-stats", "meter=7"]));
            cases.push((v, &["meter-features"]));
            cases.push((v, &["dump-table-features"]));
        }
        if v >= Version::V1_4 {
            cases.push((v, &["dump-table-desc"]));
            cases.push((v, &["queue-get-config", "1"]));
        }
    }
    for (version, args) in cases {
        let Some((msg, _)) = serve_ovs_ofctl(version, args, |_| Vec::new()) else {
            return;
        };
        assert_eq!(msg[0], version.wire(), "{args:?}");
        let req = MultipartRequest::decode(version, &msg[8..])
            .unwrap_or_else(|e| panic!("{version} {args:?}: {e}"));
        let mut out = Vec::new();
        req.encode(version, &mut out).unwrap();
        assert_eq!(
            hex::encode(&out),
            hex::encode(&msg[8..]),
            "{version} {args:?}"
        );
    }
}

#[test]
fn ovs_ofctl_reassembles_split_replies() {
    // 300 ports of 1.4 statistics with Intel counters, and 2000 flows in
    // 1.3, each split into messages of at most 4 KiB.
    let Some((_, printed)) = serve_ovs_ofctl(Version::V1_4, &["dump-ports"], |req| {
        assert!(matches!(
            req.body,
            MultipartRequestBody::PortStats(PortStatsRequest {
                port_no: 0xffff_ffff
            })
        ));
        let ports = (1..=300)
            .map(|port_no| PortStats {
                port_no,
                rx_packets: u64::from(port_no) * 10,
                ethernet: Some(PortStatsEthernet::default()),
                experimenter: vec![PortStatsExperimenter::IntelCustom(vec![CustomCounter {
                    name: "rx_missed_errors".into(),
                    value: u64::from(port_no),
                }])],
                ..Default::default()
            })
            .collect();
        let parts = MultipartReply {
            flags: 0,
            body: MultipartReplyBody::PortStats(ports),
        }
        .split(Version::V1_4, 4096);
        assert!(parts.len() > 5);
        parts
    }) else {
        return;
    };
    assert_eq!(printed.matches("rx pkts=").count(), 300, "{printed}");
    assert!(printed.contains("port 300: rx pkts=3000,"), "{printed}");
    assert!(printed.contains("rx_missed_errors=300,"), "{printed}");

    let Some((_, printed)) = serve_ovs_ofctl(Version::V1_3, &["dump-flows"], |req| {
        let MultipartRequestBody::Flow(r) = &req.body else {
            panic!("{req:?}")
        };
        assert_eq!(r.table_id, 0xff);
        let flows = (0..2000u16)
            .map(|k| FlowStats {
                table_id: 0,
                duration_sec: 1,
                duration_nsec: 0,
                priority: k,
                idle_timeout: 0,
                hard_timeout: 0,
                flags: 0,
                importance: 0,
                cookie: u64::from(k),
                packet_count: 0,
                byte_count: 0,
                match_: crate::flow_match::Match::default(),
                instructions: Default::default(),
            })
            .collect();
        MultipartReply {
            flags: 0,
            body: MultipartReplyBody::Flow(flows),
        }
        .split(Version::V1_3, 4096)
    }) else {
        return;
    };
    assert_eq!(printed.matches("cookie=").count(), 2000, "{printed}");
    assert!(printed.contains("priority=1999"), "{printed}");
}
