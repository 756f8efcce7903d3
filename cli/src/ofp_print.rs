//! `ferrovs ofp-print`: decode OpenFlow messages from files or hex and print them.
//!
//! Each input is a file holding one or more concatenated raw messages, or,
//! when no such file exists, a hex string (spaces, colons and a `0x` prefix
//! allowed). With `--roundtrip` every message is re-encoded for its version
//! and xid; any input whose bytes differ is named, the exit status is
//! non-zero, and the last line is `roundtrip: N/M identical`.

use std::path::Path;
use std::process::ExitCode;

use openflow::print::print;
use openflow::{decode, Version};

/// Reads an input: a file's bytes, or the bytes of a hex string.
fn input_bytes(input: &str) -> Result<Vec<u8>, String> {
    if Path::new(input).is_file() {
        return std::fs::read(input).map_err(|e| format!("{input}: {e}"));
    }
    let text = input.trim().trim_start_matches("0x");
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    hex::decode(&digits).map_err(|e| format!("{input}: not a file, and not hex ({e})"))
}

/// Cuts `bytes` into messages by their header lengths; the second value is
/// the count of trailing bytes that are not a whole message.
fn split(bytes: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut msgs = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 8 {
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        if len < 8 || len > rest.len() {
            break;
        }
        msgs.push(&rest[..len]);
        rest = &rest[len..];
    }
    (msgs, rest.len())
}

/// Outcome of one message.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Identical,
    Differs,
    Failed,
}

fn one_message(label: &str, msg: &[u8], roundtrip: bool) -> Outcome {
    let (header, message) = match decode(msg) {
        Ok(x) => x,
        Err(e) => {
            println!("{label}: undecodable ({e}; OpenFlow error {:?})", e.kind);
            return Outcome::Failed;
        }
    };
    println!("{}", print(&header, &message));
    if !roundtrip {
        return Outcome::Identical;
    }
    let Some(version) = Version::from_wire(header.version) else {
        println!("{label}: cannot re-encode version 0x{:02x}", header.version);
        return Outcome::Failed;
    };
    match message.encode(version, header.xid) {
        Ok(out) if out == msg => Outcome::Identical,
        Ok(out) => {
            let at = out
                .iter()
                .zip(msg)
                .position(|(a, b)| a != b)
                .unwrap_or(out.len().min(msg.len()));
            println!(
                "{label}: re-encoded bytes differ at offset {at} ({} bytes, original {})",
                out.len(),
                msg.len()
            );
            Outcome::Differs
        }
        Err(e) => {
            println!("{label}: cannot re-encode: {e}");
            Outcome::Failed
        }
    }
}

/// Runs `ofp-print` over `inputs` (file paths or hex strings); with
/// `roundtrip`, re-encodes each message and reports any whose bytes differ.
pub fn run(roundtrip: bool, inputs: &[String]) -> ExitCode {
    if inputs.is_empty() {
        eprintln!("ofp-print: give at least one FILE or HEX string");
        return ExitCode::FAILURE;
    }
    let mut total = 0;
    let mut identical = 0;
    let mut bad_inputs = Vec::new();
    for input in inputs {
        let bytes = match input_bytes(input) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("ofp-print: {e}");
                bad_inputs.push(input.clone());
                continue;
            }
        };
        let (msgs, trailing) = split(&bytes);
        let mut input_ok = trailing == 0;
        if msgs.is_empty() {
            println!("{input}: no whole OpenFlow message ({} bytes)", bytes.len());
            // Decoding reports why (short header, bad length...).
            total += 1;
            one_message(input, &bytes, roundtrip);
            bad_inputs.push(input.clone());
            continue;
        }
        if trailing > 0 {
            println!("{input}: {trailing} trailing bytes are not a whole message");
        }
        for (i, msg) in msgs.iter().enumerate() {
            let label = if msgs.len() == 1 {
                input.clone()
            } else {
                format!("{input} message {}", i + 1)
            };
            total += 1;
            match one_message(&label, msg, roundtrip) {
                Outcome::Identical => identical += 1,
                Outcome::Differs | Outcome::Failed => input_ok = false,
            }
        }
        if !input_ok {
            bad_inputs.push(input.clone());
        }
    }
    if roundtrip {
        for bad in &bad_inputs {
            println!("differs: {bad}");
        }
        println!("roundtrip: {identical}/{total} identical");
    }
    if bad_inputs.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_split() {
        assert_eq!(
            input_bytes("0x04 14 00:08 00000001").unwrap(),
            vec![4, 0x14, 0, 8, 0, 0, 0, 1]
        );
        assert!(input_bytes("zz-not-hex").is_err());
        let two = [4u8, 20, 0, 8, 0, 0, 0, 1, 4, 21, 0, 8, 0, 0, 0, 1, 9];
        let (msgs, trailing) = split(&two);
        assert_eq!((msgs.len(), trailing), (2, 1));
    }

    #[test]
    fn roundtrip_outcomes() {
        let barrier = [4u8, 20, 0, 8, 0, 0, 0, 1];
        assert_eq!(one_message("b", &barrier, true), Outcome::Identical);
        // A barrier request with a body does not decode.
        let bad = [4u8, 20, 0, 9, 0, 0, 0, 1, 0];
        assert_eq!(one_message("b", &bad, true), Outcome::Failed);
        assert_eq!(
            run(true, &["0400000800000001".to_string()]),
            ExitCode::SUCCESS
        );
        assert_eq!(
            run(true, &["04140009000000010a".to_string()]),
            ExitCode::FAILURE
        );
    }
}
