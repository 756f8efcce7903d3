//! Flow dumps sent as they are encoded.
//!
//! A flow-stats reply may hold a million entries (100 MB). The rules a
//! request selects are taken under the bridge's lock ([`Tables::select_flows`]:
//! one reference each, in reply order); the lock is then released and
//! the entries are encoded a chunk at a time, each chunk written to the
//! socket before the next is made. The reply goes out through one small
//! buffer that stays in cache, whatever its size: no reply is ever held
//! whole in memory, and other connections use the bridge while it is
//! sent. Every entry's duration is counted up to the request; its
//! counters are read as it is encoded, as Open vSwitch reads them while it
//! builds its reply.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use openflow::multipart::{encode_instructions, FlowStatsRequest, ReplyWriter, OFPMP_FLOW};
use openflow::{EncodeError, ErrorKind, Version};

use super::table::{prefetch_actions, prefetch_payload, stats_head, FlowRule, RuleHandle, Tables};
use super::MAX_REPLY_LEN;
use crate::classifier::Rule;
use crate::flow::{Flow, MatchBuilder, FLOW_WORDS};

/// Bytes of whole messages a connection writes to its socket at a time
/// while it sends a flow dump: enough for the write call to cost little
/// per entry, small enough for the buffer to stay in the core's cache.
pub const DUMP_CHUNK: usize = 256 << 10;

/// Rules requested ahead of the one being encoded: the whole rule (key,
/// mask, priority, payload) this far ahead, its counters and instructions
/// half as far (their addresses are in the rule), and their action lists
/// a quarter as far.
const READ_AHEAD: usize = 16;

/// Flow dumps of the process made and not yet dropped (sent, or given
/// up with their connection).
static IN_PROGRESS: AtomicUsize = AtomicUsize::new(0);

/// Number of flow dumps being sent, on every bridge: the unlinking of
/// removed rules, which shares the control thread with them, waits while
/// there are some (see the daemon's collection task).
pub fn in_progress() -> usize {
    IN_PROGRESS.load(Ordering::Relaxed)
}

/// A flow-stats reply being sent: the selected rules and the reply's
/// encoder. [`FlowDump::next_chunk`] gives its bytes a chunk at a time.
pub struct FlowDump {
    /// Rules not encoded yet, in reply order.
    rules: std::vec::IntoIter<RuleHandle>,
    version: Version,
    /// The request's transaction id (the reply's).
    xid: u32,
    /// The instant every entry's duration is counted up to
    /// ([`Tables::now_ns`]).
    now_ns: u64,
    matches: MatchBuilder,
    /// The rule encoded last: the next one with its mask (most often)
    /// reuses the match's layout without comparing masks, and one with
    /// its instructions (shared by equal instructions made in a row)
    /// copies their bytes.
    last: Option<RuleHandle>,
    /// The instructions of `last`, encoded.
    last_instructions: Vec<u8>,
    /// The reply's encoder; `None` once its last message has been ended
    /// (and given out).
    writer: Option<ReplyWriter>,
    /// The reply's bytes not sent yet: whole messages, then the message
    /// being written.
    buf: Vec<u8>,
    /// Entries left out (each one too long for a message), and the first
    /// reason.
    skipped: Option<(usize, EncodeError)>,
}

impl FlowDump {
    /// Selects the rules of `req` in `tables` for a reply in `version` to
    /// request `xid`. Fails as the request would (a bad table id, an
    /// invalid match) before anything is encoded.
    pub fn new(
        tables: &Tables,
        req: &FlowStatsRequest,
        version: Version,
        xid: u32,
    ) -> Result<FlowDump, ErrorKind> {
        let rules = tables.select_flows(req, version)?;
        let mut buf = Vec::new();
        let writer = ReplyWriter::new(&mut buf, version, xid, OFPMP_FLOW, MAX_REPLY_LEN)
            .map_err(|_| ErrorKind::BadMultipart)?;
        // Counted down when dropped.
        IN_PROGRESS.fetch_add(1, Ordering::Relaxed);
        Ok(FlowDump {
            rules: rules.into_iter(),
            version,
            xid,
            now_ns: tables.now_ns(),
            matches: MatchBuilder::default(),
            last: None,
            last_instructions: Vec::new(),
            writer: Some(writer),
            buf,
            skipped: None,
        })
    }

    /// Entries not encoded yet.
    pub fn remaining(&self) -> usize {
        self.rules.len()
    }

    /// The reply's next bytes: whole messages, at least `min_len` bytes of
    /// them unless they are the last; `None` once everything has been
    /// given. The bytes given before are forgotten (they have been sent).
    pub fn next_chunk(&mut self, min_len: usize) -> Option<&[u8]> {
        let FlowDump {
            rules,
            version,
            xid,
            now_ns,
            matches,
            last,
            last_instructions,
            writer,
            buf,
            skipped,
        } = self;
        let w = writer.as_mut()?;
        w.drain_closed(buf);
        while w.closed() < min_len {
            let ahead = rules.as_slice();
            if let Some(r) = ahead.get(READ_AHEAD) {
                crate::dpif::prefetch::<Rule<FLOW_WORDS, FlowRule>>(r);
            }
            if let Some(r) = ahead.get(READ_AHEAD / 2) {
                prefetch_payload(r.payload());
            }
            if let Some(r) = ahead.get(READ_AHEAD / 4) {
                prefetch_actions(r.payload());
            }
            let Some(rule) = rules.next() else {
                // The message being written is the last (a dump of no
                // flows is that one empty message).
                if let Some(w) = writer.take() {
                    w.finish(buf);
                }
                if let Some((n, e)) = skipped.take() {
                    tracing::warn!("flow stats reply to xid {xid}: {n} entries left out: {e}");
                }
                return Some(buf);
            };
            let head = stats_head(&rule, *now_ns, *version);
            let (same_mask, same_instructions) = last.as_ref().map_or((false, false), |l| {
                (
                    l.same_mask(&rule),
                    Arc::ptr_eq(&l.payload().instructions, &rule.payload().instructions),
                )
            });
            let put_match = |out: &mut Vec<u8>| {
                let key = Flow::from_words(rule.key());
                let mask = Flow::from_words_ref(rule.mask());
                matches.encode(&key, mask, same_mask, *version, out)
            };
            let put_instructions = |out: &mut Vec<u8>| {
                if !same_instructions {
                    last_instructions.clear();
                    encode_instructions(&rule.payload().instructions, *version, last_instructions)
                        .inspect_err(|_| last_instructions.clear())?;
                }
                out.extend_from_slice(last_instructions);
                Ok(())
            };
            let encoded = w.entry(buf, |out| {
                head.encode_with(*version, out, put_match, put_instructions)
            });
            match encoded {
                // The instructions' bytes are those of the rule kept.
                Ok(()) => *last = Some(rule),
                Err(e) => {
                    skipped.get_or_insert((0, e)).0 += 1;
                    *last = None;
                }
            }
        }
        Some(&buf[..w.closed()])
    }
}

impl Drop for FlowDump {
    fn drop(&mut self) {
        IN_PROGRESS.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_table_gives_one_empty_message() {
        let tables = Tables::default();
        let mut dump = FlowDump::new(&tables, &FlowStatsRequest::all(), Version::V1_3, 7)
            .expect("a valid request");
        assert!(in_progress() >= 1, "a dump made is counted until dropped");
        assert_eq!(dump.remaining(), 0);
        let bytes = dump.next_chunk(DUMP_CHUNK).expect("one message").to_vec();
        assert!(dump.next_chunk(DUMP_CHUNK).is_none());
        match openflow::decode(&bytes) {
            Ok((h, openflow::Message::MultipartReply(r))) => {
                assert_eq!(h.xid, 7);
                assert_eq!(r.flags, 0);
                assert_eq!(
                    r.body,
                    openflow::multipart::MultipartReplyBody::Flow(vec![])
                );
            }
            other => panic!("{other:?}"),
        }
        let mut bad = FlowStatsRequest::all();
        bad.table_id = 254;
        assert_eq!(
            FlowDump::new(&tables, &bad, Version::V1_3, 8).err(),
            Some(ErrorKind::BadTableId)
        );
    }
}
