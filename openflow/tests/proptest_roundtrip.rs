//! decode(encode(m)) == m for generated messages of every type and version.

use openflow::message_strategies::arb_message;
use openflow::{decode, Version};
use proptest::prelude::*;

fn round_trip(version: Version, xid: u32, message: openflow::Message) -> Result<(), TestCaseError> {
    let bytes = message
        .encode(version, xid)
        .map_err(|e| TestCaseError::fail(format!("encode: {e}")))?;
    prop_assert_eq!(
        usize::from(u16::from_be_bytes([bytes[2], bytes[3]])),
        bytes.len()
    );
    let (header, back) = decode(&bytes)
        .map_err(|e| TestCaseError::fail(format!("decode: {e} of {}", hex::encode(&bytes))))?;
    prop_assert_eq!(header.version, version.wire());
    prop_assert_eq!(header.xid, xid);
    prop_assert_eq!(&back, &message);
    // Encoding is deterministic: the decoded copy gives the same bytes.
    prop_assert_eq!(back.encode(version, xid).expect("re-encode"), bytes);
    Ok(())
}

macro_rules! version_test {
    ($name:ident, $v:expr) => {
        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
            #[test]
            fn $name(xid in any::<u32>(), message in arb_message($v)) {
                round_trip($v, xid, message)?;
            }
        }
    };
}

version_test!(of10_messages_round_trip, Version::V1_0);
version_test!(of11_messages_round_trip, Version::V1_1);
version_test!(of12_messages_round_trip, Version::V1_2);
version_test!(of13_messages_round_trip, Version::V1_3);
version_test!(of14_messages_round_trip, Version::V1_4);
