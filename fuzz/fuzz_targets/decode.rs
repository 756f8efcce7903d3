//! Fuzz target: any bytes decode to a message or a typed error, never a
//! panic; whatever decodes re-encodes, and the re-encoding decodes to the
//! same message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use openflow::{decode, Version};

fuzz_target!(|data: &[u8]| {
    let Ok((header, message)) = decode(data) else {
        return;
    };
    let Some(version) = Version::from_wire(header.version) else {
        return;
    };
    if let Ok(bytes) = message.encode(version, header.xid) {
        let (h2, m2) = decode(&bytes).expect("re-encoded message decodes");
        assert_eq!(h2.xid, header.xid);
        assert_eq!(m2, message, "decode(encode(m)) != m");
    }
    let _ = openflow::print::print(&header, &message);
});
