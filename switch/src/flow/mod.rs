//! Flow keys: packet fields as OpenFlow matches them (in progress).
