//! Fuzz target: the streaming framer, fed the input in chunks whose sizes
//! come from the input itself, yields the same messages as one big read,
//! never a message shorter than 8 bytes or longer than its maximum.

#![no_main]

use libfuzzer_sys::fuzz_target;
use openflow::Framer;

fn drain(f: &mut Framer, out: &mut Vec<Vec<u8>>) -> bool {
    loop {
        match f.next_message() {
            Ok(Some(m)) => {
                assert!(m.len() >= 8 && m.len() <= f.max_len());
                assert_eq!(usize::from(u16::from_be_bytes([m[2], m[3]])), m.len());
                out.push(m);
            }
            Ok(None) => return true,
            Err(_) => return false,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let max = 8 + usize::from(data[0]) * 64;
    let step = usize::from(data[1] % 31) + 1;
    let stream = &data[2..];

    let mut whole = Framer::new(max);
    whole.push(stream);
    let mut a = Vec::new();
    let ok_a = drain(&mut whole, &mut a);

    let mut pieces = Framer::new(max);
    let mut b = Vec::new();
    let mut ok_b = true;
    for chunk in stream.chunks(step) {
        pieces.push(chunk);
        if !drain(&mut pieces, &mut b) {
            ok_b = false;
            break;
        }
    }
    assert_eq!(a, b);
    assert_eq!(ok_a, ok_b);
});
