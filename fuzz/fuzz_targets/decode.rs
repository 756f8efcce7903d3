//! Fuzz target: any bytes decode to a message or a typed error, never a
//! panic; whatever decodes re-encodes for its version, the re-encoding
//! decodes again, and encoding is a fixpoint from there on
//! (encode(decode(encode(m))) == encode(m)). Printing never panics.

#![no_main]

use libfuzzer_sys::fuzz_target;
use openflow::{decode, Version};

fn hex(data: &[u8]) -> String {
    data.iter().take(96).map(|b| format!("{b:02x}")).collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok((header, message)) = decode(data) else {
        return;
    };
    let _ = openflow::print::print(&header, &message);
    let Some(version) = Version::from_wire(header.version) else {
        return;
    };
    let Ok(bytes) = message.encode(version, header.xid) else {
        return;
    };
    let (h2, m2) = match decode(&bytes) {
        Ok(x) => x,
        Err(e) => panic!(
            "re-encoded {:?} does not decode ({e}): input {}",
            message.msg_type(),
            hex(data)
        ),
    };
    assert_eq!(h2.xid, header.xid);
    assert_eq!(m2.msg_type(), message.msg_type());
    let again = m2
        .encode(version, header.xid)
        .expect("decoded message re-encodes");
    if again != bytes {
        panic!(
            "encoding of {:?} is not a fixpoint: input {}",
            message.msg_type(),
            hex(data)
        );
    }
});
