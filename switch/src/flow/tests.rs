//! Tests of extraction and editing over hand-built packets.
